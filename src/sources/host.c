/* The live host: files read whole, netlink dumps collected in memory. */
#include "sources/host.h"
#include "base/strbuf.h"
#include "sources/nl.h"
#include "sources/snapshot.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
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

int host_record_blob(struct host *h, const char *name, const void *data, size_t len)
{
	if (!h->rec)
		return 0;
	return snap_add(h->rec, SNAP_FILE, h->sample, name, strlen(name), data, len);
}

void host_close(struct host *h)
{
	if (h)
		h->ops->close(h);
}

size_t host_dump_key(unsigned char key[8], int protocol, const struct nlmsghdr *req)
{
	const unsigned char *p = (const unsigned char *)req + NLMSG_HDRLEN;
	size_t plen = req->nlmsg_len > NLMSG_HDRLEN ? req->nlmsg_len - NLMSG_HDRLEN : 0;
	uint8_t family = plen > 0 ? p[0] : 0;
	uint8_t sub = protocol == NETLINK_SOCK_DIAG && plen > 1 ? p[1] : 0;

	return snap_dump_key(key, protocol, req->nlmsg_type, family, sub);
}

/* What a snapshot records instead of a secret, or NULL to record the file
 * as read. A snapshot is made to be shared, so a setting only root may
 * read (mode without S_IROTH under /proc/sys: the bpf_jit_* settings, the
 * IPv6 stable_secret) is recorded as "redacted"; of the TCP Fast Open key
 * only whether one is set is kept (no key reads as all zeros). */
static const char *recorded_stand_in(const char *path, mode_t mode, const char *buf, size_t len)
{
	if (strncmp(path, "/proc/sys/", 10) != 0 || (mode & S_IROTH))
		return NULL;
	if (strcmp(path, "/proc/sys/net/ipv4/tcp_fastopen_key") == 0) {
		for (size_t i = 0; i < len; i++)
			if (isxdigit((unsigned char)buf[i]) && buf[i] != '0')
				return "set\n";
		return "unset\n";
	}
	return "redacted\n";
}

/* A read whose recording failed (a full disk) fails: the caller gets the
 * writer's error and no buffer. */
static int recorded_or_free(int err, char **buf)
{
	if (err) {
		free(*buf);
		*buf = NULL;
	}
	return err;
}

static int live_read_file(struct host *h, const char *path, char **buf, size_t *len)
{
	struct strbuf sb = STRBUF_INIT;
	struct stat st = { 0 };
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
	if (!err && h->rec && fstat(fd, &st) < 0)
		err = -errno;
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
	if (h->rec) {
		const char *stand_in = recorded_stand_in(path, st.st_mode, sb.buf, sb.len);
		err = snap_add(h->rec, SNAP_FILE, h->sample, path, strlen(path),
			       stand_in ? stand_in : sb.buf, stand_in ? strlen(stand_in) : sb.len);
	}
	return recorded_or_free(err, buf);
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

	copy = malloc(req->nlmsg_len);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, req, req->nlmsg_len);
	err = nl_dump_open(&d, protocol);
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
	if (h->rec) {
		unsigned char key[8];
		size_t klen = host_dump_key(key, protocol, req);
		err = snap_add(h->rec, SNAP_NLDUMP, h->sample, key, klen, sb.buf, sb.len);
	}
	return recorded_or_free(err, buf);
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

struct host *host_recording(struct snap_writer *w)
{
	struct host *h = host_live(NULL);

	if (h)
		h->rec = w;
	return h;
}

/* ---- recorded ---- */

static int copy_out(const struct snap_rec *r, char **buf, size_t *len)
{
	char *b = malloc((size_t)r->data_len + 1);

	if (!b)
		return -ENOMEM;
	memcpy(b, r->data, r->data_len);
	b[r->data_len] = '\0';
	*buf = b;
	*len = r->data_len;
	return 0;
}

static int rec_read_file(struct host *h, const char *path, char **buf, size_t *len)
{
	const struct snap_rec *r = snap_find(h->snap, SNAP_FILE, h->sample, path, strlen(path));

	return r ? copy_out(r, buf, len) : -ENOENT;
}

static int rec_nl_dump(struct host *h, int protocol, const struct nlmsghdr *req, char **buf,
		       size_t *len)
{
	unsigned char key[8];
	size_t klen = host_dump_key(key, protocol, req);
	const struct snap_rec *r = snap_find(h->snap, SNAP_NLDUMP, h->sample, key, klen);

	return r ? copy_out(r, buf, len) : -ENOENT;
}

static void rec_close(struct host *h)
{
	snap_close(h->snap);
	free(h->snap);
	free(h);
}

static const struct host_ops recorded_ops = {
	.read_file = rec_read_file,
	.nl_dump = rec_nl_dump,
	.close = rec_close,
};

struct host *host_recorded(struct snapshot *snap)
{
	struct host *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->ops = &recorded_ops;
	h->root = "";
	h->snap = snap;
	return h;
}

int host_open(const char *from, struct host **out, char *err, size_t errlen)
{
	struct snapshot *snap;
	int ret;

	*out = NULL;
	if (!from) {
		*out = host_live(getenv("NETLENS_PROC_ROOT"));
		if (!*out)
			return snprintf(err, errlen, "out of memory"), -ENOMEM;
		return 0;
	}
	snap = calloc(1, sizeof(*snap));
	if (!snap)
		return snprintf(err, errlen, "out of memory"), -ENOMEM;
	ret = snap_open(snap, from, err, errlen);
	if (ret < 0) {
		free(snap);
		return ret;
	}
	*out = host_recorded(snap);
	if (!*out) {
		snap_close(snap);
		free(snap);
		return snprintf(err, errlen, "out of memory"), -ENOMEM;
	}
	return 0;
}

int host_meta(struct host *h, const char *name, char *buf, size_t size)
{
	const struct snap_rec *r;

	if (!h->snap || !size)
		return -ENOENT;
	r = snap_find(h->snap, SNAP_META, 0, name, strlen(name));
	if (!r)
		return -ENOENT;
	size_t n = r->data_len < size - 1 ? r->data_len : size - 1;
	memcpy(buf, r->data, n);
	buf[n] = '\0';
	return 0;
}

double host_snapshot_interval(struct host *h)
{
	char buf[32], samples[8];

	if (!h->snap || host_meta(h, "samples", samples, sizeof(samples)) < 0 ||
	    strcmp(samples, "2") != 0 || host_meta(h, "interval_ms", buf, sizeof(buf)) < 0)
		return 0;
	return strtod(buf, NULL) / 1000.0;
}

double host_sample_time(struct host *h)
{
	struct timespec ts;

	if (h->snap)
		return (double)h->snap->created_ns / 1e9 + h->sample * host_snapshot_interval(h);
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
