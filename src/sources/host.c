/* The live host: files read whole, netlink dumps collected in memory. */
#include "sources/host.h"
#include "base/strbuf.h"
#include "sources/nl.h"

#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int host_read_file(struct host *h, const char *path, char **buf, size_t *len)
{
	return h->ops->read_file(h, path, buf, len);
}

int host_nl_dump(struct host *h, int protocol, const struct nlmsghdr *req, char **buf,
		 size_t *len)
{
	return h->ops->nl_dump(h, protocol, req, buf, len);
}

void host_close(struct host *h)
{
	if (h)
		h->ops->close(h);
}

static int live_read_file(struct host *h, const char *path, char **buf, size_t *len)
{
	struct strbuf sb = STRBUF_INIT;
	char full[4096];
	int fd, err = 0;

	if (snprintf(full, sizeof(full), "%s%s", h->root, path) >= (int)sizeof(full))
		return -ENAMETOOLONG;
	fd = open(full, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		/* procfs files must be read in one pass: their size is unknown */
		sb_grow(&sb, 16384);
		ssize_t n = read(fd, sb.buf + sb.len, sb.cap - sb.len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		if (n == 0)
			break;
		sb.len += (size_t)n;
		if (sb.len > HOST_FILE_MAX) {
			err = -EFBIG;
			break;
		}
	}
	close(fd);
	if (err) {
		sb_free(&sb);
		return err;
	}
	if (!sb.buf)
		sb_grow(&sb, 1);
	sb.buf[sb.len] = '\0';
	*buf = sb.buf;
	*len = sb.len;
	return 0;
}

static int collect(const struct nlmsghdr *nlh, void *arg)
{
	sb_add(arg, nlh, NLMSG_ALIGN(nlh->nlmsg_len));
	return 0;
}

static int live_nl_dump(struct host *h, int protocol, const struct nlmsghdr *req, char **buf,
			size_t *len)
{
	struct strbuf sb = STRBUF_INIT;
	struct nl_dump d;
	char *copy;
	int err;

	(void)h;
	copy = malloc(req->nlmsg_len);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, req, req->nlmsg_len);
	err = nl_dump_open(&d, protocol, NULL);
	if (!err) {
		err = nl_dump_run(&d, (struct nlmsghdr *)copy, collect, &sb);
		nl_dump_close(&d);
	}
	free(copy);
	if (err) {
		sb_free(&sb);
		return err;
	}
	/* end with NLMSG_DONE, as the kernel did, so the bytes replay alone */
	struct nlmsghdr done = { .nlmsg_len = NLMSG_LENGTH(sizeof(int)), .nlmsg_type = NLMSG_DONE };
	int status = 0;
	sb_add(&sb, &done, sizeof(done));
	sb_add(&sb, &status, sizeof(status));
	*buf = sb.buf;
	*len = sb.len;
	return 0;
}

static void live_close(struct host *h) { free(h); }

static const struct host_ops live_ops = {
	.read_file = live_read_file,
	.nl_dump = live_nl_dump,
	.close = live_close,
};

struct host *host_live(const char *root)
{
	struct host *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->ops = &live_ops;
	h->root = root ? root : "";
	return h;
}
