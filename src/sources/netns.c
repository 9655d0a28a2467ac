/* Entering namespaces, and naming netnsids. See netns.h. */
#include "sources/netns.h"
#include "base/filekind.h"
#include "sources/nl.h"
#include "sources/nlattr.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/magic.h>
#include <linux/net_namespace.h>
#include <linux/nsfs.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

static int refuse(char *why, size_t whylen, const char *fmt, const char *what)
{
	if (why && whylen)
		snprintf(why, whylen, fmt, what);
	return -EINVAL;
}

int netns_open_path(const char *path, struct stat *stp, char *why, size_t whylen)
{
	struct statfs sfs;
	struct stat st;
	int fd, type;

	if (why && whylen)
		why[0] = '\0';
	if (!*path)
		return refuse(why, whylen, "%s", "an empty path names no namespace");
	/* O_NONBLOCK: opening a FIFO planted at the path must not wait for a writer */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || fstatfs(fd, &sfs) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	if ((unsigned long)sfs.f_type != NSFS_MAGIC) {
		close(fd);
		return refuse(why, whylen, "it is %s, not a namespace file (nsfs, such as "
			      "/proc/PID/ns/net or /run/netns/NAME)", file_kind(st.st_mode));
	}
	type = ioctl(fd, NS_GET_NSTYPE);
	if (type >= 0 && type != CLONE_NEWNET) {
		close(fd);
		return refuse(why, whylen, "%s", "it is a namespace of another type, not a network "
			      "namespace (such as /proc/PID/ns/net)");
	}
	if (stp)
		*stp = st;
	return fd;
}

int netns_enter_path(const char *path, char *why, size_t whylen)
{
	int fd = netns_open_path(path, NULL, why, whylen);
	int err = 0;

	if (fd < 0)
		return fd;
	if (setns(fd, CLONE_NEWNET) < 0)
		err = -errno;
	close(fd);
	return err;
}

int netns_enter_name(const char *name, char *why, size_t whylen)
{
	char path[4096];

	if (!*name || strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return refuse(why, whylen, "%s", "it is not a name from 'ip netns list'");
	snprintf(path, sizeof(path), "/run/netns/%s", name);
	return netns_enter_path(path, why, whylen);
}

struct nsid_reply {
	int32_t nsid;
	int found;
};

static int on_nsid(const struct nlmsghdr *nlh, void *arg)
{
	struct nsid_reply *r = arg;
	struct nlattr_tb tb;
	int err;

	if (nlattr_msg_type(nlh) != RTM_NEWNSID)
		return 1;
	if ((err = nlattr_tb_msg(nlh, sizeof(struct rtgenmsg), &tb)))
		return err;
	r->found = nlattr_u32(tb.a[NETNSA_NSID], (uint32_t *)&r->nsid);
	return 1; /* one reply, no NLMSG_DONE: stop */
}

/* The id the current namespace gave the namespace of fd; -ENOENT for none. */
static int nsid_of_fd(struct nl_dump *d, int fd, int32_t *nsid)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nsid_reply r = { .nsid = NETNSA_NSID_NOT_ASSIGNED };
	struct rtgenmsg *g;
	int err;

	nlh->nlmsg_type = RTM_GETNSID;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->rtgen_family = AF_UNSPEC;
	mnl_attr_put_u32(nlh, NETNSA_FD, (uint32_t)fd);
	if ((err = nl_dump_run(d, nlh, on_nsid, &r)))
		return err;
	if (!r.found || r.nsid < 0)
		return -ENOENT;
	*nsid = r.nsid;
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct netns_name *)a)->name, ((const struct netns_name *)b)->name);
}

int netns_names_load(const char *dir, struct netns_names *out)
{
	struct nl_dump d;
	struct dirent *e;
	DIR *dp;
	int err = 0;

	memset(out, 0, sizeof(*out));
	if (!dir)
		dir = "/run/netns";
	dp = opendir(dir);
	if (!dp)
		return errno == ENOENT ? 0 : -errno;
	if ((err = nl_dump_open(&d, NETLINK_ROUTE))) {
		closedir(dp);
		return err;
	}
	while ((e = readdir(dp))) {
		int32_t nsid;
		if (e->d_name[0] == '.' || strlen(e->d_name) >= sizeof(out->v->name))
			continue;
		int fd = openat(dirfd(dp), e->d_name, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue; /* gone, or not ours to open: no name for it */
		int r = nsid_of_fd(&d, fd, &nsid);
		close(fd);
		if (r == -ENOENT || r == -EINVAL)
			continue; /* no id here, or not a namespace file */
		if (r) {
			err = r;
			break;
		}
		if (out->n == out->cap) {
			size_t nc = out->cap ? out->cap * 2 : 16;
			struct netns_name *p = realloc(out->v, nc * sizeof(*p));
			if (!p) {
				err = -ENOMEM;
				break;
			}
			out->v = p;
			out->cap = nc;
		}
		out->v[out->n].nsid = nsid;
		snprintf(out->v[out->n].name, sizeof(out->v->name), "%s", e->d_name);
		out->n++;
	}
	nl_dump_close(&d);
	closedir(dp);
	if (err) {
		netns_names_free(out);
		return err;
	}
	/* readdir order is the filesystem's: the first name by strcmp, always */
	if (out->n)
		qsort(out->v, out->n, sizeof(*out->v), by_name);
	return 0;
}

const char *netns_name_of(const struct netns_names *ns, int32_t nsid)
{
	for (size_t i = 0; i < ns->n; i++)
		if (ns->v[i].nsid == nsid)
			return ns->v[i].name;
	return NULL;
}

void netns_names_free(struct netns_names *ns)
{
	free(ns->v);
	memset(ns, 0, sizeof(*ns));
}
