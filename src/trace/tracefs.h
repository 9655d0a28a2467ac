/* tracefs for classic tracepoint programs (SEC("tracepoint/...")): libbpf
 * reads a tracepoint's id from tracefs, which a fresh machine may not have
 * mounted; without it those hooks fall back to costlier ones (the accept
 * owners to sys_exit, which runs for every system call). */
#ifndef NETLENS_TRACE_TRACEFS_H
#define NETLENS_TRACE_TRACEFS_H

struct bpf_object;

/* When obj has a classic tracepoint program that will load (autoload on)
 * and neither tracefs location libbpf uses is there, mounts tracefs on
 * /sys/kernel/tracing (its usual place; what systemd mounts at boot). Returns 0 when tracefs is there (or
 * not needed), else -errno; the caller's hook fallback handles failure. */
int trace_tracefs_ensure(struct bpf_object *obj);

#endif
