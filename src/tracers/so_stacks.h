/* --stacks of soconnect and soconnlat: connect() calls counted in the kernel
 * by process and user stack (bpf/soconnect.bpf.h's stack_counts), printed
 * most first with the stacks symbolized (trace/ustack.h). */
#ifndef NETLENS_TRACERS_SO_STACKS_H
#define NETLENS_TRACERS_SO_STACKS_H

#include "trace/opts.h"
#include "trace/trace.h"

struct bpf_map;

enum { SO_OPT_STACKS = OPT_LONG + 32 };
#define SO_STACKS_ROW                                                                  \
	{ SO_OPT_STACKS, "stacks", NULL,                                               \
	  "count connects by process and user stack in the kernel (needs frame pointers)" }

/* The tracer's opt() hands every option to this one while --stacks is given
 * or is the option (so_stacks_mine()): --stacks is a summary of its own,
 * refused with another (-c, --hist, --by). */
bool so_stacks_mine(int c);
int so_stacks_opt(struct trace_ctx *tc, const struct opts *p, int c);
/* Whether --stacks was given (the BPF side's want_ustack). */
bool so_stacks_on(void);
/* From configure(): with --stacks, the stack map (one entry in the
 * object) gets SO_STACK_MAP_ENTRIES, a power of two: a stack id is a hash of
 * the stack, and a second stack on an id taken is counted as EEXIST. */
#define SO_STACK_MAP_ENTRIES 4096
/* It also turns off every hook but sys_enter_connect: --stacks needs no
 * connect's end. */
void so_stacks_configure(struct trace_ctx *tc, struct bpf_map *stacks);
/* The summary: one row per (pid, comm, stack), most first; text prints
 * each stack's frames indented below its row, JSON a "stack" array. */
void so_stacks_summary(struct trace_ctx *tc, struct bpf_map *counts, struct bpf_map *stacks);

#endif
