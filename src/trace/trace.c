/* The tracer runner: load with hook fallback, attach, stream or summarise,
 * and tear down. See trace.h for the model. */
#include "trace/trace.h"
#include "trace/tables.h"
#include "trace/load.h"
#include "base/json.h"
#include "base/stamp.h"
#include "base/strbuf.h"
#include "trace/opts.h"
#include "trace/tpbtf.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_RINGBUF (256UL * 1024)
#define FLUSH_MS 10     /* longest an event waits in the ring buffer */
#define SUMMARY_TICK_MS 100

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig) { stop_signal = sig; }


static uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void trace_hook_off(struct trace_ctx *tc, const char *hook_name)
{
	for (int h = 0; h < tc->tr->nhooks; h++)
		if (strcmp(tc->tr->hooks[h].name, hook_name) == 0)
			tc->hook_off[h] = true;
}

int trace_opt_summary(struct trace_ctx *tc, const struct opts *p, int c)
{
	(void)p;
	(void)c;
	tc->summary_mode = true;
	return 0;
}

void trace_owner_hooks_off(struct trace_ctx *tc)
{
	trace_hook_off(tc, TRACE_OWNER_STATE_HOOK);
	trace_hook_off(tc, TRACE_ACCEPT4_HOOK);
	trace_hook_off(tc, TRACE_ACCEPT_HOOK);
}

/* ---- output helpers ---- */

static struct out_col *build_cols(const struct trace_ctx *tc, int *n)
{
	int nc = tc->tr->ncols + 3;
	struct out_col *c = calloc((size_t)nc, sizeof(*c));

	if (!c)
		abort();
	c[0] = (struct out_col){ .title = tc->o.ts == TS_REL   ? "TIME(s)"
					  : tc->o.ts == TS_WALL ? "TIME"
								: NULL,
				 .key = NULL,
				 .width = tc->o.ts == TS_WALL ? 12 : 9,
				 .flags = tc->o.ts == TS_REL ? OUT_RIGHT : 0 };
	memcpy(&c[1], tc->tr->cols, sizeof(*c) * (size_t)tc->tr->ncols);
	/* streams print with the declared widths: IPv4's, unless IPv6 is asked
	 * for (-6), the columns are widened (-w), or this namespace has a
	 * routable IPv6 address and -4 does not rule IPv6 out: then a full
	 * IPv6 address, so an IPv6 peer never shifts a row */
	if (tc->o.wide || tc->o.filter.family == AF_INET6 ||
	    (tc->o.filter.family != AF_INET && trace_netns_has_routable_ipv6()))
		for (int i = 1; i <= tc->tr->ncols; i++) {
			const char *k = c[i].key;
			size_t kl = k ? strlen(k) : 0;
			if (kl >= 4 && strcmp(k + kl - 4, "addr") == 0 && c[i].width < TRACE_ADDR6_WIDTH)
				c[i].width = TRACE_ADDR6_WIDTH;
		}
	c[nc - 2] = (struct out_col){ .title = tc->o.wide ? "NETNS" : NULL, .key = "netns",
				      .width = 10, .flags = OUT_RIGHT };
	c[nc - 1] = (struct out_col){ .title = tc->o.wide ? "CGROUP" : NULL, .key = "cgroup",
				      .width = 8, .flags = OUT_RIGHT };
	/* the last visible column takes free text: do not pad it */
	*n = nc;
	return c;
}

struct table *trace_row_begin(struct trace_ctx *tc, const struct tr_hdr *h)
{
	struct table *t = tc->t;
	double wall = (double)((int64_t)h->ts_ns + tc->wall_offset) / 1e9;

	out_row_begin(t);
	out_field_double(t, "time", NULL, wall, 6);
	if (tc->o.ts == TS_REL) {
		out_cell_fixed(t, 0, (double)(int64_t)(h->ts_ns - tc->mono_start) / 1e9, 6);
	} else if (tc->o.ts == TS_WALL) {
		/* the clock part changes once a second: converted once a second */
		static time_t last = -1;
		static char b[40];
		static size_t n;
		time_t s = (time_t)wall;
		int ms = (int)((wall - (double)s) * 1000);
		if (s != last) {
			struct tm tm;
			localtime_r(&s, &tm);
			n = strftime(b, 32, "%H:%M:%S", &tm);
			last = s;
		}
		if (ms < 0 || ms > 999) {
			out_cell_fmt(t, 0, "%s.%03d", b, ms);
		} else {
			b[n] = '.';
			b[n + 1] = (char)('0' + ms / 100);
			b[n + 2] = (char)('0' + ms / 10 % 10);
			b[n + 3] = (char)('0' + ms % 10);
			b[n + 4] = '\0';
			out_cell_str(t, 0, b);
			b[n] = '\0';
		}
	}
	return t;
}

struct table *trace_row_sock(struct trace_ctx *tc, const struct tr_hdr *h, int col,
			     const struct tr_tuple *tu)
{
	struct table *t = trace_row_begin(tc, h);

	trace_cells_task(t, col, h->pid, h->comm);
	trace_cells_tuple(t, col + 2, tu);
	return t;
}

void trace_row_end(struct trace_ctx *tc, const struct tr_hdr *h)
{
	int nc = tc->tr->ncols + 3;

	out_cell_u64(tc->t, nc - 2, h->netns);
	out_cell_u64(tc->t, nc - 1, h->cgroup);
	out_row_end(tc->t);
}

/* ---- ring buffer, lost events, stats ---- */

static unsigned long rb_seen; /* events printed since the last flush */
static long rb_total;         /* events printed in this run (-n) */

static int rb_event(void *ctx, void *data, size_t len)
{
	struct trace_ctx *tc = ctx;

	if (tc->summary_mode) { /* summary_events: -n counts intervals */
		if (len >= sizeof(struct tr_hdr) && len >= tc->tr->event_size)
			tc->tr->event(tc, data);
		return 0;
	}
	if (tc->o.count && rb_total >= tc->o.count)
		return 0; /* -n N: the rest of the batch is not printed */
	if (len >= sizeof(struct tr_hdr) && len >= tc->tr->event_size) {
		tc->tr->event(tc, data);
		rb_seen++;
		if (++rb_total >= tc->o.count && tc->o.count)
			stop_signal = -1;
	}
	return 0;
}

static uint64_t lost_events(struct trace_ctx *tc)
{
	struct bpf_map *m = bpf_object__find_map_by_name(tc->tr->skel_obj(tc->skel), "tr_lost");
	int ncpu = libbpf_num_possible_cpus();
	uint64_t sum = 0;
	__u32 key = 0;

	if (!m || ncpu <= 0)
		return 0;
	uint64_t *v = calloc((size_t)ncpu, sizeof(*v));
	if (!v)
		return 0;
	if (bpf_map__lookup_elem(m, &key, sizeof(key), v, sizeof(*v) * (size_t)ncpu, 0) == 0)
		for (int i = 0; i < ncpu; i++)
			sum += v[i];
	free(v);
	return sum;
}

/* The size of the tracer's table that refuses new keys when full: its
 * own word, else its smallest hash table (an LRU table evicts instead),
 * the one --max-keys should raise. */
static uint32_t table_limit(struct trace_ctx *tc)
{
	struct bpf_map *m;
	uint32_t limit = 0;

	if (tc->tr->table_limit)
		return tc->tr->table_limit(tc, tc->skel);
	bpf_object__for_each_map(m, tc->tr->skel_obj(tc->skel)) {
		enum bpf_map_type t = bpf_map__type(m);
		uint32_t max = bpf_map__max_entries(m);
		if (trace_table_is(m)) {
			size_t ks, vs;
			unsigned int im;
			trace_table_shape(m, &ks, &vs, &im);
			max = im;
		} else if (!trace_map_is_table(m) || t == BPF_MAP_TYPE_LRU_HASH ||
			   t == BPF_MAP_TYPE_LRU_PERCPU_HASH) {
			continue;
		}
		if (!limit || max < limit)
			limit = max;
	}
	return limit;
}

/* {"dropped_keys": N}, before {"lost_events": N}: always in summary modes
 * and with --stats (so consumers can rely on it), in event streams when N
 * > 0 (a tracking table, such as tcplife's sessions, was full). Text: one
 * line on stderr when N > 0. */
static void print_dropped_keys(struct trace_ctx *tc)
{
	uint64_t n = trace_dropped_keys(tc);

	if (out_is_json()) {
		if (!n && !tc->summary_mode && !tc->o.stats)
			return;
		struct json *w = out_record_begin();
		json_field_u64(w, "dropped_keys", n);
		out_record_end(w);
		return;
	}
	if (n)
		fprintf(stderr, "%llu keys not counted: a kernel table of %s was full at %u entries "
				"(--max-keys N raises the limit)\n",
			(unsigned long long)n, tc->tr->name, table_limit(tc));
}

static void print_stats(struct trace_ctx *tc, struct trace_loaded *ld)
{
	static const struct out_col cols[] = {
		{ "PROGRAM", "prog", 0, 0 },
		{ "HOOK", "hook", 0, 0 },
		{ "RUNS", "run_cnt", OUT_RIGHT, 0 },
		{ "MISSED", "recursion_misses", OUT_RIGHT, 0 },
		{ "TOTAL_NS", "run_time_ns", OUT_RIGHT, 0 },
		{ "MEAN_NS", NULL, OUT_RIGHT, 0 },
	};
	struct table *t = out_table_begin(cols, 6);
	uint64_t recovered = trace_events_recovered(tc);
	bool have_backup = false;

	if (out_is_json())
		out_table_no_header(t);
	for (int i = 0; i < ld->nlinks; i++) {
		struct bpf_prog_info info = { 0 };
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(ld->progs[i]);
		const char *name = bpf_program__name(ld->progs[i]);
		bool backup = tc->tr->hooks[ld->hooks[i]].backup;
		if (bpf_obj_get_info_by_fd(fd, &info, &len) != 0)
			continue;
		double mean = info.run_cnt ? (double)info.run_time_ns / (double)info.run_cnt : 0;
		out_row_begin(t);
		if (out_is_json())
			out_obj_begin(t, "stats", NULL);
		out_cell_str(t, 0, name);
		out_cell_str(t, 1, bpf_program__section_name(ld->progs[i]));
		out_cell_u64(t, 2, info.run_cnt);
		out_cell_u64(t, 3, info.recursion_misses);
		out_cell_u64(t, 4, info.run_time_ns);
		out_cell_fmt(t, 5, "%.0f", mean);
		out_field_double(t, "mean_ns", NULL, mean, 1);
		if (backup && out_is_json())
			out_field_u64(t, "recovered", NULL, recovered);
		have_backup |= backup;
		out_row_end(t);
	}
	out_table_end(t);
	if (have_backup && !out_is_json())
		fprintf(stdout, "%llu events the kernel did not run the primary program for were "
				"handled by the backup programs\n",
			(unsigned long long)recovered);
	if (!out_is_json())
		fprintf(stdout, "%llu keys not counted for lack of room in kernel tables "
				"(--max-keys)\n",
			(unsigned long long)trace_dropped_keys(tc));
}

/* ---- the run ---- */

static int poll_once(struct ring_buffer *rb, int timeout_ms)
{
	if (rb) {
		int n = ring_buffer__poll(rb, timeout_ms);
		/* wake-ups are batched: drain whatever arrived silently */
		int m = ring_buffer__consume(rb);
		if (n < 0 && n != -EINTR)
			return n;
		if (m < 0 && m != -EINTR)
			return m;
		return 0;
	}
	poll(NULL, 0, timeout_ms);
	return 0;
}

/* Options that only mean something in one mode, refused in the other. */
static int check_modes(struct trace_ctx *tc)
{
	const char *name = tc->tr->name;

	if (tc->summary_mode && !(tc->o.interval > 0))
		tc->o.interval = tc->tr->default_interval;
	if (!tc->summary_mode && tc->o.interval > 0) {
		out_error("-i: %s prints events as they come; -i applies to its summary mode: see "
			  "'netlens %s -h'", name, name);
		return EXIT_USAGE;
	}
	if (tc->summary_mode && tc->o.count && !(tc->o.interval > 0)) {
		out_error("-n: a summary is printed once, on exit; give -i SECS to print one every "
			  "SECS and stop after N: see 'netlens %s -h'", name);
		return EXIT_USAGE;
	}
	return 0;
}

/* The time of the summary being printed (-i), or NULL (base/stamp.h). */
static struct interval_stamp cur_stamp;
static bool cur_stamp_set;

const struct interval_stamp *trace_stamp(void)
{
	return cur_stamp_set ? &cur_stamp : NULL;
}

static void print_summary(struct trace_ctx *tc, bool final)
{
	cur_stamp_set = tc->o.interval > 0;
	if (cur_stamp_set)
		interval_stamp_now(&cur_stamp);
	tc->tr->summary(tc, tc->skel, final);
	cur_stamp_set = false;
}

/* The closing record of a JSON stream or summary: {"lost_events":N}, with
 * "skipped_runs" when the kernel skipped nested runs; in text, on stderr. */
static void print_lost(struct trace_ctx *tc, struct trace_loaded *ld)
{
	uint64_t lost = lost_events(tc), skipped = trace_runs_skipped(tc, ld);

	if (out_is_json()) {
		struct json *w = out_record_begin();
		json_field_u64(w, "lost_events", lost);
		if (skipped)
			json_field_u64(w, "skipped_runs", skipped);
		out_record_end(w);
		return;
	}
	if (lost)
		fprintf(stderr, "%llu events lost\n", (unsigned long long)lost);
	if (skipped)
		fprintf(stderr, "%llu tracepoint runs skipped by the kernel (nested in another run on "
				"the same CPU): some events may be missing\n",
			(unsigned long long)skipped);
}

/* "Tracing ... (hook, hook)": each attached section once; a backup for
 * nested runs of the same tracepoint is not a second hook, and a system
 * call's enter and exit tracepoints side by side are one
 * "tracepoint/syscalls/sys_{enter,exit}_NAME". */
static void print_banner(const struct trace_ctx *tc, struct trace_loaded *ld)
{
	static const char enter[] = "tracepoint/syscalls/sys_enter_";
	static const char exit_[] = "tracepoint/syscalls/sys_exit_";
	const struct tracer *tr = tc->tr;
	struct strbuf hooks = STRBUF_INIT;

	for (int i = 0; i < ld->nlinks; i++) {
		const char *sec = bpf_program__section_name(ld->progs[i]);
		const char *next = i + 1 < ld->nlinks ? bpf_program__section_name(ld->progs[i + 1]) : "";
		bool dup = false;
		for (int j = 0; j < i; j++)
			dup |= strcmp(sec, bpf_program__section_name(ld->progs[j])) == 0;
		if (dup)
			continue;
		if (!strncmp(sec, enter, sizeof(enter) - 1) && !strncmp(next, exit_, sizeof(exit_) - 1) &&
		    !strcmp(sec + sizeof(enter) - 1, next + sizeof(exit_) - 1)) {
			sb_printf(&hooks, "%stracepoint/syscalls/sys_{enter,exit}_%s", hooks.len ? ", " : "",
				  sec + sizeof(enter) - 1);
			i++;
			continue;
		}
		sb_printf(&hooks, "%s%s", hooks.len ? ", " : "", sec);
	}
	fprintf(stderr, "Tracing %s (%s%s%s)... Ctrl-C to end.\n", tr->doing, hooks.buf,
		tc->banner_note ? "; " : "", tc->banner_note ? tc->banner_note : "");
	sb_free(&hooks);
}

/* The event table: the tracer's columns between TIME and NETNS/CGROUP. */
static int start_events(struct trace_ctx *tc, struct ring_buffer **rb, struct out_col **cols)
{
	const struct tracer *tr = tc->tr;
	int fd = bpf_map__fd(bpf_object__find_map_by_name(tr->skel_obj(tc->skel), "tr_events"));
	int ncols;

	*rb = ring_buffer__new(fd, rb_event, tc, NULL);
	if (!*rb)
		return out_error("%s: ring buffer: %s", tr->name, strerror(errno));
	if (tc->summary_mode)
		return 0; /* summary_events: read, not printed */
	*cols = build_cols(tc, &ncols);
	tc->t = out_table_begin(*cols, ncols);
	out_table_stream(tc->t);
	return 0;
}

/* Streams events, or prints the summary every -i, until a signal, -d or the
 * last of -c rounds. *rounds: the summaries printed. */
static int run_loop(struct trace_ctx *tc, struct ring_buffer *rb, long *rounds)
{
	const struct tracer *tr = tc->tr;
	uint64_t deadline = 0, next_tick = 0;

	if (tc->o.duration > 0)
		deadline = tc->mono_start + (uint64_t)(tc->o.duration * 1e9);
	if (tc->summary_mode && tc->o.interval > 0)
		next_tick = tc->mono_start + (uint64_t)(tc->o.interval * 1e9);
	/* a closed pipe (or any failed write) ends the run at the next wake-up,
	 * quietly for a reader gone (out_finish reports real write errors) */
	while (!stop_signal && !out_stdout_gone()) {
		uint64_t now = now_ns(CLOCK_MONOTONIC);
		int64_t wait = tc->summary_mode ? SUMMARY_TICK_MS : FLUSH_MS;
		int err;

		if (deadline && now >= deadline)
			break;
		if (next_tick && now >= next_tick) {
			print_summary(tc, false);
			out_flush();
			next_tick += (uint64_t)(tc->o.interval * 1e9);
			if (tc->o.count && ++*rounds >= tc->o.count)
				break;
			continue;
		}
		if (deadline && (int64_t)((deadline - now) / 1000000) < wait)
			wait = (int64_t)((deadline - now) / 1000000) + 1;
		if (next_tick && (int64_t)((next_tick - now) / 1000000) < wait)
			wait = (int64_t)((next_tick - now) / 1000000) + 1;
		err = poll_once(rb, (int)wait);
		if (err)
			return out_error("%s: reading events: %s", tr->name, strerror(-err));
		if (rb_seen) {
			/* one write per batch (at most every FLUSH_MS), not per event */
			out_flush();
			rb_seen = 0;
		}
		if (rb && tr->batch_end)
			tr->batch_end(tc);
		if (tr->tick)
			tr->tick(tc, tc->skel);
	}
	return EXIT_OK;
}

int trace_main(const struct tracer *tr, int argc, char **argv)
{
	struct trace_ctx tc = { .tr = tr };
	struct trace_loaded ld = { 0 };
	struct ring_buffer *rb = NULL;
	struct sigaction sa = { .sa_handler = on_signal };
	int stats_fd = -1, status;
	struct out_col *cols = NULL;
	long rounds = 0;
	char why[768] = "";

	tc.o.ringbuf_size = DEFAULT_RINGBUF;
	if ((status = trace_parse_opts(&tc, argc, argv)) != 0)
		goto out;
	if (!tc.summary_mode && !tr->event)
		tc.summary_mode = true;
	if ((status = check_modes(&tc)) != 0)
		goto out;

	stop_signal = 0;
	rb_total = 0;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL); /* no SA_RESTART: a blocked write ends (EINTR) */

	if (tc.o.stats) {
		stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
		if (stats_fd < 0)
			out_warn("--stats: cannot enable BPF run-time statistics: %s", strerror(errno));
	}
	if ((status = trace_load(&tc, &ld, why, sizeof(why))) != 0) {
		if (why[0])
			out_error("%s", why);
		goto out;
	}
	if (tr->attach && (status = tr->attach(&tc, tc.skel)) != 0)
		goto out;
	if ((!tc.summary_mode || tr->summary_events) &&
	    (status = start_events(&tc, &rb, &cols)) != 0)
		goto out;

	tc.mono_start = now_ns(CLOCK_MONOTONIC);
	tc.wall_offset = (int64_t)(now_ns(CLOCK_REALTIME) - tc.mono_start);
	print_banner(&tc, &ld);
	status = run_loop(&tc, rb, &rounds);

	if (rb)
		ring_buffer__consume(rb);
	if (tc.summary_mode && !(tc.o.interval > 0 && tc.o.count && rounds >= tc.o.count))
		print_summary(&tc, true);
	if (tc.t) {
		out_table_end(tc.t);
		tc.t = NULL;
	}
	if (tc.o.stats)
		print_stats(&tc, &ld);
	if (tr->closing)
		tr->closing(&tc, tc.skel);
	print_dropped_keys(&tc);
	print_lost(&tc, &ld);
out:
	ring_buffer__free(rb);
	trace_unload(&tc, &ld);
	tpbtf_disable(); /* after the objects its handler opened are gone */
	if (stats_fd >= 0)
		close(stats_fd);
	free(cols);
	trace_load_log_free();
	if (tr->fini)
		tr->fini(&tc);
	free(tc.banner_note);
	fflush(stdout);
	return status;
}
