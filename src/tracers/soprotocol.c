/* soprotocol: new sockets, accepted and connected, by transport protocol
 * and process, counted in the kernel. */
#include "bpf/sonew.h"
#include "bpf/soprotocol.skel.h"
#include "command.h"
#include "trace/trace.h"
#include "tracers/so_count.h"

TRACE_SKEL_GLUE(soprotocol)

static const struct trace_hook hooks[] = { SO_NEW_HOOKS(soprotocol) };

static void summary(struct trace_ctx *tc, void *skel, bool final)
{
	(void)final;
	so_new_counts(tc, ((struct soprotocol_bpf *)skel)->maps.counts, SO_NEW_BY_PROTOCOL);
}

TRACE_TRACER(soprotocol, "new sockets by protocol", TRACE_HOOKS(hooks), .opts = so_new_opts,
	     .summary = summary);

TRACE_COMMAND(soprotocol, so_new_opts,
		.summary = "new sockets (accepted, connected) by transport protocol and process",
		.about = "Counts the sockets each process gets from accept()/accept4() and the\n"
			 "connect() calls that succeed or return EINPROGRESS, by the socket's\n"
			 "protocol (tcp, udp, unix-stream, unix-dgram, unix-seqpacket, raw, sctp,\n"
			 "mptcp, ...; tcp and udp over IPv4 and IPv6 alike), in the kernel, and prints\n"
			 "the table on exit (Ctrl-C, -d) or every -i SECS: PID, COMM, PROTOCOL,\n"
			 "ACCEPT, CONNECT. Failed accepts and connects are not counted, nor a connect()\n"
			 "to AF_UNSPEC (which dissolves a datagram socket's association).\n");
