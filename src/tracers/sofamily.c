/* sofamily: new sockets, accepted and connected, by address family and
 * process, counted in the kernel. */
#include "bpf/sonew.h"
#include "bpf/sofamily.skel.h"
#include "command.h"
#include "trace/trace.h"
#include "tracers/so_count.h"

TRACE_SKEL_GLUE(sofamily)

static const struct trace_hook hooks[] = { SO_NEW_HOOKS(sofamily) };

static void summary(struct trace_ctx *tc, void *skel, bool final)
{
	(void)final;
	so_new_counts(tc, ((struct sofamily_bpf *)skel)->maps.counts, SO_NEW_BY_FAMILY);
}

TRACE_TRACER(sofamily, "new sockets by family", TRACE_HOOKS(hooks), .opts = so_new_opts,
	     .summary = summary);

TRACE_COMMAND(sofamily, so_new_opts,
		.summary = "new sockets (accepted, connected) by address family and process",
		.about = "Counts the sockets each process gets from accept()/accept4() and the\n"
			 "connect() calls that succeed or return EINPROGRESS, by the socket's address\n"
			 "family (inet, inet6, unix, netlink, ...), in the kernel, and prints the\n"
			 "table on exit (Ctrl-C, -d) or every -i SECS: PID, COMM, FAMILY, ACCEPT,\n"
			 "CONNECT. Failed accepts and connects are not counted, nor a connect() to\n"
			 "AF_UNSPEC (which dissolves a datagram socket's association).\n");
