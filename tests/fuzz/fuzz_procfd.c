/* libFuzzer target: /proc/PID/fd scanning without /proc (sources/procfd.c).
 * The input's first line is a /proc/PID/stat text; each further line is
 * "PID FD LINK", a process's fd and what its link reads. Sockets go into
 * the inode -> owners table, which must then give every owner back, in the
 * order added, with the command name parsed from the stat text. */
#include "fuzz_util.h"
#include "sources/procfd.h"

struct added {
	uint64_t inode;
	int pid, fd;
};

/* Every owner added is found under its inode, and chains end. */
static void check(const struct procfd_map *m, const struct added *a, size_t n, const char *comm)
{
	for (size_t i = 0; i < n; i++) {
		const struct procfd_owner *o = procfd_lookup(m, a[i].inode);
		size_t steps = 0;

		while (o && !(o->pid == a[i].pid && o->fd == a[i].fd)) {
			if (o->inode != a[i].inode || ++steps > n)
				abort();
			o = procfd_next(m, o);
		}
		if (!o || strcmp(procfd_comm(m, o), comm))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_strndup(data, size), *save = NULL, comm[64];
	char *line = strtok_r(text, "\n", &save);
	struct added *a = calloc(size + 1, sizeof(*a));
	struct procfd_map m;
	size_t n = 0;

	if (!a)
		abort();
	procfd_init(&m);
	procfd_stat_comm(line ? line : "", line ? strlen(line) : 0, comm, sizeof(comm));
	while ((line = strtok_r(NULL, "\n", &save))) {
		int pid, fd, at = 0;
		uint64_t inode;

		if (sscanf(line, "%d %d %n", &pid, &fd, &at) != 2 || !at)
			continue;
		if (!procfd_socket_inode(line + at, strlen(line + at), &inode))
			continue;
		if (procfd_add(&m, inode, pid, fd, comm) < 0)
			abort();
		a[n++] = (struct added){ inode, pid, fd };
	}
	check(&m, a, n, comm);
	procfd_free(&m);
	free(a);
	free(text);
	return 0;
}
