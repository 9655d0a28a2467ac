/* soconnlat: connect latency as the application sees it, blocking and
 * non-blocking connects, to connected or failed; per connect or --hist. */
#include "bpf/solat.h"
#include "bpf/soconnlat.skel.h"
#include "command.h"
#include "trace/opts.h"
#include "trace/trace.h"
#include "tracers/so_lat.h"
#include "tracers/so_stacks.h"
#include "tracers/so_util.h"

TRACE_SKEL_GLUE(soconnlat)

static const struct out_col cols[] = { SO_LAT_COLS(SO_LAT_MODE_COL, SO_LAT_RESULT_COL) };

/* the ends first: a connect started before they attach would stay until
 * its socket closes */
static const struct trace_hook hooks[] = {
	TRACE_STATE_HOOK(soconnlat),
	SO_LAT_CONNECT_HOOKS,
};

SO_LAT_CALLBACKS(soconnlat, "connect latency", true)

/* --stacks besides so_lat's --hist and --by */
static const struct opt stack_rows[] = { SO_STACKS_ROW, OPT_END };

static const struct opt_group opts[] = {
	{ NULL, so_lat_opt_rows }, { NULL, stack_rows }, TRACE_OWNER_GROUP, SO_FILTER_GROUP,
	TRACE_EVENT_GROUP, TRACE_RUN_GROUP, TRACE_INTERVAL_GROUP, TRACE_TABLE_GROUP,
	OPT_GROUPS_END,
};

static int opt(struct trace_ctx *tc, const struct opts *p, int c)
{
	return so_stacks_mine(c) ? so_stacks_opt(tc, p, c) : so_lat_opt(tc, p, c);
}

static int stacks_configure(struct trace_ctx *tc, void *skel)
{
	struct soconnlat_bpf *s = skel;

	s->rodata->want_ustack = so_stacks_on();
	so_stacks_configure(tc, s->maps.stacks);
	return configure(tc, skel);
}

static void stacks_summary(struct trace_ctx *tc, void *skel, bool final)
{
	struct soconnlat_bpf *s = skel;

	if (so_stacks_on())
		so_stacks_summary(tc, s->maps.stack_counts, s->maps.stacks);
	else
		summary(tc, skel, final);
}

static void event(struct trace_ctx *tc, const void *data)
{
	const struct solat_event *e = data;
	struct table *t = so_lat_row(tc, data);

	out_cell_str(t, SOL_MODE, e->nonblock ? "nonblock" : "block");
	if (e->ret == SOLAT_CLOSED) {
		out_cell_str(t, SOL_RESULT, "closed");
		out_field_str(t, "result", NULL, "closed");
		out_field_bool(t, "ok", NULL, false);
	} else {
		so_cells_result(t, SOL_RESULT, e->ret);
	}
	trace_row_end(tc, &e->h);
}

TRACE_TRACER(soconnlat, "TCP connect latency as applications see it", TRACE_HOOKS(hooks),
	     TRACE_COLS(cols), .opts = opts, .opt = opt, .configure = stacks_configure,
	     TRACE_EVENTS(event, struct solat_event), .summary = stacks_summary);

TRACE_COMMAND(soconnlat, opts,
		.summary = "trace TCP connect latency from connect() to connected or failed",
		.about = "One line per TCP connect() when the application has its outcome: the\n"
			 "process, the destination, whether the socket was non-blocking, the time\n"
			 "from connect() to the socket connected or failed (a non-blocking connect\n"
			 "is followed past its EINPROGRESS to the end of the handshake) and the\n"
			 "result: ok, ECONNREFUSED, ETIMEDOUT, ENETUNREACH, EHOSTUNREACH, ... or\n"
			 "closed (the application closed the socket first). --hist keeps log2\n"
			 "histograms in the kernel instead, one per process, destination or both,\n"
			 "printed on exit or every -i SECS. --stacks counts TCP connect() calls\n"
			 "by process and user stack instead.\n");
