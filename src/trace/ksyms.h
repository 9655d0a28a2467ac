/* Kernel addresses to "symbol+0xoff", from /proc/kallsyms, for every
 * tracer that prints kernel locations or stacks.
 *
 * A struct ksyms starts zeroed and loads on its first lookup (the file is
 * ~200k lines: read only when an address is actually shown). Only text
 * symbols (t, T, w, W) count. Lookups never fail: an address that no
 * symbol covers, or every address when the file shows none (kptr_restrict),
 * prints as hex. The owner frees it with ksyms_free().
 */
#ifndef NETLENS_TRACE_KSYMS_H
#define NETLENS_TRACE_KSYMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ksym {
	uint64_t addr;
	char *name;
};

struct ksyms {
	struct ksym *v; /* sorted by address */
	size_t n;
	bool loaded;    /* tried (n may still be 0) */
};

/* Reads path (NULL: /proc/kallsyms). 0, -errno when it cannot be read,
 * -ENODATA when it lists no text symbol with an address. Quiet: the lazy
 * load of ksyms_str() is the one that warns. */
int ksyms_load(struct ksyms *ks, const char *path);
/* "sym+0xoff", or the address in hex; loads /proc/kallsyms first if
 * nothing was loaded yet (warning once when it gives no names). */
const char *ksyms_str(struct ksyms *ks, uint64_t addr, char *buf, size_t cap);
/* Index of the first frame of a stack that is not the tracing machinery
 * (the BPF program, the tracepoint's run and iterator functions); 0 when
 * all of it is. ips ends at n or at the first 0. */
int ksyms_first_frame(struct ksyms *ks, const uint64_t *ips, int n);
void ksyms_free(struct ksyms *ks);

#endif
