/* The tracer framework.
 *
 * A tracer is a `struct tracer` (a const description: hooks, columns,
 * callbacks, skeleton glue) plus a .bpf.c. trace_main() does everything
 * every tracer repeats, once:
 *   - parses the tracer's option table (its own rows plus the shared groups
 *     of trace/opts.h it accepts) and hands the tracer its own options;
 *   - opens the skeleton, writes the common filters into .rodata, lets the
 *     tracer set its own, then picks hooks by trying: for each hook the
 *     candidate programs are listed best first (tp_btf, raw_tp, ...); the
 *     ones not chosen get autoload off; when a load or attach fails, the
 *     failing hook moves on to its next candidate and the object is opened
 *     again. When nothing fits, one error names the missing hook;
 *   - streams the ring buffer (events are submitted without wake-ups and
 *     consumed on a short timer, or at once when the buffer fills), or in
 *     summary mode calls the tracer every -i seconds for -n rounds;
 *   - ends on SIGINT/SIGTERM or -d, prints the summary, the lost-event
 *     count and --stats, and destroys links and skeleton (nothing stays
 *     loaded).
 * Messages meant for people go to stderr; "Tracing ..." on stderr means
 * every program is attached (tests wait for it).
 */
#ifndef NETLENS_TRACE_H
#define NETLENS_TRACE_H

#include "base/output.h"
#include "bpf/netlens.h"
#include "trace/format.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bpf_object;
struct bpf_object_open_opts;
struct trace_ctx;

#define TRACE_MAX_ALT   4
#define TRACE_MAX_HOOKS 16

/* One attachment point and its candidate programs, best first. A
 * candidate ending in '*' is a group: every program whose name starts with
 * what precedes the '*', loaded and attached together (system-call
 * tracepoints standing in for a tracepoint the kernel lacks); running on
 * one is said in a warning, with the hook's fallback text. An optional
 * hook that cannot load is dropped with a warning instead of failing the
 * run. A backup hook handles events the kernel did not run another hook's
 * program for (see "nested runs" in bpf/netlens.bpf.h); --stats shows how
 * many. Hooks are attached in array order (a tracepoint's backup after its
 * primary). */
struct trace_hook {
	const char *name;                     /* e.g. "inet_sock_set_state" */
	const char *progs[TRACE_MAX_ALT];     /* program names in the .bpf.c */
	const char *fallback;                 /* what a group candidate sees less */
	bool optional;
	bool backup;
	/* the tracer attaches this program itself (its attach(), e.g. uprobes
	 * on files it finds at run time): the framework loads it, counts it in
	 * --stats and the banner, and never attaches it */
	bool manual;
};

/* The hooks of an TR_ACCEPTED_SOCK_PROGRAMS(name, ...) handler: accept4() exits
 * through its own tracepoint, else through sys_exit; accept() exits through
 * its own one too (optional: sys_exit, when used, covers both). */
#define TRACE_ACCEPT4_HOOK "sys_exit_accept4 (accepted socket)"
#define TRACE_ACCEPT_HOOK  "sys_exit_accept (accepted socket)"
#define TRACE_ACCEPT_HOOKS(n)                                                        \
	{ TRACE_ACCEPT4_HOOK, { #n "_accept4_tp", #n "_accept_btf", #n "_accept_raw" } }, \
	{ TRACE_ACCEPT_HOOK, { #n "_accept_tp" }, .optional = true }

/* A state-change hook that only records sockets' owners (connect(),
 * listen()) for events elsewhere; with TRACE_ACCEPT_HOOKS, the hooks
 * trace_owner_hooks_off() leaves out. */
#define TRACE_OWNER_STATE_HOOK "inet_sock_set_state (owners)"

/* The hooks of an TR_STATE_PROGRAMS(name, ...) handler: the primary first,
 * the backup for nested runs last in the tracer's hook array. */
#define TRACE_STATE_HOOK(n) { "inet_sock_set_state", { #n "_state_btf", #n "_state_raw" } }
#define TRACE_STATE_NEST_HOOK(n)                                                     \
	{ "inet_sock_set_state (nested runs)", { #n "_state_btf_nest", #n "_state_raw_nest" }, \
	  .optional = true, .backup = true }

/* In a struct tracer: its event callback and the record type it reads. */
#define TRACE_EVENTS(fn, type) .event = (fn), .event_size = sizeof(type)
/* In a struct tracer: its hooks and columns, from arrays. */
#define TRACE_HOOKS(h) .hooks = (h), .nhooks = (int)(sizeof(h) / sizeof((h)[0]))
#define TRACE_COLS(c)  .cols = (c), .ncols = (int)(sizeof(c) / sizeof((c)[0]))

/* The tracer `var`, named "var", over the skeleton `var` (TRACE_SKEL_GLUE(var)
 * first): doing_ is its "Tracing ..." text; the hooks, columns, options and
 * callbacks follow as designated initializers. */
#define TRACE_TRACER(var, doing_, ...)                                                 \
	static const struct tracer var = { .name = #var, .doing = (doing_), TRACE_SKEL(var), \
					   __VA_ARGS__ }

/* The command "var" that runs `var` (a struct tracer) with the option table
 * `groups` (the tracer's .opts): NETLENS_COMMAND (command.h) with the flags
 * every tracer has; .summary and .about follow. */
#define TRACE_COMMAND(var, groups, ...) TRACE_COMMAND_SYNOPSIS(var, groups, "[options]", __VA_ARGS__)
/* TRACE_COMMAND with its own synopsis: a tracer that takes operands
 * ("[options] TRACEPOINT..."). */
#define TRACE_COMMAND_SYNOPSIS(var, groups, synopsis_, ...)                            \
	static int run_##var(int argc, char **argv) { return trace_main(&var, argc, argv); } \
	NETLENS_COMMAND(var, .name = #var, .run = run_##var,                            \
			.flags = CMD_NEEDS_BPF | CMD_NEEDS_BTF | CMD_ALIAS,                     \
			.synopsis = (synopsis_), .opts = (groups), .notes = TRACE_NOTES,        \
			__VA_ARGS__)

struct opts;
struct opt_group;

struct tracer {
	const char *name;
	const char *doing;                    /* "Tracing TCP session ends" */
	const struct trace_hook *hooks;
	int nhooks;
	const struct out_col *cols;           /* event columns (TRACE_COL0..) */
	int ncols;
	/* the option table: the tracer's rows and the shared groups it accepts
	 * (trace/opts.h); opt() gets the tracer's own options (p->arg) and
	 * returns 0 or EXIT_USAGE after opts_fail() */
	const struct opt_group *opts;
	int (*opt)(struct trace_ctx *tc, const struct opts *p, int c);
	/* operands after the options (getopt order: options may follow them):
	 * NULL refuses any ("tracers take only options"); else what they are,
	 * for "expected ..." ("at least one TRACEPOINT"), operand() gets each in order (0, or
	 * EXIT_USAGE after opts_fail_cmd()), and at least min_operands must
	 * be given */
	const char *operand_name;
	int (*operand)(struct trace_ctx *tc, const struct opts *p, const char *arg);
	int min_operands;
	/* skeleton glue, see TRACE_SKEL_GLUE */
	void *(*skel_open)(const struct bpf_object_open_opts *opts);
	int (*skel_load)(void *skel);
	void (*skel_destroy)(void *skel);
	struct bpf_object *(*skel_obj)(void *skel);
	struct tr_filter *(*skel_filter)(void *skel);
	const void *(*skel_elf)(void *skel, size_t *sz);
	/* before load: tracer rodata; may turn hooks off with trace_hook_off() */
	int (*configure)(struct trace_ctx *tc, void *skel);
	/* one ring-buffer record (event mode): event_size bytes (the framework
	 * skips shorter ones) */
	void (*event)(struct trace_ctx *tc, const void *data);
	size_t event_size;
	/* event mode, optional: after each drain of the ring buffer */
	void (*batch_end)(struct trace_ctx *tc);
	/* summary mode: print (and clear) the kernel maps; final on exit */
	void (*summary)(struct trace_ctx *tc, void *skel, bool final);
	/* optional, both modes, once at the end of a run, after the events or
	 * the last summary and before {"dropped_keys":N}: the tracer's own
	 * counts of what it could not see (one JSON record; text on stderr) */
	void (*closing)(struct trace_ctx *tc, void *skel);
	/* after every hook loaded and the framework's attached: attaches the
	 * manual hooks; 0, or an exit status after out_error() */
	int (*attach)(struct trace_ctx *tc, void *skel);
	/* optional, both modes: at every wake-up of the run loop (at least
	 * every 100 ms), for work on the tracer's own clock */
	void (*tick)(struct trace_ctx *tc, void *skel);
	/* after the run, whatever its outcome (also after an option error):
	 * frees what opt()/configure()/event() kept in the tracer's state */
	void (*fini)(struct trace_ctx *tc);
	/* optional: the entries of the table whose fullness the tracer counts
	 * in dropped_keys when that table is not a hash map (an array of
	 * slots), for the message naming the limit (default: the smallest
	 * hash table, the one --max-keys should raise) */
	uint32_t (*table_limit)(struct trace_ctx *tc, void *skel);
	/* summary-only tracers: -i when none is given (0: once, on exit) */
	double default_interval;
	/* the summary mode reads the event stream too (the tracer aggregates
	 * in user space what the kernel cannot, e.g. parsed DNS names): the
	 * ring buffer keeps its size, event() and batch_end() still run, and
	 * no event table is printed */
	bool summary_events;
};

/* Generates the skeleton glue for `name` (needs "bpf/name.skel.h"). */
#define TRACE_SKEL_GLUE(n)                                                           \
	static void *n##_skel_open(const struct bpf_object_open_opts *o)               \
	{                                                                              \
		return n##_bpf__open_opts(o);                                          \
	}                                                                              \
	static const void *n##_skel_elf(void *s, size_t *sz)                           \
	{                                                                              \
		*sz = ((struct n##_bpf *)s)->skeleton->data_sz;                        \
		return ((struct n##_bpf *)s)->skeleton->data;                          \
	}                                                                              \
	static int n##_skel_load(void *s) { return n##_bpf__load(s); }                 \
	static void n##_skel_destroy(void *s) { n##_bpf__destroy(s); }                 \
	static struct bpf_object *n##_skel_obj(void *s) { return ((struct n##_bpf *)s)->obj; } \
	static struct tr_filter *n##_skel_filter(void *s)                              \
	{                                                                              \
		return &((struct n##_bpf *)s)->rodata->tr_filter;                      \
	}
#define TRACE_SKEL(n)                                                                \
	.skel_open = n##_skel_open, .skel_load = n##_skel_load,                        \
	.skel_destroy = n##_skel_destroy, .skel_obj = n##_skel_obj,                    \
	.skel_filter = n##_skel_filter, .skel_elf = n##_skel_elf

enum trace_ts { TS_NONE, TS_REL, TS_WALL };

/* Common options after parsing. */
struct trace_opts {
	struct tr_filter filter;
	enum trace_ts ts;
	bool wide;
	bool stats;
	double duration;      /* -d, seconds; 0: until a signal */
	double interval;      /* -i, seconds; 0: print the summary on exit */
	long count;           /* -n: events, or intervals with -i; 0: unlimited */
	unsigned long ringbuf_size;
	unsigned long max_keys; /* --max-keys: entries of each kernel table; 0: as built */
	char dev[64];         /* --dev as given; resolved into filter.ifindex */
	char netns_path[256]; /* --netns as a path, for resolving --dev NAME */
};

struct trace_ctx {
	const struct tracer *tr;
	struct trace_opts o;
	bool summary_mode;    /* set by the tracer's option handler */
	void *skel;
	struct table *t;      /* event table (event mode) */
	void *priv;           /* the tracer's own state */
	uint64_t mono_start;  /* CLOCK_MONOTONIC ns when tracing began */
	int64_t wall_offset;  /* CLOCK_REALTIME - CLOCK_MONOTONIC, ns */
	bool hook_off[TRACE_MAX_HOOKS];
	/* optional, set by the tracer's attach(): text the "Tracing ..." line
	 * adds after the hooks (what was found to attach to) */
	char *banner_note;
};

/* Text width of an address column that fits any IPv6 address
 * ("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"); event streams use it for
 * columns whose JSON key ends in "addr" with -w or -6. */
#define TRACE_ADDR6_WIDTH 39

/* Column index of the tracer's first column in the event table; the
 * framework puts TIME before and NETNS/CGROUP after the tracer's columns. */
#define TRACE_COL0 1

int trace_main(const struct tracer *tr, int argc, char **argv);

/* The opt() of a tracer whose one option is a summary mode (-c, --counts). */
int trace_opt_summary(struct trace_ctx *tc, const struct opts *p, int c);

/* Turn a hook off for this run (from configure()). */
void trace_hook_off(struct trace_ctx *tc, const char *hook_name);
/* Turn off the hooks that only record owners (TRACE_OWNER_STATE_HOOK and
 * TRACE_ACCEPT_HOOKS): for a table without owners, when no -p/--comm
 * needs them (they run for every TCP state change and accept()). */
void trace_owner_hooks_off(struct trace_ctx *tc);

/* Event rows: begin writes TIME (and JSON "time"), end writes NETNS and
 * CGROUP and finishes the row. */
struct table *trace_row_begin(struct trace_ctx *tc, const struct tr_hdr *h);
void trace_row_end(struct trace_ctx *tc, const struct tr_hdr *h);
/* trace_row_begin() and a socket's cells: TRACE_TASK_COLS at col (the
 * header's owner), then TRACE_TUPLE_COLS (tu). */
struct table *trace_row_sock(struct trace_ctx *tc, const struct tr_hdr *h, int col,
			     const struct tr_tuple *tu);
/* Histograms printed as bars (text) or {"unit", "buckets": [...]} (JSON).
 * log2: slot i counts values in [2^i, 2^(i+1)) (slot 0: 0 and 1);
 * linear: slot i counts [i*step, (i+1)*step), the last slot is "and up". */
void trace_hist_print_log2(const char *title, const char *unit, const uint64_t *slots,
			   int nslots);
/* trace_hist_print_log2() with fields(t, arg) writing JSON fields of the
 * histogram's own (its key: "pid", "dir", ...) into the "histogram" object
 * after "scale"; text shows only the title. */
typedef void trace_hist_fields_fn(struct table *t, const void *arg);
void trace_hist_print_log2_with(const char *title, const char *unit, const uint64_t *slots,
				int nslots, trace_hist_fields_fn *fields, const void *arg);
void trace_hist_print_linear(const char *title, const char *unit, const uint64_t *slots,
			     int nslots, uint64_t step);
/* trace_hist_print_linear() with the histogram's JSON fields, as above. */
void trace_hist_print_linear_with(const char *title, const char *unit, const uint64_t *slots,
				  int nslots, uint64_t step, trace_hist_fields_fn *fields,
				  const void *arg);

/* Prints a tr_endpoint -> tr_counts map sorted by count (its rows as
 * TRACE_SUMMARY_ROWS reads them). */
struct bpf_map;
void trace_print_counts(const struct trace_ctx *tc, struct bpf_map *map, const char *addr_title,
			const char *addr_key, const char *port_title, const char *port_key,
			bool with_failed);

/* Reads every entry of a (non-per-CPU) hash map into *out (malloc'ed):
 * records of the key, then the value at the key size rounded up to 8, each
 * record rounded up to 8, i.e. the layout of struct { KEY k; VALUE v; }
 * when KEY's size is a multiple of 8. clear deletes what was read. Returns
 * the number of records. */
size_t trace_map_read(struct bpf_map *map, void **out, bool clear);

/* A summary's rows: *rows (a struct { KEY k; VALUE v; } pointer) gets
 * every record of map (trace_map_read), deleted from it when -i prints a
 * summary every interval, sorted by cmp (NULL: map order). Aborts, naming
 * the map, when the row type's size is not the map's record size (a key
 * whose size is not a multiple of 8, a stale struct). Free *rows. */
#define TRACE_SUMMARY_ROWS(tc, map, rows, cmp)                                         \
	trace_summary_rows((tc), (map), (void **)&(rows), sizeof(*(rows)), (cmp))
size_t trace_summary_rows(const struct trace_ctx *tc, struct bpf_map *map, void **rows,
			  size_t row_size, int (*cmp)(const void *, const void *));

/* The same for a map whose values are u64 counters only (counts, byte
 * sums, histogram slots: no maxima, no names): with -i, entries stay in
 * the kernel while they count and each interval's rows hold what they
 * gained in it (deleting busy entries every interval loses the counts a
 * program adds to an entry it looked up just before the delete); an
 * entry that gained nothing for an interval is deleted. */
#define TRACE_COUNT_ROWS(tc, map, rows, cmp)                                           \
	trace_count_rows((tc), (map), (void **)&(rows), sizeof(*(rows)), (cmp))
size_t trace_count_rows(const struct trace_ctx *tc, struct bpf_map *map, void **rows,
			size_t row_size, int (*cmp)(const void *, const void *));

/* Rows sorted by cmp whose kernel keys differ only in what cmp leaves out
 * (a CPU, for tables kept per CPU so that each entry has one writer):
 * each run of rows cmp finds equal is folded into its first by add(to,
 * from). Returns the rows left. */
size_t trace_rows_merge(void *rows, size_t n, size_t row_size,
			int (*cmp)(const void *, const void *), void (*add)(void *to, const void *from));

/* Every entry of per-CPU array map m, nentries values of n u64s each,
 * summed over the CPUs into out (nentries * n u64s): one batch lookup,
 * one system call however many entries. 0, or -errno (-EINVAL: m is not
 * of that shape). */
int trace_percpu_array_sum(struct bpf_map *m, uint32_t nentries, uint64_t *out, size_t n);

/* The time of the summary being printed every -i seconds (base/stamp.h),
 * or NULL (no -i). */
struct interval_stamp;
const struct interval_stamp *trace_stamp(void);
/* Before a summary printed every -i seconds, in text mode: a blank line and
 * the wall-clock time (histograms, which are not tables). */
void trace_interval_stamp(const struct trace_ctx *tc);
/* Summary tables: the framework puts a TIME column first (shown with -i,
 * JSON "time") and the tracer's columns from TRACE_COL0. Begin copies
 * cols (at most 31); row_begin writes the time. */
struct table *trace_summary_begin(const struct out_col *cols, int ncols);
void trace_summary_row(struct table *t);

#endif
