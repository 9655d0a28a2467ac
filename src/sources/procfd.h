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

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct procfd_owner {
	uint64_t inode;
	int pid;
	int fd;
	uint32_t comm; /* offset of the command name in the map's string pool */
	int next;      /* next owner of the same inode, or -1 */
	int tid;       /* the thread whose fd table was read (the pid unless
			* procfd_scan_threads() found it in another thread) */
};

struct procfd_map {
	struct procfd_owner *owners;
	size_t n, cap;
	int *slots; /* open-addressing hash: index of the first owner, or -1 */
	size_t nslots;
	char *pool;
	size_t pool_len, pool_cap;
	unsigned denied; /* processes whose fds could not be read */
	/* the pooled name of the last process added (procfd_add) */
	int comm_pid;
	uint32_t comm_off;
	bool have_comm;
};

/* proc_root is normally "/proc". Returns 0 or -errno; on an error the map
 * holds nothing (procfd_free() is harmless, not needed). */
int procfd_scan(struct procfd_map *m, const char *proc_root);
/* The same, also reading every other thread's fd table (/proc/TID/fd), as
 * `ss -T` shows them: a socket in a table the threads share has one owner
 * per thread, each with its tid and the thread's own name. */
int procfd_scan_threads(struct procfd_map *m, const char *proc_root);
/* The pure parts of a scan, for tests and fuzzers: procfd_scan() reads
 * the links and /proc/PID/stat and hands the bytes to these. */
void procfd_init(struct procfd_map *m); /* an empty map */
/* The inode of a /proc/PID/fd link's text, "socket:[INODE]" (len bytes, no
 * NUL needed); false for anything else (files, pipes, a cut-off link). */
bool procfd_socket_inode(const char *link, size_t len, uint64_t *inode);
/* The command name in /proc/PID/stat text ("pid (comm) state ..."; the name
 * may hold ')' and blanks) into out; "?" when it has none. */
void procfd_stat_comm(const char *stat, size_t len, char *out, size_t cap);
/* Records that process pid, named comm, holds socket inode as fd; calls for
 * one process in a row share one copy of the name. 0 or -ENOMEM. */
int procfd_add(struct procfd_map *m, uint64_t inode, int pid, int fd, const char *comm);

/* First owner of inode, or NULL; follow ->next (an index) for the others. */
const struct procfd_owner *procfd_lookup(const struct procfd_map *m, uint64_t inode);
const struct procfd_owner *procfd_next(const struct procfd_map *m, const struct procfd_owner *o);
const char *procfd_comm(const struct procfd_map *m, const struct procfd_owner *o);
void procfd_free(struct procfd_map *m);

#endif
