/* so1stbyte: time from connect() to the first byte read from the socket;
 * per connect or --hist. */
#include "bpf/solat.h"
#include "bpf/so1stbyte.skel.h"
#include "command.h"
#include "trace/opts.h"
#include "trace/trace.h"
#include "tracers/so_lat.h"
#include "tracers/so_util.h"
#include "tracers/sockio_util.h"

TRACE_SKEL_GLUE(so1stbyte)

static const struct out_col cols[] = { SO_LAT_COLS(SO_LAT_HIDDEN, SO_LAT_HIDDEN) };

/* the ends first: a connect started before they attach would stay until
 * its socket is freed */
static const struct trace_hook hooks[] = {
	{ "inet_sock_set_state", { "so1stbyte_state_btf", "so1stbyte_state_raw" } },
	{ "tcp_destroy_sock", { "so1stbyte_destroy_btf", "so1stbyte_destroy_raw" } },
	SOCKIO_RECV_HOOK(so1stbyte_recv),
	SO_LAT_CONNECT_HOOKS,
};

SO_LAT_CALLBACKS(so1stbyte, "time to first byte", false)

static void event(struct trace_ctx *tc, const void *data)
{
	const struct solat_event *e = data;

	so_lat_row(tc, data);
	trace_row_end(tc, &e->h);
}

TRACE_TRACER(so1stbyte, "time from TCP connect() to the first byte read", TRACE_HOOKS(hooks),
	     TRACE_COLS(cols), SO_LAT_TRACER_FIELDS);

TRACE_COMMAND(so1stbyte, so_lat_opts,
		.summary = "trace the time from TCP connect() to the first byte read",
		.about = "One line per TCP connect() whose socket is read from: the process that\n"
			 "connected, the destination, and the time from connect() to the first\n"
			 "read, recv() or recvmsg() that returned data on that socket (the\n"
			 "handshake, the server's think time and the application's own delay to\n"
			 "read). Connects that fail or never read are not shown. --hist keeps log2\n"
			 "histograms in the kernel instead, one per process, destination or both,\n"
			 "printed on exit or every -i SECS.\n");
