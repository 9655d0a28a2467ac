/* Shared by the counting socket tracers: see so_count.h. */
#include "tracers/so_count.h"

const struct opt so_count_filter_rows[] = {
	{ 'p', "pid", "PID", "only calls made by process PID" },
	{ OPT_TR_COMM, "comm", "NAME", "only calls made by processes named NAME" },
	{ OPT_TR_NETNS, "netns", "NS", "only network namespace NS (name, path or inode)" },
	{ OPT_TR_CGROUP, "cgroup", "PATH", "only cgroup v2 PATH" },
	OPT_END,
};
