/* soconnect: every connect() on every family, with its destination,
 * latency and result; -c counts by command, destination and result. */
#include "bpf/soconnect.h"
#include "bpf/soconnect.skel.h"
#include "command.h"
#include "trace/opts.h"
#include "trace/trace.h"
#include "tracers/so_connect.h"
#include "tracers/so_util.h"

TRACE_SKEL_GLUE(soconnect)

static const struct out_col cols[] = { SO_CONNECT_COLS };

static const struct trace_hook hooks[] = { SO_CONNECT_HOOKS };

static const struct opt opt_rows[] = {
	{ 'c', "counts", NULL, "count connects by command, destination and result in the kernel" },
	SO_UNIX_ROW,
	OPT_END,
};

static const struct opt_group opts[] = {
	{ NULL, opt_rows }, TRACE_OWNER_GROUP, SO_FILTER_GROUP,
	TRACE_EVENT_GROUP, TRACE_RUN_GROUP, TRACE_INTERVAL_GROUP, OPT_GROUPS_END,
};

static int opt(struct trace_ctx *tc, const struct opts *p, int c)
{
	return c == 'U' ? so_opt_unix(tc, p, c) : trace_opt_summary(tc, p, c);
}

static void summary(struct trace_ctx *tc, void *skel, bool final)
{
	(void)final;
	so_connect_counts(tc, ((struct soconnect_bpf *)skel)->maps.counts);
}

TRACE_TRACER(soconnect, "connect() calls", TRACE_HOOKS(hooks), TRACE_COLS(cols), .opts = opts,
	     .opt = opt, TRACE_EVENTS(so_connect_event, struct soconnect_event),
	     .summary = summary);

TRACE_COMMAND(soconnect, opts,
		.summary = "trace connect() calls of every family: destination, latency, result",
		.about = "One line per connect() system call, IPv4, IPv6 and UNIX (paths and\n"
			 "abstract names, shown with a leading @): the process, the descriptor,\n"
			 "the destination as passed, how long the call took and its result (ok,\n"
			 "EINPROGRESS, ECONNREFUSED, ENETUNREACH, ETIMEDOUT, ENOENT, ...). -c counts\n"
			 "in the kernel by command, destination and result instead, and prints the\n"
			 "counts on exit, or every -i SECS.\n");
