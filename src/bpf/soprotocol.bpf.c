/* soprotocol: new sockets by protocol and process (see sonew.bpf.h). */
#define SONEW(n)          soprotocol_##n
#define SONEW_BY_PROTOCOL 1
#include "bpf/sonew.bpf.h"
