/* tp_btf programs without parsing the whole kernel BTF in user space.
 *
 * A tp_btf program is loaded with the kernel type id of its tracepoint's
 * "btf_trace_<name>" typedef. libbpf finds that id by parsing all of
 * /sys/kernel/btf/vmlinux (~8 ms and ~11 MB here), so the tracers used to
 * prefer raw_tp programs, which read every field through a helper call.
 * Here the ids are found while trace_btf_trim() streams the kernel BTF
 * anyway, and a libbpf program handler for "tp_btf/" sections hands them to
 * the kernel at load: libbpf sees raw tracepoint programs until the moment
 * of loading, so it never needs the kernel BTF itself, and the programs get
 * BTF-typed arguments (plain loads instead of bpf_probe_read_kernel()).
 */
#ifndef NETLENS_TRACE_TPBTF_H
#define NETLENS_TRACE_TPBTF_H

#include <stdbool.h>

struct bpf_object;
struct bpf_program;
struct bpf_link;
struct btf_id_query;

/* The typedefs the object's tp_btf programs attach through, as queries for
 * trace_btf_trim(); *n set to their number. NULL when there are none. The
 * array lives until tpbtf_disable(). */
struct btf_id_query *tpbtf_queries(const struct bpf_object *obj, int *n);

/* Registers the handler with the ids the queries found. From then on, tp_btf
 * programs of newly opened objects load through it; one whose typedef was
 * not found fails to load (libbpf logs "failed to prepare load attributes"),
 * so the caller moves on to its next candidate. Returns 0 or -errno. */
int tpbtf_enable(void);
/* Unregisters the handler (libbpf's own tp_btf handling applies again) and
 * frees the queries. Objects opened while enabled must be closed first. */
void tpbtf_disable(void);

/* Attaches p: tp_btf programs loaded through the handler by their BTF id,
 * anything else as libbpf's SEC() handling does. */
struct bpf_link *tpbtf_attach(struct bpf_program *p);

#endif
