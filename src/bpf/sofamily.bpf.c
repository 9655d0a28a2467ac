/* sofamily: new sockets by address family and process (see sonew.bpf.h). */
#define SONEW(n) sofamily_##n
#include "bpf/sonew.bpf.h"
