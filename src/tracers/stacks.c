/* stacks: kernel stacks counted at tracepoints named on the command line
 * (`netlens stacks net:net_dev_xmit`), printed with the most frequent last
 * (as bpftrace prints @[kstack]), or folded for flamegraph.pl. */
#include "bpf/stacks.h"
#include "bpf/stacks.skel.h"
#include "base/json.h"
#include "base/strbuf.h"
#include "command.h"
#include "trace/ksyms.h"
#include "trace/opts.h"
#include "trace/trace.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

TRACE_SKEL_GLUE(stacks)

#define TP_HOOK(i) { "tracepoint " #i, { "stacks_" #i }, .manual = true }
static const struct trace_hook hooks[] = {
	TP_HOOK(0), TP_HOOK(1), TP_HOOK(2), TP_HOOK(3),
	TP_HOOK(4), TP_HOOK(5), TP_HOOK(6), TP_HOOK(7),
};
_Static_assert(sizeof(hooks) / sizeof(hooks[0]) == STACKS_MAX_TP, "one hook per program");

static struct {
	const char *tp[STACKS_MAX_TP]; /* "subsystem:name", from argv */
	int ntp;
	bool folded;
	struct bpf_link *links[STACKS_MAX_TP];
	struct ksyms ks;
	uint64_t lost_seen; /* lost hits reported so far */
} st;

enum { OPT_FOLDED = OPT_LONG };

static const struct opt opt_rows[] = {
	{ OPT_FOLDED, "folded", NULL,
	  "flamegraph.pl input: frames root first, ';'-separated, then the count" },
	OPT_END,
};

static const struct opt_group opts[] = {
	{ NULL, opt_rows }, TRACE_RUN_GROUP, TRACE_INTERVAL_GROUP, TRACE_TABLE_GROUP,
	OPT_GROUPS_END,
};

static int opt(struct trace_ctx *tc, const struct opts *p, int c)
{
	(void)c;
	(void)p;
	st.folded = true;
	tc->summary_mode = true;
	return 0;
}

static bool is_ident(const char *s, size_t n)
{
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return true;
}

/* SUBSYSTEM:NAME, checked against tracefs's event list when it is mounted
 * (else the attach says what is wrong). */
static int operand(struct trace_ctx *tc, const struct opts *p, const char *arg)
{
	static const char *const roots[] = { "/sys/kernel/tracing/events",
					     "/sys/kernel/debug/tracing/events" };
	const char *colon = strchr(arg, ':');
	char path[512];

	tc->summary_mode = true;
	if (!colon || !is_ident(arg, (size_t)(colon - arg)) || !is_ident(colon + 1, strlen(colon + 1)))
		return opts_fail_cmd(p, "'%s' is not a tracepoint: expected SUBSYSTEM:NAME "
					"(e.g. net:net_dev_xmit)", arg);
	if (st.ntp == STACKS_MAX_TP)
		return opts_fail_cmd(p, "at most %d tracepoints per run", STACKS_MAX_TP);
	for (int i = 0; i < st.ntp; i++)
		if (strcmp(st.tp[i], arg) == 0)
			return opts_fail_cmd(p, "tracepoint %s named twice", arg);
	for (size_t r = 0; r < sizeof(roots) / sizeof(roots[0]); r++) {
		if (access(roots[r], F_OK) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%.*s/%s", roots[r], (int)(colon - arg), arg,
			 colon + 1);
		if (access(path, F_OK) != 0)
			return opts_fail_cmd(p, "no tracepoint %s in this kernel (see %s/%.*s/)", arg,
					     roots[r], (int)(colon - arg), arg);
		break;
	}
	st.tp[st.ntp++] = arg;
	return 0;
}

/* The programs of the tracepoints not named stay unloaded. */
static int configure(struct trace_ctx *tc, void *skel)
{
	/* the stack map is no hash table: --max-keys sizes it with the counts */
	if (tc->o.max_keys)
		bpf_map__set_max_entries(((struct stacks_bpf *)skel)->maps.stacks,
					 (__u32)tc->o.max_keys);
	if (st.folded && out_is_json()) {
		out_error("stacks: --folded is text (flamegraph.pl input); leave out -j");
		return EXIT_USAGE;
	}
	for (int i = st.ntp; i < STACKS_MAX_TP; i++)
		trace_hook_off(tc, hooks[i].name);
	return 0;
}

static int attach(struct trace_ctx *tc, void *skel_)
{
	struct stacks_bpf *skel = skel_;
	struct bpf_program *progs[STACKS_MAX_TP] = {
		skel->progs.stacks_0, skel->progs.stacks_1, skel->progs.stacks_2,
		skel->progs.stacks_3, skel->progs.stacks_4, skel->progs.stacks_5,
		skel->progs.stacks_6, skel->progs.stacks_7,
	};
	size_t len = 1;

	for (int i = 0; i < st.ntp; i++) {
		st.links[i] = bpf_program__attach_raw_tracepoint(progs[i], strchr(st.tp[i], ':') + 1);
		if (!st.links[i]) {
			int err = errno;
			st.links[i] = NULL;
			return out_error("stacks: attaching to tracepoint %s: %s", st.tp[i],
					 strerror(err));
		}
		len += strlen(st.tp[i]) + 2;
	}
	tc->banner_note = malloc(len);
	if (!tc->banner_note)
		abort();
	tc->banner_note[0] = '\0';
	for (int i = 0; i < st.ntp; i++) {
		if (i)
			strcat(tc->banner_note, ", ");
		strcat(tc->banner_note, st.tp[i]);
	}
	return 0;
}

/* ---- output ---- */

struct row {
	struct stacks_key k;
	__u64 count;
};

/* Fewest first: the most frequent stack prints last, next to the prompt. */
static int cmp_row(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	if (x->count != y->count)
		return x->count < y->count ? -1 : 1;
	if (x->k.tp != y->k.tp)
		return x->k.tp < y->k.tp ? -1 : 1;
	return x->k.stackid < y->k.stackid ? -1 : x->k.stackid > y->k.stackid;
}

/* A frame's function name: "sym+0xoff" without the offset. */
static const char *func_of(char *frame)
{
	char *plus = strchr(frame, '+');

	if (plus)
		*plus = '\0';
	return frame;
}

/* --folded: stacks that differ only in offsets fold into one line; the
 * lines are gathered, merged and printed fewest first. */
struct fline {
	char *text; /* "root;...;leaf;tracepoint" */
	__u64 count;
};

static struct fline *folded;
static size_t nfolded, capfolded;

static void fold(const char *tp, const uint64_t *ips, int f0, int n, __u64 count)
{
	struct strbuf sb = STRBUF_INIT;
	char buf[160];

	for (int i = n - 1; i >= f0; i--)
		sb_printf(&sb, "%s;", func_of((char *)ksyms_str(&st.ks, ips[i], buf, sizeof(buf))));
	sb_printf(&sb, "%s", tp);
	if (nfolded == capfolded) {
		capfolded = capfolded ? capfolded * 2 : 64;
		folded = realloc(folded, capfolded * sizeof(*folded));
		if (!folded)
			abort();
	}
	folded[nfolded].text = sb.buf;
	folded[nfolded++].count = count;
}

static int cmp_ftext(const void *a, const void *b)
{
	return strcmp(((const struct fline *)a)->text, ((const struct fline *)b)->text);
}

static int cmp_fcount(const void *a, const void *b)
{
	const struct fline *x = a, *y = b;

	return x->count < y->count ? -1 : x->count > y->count ? 1 : strcmp(x->text, y->text);
}

static void print_folded(void)
{
	size_t k = 0;

	if (nfolded > 1)
		qsort(folded, nfolded, sizeof(*folded), cmp_ftext);
	for (size_t i = 0; i < nfolded; i++) {
		if (k && strcmp(folded[k - 1].text, folded[i].text) == 0) {
			folded[k - 1].count += folded[i].count;
			free(folded[i].text);
		} else {
			folded[k++] = folded[i];
		}
	}
	if (k > 1)
		qsort(folded, k, sizeof(*folded), cmp_fcount);
	for (size_t i = 0; i < k; i++) {
		printf("%s %llu\n", folded[i].text, (unsigned long long)folded[i].count);
		free(folded[i].text);
	}
	nfolded = 0;
}

static const struct out_col cols[] = {
	{ "TRACEPOINT", "tracepoint", 0, 24 },
	{ "COUNT", "count", OUT_RIGHT, 8 },
};

static uint64_t lost_total(struct stacks_bpf *skel)
{
	int ncpu = libbpf_num_possible_cpus();
	__u64 *v = calloc(ncpu > 0 ? (size_t)ncpu : 1, sizeof(*v));
	uint64_t tot = 0;

	if (!v)
		abort();
	for (__u32 i = 0; i < (__u32)st.ntp && ncpu > 0; i++)
		if (bpf_map__lookup_elem(skel->maps.lost, &i, sizeof(i), v,
					 sizeof(*v) * (size_t)ncpu, 0) == 0)
			for (int c = 0; c < ncpu; c++)
				tot += v[c];
	free(v);
	return tot;
}

static void summary(struct trace_ctx *tc, void *skel_, bool final)
{
	struct stacks_bpf *skel = skel_;
	int fd = bpf_map__fd(skel->maps.stacks);
	struct table *t = NULL;
	struct row *rows;
	size_t n = TRACE_SUMMARY_ROWS(tc, skel->maps.counts, rows, cmp_row);
	uint64_t ips[STACKS_DEPTH];
	char buf[160];

	if (!st.folded)
		trace_interval_stamp(tc);
	if (out_is_json())
		t = trace_summary_begin(cols, 2);
	for (size_t i = 0; i < n; i++) {
		const char *tp = rows[i].k.tp < (__u32)st.ntp ? st.tp[rows[i].k.tp] : "?";
		int f0 = 0, nf = 0;

		memset(ips, 0, sizeof(ips));
		if (bpf_map_lookup_elem(fd, &rows[i].k.stackid, ips) == 0) {
			while (nf < STACKS_DEPTH && ips[nf])
				nf++;
			f0 = ksyms_first_frame(&st.ks, ips, nf);
		}
		if (st.folded) {
			fold(tp, ips, f0, nf, rows[i].count);
		} else if (t) {
			trace_summary_row(t);
			out_cell_str(t, TRACE_COL0, tp);
			out_cell_u64(t, TRACE_COL0 + 1, rows[i].count);
			out_arr_begin(t, "stack", NULL);
			for (int f = f0; f < nf; f++)
				out_field_str(t, "frame", NULL, ksyms_str(&st.ks, ips[f], buf, sizeof(buf)));
			out_arr_end(t);
			out_row_end(t);
		} else {
			printf("%s\n", tp);
			for (int f = f0; f < nf; f++)
				printf("        %s\n", ksyms_str(&st.ks, ips[f], buf, sizeof(buf)));
			printf("    %llu\n\n", (unsigned long long)rows[i].count);
		}
	}
	if (t)
		out_table_end(t);
	if (st.folded)
		print_folded();
	free(rows);
	/* after every summary (the last one of -n is not "final"): the hits
	 * lost since the previous one */
	(void)final;
	uint64_t total = lost_total(skel), lost = total - st.lost_seen;
	st.lost_seen = total;
	if (out_is_json()) {
		struct json *w = out_record_begin();
		json_field_u64(w, "lost_stacks", lost);
		out_record_end(w);
	} else if (lost) {
		fprintf(stderr, "stacks: %llu hits whose stack could not be stored (stack map "
				"full or its bucket taken; see --max-keys)\n",
			(unsigned long long)lost);
	}
}

static void fini(struct trace_ctx *tc)
{
	(void)tc;
	for (int i = 0; i < STACKS_MAX_TP; i++)
		bpf_link__destroy(st.links[i]);
	ksyms_free(&st.ks);
	for (size_t i = 0; i < nfolded; i++)
		free(folded[i].text);
	free(folded);
	folded = NULL;
	nfolded = capfolded = 0;
	memset(&st, 0, sizeof(st));
}

TRACE_TRACER(stacks, "kernel stacks at tracepoints", TRACE_HOOKS(hooks), .opts = opts,
	     .opt = opt, .operand_name = "at least one TRACEPOINT (e.g. net:net_dev_xmit)",
	     .operand = operand, .min_operands = 1, .configure = configure, .attach = attach,
	     .summary = summary, .fini = fini);

TRACE_COMMAND_SYNOPSIS(stacks, opts, "[options] TRACEPOINT...",
		.summary = "count kernel stacks at tracepoints (e.g. net:net_dev_xmit)",
		.about = "Counts the kernel stacks seen at each tracepoint named (SUBSYSTEM:NAME, as\n"
			 "in /sys/kernel/tracing/events; at most 8), in the kernel, and prints\n"
			 "them on exit (or every -i SECS): each stack leaf first under its\n"
			 "tracepoint, then its count, the most frequent last. --folded prints\n"
			 "flamegraph.pl input instead: frames root first, the tracepoint as the\n"
			 "leaf. Hits whose stack the kernel could not store are counted and\n"
			 "reported (JSON: {\"lost_stacks\":N}).\n");
