/* tcpwin: windows and RTT of established TCP flows, one row per incoming
 * segment (tcp:tcp_probe), as a table, JSON lines or CSV for plotting. */
#include "bpf/tcpwin.h"
#include "bpf/tcpwin.skel.h"
#include "command.h"
#include "trace/opts.h"
#include "trace/trace.h"

#include <stdio.h>

TRACE_SKEL_GLUE(tcpwin)

enum {
	C_LADDR = TRACE_COL0, C_LPORT, C_RADDR, C_RPORT, C_CWND, C_SSTHRESH, C_SNDWND, C_RCVWND,
	C_SRTT, C_INFL,
};

static const struct out_col cols[] = {
	{ "LADDR", "laddr", 0, 15 },
	{ "LPORT", "lport", OUT_RIGHT, 5 },
	{ "RADDR", "raddr", 0, 15 },
	{ "RPORT", "rport", OUT_RIGHT, 5 },
	{ "CWND", "cwnd", OUT_RIGHT, 5 },
	{ "SSTHRESH", NULL, OUT_RIGHT, 8 },
	{ "SND_WND", "snd_wnd", OUT_RIGHT, 8 },
	{ "RCV_WND", "rcv_wnd", OUT_RIGHT, 8 },
	{ "SRTT(us)", "srtt_us", OUT_RIGHT, 8 },
	{ "INFLIGHT", "packets_out", OUT_RIGHT, 8 },
};

static const struct trace_hook hooks[] = {
	{ "tcp_probe", { "tcpwin_probe_btf", "tcpwin_probe_raw" } },
};

enum { OPT_CSV = OPT_LONG };

static const struct opt opt_rows[] = {
	{ OPT_CSV, "csv", NULL,
	  "comma-separated rows with a header, for plotting (ssthresh empty while unset)" },
	OPT_END,
};

/* No owner filters: tcp_probe runs in softirq, where the process is unknown. */
static const struct opt_group opts[] = {
	{ NULL, opt_rows }, TRACE_FILTER_GROUP, TRACE_EVENT_GROUP, TRACE_RUN_GROUP, OPT_GROUPS_END,
};

static bool csv;

static int opt(struct trace_ctx *tc, const struct opts *p, int c)
{
	(void)tc;
	(void)c;
	if (out_is_json())
		return opts_fail(p, "--csv and -j exclude each other: give one");
	csv = true;
	return 0;
}

static int configure(struct trace_ctx *tc, void *skel)
{
	static bool header_done;

	(void)skel;
	(void)tc;
	if (csv && !header_done) {
		printf("time,elapsed_s,ip,laddr,lport,raddr,rport,cwnd,ssthresh,snd_wnd,rcv_wnd,"
		       "srtt_us,packets_out,mss,netns\n");
		fflush(stdout);
		header_done = true;
	}
	return 0;
}

static void csv_row(struct trace_ctx *tc, const struct tcpwin_event *e)
{
	char la[64], ra[64], ss[16] = "";

	if (e->ssthresh != TCPWIN_INFINITE_SSTHRESH)
		snprintf(ss, sizeof(ss), "%u", e->ssthresh);
	printf("%.6f,%.6f,%d,%s,%u,%s,%u,%u,%s,%u,%u,%u,%u,%u,%u\n",
	       (double)((int64_t)e->h.ts_ns + tc->wall_offset) / 1e9,
	       (double)(int64_t)(e->h.ts_ns - tc->mono_start) / 1e9, e->t.family == 10 ? 6 : 4,
	       trace_addr_str(la, e->t.family, e->t.saddr), e->t.sport,
	       trace_addr_str(ra, e->t.family, e->t.daddr), e->t.dport, e->cwnd, ss, e->snd_wnd,
	       e->rcv_wnd, e->srtt_us, e->packets_out, e->mss, e->h.netns);
}

static void event(struct trace_ctx *tc, const void *data, size_t len)
{
	const struct tcpwin_event *e = data;
	struct table *t;

	if (len < sizeof(*e))
		return;
	if (csv) {
		csv_row(tc, e);
		return;
	}
	t = trace_row_begin(tc, &e->h);
	trace_cells_tuple(t, C_LADDR, C_LPORT, C_RADDR, C_RPORT, &e->t);
	out_cell_u64(t, C_CWND, e->cwnd);
	if (e->ssthresh == TCPWIN_INFINITE_SSTHRESH) {
		out_cell_str(t, C_SSTHRESH, "inf");
	} else {
		out_cell_u64(t, C_SSTHRESH, e->ssthresh);
		out_field_u64(t, "ssthresh", NULL, e->ssthresh);
	}
	out_cell_u64(t, C_SNDWND, e->snd_wnd);
	out_cell_u64(t, C_RCVWND, e->rcv_wnd);
	out_cell_u64(t, C_SRTT, e->srtt_us);
	out_cell_u64(t, C_INFL, e->packets_out);
	out_field_u64(t, "mss", NULL, e->mss);
	trace_row_end(tc, &e->h);
}

static const struct tracer tcpwin = {
	.name = "tcpwin",
	.doing = "TCP windows and RTT",
	TRACE_HOOKS(hooks),
	TRACE_COLS(cols),
	.opts = opts,
	.opt = opt,
	TRACE_SKEL(tcpwin),
	.configure = configure,
	.event = event,
};

TRACE_COMMAND(tcpwin, opts, .name = "tcpwin",
		.summary = "stream TCP congestion window, ssthresh, windows and RTT per segment",
		.about = "One row per segment an established TCP socket receives (tcp:tcp_probe):\n"
			 "tuple, congestion window and slow-start threshold (segments; \"inf\"\n"
			 "before the first loss; JSON omits \"ssthresh\" then), the peer's send\n"
			 "window and our receive window (bytes), smoothed RTT (us) and segments in\n"
			 "flight. Fires per ACK: on a busy host restrict it with -P/--lport/--rport\n"
			 "or --netns. The process is not known in softirq, so there are no -p and\n"
			 "--comm.\n");
