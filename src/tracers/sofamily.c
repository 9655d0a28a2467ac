/* sofamily: new sockets, accepted and connected, by address family and
 * process, counted in the kernel (shared with soprotocol: so_count.h). */
#include "bpf/sonew.h"
#include "bpf/sofamily.skel.h"
#include "command.h"
#include "trace/trace.h"
#include "tracers/so_count.h"

SO_NEW_TRACER(sofamily, SO_NEW_BY_FAMILY, "new sockets by family",
	      "new sockets (accepted, connected) by address family and process",
	      "Counts the sockets each process gets from accept()/accept4() and the\n"
	      "connect() calls that succeed or return EINPROGRESS, by the socket's address\n"
	      "family (inet, inet6, unix, netlink, ...), in the kernel, and prints the\n"
	      "table on exit (Ctrl-C, -d) or every -i SECS: PID, COMM, FAMILY, ACCEPT,\n"
	      "CONNECT. Failed accepts and connects are not counted, nor a connect() to\n"
	      "AF_UNSPEC (which dissolves a datagram socket's association).\n");
