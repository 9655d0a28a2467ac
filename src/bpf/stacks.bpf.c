/* stacks: kernel stacks counted at any tracepoint.
 *
 * Hooks: STACKS_MAX_TP copies of one raw_tp program with no target in its
 * section; user space attaches copy i to the i-th tracepoint named on the
 * command line (bpf_program__attach_raw_tracepoint), so the index tells the
 * tracepoints apart without attach cookies (libbpf 1.1 has none for
 * raw_tp). Each run stores its kernel stack in the stack-trace map and
 * counts (tracepoint, stack id) in a hash; a stack the map cannot store
 * (its bucket holds another stack, or the map is full) is counted in
 * lost. Nothing is streamed. */
#include "bpf/netlens.bpf.h"
#include "bpf/stacks.h"

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 16384);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, STACKS_DEPTH * sizeof(__u64));
} stacks SEC(".maps");

TR_INTERVAL_TABLE(counts, struct stacks_key, __u64, 16384);

/* [tp]: runs whose stack was not stored (bpf_get_stackid < 0) */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, STACKS_MAX_TP);
	__type(key, __u32);
	__type(value, __u64);
} lost SEC(".maps");

static __always_inline int on_hit(void *ctx, __u32 tp)
{
	struct stacks_key k = { .tp = tp };
	__u64 *n;

	k.stackid = bpf_get_stackid(ctx, &stacks, 0);
	if (k.stackid < 0) {
		n = bpf_map_lookup_elem(&lost, &tp);
		if (n)
			(*n)++;
		return 0;
	}
	n = tr_table_lookup_or_zero(counts, &k);
	if (n)
		__sync_fetch_and_add(n, 1);
	return 0;
}

#define STACKS_PROG(i)                                                                 \
	SEC("raw_tp")                                                                  \
	int stacks_##i(void *ctx) { return on_hit(ctx, i); }

STACKS_PROG(0)
STACKS_PROG(1)
STACKS_PROG(2)
STACKS_PROG(3)
STACKS_PROG(4)
STACKS_PROG(5)
STACKS_PROG(6)
STACKS_PROG(7)
