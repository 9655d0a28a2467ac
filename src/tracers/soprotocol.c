/* soprotocol: new sockets, accepted and connected, by transport protocol
 * and process, counted in the kernel (shared with sofamily: so_count.h). */
#include "bpf/sonew.h"
#include "bpf/soprotocol.skel.h"
#include "command.h"
#include "trace/trace.h"
#include "tracers/so_count.h"

SO_NEW_TRACER(soprotocol, SO_NEW_BY_PROTOCOL, "new sockets by protocol",
	      "new sockets (accepted, connected) by transport protocol and process",
	      "Counts the sockets each process gets from accept()/accept4() and the\n"
	      "connect() calls that succeed or return EINPROGRESS, by the socket's\n"
	      "protocol (tcp, udp, unix-stream, unix-dgram, unix-seqpacket, raw, sctp,\n"
	      "mptcp, ...; tcp and udp over IPv4 and IPv6 alike), in the kernel, and prints\n"
	      "the table on exit (Ctrl-C, -d) or every -i SECS: PID, COMM, PROTOCOL,\n"
	      "ACCEPT, CONNECT. Failed accepts and connects are not counted, nor a connect()\n"
	      "to AF_UNSPEC (which dissolves a datagram socket's association).\n");
