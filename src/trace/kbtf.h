/* The running kernel's BTF, mapped and walked in place.
 *
 * libbpf's btf__load_vmlinux_btf() parses all of /sys/kernel/btf/vmlinux
 * (5.5 MB here) into its own structures: ~11 MB of memory and ~8 ms. What
 * netlens needs from it at run time is small (a few types for CO-RE, the
 * attach ids of tp_btf programs, an enum's names), so it maps the file
 * (kernels >= 6.15 allow a private read-only mapping, which costs no
 * resident memory; older ones are read once) and walks the type section
 * once, in order.
 */
#ifndef NETLENS_TRACE_KBTF_H
#define NETLENS_TRACE_KBTF_H

#include <linux/btf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct kbtf {
	const uint8_t *data;  /* the whole file, mapped or read */
	size_t size;
	bool mapped;
	const uint8_t *types, *strs;
	uint32_t types_len, strs_len;
};

/* path NULL: /sys/kernel/btf/vmlinux. 0 or -errno (-EINVAL: not BTF). */
int kbtf_open(struct kbtf *k, const char *path);
void kbtf_close(struct kbtf *k);

/* The string at off, or NULL when off is outside the string section. */
const char *kbtf_str(const struct kbtf *k, uint32_t off);

/* Bytes that follow a type's header (members, params...), (size_t)-1 for
 * a kind this code does not know. */
size_t kbtf_type_extra(const struct btf_type *t);

/* Calls fn(arg, id, t, pos) for every type in id order (pos: its offset in
 * the type section, headers are 4-byte aligned there) until fn returns
 * non-zero. Returns fn's non-zero value, 0 at the end, -EOPNOTSUPP for an
 * unknown kind, -EINVAL for a truncated section. */
int kbtf_walk(const struct kbtf *k,
	      int (*fn)(void *arg, uint32_t id, const struct btf_type *t, uint32_t pos),
	      void *arg);

/* The id of the first type of this kind (BTF_KIND_*) and name; -ENOENT
 * when there is none, or kbtf_walk()'s error. */
int kbtf_find(const struct kbtf *k, unsigned kind, const char *name);
/* Whether the string section holds s as a whole string: a type, member,
 * function or parameter is named s. A memory scan, no walk (~10x faster
 * than kbtf_find on a kernel's BTF). */
bool kbtf_has_str(const struct kbtf *k, const char *s);

#endif
