/* A trimmed copy of the running kernel's BTF for CO-RE relocation.
 *
 * libbpf parses all of /sys/kernel/btf/vmlinux (5.5 MB here, held twice
 * while parsing: ~11 MB and ~8 ms) to relocate a handful of field reads.
 * trace_btf_trim() streams the kernel BTF instead, keeps only the types and
 * members the object's CO-RE relocations name (with the kernel's offsets,
 * sizes and names), and returns it in a memfd whose /proc/self/fd path goes
 * to bpf_object_open_opts.btf_custom_path. libbpf then computes exactly the
 * relocations it would have computed against the whole BTF.
 *
 * Any relocation kind it does not handle, or anything unexpected in the
 * kernel BTF, makes it fail; the caller then lets libbpf use the full BTF.
 */
#ifndef NETLENS_TRACE_BTFMIN_H
#define NETLENS_TRACE_BTFMIN_H

#include <stddef.h>

struct bpf_object;

/* A kernel type to find by name and kind while the kernel BTF is read
 * anyway (a tp_btf program's attach target, "btf_trace_<tracepoint>", is a
 * typedef): id is set to its kernel type id, 0 when there is none. */
struct btf_id_query {
	const char *name;
	unsigned kind;  /* BTF_KIND_* */
	unsigned id;
};

/* obj: the opened (not loaded) object; elf/elf_sz: its ELF image (for the
 * .BTF.ext relocation records). Returns a memfd holding raw BTF, or -errno.
 * kernel_btf: path of the kernel BTF (NULL: /sys/kernel/btf/vmlinux);
 * q/nq: types to look up on the way (may be NULL/0). */
int trace_btf_trim(const struct bpf_object *obj, const void *elf, size_t elf_sz,
		   const char *kernel_btf, struct btf_id_query *q, int nq);

#endif
