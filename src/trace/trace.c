/* The tracer runner: load with hook fallback, attach, stream or summarise,
 * and tear down. See trace.h for the model. */
#include "trace/trace.h"
#include "base/json.h"
#include "base/stamp.h"
#include "base/strbuf.h"
#include "trace/btfmin.h"
#include "trace/opts.h"
#include "trace/tpbtf.h"
#include "trace/tracefs.h"

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

/* ---- libbpf log capture: kept quiet, used to blame a failing program ---- */

static struct strbuf bpf_log;

static int libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (getenv("NETLENS_BPF_DEBUG"))
		vfprintf(stderr, fmt, ap);
	else if (level != LIBBPF_DEBUG && bpf_log.len < (1 << 20))
		sb_vprintf(&bpf_log, fmt, ap);
	return 0;
}

/* The last line of the captured log that mentions prog, for error text. */
static void log_line_for(const char *prog, char *buf, size_t cap)
{
	char needle[128];
	const char *p, *hit = NULL;

	buf[0] = '\0';
	if (!bpf_log.buf)
		return;
	snprintf(needle, sizeof(needle), "'%s'", prog);
	for (p = bpf_log.buf; (p = strstr(p, needle)) != NULL; p++)
		hit = p;
	if (!hit)
		return;
	const char *end = strchr(hit, '\n');
	size_t n = end ? (size_t)(end - hit) : strlen(hit);
	if (n >= cap)
		n = cap - 1;
	memcpy(buf, hit, n);
	buf[n] = '\0';
}

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

/* ---- loading with hook fallback ---- */

struct loaded {
	struct bpf_link *links[TRACE_MAX_HOOKS];
	struct bpf_program *progs[TRACE_MAX_HOOKS];
	int hooks[TRACE_MAX_HOOKS]; /* index in tracer->hooks */
	int nlinks;
};

static void unload(struct trace_ctx *tc, struct loaded *ld)
{
	for (int i = 0; i < ld->nlinks; i++)
		bpf_link__destroy(ld->links[i]);
	ld->nlinks = 0;
	if (tc->skel)
		tc->tr->skel_destroy(tc->skel);
	tc->skel = NULL;
}

static const char *hook_sec(struct bpf_object *obj, const char *prog)
{
	struct bpf_program *p = bpf_object__find_program_by_name(obj, prog);
	return p ? bpf_program__section_name(p) : prog;
}

/* Which hook's chosen program does the log blame? -1 if none. */
static int blame(const struct tracer *tr, const int *choice, const bool *off)
{
	char line[512];

	for (int h = 0; h < tr->nhooks; h++) {
		if (off[h])
			continue;
		log_line_for(tr->hooks[h].progs[choice[h]], line, sizeof(line));
		if (line[0])
			return h;
	}
	return -1;
}

static int no_hook_error(struct trace_ctx *tc, int h, const char *why)
{
	const struct trace_hook *hk = &tc->tr->hooks[h];
	struct strbuf tried = STRBUF_INIT;
	int r;

	for (int a = 0; a < TRACE_MAX_ALT && hk->progs[a]; a++)
		sb_printf(&tried, "%s%s", a ? ", " : "", hk->progs[a]);
	r = out_error("%s: no usable hook for %s on this kernel (tried %s)%s%s", tc->tr->name,
		      hk->name, tried.buf, why && *why ? ": " : "", why ? why : "");
	sb_free(&tried);
	return r;
}

/* Programs of these types make libbpf parse the whole kernel BTF in user
 * space (to find the attach target), whatever BTF CO-RE uses. */
static bool needs_kernel_btf(const struct bpf_program *p)
{
	enum bpf_prog_type t = bpf_program__type(p);

	return t == BPF_PROG_TYPE_TRACING || t == BPF_PROG_TYPE_LSM || t == BPF_PROG_TYPE_EXT ||
	       t == BPF_PROG_TYPE_STRUCT_OPS;
}

/* A trimmed kernel BTF for this tracer's CO-RE relocations (btfmin.h), as a
 * memfd; -1 when it cannot be built or NETLENS_KERNEL_BTF=full asks for the
 * whole one. On the way, the ids tp_btf programs attach through (tpbtf.h). */
static int trimmed_btf(const struct tracer *tr)
{
	const char *mode = getenv("NETLENS_KERNEL_BTF");
	struct btf_id_query *q;
	size_t sz = 0;
	const void *elf;
	void *skel;
	int fd, nq;

	if (mode && strcmp(mode, "full") == 0)
		return -1;
	skel = tr->skel_open(NULL);
	if (!skel)
		return -1;
	elf = tr->skel_elf(skel, &sz);
	q = tpbtf_queries(tr->skel_obj(skel), &nq);
	fd = trace_btf_trim(tr->skel_obj(skel), elf, sz, NULL, q, nq);
	tr->skel_destroy(skel);
	if (fd < 0 && getenv("NETLENS_BPF_DEBUG"))
		fprintf(stderr, "netlens: trimmed kernel BTF unavailable (%s): libbpf reads all of it\n",
			strerror(-fd));
	return fd;
}

/* Which candidate program each hook tries, and what is left to try. */
struct pick {
	int choice[TRACE_MAX_HOOKS];               /* program index per hook */
	int order[TRACE_MAX_HOOKS][TRACE_MAX_ALT]; /* candidates in the order tried */
	int pos[TRACE_MAX_HOOKS], nalt[TRACE_MAX_HOOKS];
	bool dropped[TRACE_MAX_HOOKS];             /* optional hooks given up */
	bool ordered;
};

/* Candidates are listed best first. With the trimmed BTF, the ones that
 * need no kernel BTF in user space go first (a program libbpf would parse
 * all of it for, if tpbtf.c could not take over); NETLENS_NO_TP_BTF=1 puts
 * tp_btf programs last (to run the raw_tp ones, for tests and odd kernels). */
static void choose_candidates(const struct tracer *tr, struct bpf_object *obj, bool trimmed,
			      struct pick *pk)
{
	bool no_tp_btf = getenv("NETLENS_NO_TP_BTF") != NULL;

	for (int h = 0; h < tr->nhooks; h++) {
		for (int pass = 0; pass < 3; pass++)
			for (int a = 0; a < TRACE_MAX_ALT && tr->hooks[h].progs[a]; a++) {
				struct bpf_program *p =
					bpf_object__find_program_by_name(obj, tr->hooks[h].progs[a]);
				int rank = 0;
				if (p && no_tp_btf && !strncmp(bpf_program__section_name(p), "tp_btf/", 7))
					rank = 2;
				else if (p && trimmed && needs_kernel_btf(p))
					rank = 1;
				if (pass == rank)
					pk->order[h][pk->nalt[h]++] = a;
			}
		pk->choice[h] = pk->order[h][0];
	}
	pk->ordered = true;
}

/* Moves failing hook h to its next candidate, or drops it when optional.
 * False when it has none left. */
static bool next_candidate(const struct tracer *tr, struct pick *pk, int h, const char *why)
{
	if (pk->pos[h] + 1 < pk->nalt[h]) {
		pk->choice[h] = pk->order[h][++pk->pos[h]];
		return true;
	}
	if (!tr->hooks[h].optional)
		return false;
	out_warn("%s: running without %s: %s", tr->name, tr->hooks[h].name, why);
	pk->dropped[h] = true;
	return true;
}

static bool is_table(const struct bpf_map *m)
{
	enum bpf_map_type t = bpf_map__type(m);

	return t == BPF_MAP_TYPE_HASH || t == BPF_MAP_TYPE_LRU_HASH ||
	       t == BPF_MAP_TYPE_PERCPU_HASH || t == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

/* --max-keys: every hash map of the tracer is one of its kernel tables
 * (counts, histograms, sessions, pending connects, owners) and gets N
 * entries; the framework's own maps are arrays and the ring buffer. */
static void size_tables(const struct trace_ctx *tc, struct bpf_object *obj)
{
	struct bpf_map *m;

	if (!tc->o.max_keys)
		return;
	bpf_object__for_each_map(m, obj)
		if (is_table(m))
			bpf_map__set_max_entries(m, (__u32)tc->o.max_keys);
}

/* Writes the common filters and the ring buffer size, lets configure() set
 * the tracer's rodata and turn hooks off, and leaves autoload on for the
 * chosen candidates only. */
static int prepare(struct trace_ctx *tc, struct bpf_object *obj, const struct pick *pk)
{
	const struct tracer *tr = tc->tr;
	struct bpf_map *rb = bpf_object__find_map_by_name(obj, "tr_events");
	struct bpf_program *p;
	int err;

	*tr->skel_filter(tc->skel) = tc->o.filter;
	if (rb) {
		/* summary modes never stream: keep the buffer minimal */
		unsigned long sz = tc->summary_mode && !tr->summary_events ? 4096
									  : tc->o.ringbuf_size;
		bpf_map__set_max_entries(rb, (__u32)sz);
		tr->skel_filter(tc->skel)->wakeup_bytes = sz / 4;
	}
	/* configure() turns hooks off for this run (trace_hook_off());
	 * optional hooks that loaded nowhere stay off */
	memset(tc->hook_off, 0, sizeof(tc->hook_off));
	if (tr->configure && (err = tr->configure(tc, tc->skel)) != 0)
		return err;
	tr->skel_filter(tc->skel)->summary = tc->summary_mode;
	size_tables(tc, obj);
	for (int h = 0; h < tr->nhooks; h++)
		tc->hook_off[h] |= pk->dropped[h];
	bpf_object__for_each_program(p, obj)
		bpf_program__set_autoload(p, false);
	for (int h = 0; h < tr->nhooks; h++)
		for (int a = 0; a < TRACE_MAX_ALT && tr->hooks[h].progs[a]; a++) {
			p = bpf_object__find_program_by_name(obj, tr->hooks[h].progs[a]);
			if (p)
				bpf_program__set_autoload(p, !tc->hook_off[h] && a == pk->choice[h]);
		}
	return 0;
}

/* Attaches the chosen programs in hook order; -1, or the hook that failed. */
static int attach(struct trace_ctx *tc, struct loaded *ld, const struct pick *pk, char *why,
		  size_t cap)
{
	const struct tracer *tr = tc->tr;
	struct bpf_object *obj = tr->skel_obj(tc->skel);

	for (int h = 0; h < tr->nhooks; h++) {
		const char *name = tr->hooks[h].progs[pk->choice[h]];
		struct bpf_program *p;
		struct bpf_link *l;

		if (tc->hook_off[h])
			continue;
		p = bpf_object__find_program_by_name(obj, name);
		if (p && tr->hooks[h].manual) {
			l = NULL; /* the tracer's attach() does it */
			goto keep;
		}
		l = p ? tpbtf_attach(p) : NULL;
		if (!l) {
			snprintf(why, cap, "attaching %s: %s", hook_sec(obj, name), strerror(errno));
			return h;
		}
keep:
		ld->progs[ld->nlinks] = p;
		ld->hooks[ld->nlinks] = h;
		ld->links[ld->nlinks++] = l;
	}
	return -1;
}

/* One try with the current choice of candidates. */
enum try_result {
	TRY_ATTACHED,
	TRY_HOOK_FAILED, /* out->hook failed (out->why): try its next candidate */
	TRY_ERROR,       /* out->why: nothing to blame on one hook */
	TRY_STATUS,      /* configure() refused: out->status */
};

struct try_out {
	int hook;
	int status;
	char why[512];
};

static enum try_result try_load(struct trace_ctx *tc, struct loaded *ld, struct pick *pk,
				const struct bpf_object_open_opts *opts, bool trimmed,
				struct try_out *out)
{
	const struct tracer *tr = tc->tr;
	struct bpf_object *obj;
	int err;

	sb_reset(&bpf_log);
	tc->skel = tr->skel_open(opts);
	if (!tc->skel) {
		snprintf(out->why, sizeof(out->why), "opening the BPF object: %s", strerror(errno));
		return TRY_ERROR;
	}
	obj = tr->skel_obj(tc->skel);
	if (!pk->ordered) {
		/* classic tracepoints need tracefs; failing that, their hooks
		 * fall back as usual */
		trace_tracefs_ensure(obj);
		choose_candidates(tr, obj, trimmed, pk);
	}
	if ((out->status = prepare(tc, obj, pk)) != 0) {
		unload(tc, ld);
		return TRY_STATUS;
	}
	err = tr->skel_load(tc->skel);
	if (err) {
		out->hook = blame(tr, pk->choice, tc->hook_off);
		if (out->hook < 0) {
			char msg[256];
			libbpf_strerror(err, msg, sizeof(msg));
			snprintf(out->why, sizeof(out->why),
				 "loading BPF programs: %s (NETLENS_BPF_DEBUG=1 shows libbpf's log)", msg);
			unload(tc, ld);
			return TRY_ERROR;
		}
		log_line_for(tr->hooks[out->hook].progs[pk->choice[out->hook]], out->why,
			     sizeof(out->why));
	} else {
		out->hook = attach(tc, ld, pk, out->why, sizeof(out->why));
		if (out->hook < 0)
			return TRY_ATTACHED;
	}
	unload(tc, ld);
	return TRY_HOOK_FAILED;
}

#define LOAD_RETRY_FULL_BTF (-1)

/* Tries candidates until every hook loads and attaches, with the kernel
 * BTF at btf_fd (-1: libbpf reads the whole one). Returns 0, an exit
 * status, or LOAD_RETRY_FULL_BTF for a failure a trimmed BTF may cause
 * (nothing reported yet). */
static int load_with_btf(struct trace_ctx *tc, struct loaded *ld, int btf_fd)
{
	const struct tracer *tr = tc->tr;
	LIBBPF_OPTS(bpf_object_open_opts, opts);
	struct pick pk = { 0 };
	struct try_out out;
	char btf_path[64];

	if (btf_fd >= 0) {
		snprintf(btf_path, sizeof(btf_path), "/proc/self/fd/%d", btf_fd);
		opts.btf_custom_path = btf_path;
	}
	for (int attempt = 0; attempt < TRACE_MAX_HOOKS * TRACE_MAX_ALT; attempt++) {
		switch (try_load(tc, ld, &pk, &opts, btf_fd >= 0, &out)) {
		case TRY_ATTACHED:
			return 0;
		case TRY_STATUS:
			return out.status;
		case TRY_ERROR:
			if (btf_fd >= 0)
				return LOAD_RETRY_FULL_BTF;
			return out_error("%s: %s", tr->name, out.why);
		case TRY_HOOK_FAILED:
			if (next_candidate(tr, &pk, out.hook, out.why))
				continue;
			if (btf_fd >= 0)
				return LOAD_RETRY_FULL_BTF;
			return no_hook_error(tc, out.hook, out.why);
		}
	}
	return out_error("%s: could not load the BPF programs", tr->name);
}

/* Loads with a kernel BTF trimmed to the tracer's relocations; whatever
 * fails with it is tried again with the whole one before anything is
 * reported. */
static int load_and_attach(struct trace_ctx *tc, struct loaded *ld)
{
	int btf_fd, status;

	libbpf_set_print(libbpf_log);
	btf_fd = trimmed_btf(tc->tr);
	if (btf_fd >= 0) {
		if (tpbtf_enable() && getenv("NETLENS_BPF_DEBUG"))
			fprintf(stderr, "netlens: no tp_btf handler: libbpf reads the whole kernel BTF for tp_btf\n");
		status = load_with_btf(tc, ld, btf_fd);
		close(btf_fd); /* libbpf has read it by now */
		if (status != LOAD_RETRY_FULL_BTF)
			return status;
		if (getenv("NETLENS_BPF_DEBUG"))
			fprintf(stderr, "netlens: retrying with the whole kernel BTF\n");
	}
	tpbtf_disable();
	return load_with_btf(tc, ld, -1);
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

/* Sum over CPUs and entries of a per-CPU array map of u64 counters; with
 * value_off/stride, one u64 field of a per-CPU array of structs. */
static uint64_t percpu_sum(struct bpf_map *m, size_t value_off)
{
	int ncpu = libbpf_num_possible_cpus();
	size_t vsz = m ? bpf_map__value_size(m) : 0, stride;
	uint64_t sum = 0;
	char *v;

	if (!m || ncpu <= 0 || vsz < value_off + sizeof(uint64_t))
		return 0;
	stride = (vsz + 7) & ~(size_t)7; /* per-CPU values are 8-byte aligned */
	v = calloc((size_t)ncpu, stride);
	if (!v)
		return 0;
	for (__u32 key = 0; key < bpf_map__max_entries(m); key++) {
		if (bpf_map__lookup_elem(m, &key, sizeof(key), v, stride * (size_t)ncpu, 0) != 0)
			continue;
		for (int i = 0; i < ncpu; i++) {
			uint64_t r;
			memcpy(&r, v + (size_t)i * stride + value_off, sizeof(r));
			sum += r;
		}
	}
	free(v);
	return sum;
}

/* Events the backup hooks handled because the kernel did not run the
 * primary for them: the nested-run backups' count (tr_nest.recovered, see
 * bpf/netlens.bpf.h) plus a tracer's own "recovered" counters. */
static uint64_t events_recovered(struct trace_ctx *tc)
{
	struct bpf_object *obj = tc->tr->skel_obj(tc->skel);

	return percpu_sum(bpf_object__find_map_by_name(obj, "tr_nest"), 8) +
	       percpu_sum(bpf_object__find_map_by_name(obj, "recovered"), 0);
}

/* Runs the kernel skipped (a program's run nested in another run of it on
 * the same CPU, see bpf/netlens.bpf.h) that no backup made up for. Not
 * every skipped run would have been an event, so this is an upper bound. */
static uint64_t runs_skipped(struct trace_ctx *tc, struct loaded *ld)
{
	uint64_t missed = 0, recovered = events_recovered(tc);

	for (int i = 0; i < ld->nlinks; i++) {
		struct bpf_prog_info info = { 0 };
		__u32 len = sizeof(info);
		if (bpf_obj_get_info_by_fd(bpf_program__fd(ld->progs[i]), &info, &len) == 0)
			missed += info.recursion_misses;
	}
	return missed > recovered ? missed - recovered : 0;
}

/* Updates that found a kernel table full (tr_map_update() in
 * bpf/netlens.bpf.h): what they would have counted or tracked is missing. */
static uint64_t dropped_keys(struct trace_ctx *tc)
{
	return percpu_sum(bpf_object__find_map_by_name(tc->tr->skel_obj(tc->skel), "tr_dropped_keys"),
			  0);
}

/* The size of the tracer's smallest table that refuses new keys when full
 * (an LRU table evicts instead): the one --max-keys should raise. */
static uint32_t table_limit(struct trace_ctx *tc)
{
	struct bpf_map *m;
	uint32_t limit = 0;

	bpf_object__for_each_map(m, tc->tr->skel_obj(tc->skel)) {
		enum bpf_map_type t = bpf_map__type(m);
		if (!is_table(m) || t == BPF_MAP_TYPE_LRU_HASH || t == BPF_MAP_TYPE_LRU_PERCPU_HASH)
			continue;
		if (!limit || bpf_map__max_entries(m) < limit)
			limit = bpf_map__max_entries(m);
	}
	return limit;
}

/* {"dropped_keys": N}, before {"lost_events": N}: always in summary modes
 * and with --stats (so consumers can rely on it), in event streams when N
 * > 0 (a tracking table, such as tcplife's sessions, was full). Text: one
 * line on stderr when N > 0. */
static void print_dropped_keys(struct trace_ctx *tc)
{
	uint64_t n = dropped_keys(tc);

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

static void print_stats(struct trace_ctx *tc, struct loaded *ld)
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
	uint64_t recovered = events_recovered(tc);
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
			(unsigned long long)dropped_keys(tc));
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
static void print_lost(struct trace_ctx *tc, struct loaded *ld)
{
	uint64_t lost = lost_events(tc), skipped = runs_skipped(tc, ld);

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
 * nested runs of the same tracepoint is not a second hook. */
static void print_banner(const struct trace_ctx *tc, struct loaded *ld)
{
	const struct tracer *tr = tc->tr;
	struct strbuf hooks = STRBUF_INIT;

	for (int i = 0; i < ld->nlinks; i++) {
		const char *sec = bpf_program__section_name(ld->progs[i]);
		bool dup = false;
		for (int j = 0; j < i; j++)
			dup |= strcmp(sec, bpf_program__section_name(ld->progs[j])) == 0;
		if (!dup)
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
	struct loaded ld = { 0 };
	struct ring_buffer *rb = NULL;
	struct sigaction sa = { .sa_handler = on_signal };
	int stats_fd = -1, status;
	struct out_col *cols = NULL;
	long rounds = 0;

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
	if ((status = load_and_attach(&tc, &ld)) != 0)
		goto out;
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
	print_dropped_keys(&tc);
	print_lost(&tc, &ld);
out:
	ring_buffer__free(rb);
	unload(&tc, &ld);
	tpbtf_disable(); /* after the objects its handler opened are gone */
	if (stats_fd >= 0)
		close(stats_fd);
	free(cols);
	sb_free(&bpf_log);
	if (tr->fini)
		tr->fini(&tc);
	free(tc.banner_note);
	fflush(stdout);
	return status;
}
