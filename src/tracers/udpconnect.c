/* udpconnect: connect() on UDP sockets (connected UDP: resolvers, QUIC
 * clients); soconnect's programs with a socket-type filter. */
#include "bpf/soconnect.h"
#include "bpf/udpconnect.skel.h"
#include "command.h"
#include "trace/opts.h"
#include "trace/trace.h"
#include "tracers/so_connect.h"
#include "tracers/so_util.h"

TRACE_SKEL_GLUE(udpconnect)

static const struct out_col cols[] = { SO_CONNECT_COLS };

static const struct trace_hook hooks[] = { SO_CONNECT_HOOKS };

static const struct opt opt_rows[] = {
	{ 'c', "counts", NULL, "count UDP connects by command, destination and result in the kernel" },
	OPT_END,
};

static const struct opt_group opts[] = {
	{ NULL, opt_rows }, TRACE_OWNER_GROUP, SO_FILTER_GROUP,
	TRACE_EVENT_GROUP, TRACE_RUN_GROUP, TRACE_INTERVAL_GROUP, OPT_GROUPS_END,
};

static void summary(struct trace_ctx *tc, void *skel, bool final)
{
	(void)final;
	so_connect_counts(tc, ((struct udpconnect_bpf *)skel)->maps.counts);
}

TRACE_TRACER(udpconnect, "UDP connect() calls", TRACE_HOOKS(hooks), TRACE_COLS(cols),
	     .opts = opts, .opt = trace_opt_summary,
	     TRACE_EVENTS(so_connect_event, struct soconnect_event), .summary = summary);

TRACE_COMMAND(udpconnect, opts,
		.summary = "trace connect() on UDP sockets: destination and result",
		.about = "One line per connect() system call on a UDP socket (IPv4 or IPv6):\n"
			 "the process, the descriptor, the destination, how long the call took and\n"
			 "its result (ok, ENETUNREACH, ...); AF_UNSPEC (dissolving the association)\n"
			 "shows as unspec. Connects on other sockets are filtered out in the\n"
			 "kernel. -c counts by command, destination and result instead.\n");
