/* ss filter: resolution and the user-space matcher. ss_filter_resolve() turns the
 * words that need the host (`dev NAME`, `cgroup PATH`) into an interface index and a
 * cgroup v2 id; ss_filter_match() runs the parsed AST (filter.c builds it) over a
 * struct sock_rec. The matcher restates inet_diag_bc_run() (net/ipv4/inet_diag.c), so
 * that it accepts a socket exactly when the kernel running filter_bc.c's bytecode does.
 */
#include "ss/filter.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* First bits of a and b equal? (bitstring_match in the kernel) */
static bool prefix_eq(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	unsigned bytes = bits / 8, rest = bits % 8;

	if (memcmp(a, b, bytes))
		return false;
	return !rest || !((a[bytes] ^ b[bytes]) & (0xff << (8 - rest)));
}

static bool host_match(const struct ssf_node *n, const struct sock_rec *s)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	const uint8_t *a = n->dst ? s->dst : s->src;

	if (n->port != -1 && n->port != (n->dst ? s->dport : s->sport))
		return false;
	if (n->family != AF_UNSPEC && n->family != s->family)
		return s->family == AF_INET6 && n->family == AF_INET && !memcmp(a, mapped, 12) &&
		       prefix_eq(a + 12, n->addr, n->prefix_len);
	return n->prefix_len == 0 || prefix_eq(a, n->addr, n->prefix_len);
}

static bool run(const struct ss_filter *f, int id, const struct sock_rec *s)
{
	const struct ssf_node *n = &f->nodes[id];
	uint16_t port;

	switch (n->kind) {
	case SSF_AND:
		return run(f, n->a, s) && run(f, n->b, s);
	case SSF_OR:
		return run(f, n->a, s) || run(f, n->b, s);
	case SSF_NOT:
		return !run(f, n->a, s);
	case SSF_HOST:
		return host_match(n, s);
	case SSF_PORT:
		port = n->dst ? s->dport : s->sport;
		return n->cmp == SSF_EQ ? port == n->port
		       : n->cmp == SSF_GE ? port >= n->port : port <= n->port;
	case SSF_DEV:
		return s->ifindex == n->ifindex;
	case SSF_CGROUP:
		return s->cgroup_id == n->cgroup_id;
	case SSF_UNIX:
		return s->kind == SK_UNIX &&
		       fnmatch(f->strs[n->str], !n->dst && s->path ? s->path : "", FNM_CASEFOLD) == 0;
	}
	return false;
}

/* The cgroup v2 id of path: the directory's file handle, as iproute2's
 * get_cgroup2_id() reads it; a path that is not a directory on the file
 * system is looked up under the cgroup2 mount. */
static int cgroup_id(const char *path, uint64_t *id)
{
	struct {
		struct file_handle fh;
		uint64_t id;
	} h;
	char mnt[4096] = "", line[8192];
	int mnt_id, fd, err;
	FILE *m;

	memset(&h, 0, sizeof(h));
	h.fh.handle_bytes = sizeof(uint64_t);
	if (name_to_handle_at(AT_FDCWD, path, &h.fh, &mnt_id, 0) == 0)
		goto done;
	while (*path == '/')
		path++;
	if (!(m = fopen("/proc/self/mounts", "re")))
		return -errno;
	while (fgets(line, sizeof(line), m)) {
		char dev[256], dir[4096], type[64];
		if (sscanf(line, "%255s %4095s %63s", dev, dir, type) == 3 && !strcmp(type, "cgroup2")) {
			snprintf(mnt, sizeof(mnt), "%s", dir);
			break;
		}
	}
	fclose(m);
	if (!mnt[0])
		return -ENOTSUP;
	if ((fd = open(mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -errno;
	h.fh.handle_bytes = sizeof(uint64_t);
	err = *path ? name_to_handle_at(fd, path, &h.fh, &mnt_id, 0) : -1;
	err = err < 0 ? (*path ? -errno : -ENOENT) : 0;
	close(fd);
	if (err)
		return err;
done:
	if (h.fh.handle_bytes != sizeof(uint64_t))
		return -EINVAL;
	*id = h.id;
	return 0;
}

int ss_filter_resolve(struct ss_filter *f, bool live, struct ss_filter_error *err)
{
	for (int i = 0; f && i < f->nnodes; i++) {
		struct ssf_node *n = &f->nodes[i];
		const char *w = n->kind == SSF_DEV || n->kind == SSF_CGROUP ? f->strs[n->str] : NULL;
		char *end;
		int rc;

		if (n->kind == SSF_DEV) {
			unsigned long v;
			n->ifindex = live ? if_nametoindex(w) : 0;
			if (n->ifindex)
				continue;
			errno = 0;
			v = strtoul(w, &end, 10);
			if (*w >= '0' && *w <= '9' && !*end && !errno && v <= UINT32_MAX) {
				n->ifindex = (uint32_t)v;
				continue;
			}
			err->column = n->column;
			if (live)
				snprintf(err->msg, sizeof(err->msg), "no interface '%.20s' here: see "
					 "'ip link' for the names, or give an index", w);
			else
				snprintf(err->msg, sizeof(err->msg), "a snapshot is not read with this "
					 "host's interface names: give the index of '%.20s'", w);
			return -ENODEV;
		}
		if (n->kind != SSF_CGROUP)
			continue;
		if ((rc = cgroup_id(w, &n->cgroup_id)) < 0) {
			err->column = n->column;
			if (rc == -ENOTSUP)
				snprintf(err->msg, sizeof(err->msg), "no cgroup2 file system is mounted "
					 "to find '%.60s' in", w);
			else
				snprintf(err->msg, sizeof(err->msg), "cgroup '%.60s': %s (a cgroup v2 "
					 "directory, absolute or under the cgroup2 mount)", w, strerror(-rc));
			return rc;
		}
	}
	return 0;
}

bool ss_filter_match(const struct ss_filter *f, const struct sock_rec *s)
{
	return !ss_filter_has_expr(f) || run(f, f->root, s);
}
