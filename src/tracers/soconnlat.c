/* soconnlat: connect latency as the application sees it, blocking and
 * non-blocking connects, to connected or failed; per connect or --hist. */
#include "bpf/solat.h"
#include "bpf/soconnlat.skel.h"
#include "command.h"
#include "trace/opts.h"
#include "trace/trace.h"
#include "tracers/so_lat.h"
#include "tracers/so_util.h"

TRACE_SKEL_GLUE(soconnlat)

static const struct out_col cols[] = { SO_LAT_COLS(SO_LAT_MODE_COL, SO_LAT_RESULT_COL) };

/* the ends first: a connect started before they attach would stay until
 * its socket closes */
static const struct trace_hook hooks[] = {
	TRACE_STATE_HOOK(soconnlat),
	TRACE_STATE_NEST_HOOK(soconnlat),
	SO_LAT_CONNECT_HOOKS,
};

SO_LAT_CALLBACKS(soconnlat, "connect latency", true)

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
	     TRACE_COLS(cols), SO_LAT_TRACER_FIELDS);

TRACE_COMMAND(soconnlat, so_lat_opts,
		.summary = "trace TCP connect latency from connect() to connected or failed",
		.about = "One line per TCP connect() when the application has its outcome: the\n"
			 "process, the destination, whether the socket was non-blocking, the time\n"
			 "from connect() to the socket connected or failed (a non-blocking connect\n"
			 "is followed past its EINPROGRESS to the end of the handshake) and the\n"
			 "result: ok, ECONNREFUSED, ETIMEDOUT, ENETUNREACH, EHOSTUNREACH, ... or\n"
			 "closed (the application closed the socket first). --hist keeps log2\n"
			 "histograms in the kernel instead, one per process, destination or both,\n"
			 "printed on exit or every -i SECS.\n");
