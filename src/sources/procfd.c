#include "sources/procfd.h"

#include <ctype.h>
#include <stdbool.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static size_t hash_inode(uint64_t ino, size_t nslots)
{
	ino *= 0x9e3779b97f4a7c15ull;
	return (size_t)(ino >> 17) & (nslots - 1);
}

static int grow_slots(struct procfd_map *m)
{
	size_t nslots = m->nslots ? m->nslots * 2 : 1024;
	int *slots = malloc(nslots * sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	memset(slots, 0xff, nslots * sizeof(*slots));
	/* rehash the chain heads (owners not yet chained stay chained) */
	for (size_t i = 0; i < m->nslots; i++) {
		int head = m->slots[i];
		if (head < 0)
			continue;
		size_t h = hash_inode(m->owners[head].inode, nslots);
		while (slots[h] >= 0)
			h = (h + 1) & (nslots - 1);
		slots[h] = head;
	}
	free(m->slots);
	m->slots = slots;
	m->nslots = nslots;
	return 0;
}

static int add_owner(struct procfd_map *m, uint64_t ino, int pid, int tid, int fd, uint32_t comm)
{
	if (m->nslots == 0 && grow_slots(m) < 0)
		return -ENOMEM;
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 1024;
		struct procfd_owner *o = realloc(m->owners, cap * sizeof(*o));
		if (!o)
			return -ENOMEM;
		m->owners = o;
		m->cap = cap;
	}
	if (m->n * 2 >= m->nslots && grow_slots(m) < 0)
		return -ENOMEM;
	int idx = (int)m->n++;
	m->owners[idx] = (struct procfd_owner){ ino, pid, fd, comm, -1, tid };
	size_t h = hash_inode(ino, m->nslots);
	while (m->slots[h] >= 0) {
		struct procfd_owner *head = &m->owners[m->slots[h]];
		if (head->inode == ino) {
			/* append, so owners keep the order they were found in */
			while (head->next >= 0)
				head = &m->owners[head->next];
			head->next = idx;
			return 0;
		}
		h = (h + 1) & (m->nslots - 1);
	}
	m->slots[h] = idx;
	return 0;
}

static int pool_add(struct procfd_map *m, const char *s, uint32_t *off)
{
	size_t n = strlen(s) + 1;

	if (m->pool_len + n > m->pool_cap) {
		size_t cap = m->pool_cap ? m->pool_cap * 2 : 4096;
		while (cap < m->pool_len + n)
			cap *= 2;
		char *p = realloc(m->pool, cap);
		if (!p)
			return -ENOMEM;
		m->pool = p;
		m->pool_cap = cap;
	}
	memcpy(m->pool + m->pool_len, s, n);
	*off = (uint32_t)m->pool_len;
	m->pool_len += n;
	return 0;
}

void procfd_stat_comm(const char *stat, size_t len, char *out, size_t cap)
{
	const char *l = memchr(stat, '(', len), *r = NULL;

	/* the last ')': the name itself may hold one */
	for (size_t i = len; l && i > (size_t)(l - stat) + 1; i--)
		if (stat[i - 1] == ')') {
			r = stat + i - 1;
			break;
		}
	if (!r)
		snprintf(out, cap, "?");
	else
		snprintf(out, cap, "%.*s", (int)(r - l - 1), l + 1);
}

/* The command name from /proc/PID/stat. */
static void read_comm(int procfd, const char *pid, char *out, size_t cap)
{
	char path[300], buf[512];
	int fd;
	ssize_t n = -1;

	snprintf(path, sizeof(path), "%s/stat", pid);
	fd = openat(procfd, path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf));
		close(fd);
	}
	procfd_stat_comm(buf, n > 0 ? (size_t)n : 0, out, cap);
}

bool procfd_socket_inode(const char *link, size_t len, uint64_t *inode)
{
	static const char prefix[] = "socket:[";
	const size_t plen = sizeof(prefix) - 1;
	uint64_t v = 0;
	size_t i;

	if (len < plen + 2 || memcmp(link, prefix, plen) != 0 || link[len - 1] != ']')
		return false;
	for (i = plen; i < len - 1; i++) {
		uint64_t d = (uint64_t)(link[i] - '0');
		if (link[i] < '0' || link[i] > '9' || v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*inode = v;
	return true;
}

static int add_task(struct procfd_map *m, uint64_t inode, int pid, int tid, int fd,
		    const char *comm)
{
	int err;

	if (!m->have_comm || m->comm_pid != tid) {
		if ((err = pool_add(m, comm, &m->comm_off)) < 0)
			return err;
		m->have_comm = true;
		m->comm_pid = tid;
	}
	return add_owner(m, inode, pid, tid, fd, m->comm_off);
}

int procfd_add(struct procfd_map *m, uint64_t inode, int pid, int fd, const char *comm)
{
	return add_task(m, inode, pid, pid, fd, comm);
}

/* One task's fd table: pid's own (tid == pid), or a thread's through
 * /proc/TID, which procfs serves though readdir does not list it. */
static int scan_task(struct procfd_map *m, int procfd, int pid, const char *tid)
{
	char path[300], link[64], comm[64];
	bool have_comm = false;
	int dfd, err = 0;
	DIR *d;
	struct dirent *e;

	snprintf(path, sizeof(path), "%s/fd", tid);
	dfd = openat(procfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		if ((errno == EACCES || errno == EPERM) && atoi(tid) == pid)
			m->denied++;
		return 0; /* gone, or not ours */
	}
	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return 0;
	}
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		ssize_t n = readlinkat(dfd, e->d_name, link, sizeof(link));
		uint64_t ino;
		if (n <= 0 || !procfd_socket_inode(link, (size_t)n, &ino))
			continue;
		if (!have_comm) {
			read_comm(procfd, tid, comm, sizeof(comm));
			have_comm = true;
		}
		if ((err = add_task(m, ino, pid, atoi(tid), atoi(e->d_name), comm)) < 0)
			break;
	}
	closedir(d);
	return err;
}

/* Every thread of pid but the leader, read after it. */
static int scan_threads(struct procfd_map *m, int procfd, const char *pid)
{
	char path[300];
	int dfd, err = 0;
	struct dirent *e;
	DIR *d;

	snprintf(path, sizeof(path), "%s/task", pid);
	dfd = openat(procfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return 0;
	if (!(d = fdopendir(dfd))) {
		close(dfd);
		return 0;
	}
	while ((e = readdir(d)) && !err) {
		if (!isdigit((unsigned char)e->d_name[0]) || !strcmp(e->d_name, pid))
			continue;
		err = scan_task(m, procfd, atoi(pid), e->d_name);
	}
	closedir(d);
	return err;
}

static int scan(struct procfd_map *m, const char *proc_root, bool threads)
{
	int procfd, err = 0;
	DIR *d;
	struct dirent *e;

	procfd_init(m);
	if (grow_slots(m) < 0)
		return -ENOMEM;
	procfd = open(proc_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	d = procfd < 0 ? NULL : fdopendir(procfd);
	if (!d) {
		err = -errno;
		if (procfd >= 0)
			close(procfd);
		procfd_free(m); /* callers free only what succeeded */
		return err;
	}
	while ((e = readdir(d)) && !err) {
		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		err = scan_task(m, procfd, atoi(e->d_name), e->d_name);
		if (!err && threads)
			err = scan_threads(m, procfd, e->d_name);
	}
	closedir(d);
	if (err)
		procfd_free(m);
	return err;
}

int procfd_scan(struct procfd_map *m, const char *proc_root)
{
	return scan(m, proc_root, false);
}

int procfd_scan_threads(struct procfd_map *m, const char *proc_root)
{
	return scan(m, proc_root, true);
}

void procfd_init(struct procfd_map *m)
{
	memset(m, 0, sizeof(*m));
}

const struct procfd_owner *procfd_lookup(const struct procfd_map *m, uint64_t inode)
{
	if (!m->nslots)
		return NULL;
	size_t h = hash_inode(inode, m->nslots);
	while (m->slots[h] >= 0) {
		const struct procfd_owner *o = &m->owners[m->slots[h]];
		if (o->inode == inode)
			return o;
		h = (h + 1) & (m->nslots - 1);
	}
	return NULL;
}

const struct procfd_owner *procfd_next(const struct procfd_map *m, const struct procfd_owner *o)
{
	return o->next >= 0 ? &m->owners[o->next] : NULL;
}

const char *procfd_comm(const struct procfd_map *m, const struct procfd_owner *o)
{
	return m->pool + o->comm;
}

void procfd_free(struct procfd_map *m)
{
	free(m->owners);
	free(m->slots);
	free(m->pool);
	memset(m, 0, sizeof(*m));
}
