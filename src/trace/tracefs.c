/* Mounting tracefs where libbpf looks for it, when a tracer needs it. */
#include "trace/tracefs.h"

#include <bpf/libbpf.h>
#include <errno.h>
#include <stdbool.h>
#include <sys/mount.h>
#include <unistd.h>

/* libbpf (1.x) reads /sys/kernel/debug/tracing when that path exists (a
 * mounted debugfs automounts tracefs there), else /sys/kernel/tracing. */
#define DEBUGFS_TRACING "/sys/kernel/debug/tracing"
#define TRACEFS         "/sys/kernel/tracing"

/* Only the programs that will load: a tracer whose classic tracepoints are
 * fallbacks (system calls standing in for a newer tracepoint) needs no
 * tracefs while it runs on the newer one. */
static bool has_tracepoint_prog(struct bpf_object *obj)
{
	struct bpf_program *p;

	bpf_object__for_each_program(p, obj)
		if (bpf_program__type(p) == BPF_PROG_TYPE_TRACEPOINT && bpf_program__autoload(p))
			return true;
	return false;
}

int trace_tracefs_ensure(struct bpf_object *obj)
{
	if (!obj || !has_tracepoint_prog(obj))
		return 0;
	if (access(DEBUGFS_TRACING, F_OK) == 0 || access(TRACEFS "/events", F_OK) == 0)
		return 0;
	if (mount("tracefs", TRACEFS, "tracefs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0)
		return -errno;
	return 0;
}
