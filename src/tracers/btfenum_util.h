/* Enum names from the running kernel's BTF (/sys/kernel/btf/vmlinux), read
 * at run time: drop reasons and reset reasons change between kernels, so
 * no table is compiled in. */
#ifndef NETLENS_TRACERS_BTFENUM_UTIL_H
#define NETLENS_TRACERS_BTFENUM_UTIL_H

#include <stdbool.h>
#include <stddef.h>

struct btfenum_names {
	char **names;       /* without the prefix */
	long long *vals;
	size_t n;
};

/* Loads enum `type` (ENUM or ENUM64), stripping `prefix` from the names.
 * Returns 0, or -errno (-ENOENT when the kernel lacks the enum). */
int btfenum_load(const char *type, const char *prefix, struct btfenum_names *out);
/* The same from a kernel BTF already open (kbtf.h); btfenum_load() opens
 * the running kernel's and calls this. */
struct kbtf;
int btfenum_read(const struct kbtf *k, const char *type, const char *prefix,
		 struct btfenum_names *out);
/* The name of value v, or NULL. */
const char *btfenum_name(const struct btfenum_names *e, long long v);
/* The value of name as stored (without the prefix); false when missing. */
bool btfenum_value(const struct btfenum_names *e, const char *name, long long *v);
void btfenum_free(struct btfenum_names *e);

/* For the tracers of freed packets (skbdrop, tcpdrop, skblife): enum
 * skb_drop_reason, SKB_DROP_REASON_ stripped, loaded into *out unless it
 * already holds names. 0, or the exit status of the one error line it
 * wrote (naming tracer). */
int btfenum_drop_reasons(const char *tracer, struct btfenum_names *out);

#endif
