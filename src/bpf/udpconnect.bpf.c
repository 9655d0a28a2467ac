/* udpconnect: connect() on UDP sockets (see soconnect.bpf.h). */
#define SO_UDP_ONLY 1
#include "bpf/soconnect.bpf.h"
