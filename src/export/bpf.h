/* What the exporter's BPF collectors share (bpf.c, dns.c). */
#ifndef NETLENS_EXPORT_BPF_H
#define NETLENS_EXPORT_BPF_H

#include <stddef.h>

struct collect_ctx;
struct trace_ctx;
struct trace_loaded;

/* Loads tc->tr (tc->o as the caller set it: a ring buffer's size) for a
 * collector's start(), counting the namespace c serves: the capability
 * check, then trace_load(). 0, or -errno with the reason in err (a
 * capability missing, a hook the kernel lacks), nothing left loaded. */
int collect_bpf_load(struct trace_ctx *tc, struct trace_loaded *ld, const struct collect_ctx *c,
		     char *err, size_t errlen);

#endif
