/* soconnect: every connect() on every family, with its destination,
 * latency and result; -c counts by command, destination and result. */
#include "bpf/soconnect.h"
#include "bpf/soconnect.skel.h"
#include "command.h"
#include "trace/opts.h"
#include "trace/trace.h"
#include "tracers/so_connect.h"
#include "tracers/so_stacks.h"
#include "tracers/so_util.h"

TRACE_SKEL_GLUE(soconnect)

static const struct out_col cols[] = { SO_CONNECT_COLS };

static const struct trace_hook hooks[] = { SO_CONNECT_HOOKS };

static const struct opt opt_rows[] = {
	{ 'c', "counts", NULL, "count connects by command, destination and result in the kernel" },
	SO_UNIX_ROW,
	SO_STACKS_ROW,
	OPT_END,
};

static const struct opt_group opts[] = {
	{ NULL, opt_rows }, TRACE_OWNER_GROUP, SO_FILTER_GROUP,
	TRACE_EVENT_GROUP, TRACE_RUN_GROUP, TRACE_INTERVAL_GROUP, OPT_GROUPS_END,
};

static int opt(struct trace_ctx *tc, const struct opts *p, int c)
{
	if (c == 'U')
		return so_opt_unix(tc, p, c);
	if (so_stacks_mine(c))
		return so_stacks_opt(tc, p, c);
	return trace_opt_summary(tc, p, c);
}

static int configure(struct trace_ctx *tc, void *skel)
{
	struct soconnect_bpf *s = skel;

	s->rodata->want_ustack = so_stacks_on();
	so_stacks_configure(tc, s->maps.stacks);
	return 0;
}

static void summary(struct trace_ctx *tc, void *skel, bool final)
{
	struct soconnect_bpf *s = skel;

	(void)final;
	if (so_stacks_on())
		so_stacks_summary(tc, s->maps.stack_counts, s->maps.stacks);
	else
		so_connect_counts(tc, s->maps.counts);
}

TRACE_TRACER(soconnect, "connect() calls", TRACE_HOOKS(hooks), TRACE_COLS(cols), .opts = opts,
	     .opt = opt, .configure = configure, TRACE_EVENTS(so_connect_event, struct soconnect_event),
	     .summary = summary);

TRACE_COMMAND(soconnect, opts,
		.summary = "trace connect() calls of every family: destination, latency, result",
		.about = "One line per connect() system call, IPv4, IPv6 and UNIX (paths and\n"
			 "abstract names, shown with a leading @): the process, the descriptor,\n"
			 "the destination as passed, how long the call took and its result (ok,\n"
			 "EINPROGRESS, ECONNREFUSED, ENETUNREACH, ETIMEDOUT, ENOENT, ...). -c counts\n"
			 "in the kernel by command, destination and result instead, and prints the\n"
			 "counts on exit, or every -i SECS. --stacks counts them by process and\n"
			 "user stack instead, symbolized on exit (or every -i SECS), also for\n"
			 "processes in other mount namespaces.\n");
