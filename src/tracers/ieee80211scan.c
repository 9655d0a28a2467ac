/* ieee80211scan: Wi-Fi scans through the cfg80211 tracepoints, one line
 * per scan from its request to the driver (cfg80211:rdev_scan) to its end
 * (cfg80211:cfg80211_scan_done): who asked, the radio, the time it took.
 *
 * The tracepoints come with cfg80211 (built in, or its module loaded). A
 * kernel without it has neither, and the run ends before any load with one
 * error naming the missing tracepoint, instead of the loader's generic
 * failure. */
#include "bpf/ieee80211scan.h"
#include "bpf/ieee80211scan.skel.h"
#include "command.h"
#include "trace/kbtf.h"
#include "trace/opts.h"
#include "trace/trace.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

TRACE_SKEL_GLUE(ieee80211scan)

#define TP_START "cfg80211:rdev_scan"
#define TP_DONE  "cfg80211:cfg80211_scan_done"

enum { C_PID = TRACE_COL0, C_COMM, C_WIPHY, C_LAT };

static const struct out_col cols[] = {
	TRACE_TASK_COLS,
	{ "WIPHY", "wiphy", 0, 18 },
	{ "LAT(ms)", NULL, OUT_RIGHT, 10 },
};

static const struct trace_hook hooks[] = {
	{ TP_START, { "ieee80211scan_start" } },
	{ TP_DONE, { "ieee80211scan_done" } },
};

/* -p/--comm: the process that asked for the scan. */
static const struct opt_group opts[] = {
	TRACE_OWNER_GROUP, TRACE_EVENT_GROUP, TRACE_RUN_GROUP, TRACE_TABLE_GROUP, OPT_GROUPS_END,
};

/* Whether the kernel has tracepoint `name` (of cfg80211): its
 * btf_trace_<name> typedef in the kernel's BTF (cfg80211 built in) or in
 * the loaded cfg80211 module's, or its directory in tracefs. */
static bool have_tracepoint(const char *name)
{
	static const char *const btfs[] = { NULL, "/sys/kernel/btf/cfg80211" };
	char typedef_name[128], dir[256];
	bool found = false;

	snprintf(dir, sizeof(dir), "/sys/kernel/tracing/events/cfg80211/%s", name);
	if (access(dir, F_OK) == 0)
		return true;
	snprintf(typedef_name, sizeof(typedef_name), "btf_trace_%s", name);
	for (size_t i = 0; i < sizeof(btfs) / sizeof(btfs[0]) && !found; i++) {
		struct kbtf k;

		if (btfs[i] && access(btfs[i], F_OK) != 0)
			continue;
		if (kbtf_open(&k, btfs[i]) != 0)
			continue;
		found = kbtf_has_str(&k, typedef_name);
		kbtf_close(&k);
	}
	return found;
}

static int configure(struct trace_ctx *tc, void *skel)
{
	(void)skel;
	if (!have_tracepoint("rdev_scan"))
		return out_error("%s: tracepoint " TP_START " not found: this kernel has no cfg80211 "
				 "(not built in, module not loaded), so no Wi-Fi scan tracepoints",
				 tc->tr->name);
	if (!have_tracepoint("cfg80211_scan_done"))
		return out_error("%s: tracepoint " TP_DONE " not found, though " TP_START " is: this "
				 "cfg80211 does not report scan completions",
				 tc->tr->name);
	return 0;
}

static void event(struct trace_ctx *tc, const void *data)
{
	const struct ieee80211scan_event *e = data;
	struct table *t = trace_row_begin(tc, &e->h);
	char w[32];

	trace_cells_task(t, C_PID, e->h.pid, e->h.comm);
	snprintf(w, sizeof(w), "0x%llx", (unsigned long long)e->wiphy);
	out_cell_str(t, C_WIPHY, w);
	out_cell_fixed(t, C_LAT, (double)e->lat_ns / 1e6, 3);
	out_field_double(t, "latency_ms", NULL, (double)e->lat_ns / 1e6, 3);
	trace_row_end(tc, &e->h);
}

TRACE_TRACER(ieee80211scan, "Wi-Fi scans", TRACE_HOOKS(hooks), TRACE_COLS(cols), .opts = opts,
	     .configure = configure, TRACE_EVENTS(event, struct ieee80211scan_event));

TRACE_COMMAND(ieee80211scan, opts,
		.summary = "Wi-Fi scans: who asked and how long each took (cfg80211 tracepoints)",
		.about = "One line per Wi-Fi scan: from the scan request handed to the driver\n"
			 "(" TP_START ") to its completion (" TP_DONE "), with the\n"
			 "process that asked (through nl80211) and the radio (its struct wiphy's\n"
			 "address). Needs cfg80211, built in or its module loaded: without it the\n"
			 "command says which tracepoint is missing and exits 1.\n");
