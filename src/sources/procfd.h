/* Socket owners: one pass over /proc/PID/fd/ builds a map from socket inode
 * to the processes (pid, fd, command) holding it, as `ss -p` shows.
 *
 * The map owns all its memory; procfd_lookup() returns entries valid until
 * procfd_free(). Processes whose fd directory cannot be read (another
 * user's, without root) are counted in `denied`, so the caller can say what
 * is missing instead of silently showing nothing.
 */
#ifndef NETLENS_PROCFD_H
#define NETLENS_PROCFD_H

#include <stddef.h>
#include <stdint.h>

struct procfd_owner {
	uint64_t inode;
	int pid;
	int fd;
	uint32_t comm; /* offset of the command name in the map's string pool */
	int next;      /* next owner of the same inode, or -1 */
};

struct procfd_map {
	struct procfd_owner *owners;
	size_t n, cap;
	int *slots; /* open-addressing hash: index of the first owner, or -1 */
	size_t nslots;
	char *pool;
	size_t pool_len, pool_cap;
	unsigned denied; /* processes whose fds could not be read */
};

/* proc_root is normally "/proc". Returns 0 or -errno. */
int procfd_scan(struct procfd_map *m, const char *proc_root);
/* First owner of inode, or NULL; follow ->next (an index) for the others. */
const struct procfd_owner *procfd_lookup(const struct procfd_map *m, uint64_t inode);
const struct procfd_owner *procfd_next(const struct procfd_map *m, const struct procfd_owner *o);
const char *procfd_comm(const struct procfd_map *m, const struct procfd_owner *o);
void procfd_free(struct procfd_map *m);

#endif
