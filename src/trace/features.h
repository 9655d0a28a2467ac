/* Kernel features that tracers choose between, each probed by what the
 * kernel has, never by its version (distributions backport), and each
 * named after what it allows. A probe that cannot tell answers false: the
 * choice it guards must then be the one that works everywhere.
 *
 * The BPF side has its own: src/bpf/core_fixes.bpf.h (CO-RE checks, one
 * per kernel change, in the programs themselves).
 */
#ifndef NETLENS_TRACE_FEATURES_H
#define NETLENS_TRACE_FEATURES_H

#include <stdbool.h>

/* Tracing programs may use hash maps allocated at run time
 * (BPF_F_NO_PREALLOC). Since 6.1 the BPF memory allocator serves them in
 * any context ("bpf: Introduce any context BPF specific memory allocator",
 * struct bpf_mem_alloc) and the verifier stopped refusing them in the same
 * series ("bpf: Relax the requirement to use preallocated hash maps in
 * tracing progs"). Before, such a program is refused on PREEMPT_RT
 * kernels and loads with a kernel WARN elsewhere, which is why this is
 * read from the kernel BTF (the name bpf_mem_alloc) rather than tried.
 * btf_path: NULL for the running kernel's BTF. */
bool trace_feat_tracing_runtime_hash(const char *btf_path);

#endif
