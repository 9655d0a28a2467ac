/* Loading a tracer's BPF object with hook fallback, and attaching it.
 *
 * For each hook the tracer lists candidate programs best first (tp_btf,
 * raw_tp, ...); trace_load() opens the skeleton, lets the tracer's
 * configure() set its rodata, loads only the chosen candidates, attaches
 * them, and when a load or attach fails moves the failing hook on to its
 * next candidate (an optional hook with none left is dropped, with a
 * warning) and opens the object again. It first tries with a kernel BTF
 * trimmed to the object's relocations (btfmin.h), then with the whole one.
 *
 * trace_main() uses it for a run; the exporter keeps objects loaded for
 * its BPF collectors. Nothing here prints an error: a failure is returned
 * as an exit status with one line in why (empty when configure() already
 * reported it through out_error()).
 */
#ifndef NETLENS_TRACE_LOAD_H
#define NETLENS_TRACE_LOAD_H

#include "trace/trace.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bpf_link;
struct bpf_map;
struct bpf_program;

#define TRACE_MAX_LINKS 64

/* What is attached: one link per program that runs, one per hook or more
 * for a group (NULL for a manual hook, which the tracer attaches itself). */
struct trace_loaded {
	struct bpf_link *links[TRACE_MAX_LINKS];
	struct bpf_program *progs[TRACE_MAX_LINKS];
	int hooks[TRACE_MAX_LINKS]; /* index in tracer->hooks */
	int nlinks;
};

/* Loads and attaches tc->tr with the options in tc->o (filters, ring
 * buffer size, --max-keys) into tc->skel. 0, or an exit status with the
 * reason in why. */
int trace_load(struct trace_ctx *tc, struct trace_loaded *ld, char *why, size_t whylen);
/* Detaches and destroys what trace_load() made (safe when it failed). */
void trace_unload(struct trace_ctx *tc, struct trace_loaded *ld);
/* Frees the libbpf log kept to blame a failing program. */
void trace_load_log_free(void);

/* A hash map: one of a tracer's kernel tables (counts, histograms,
 * sessions), which --max-keys sizes; arrays and ring buffers are not. */
bool trace_map_is_table(const struct bpf_map *m);

/* What went uncounted, for --stats and the exporter's BPF collectors:
 * trace_percpu_sum() sums one u64 at value_off over every entry and CPU
 * of a per-CPU array (0 when m is NULL); trace_events_recovered() counts
 * events the backup programs handled for a skipped primary;
 * trace_runs_skipped() the runs the kernel skipped (a program nested in
 * itself on one CPU) that no backup made up for, an upper bound of the
 * events missed; trace_dropped_keys() the updates that found a kernel
 * table full (tr_map_update()). */
uint64_t trace_percpu_sum(struct bpf_map *m, size_t value_off);
uint64_t trace_events_recovered(struct trace_ctx *tc);
uint64_t trace_runs_skipped(struct trace_ctx *tc, struct trace_loaded *ld);
uint64_t trace_dropped_keys(struct trace_ctx *tc);

#endif
