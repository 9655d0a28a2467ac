/* Loading with hook fallback: see load.h. */
#include "trace/load.h"
#include "base/output.h"
#include "base/strbuf.h"
#include "trace/btfmin.h"
#include "trace/tables.h"
#include "trace/tpbtf.h"
#include "trace/tracefs.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* ---- loading with hook fallback ---- */

void trace_unload(struct trace_ctx *tc, struct trace_loaded *ld)
{
	for (int i = 0; i < ld->nlinks; i++)
		bpf_link__destroy(ld->links[i]);
	ld->nlinks = 0;
	if (tc->skel) {
		trace_tables_stop(tc->tr->skel_obj(tc->skel));
		tc->tr->skel_destroy(tc->skel);
	}
	tc->skel = NULL;
}

/* A candidate names one program, or with a trailing '*' every program
 * whose name starts with what precedes it: a group that stands in for one
 * hook together (the system-call pairs of a missing tracepoint, say). */
static bool is_group(const char *cand)
{
	size_t n = strlen(cand);
	return n && cand[n - 1] == '*';
}

static bool cand_has(const char *cand, const struct bpf_program *p)
{
	const char *name = bpf_program__name(p);

	if (is_group(cand))
		return strncmp(name, cand, strlen(cand) - 1) == 0;
	return strcmp(name, cand) == 0;
}

/* The first program of candidate cand, or NULL. */
static struct bpf_program *cand_first(struct bpf_object *obj, const char *cand)
{
	struct bpf_program *p;

	if (!is_group(cand))
		return bpf_object__find_program_by_name(obj, cand);
	bpf_object__for_each_program(p, obj)
		if (cand_has(cand, p))
			return p;
	return NULL;
}

#define for_each_cand_program(p, obj, cand)                                              \
	bpf_object__for_each_program(p, obj)                                            \
		if (cand_has(cand, p))

/* NETLENS_HIDE_TRACEPOINTS=tp[,tp...]: attaching to these fails as on a
 * kernel without them, so tests run the fallbacks on this one. */
static bool tracepoint_hidden(const struct bpf_program *p)
{
	const char *hide = getenv("NETLENS_HIDE_TRACEPOINTS");
	const char *tp = strrchr(bpf_program__section_name(p), '/');
	size_t n;

	if (!hide || !tp)
		return false;
	n = strlen(++tp);
	for (const char *s = hide; *s; s += strcspn(s, ","), s += *s == ',')
		if (strcspn(s, ",") == n && strncmp(s, tp, n) == 0)
			return true;
	return false;
}

/* Which hook's chosen program does the log blame? -1 if none. */
static int blame(const struct tracer *tr, struct bpf_object *obj, const int *choice,
		 const bool *off, char *line, size_t cap)
{
	struct bpf_program *p;

	for (int h = 0; h < tr->nhooks; h++) {
		if (off[h])
			continue;
		for_each_cand_program(p, obj, tr->hooks[h].progs[choice[h]])
		{
			log_line_for(bpf_program__name(p), line, cap);
			if (line[0])
				return h;
		}
	}
	return -1;
}

/* The reason no candidate of hook h could run, into why. */
static int no_hook_error(struct trace_ctx *tc, int h, const char *last, char *why, size_t whylen)
{
	const struct trace_hook *hk = &tc->tr->hooks[h];
	struct strbuf tried = STRBUF_INIT;

	for (int a = 0; a < TRACE_MAX_ALT && hk->progs[a]; a++)
		sb_printf(&tried, "%s%s", a ? ", " : "", hk->progs[a]);
	snprintf(why, whylen, "%s: no usable hook for %s on this kernel (tried %s)%s%s",
		 tc->tr->name, hk->name, tried.buf, last && *last ? ": " : "", last ? last : "");
	sb_free(&tried);
	return EXIT_FAIL;
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
 * the programs that need a newer kernel last, tp_btf ones and bpf_loop()
 * users (named *_loop), to run their fallbacks (for tests and odd kernels);
 * NETLENS_NO_KFUNCS=1 puts the kfunc users (named *_cast) last, to run the
 * tp_btf programs a kernel without those kfuncs loads instead. */
static bool name_ends(const struct bpf_program *p, const char *suffix)
{
	const char *name = bpf_program__name(p);
	size_t n = strlen(name), k = strlen(suffix);

	return n > k && !strcmp(name + n - k, suffix);
}

static bool newer_kernel(const struct bpf_program *p)
{
	return !strncmp(bpf_program__section_name(p), "tp_btf/", 7) || name_ends(p, "_loop");
}

static void choose_candidates(const struct tracer *tr, struct bpf_object *obj, bool trimmed,
			      struct pick *pk)
{
	bool no_tp_btf = getenv("NETLENS_NO_TP_BTF") != NULL;
	bool no_kfuncs = getenv("NETLENS_NO_KFUNCS") != NULL;

	for (int h = 0; h < tr->nhooks; h++) {
		for (int pass = 0; pass < 3; pass++)
			for (int a = 0; a < TRACE_MAX_ALT && tr->hooks[h].progs[a]; a++) {
				struct bpf_program *p = cand_first(obj, tr->hooks[h].progs[a]);
				int rank = 0;
				if (p && ((no_tp_btf && newer_kernel(p)) || (no_kfuncs && name_ends(p, "_cast"))))
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

bool trace_map_is_table(const struct bpf_map *m)
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
		if (trace_map_is_table(m))
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
	trace_tables_prepare(obj, (unsigned int)tc->o.max_keys);
	for (int h = 0; h < tr->nhooks; h++)
		tc->hook_off[h] |= pk->dropped[h];
	bpf_object__for_each_program(p, obj)
		bpf_program__set_autoload(p, false);
	for (int h = 0; h < tr->nhooks; h++)
		if (!tc->hook_off[h])
			for_each_cand_program(p, obj, tr->hooks[h].progs[pk->choice[h]])
				bpf_program__set_autoload(p, true);
	return 0;
}

/* Attaches one program of hook h; false (why set) when it fails. */
static bool attach_one(struct trace_ctx *tc, struct trace_loaded *ld, int h, struct bpf_program *p,
		       char *why, size_t cap)
{
	struct bpf_link *l = NULL;

	if (ld->nlinks >= TRACE_MAX_LINKS) {
		snprintf(why, cap, "attaching %s: more than %d programs", bpf_program__name(p),
			 TRACE_MAX_LINKS);
		return false;
	}
	if (tracepoint_hidden(p)) {
		snprintf(why, cap, "attaching %s: hidden by NETLENS_HIDE_TRACEPOINTS",
			 bpf_program__section_name(p));
		return false;
	}
	/* a manual hook's program: the tracer's attach() does it */
	if (!tc->tr->hooks[h].manual && !(l = tpbtf_attach(p))) {
		snprintf(why, cap, "attaching %s: %s", bpf_program__section_name(p), strerror(errno));
		return false;
	}
	ld->progs[ld->nlinks] = p;
	ld->hooks[ld->nlinks] = h;
	ld->links[ld->nlinks++] = l;
	return true;
}

/* Attaches the chosen programs in hook order (a group's in object order);
 * -1, or the hook that failed. */
static int attach(struct trace_ctx *tc, struct trace_loaded *ld, const struct pick *pk, char *why,
		  size_t cap)
{
	const struct tracer *tr = tc->tr;
	struct bpf_object *obj = tr->skel_obj(tc->skel);

	for (int h = 0; h < tr->nhooks; h++) {
		const char *cand = tr->hooks[h].progs[pk->choice[h]];
		struct bpf_program *p;

		if (tc->hook_off[h])
			continue;
		if (!cand_first(obj, cand)) {
			snprintf(why, cap, "attaching %s: no such program", cand);
			return h;
		}
		for_each_cand_program(p, obj, cand)
			if (!attach_one(tc, ld, h, p, why, cap))
				return h;
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

static enum try_result try_load(struct trace_ctx *tc, struct trace_loaded *ld, struct pick *pk,
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
	if (!pk->ordered)
		choose_candidates(tr, obj, trimmed, pk);
	if ((out->status = prepare(tc, obj, pk)) != 0) {
		trace_unload(tc, ld);
		return TRY_STATUS;
	}
	/* classic tracepoints among the chosen programs need tracefs; failing
	 * that, their hooks fall back as usual */
	trace_tracefs_ensure(obj);
	err = tr->skel_load(tc->skel);
	if (err) {
		out->hook = blame(tr, obj, pk->choice, tc->hook_off, out->why, sizeof(out->why));
		if (out->hook < 0) {
			char msg[256];
			libbpf_strerror(err, msg, sizeof(msg));
			snprintf(out->why, sizeof(out->why),
				 "loading BPF programs: %s (NETLENS_BPF_DEBUG=1 shows libbpf's log)", msg);
			trace_unload(tc, ld);
			return TRY_ERROR;
		}
	} else if ((err = trace_tables_start(obj)) < 0) {
		snprintf(out->why, sizeof(out->why), "making the interval tables: %s", strerror(-err));
		trace_unload(tc, ld);
		return TRY_ERROR;
	} else {
		out->hook = attach(tc, ld, pk, out->why, sizeof(out->why));
		if (out->hook < 0)
			return TRY_ATTACHED;
	}
	trace_unload(tc, ld);
	return TRY_HOOK_FAILED;
}

/* Says which hooks run on a group of programs standing in for a missing
 * tracepoint, and what that changes (the hook's fallback text). */
static void warn_fallbacks(const struct trace_ctx *tc, const struct pick *pk)
{
	const struct tracer *tr = tc->tr;

	for (int h = 0; h < tr->nhooks; h++)
		if (!tc->hook_off[h] && is_group(tr->hooks[h].progs[pk->choice[h]]))
			out_warn("%s: no %s on this kernel: %s", tr->name, tr->hooks[h].name,
				 tr->hooks[h].fallback ? tr->hooks[h].fallback
						       : "using the system-call tracepoints");
}

#define LOAD_RETRY_FULL_BTF (-1)

/* Tries candidates until every hook loads and attaches, with the kernel
 * BTF at btf_fd (-1: libbpf reads the whole one). Returns 0, an exit
 * status, or LOAD_RETRY_FULL_BTF for a failure a trimmed BTF may cause
 * (nothing reported yet). */
static int load_with_btf(struct trace_ctx *tc, struct trace_loaded *ld, int btf_fd, char *why,
			 size_t whylen)
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
			warn_fallbacks(tc, &pk);
			return 0;
		case TRY_STATUS:
			return out.status;
		case TRY_ERROR:
			if (btf_fd >= 0)
				return LOAD_RETRY_FULL_BTF;
			snprintf(why, whylen, "%s: %s", tr->name, out.why);
			return EXIT_FAIL;
		case TRY_HOOK_FAILED:
			if (next_candidate(tr, &pk, out.hook, out.why))
				continue;
			if (btf_fd >= 0)
				return LOAD_RETRY_FULL_BTF;
			return no_hook_error(tc, out.hook, out.why, why, whylen);
		}
	}
	snprintf(why, whylen, "%s: could not load the BPF programs", tr->name);
	return EXIT_FAIL;
}

/* Loads with a kernel BTF trimmed to the tracer's relocations; whatever
 * fails with it is tried again with the whole one before anything is
 * reported. */
int trace_load(struct trace_ctx *tc, struct trace_loaded *ld, char *why, size_t whylen)
{
	int btf_fd, status;

	libbpf_set_print(libbpf_log);
	btf_fd = trimmed_btf(tc->tr);
	if (btf_fd >= 0) {
		if (tpbtf_enable() && getenv("NETLENS_BPF_DEBUG"))
			fprintf(stderr, "netlens: no tp_btf handler: libbpf reads the whole kernel BTF for tp_btf\n");
		status = load_with_btf(tc, ld, btf_fd, why, whylen);
		close(btf_fd); /* libbpf has read it by now */
		if (status != LOAD_RETRY_FULL_BTF)
			return status;
		if (getenv("NETLENS_BPF_DEBUG"))
			fprintf(stderr, "netlens: retrying with the whole kernel BTF\n");
	}
	tpbtf_disable();
	return load_with_btf(tc, ld, -1, why, whylen);
}

void trace_load_log_free(void) { sb_free(&bpf_log); }

/* ---- what the kernel could not count ---- */

/* Sum over CPUs and entries of a per-CPU array map of u64 counters; with
 * value_off/stride, one u64 field of a per-CPU array of structs. */
uint64_t trace_percpu_sum(struct bpf_map *m, size_t value_off)
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
uint64_t trace_events_recovered(struct trace_ctx *tc)
{
	struct bpf_object *obj = tc->tr->skel_obj(tc->skel);

	return trace_percpu_sum(bpf_object__find_map_by_name(obj, "tr_nest"), 8) +
	       trace_percpu_sum(bpf_object__find_map_by_name(obj, "recovered"), 0);
}

/* Runs the kernel skipped (a program's run nested in another run of it on
 * the same CPU, see bpf/netlens.bpf.h) that no backup made up for. Not
 * every skipped run would have been an event, so this is an upper bound. */
uint64_t trace_runs_skipped(struct trace_ctx *tc, struct trace_loaded *ld)
{
	uint64_t missed = 0, recovered = trace_events_recovered(tc);

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
uint64_t trace_dropped_keys(struct trace_ctx *tc)
{
	return trace_percpu_sum(bpf_object__find_map_by_name(tc->tr->skel_obj(tc->skel), "tr_dropped_keys"),
			  0);
}
