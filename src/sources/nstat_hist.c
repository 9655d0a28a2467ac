/* The nstat history file; see nstat_hist.h for the format and the rules. */
#include "sources/nstat_hist.h"
#include "base/strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

static const char magic[] = "netlens-nstat-history 1\n";

/* 0 when dir is a real directory (not a symlink) of the effective user
 * that no one else can write; else -errno and *why. */
static int private_dir(const char *dir, const char **why)
{
	struct stat st;

	if (lstat(dir, &st) < 0)
		return *why = "cannot be examined", -errno;
	if (S_ISLNK(st.st_mode))
		return *why = "is a symbolic link", -ELOOP;
	if (!S_ISDIR(st.st_mode))
		return *why = "is not a directory", -ENOTDIR;
	if (st.st_uid != geteuid())
		return *why = "is owned by another user", -EPERM;
	if (st.st_mode & 077)
		return *why = "is open to group or others (it must be mode 0700)", -EACCES;
	return 0;
}

int nstat_hist_default_path(char *buf, size_t size, const char **why)
{
	const char *env = getenv("NETLENS_NSTAT_HISTORY"), *xdg = getenv("XDG_RUNTIME_DIR");
	const char *ignored;
	int err;

	*why = NULL;
	if (env && *env)
		return snprintf(buf, size, "%s", env) >= (int)size ? -ENAMETOOLONG : 0;
	if (xdg && xdg[0] == '/' && private_dir(xdg, &ignored) == 0)
		snprintf(buf, size, "%s/netlens", xdg);
	else if (geteuid() == 0)
		snprintf(buf, size, "/run/netlens");
	else if (snprintf(buf, size, "/run/user/%u", (unsigned)geteuid()),
		 private_dir(buf, &ignored) == 0)
		snprintf(buf + strlen(buf), size - strlen(buf), "/netlens");
	else
		return *why = "has no private directory to live in", buf[0] = '\0', -ENOENT;
	if (strlen(buf) + sizeof("/nstat") > size)
		return -ENAMETOOLONG;
	if (mkdir(buf, 0700) < 0 && errno != EEXIST)
		return *why = "cannot be created", -errno;
	if ((err = private_dir(buf, why)))
		return err;
	strcat(buf, "/nstat");
	return 0;
}

static int check_fd(int fd, const char **why)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return *why = "is not a regular file", -EINVAL;
	if (st.st_uid != geteuid())
		return *why = "is owned by another user", -EPERM;
	if (st.st_nlink != 1)
		return *why = "has other hard links", -EMLINK;
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return *why = "is writable by group or others", -EACCES;
	return 0;
}

int nstat_hist_open(const char *path, bool writable, int *fdp, const char **whyp)
{
	const char *dummy, **why = whyp ? whyp : &dummy;

	int flags = (writable ? O_RDWR : O_RDONLY) | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY;
	int fd = -1, err;

	for (int tries = 0; tries < 3 && fd < 0; tries++) {
		/* O_NONBLOCK: a FIFO planted at the path must not hang the open */
		fd = open(path, flags | O_NONBLOCK);
		if (fd >= 0 || errno != ENOENT)
			break;
		if (!writable)
			return -ENOENT;
		fd = open(path, flags | O_CREAT | O_EXCL, 0600);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	if (fd < 0) {
		if (errno == ELOOP)
			*why = "is a symbolic link";
		return -errno;
	}
	err = check_fd(fd, why);
	if (!err && flock(fd, writable ? LOCK_EX : LOCK_SH) < 0)
		err = -errno;
	if (!err)
		err = check_fd(fd, why); /* may have been replaced while we waited */
	if (err) {
		close(fd);
		return err;
	}
	*fdp = fd;
	return 0;
}

/* One line [*pos, eol) of text; returns false at the end. */
static bool get_line(const char *text, size_t len, size_t *pos, const char **line, size_t *n)
{
	if (*pos >= len)
		return false;
	const char *p = text + *pos, *nl = memchr(p, '\n', len - *pos);
	*line = p;
	*n = nl ? (size_t)(nl - p) : len - *pos;
	*pos += *n + (nl != NULL);
	return true;
}

static bool line_is(const char *line, size_t n, const char *word)
{
	size_t w = strlen(word);
	return n >= w && memcmp(line, word, w) == 0 && (n == w || line[w] == ' ');
}

void nstat_hist_parse(char *text, size_t len, const struct nstat_hist_id *id,
		      struct nstat_hist *h)
{
	const char *line;
	size_t pos = 0, n;
	char tmp[160];

	memset(h, 0, sizeof(*h));
	counters_init(&h->prev);
	h->text = text;
	h->len = len;
	if (len == 0)
		return;
	if (len < sizeof(magic) - 1 || memcmp(text, magic, sizeof(magic) - 1) != 0) {
		h->corrupt = true;
		return;
	}
	pos = sizeof(magic) - 1;
	if (!get_line(text, len, &pos, &line, &n) || !line_is(line, n, "boot") || n - 5 >= 64) {
		h->corrupt = true;
		return;
	}
	if (n - 5 != strlen(id->boot_id) || memcmp(line + 5, id->boot_id, n - 5) != 0) {
		h->other_boot = true;
		return;
	}
	while (get_line(text, len, &pos, &line, &n)) {
		uint64_t dev, ino;
		long long when;
		size_t start = (size_t)(line - text), body = pos;

		if (n == 0)
			continue;
		if (!line_is(line, n, "ns") || n >= sizeof(tmp)) {
			h->corrupt = true;
			return;
		}
		memcpy(tmp, line, n);
		tmp[n] = '\0';
		if (sscanf(tmp, "ns %" SCNu64 " %" SCNu64 " %lld", &dev, &ino, &when) != 3) {
			h->corrupt = true;
			return;
		}
		size_t body_end = pos;
		bool ended = false;
		while (get_line(text, len, &pos, &line, &n)) {
			if (n == 3 && memcmp(line, "end", 3) == 0) {
				ended = true;
				break;
			}
			body_end = pos;
		}
		if (!ended) {
			h->corrupt = true;
			return;
		}
		if (dev == id->ns_dev && ino == id->ns_ino && !h->found) {
			h->found = true;
			h->saved_at = (time_t)when;
			if (counters_parse_pairs(&h->prev, text + body, body_end - body) < 0) {
				counters_clear(&h->prev);
				h->found = false;
				h->corrupt = true;
				return;
			}
		} else if (h->nother < NSTAT_HIST_MAX_NS - 1) {
			h->other[h->nother].off = start;
			h->other[h->nother].len = pos - start;
			h->nother++;
		}
	}
}

int nstat_hist_load(int fd, const struct nstat_hist_id *id, struct nstat_hist *h)
{
	struct strbuf sb = STRBUF_INIT;

	for (;;) {
		sb_grow(&sb, 65536);
		ssize_t r = read(fd, sb.buf + sb.len, sb.cap - sb.len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int err = -errno;
			sb_free(&sb);
			return err;
		}
		if (r == 0)
			break;
		sb.len += (size_t)r;
		if (sb.len > (64u << 20)) {
			sb_free(&sb);
			return -EFBIG;
		}
	}
	if (!sb.buf)
		sb_grow(&sb, 1);
	sb.buf[sb.len] = '\0';
	nstat_hist_parse(sb.buf, sb.len, id, h);
	return 0;
}

int nstat_hist_save(int fd, const struct nstat_hist_id *id, const struct nstat_hist *h,
		    const struct counter_set *cur)
{
	struct strbuf sb = STRBUF_INIT;
	char num[32];
	int err = 0;

	sb_puts(&sb, magic);
	sb_printf(&sb, "boot %s\n", id->boot_id);
	if (cur) {
		sb_printf(&sb, "ns %" PRIu64 " %" PRIu64 " %lld\n", id->ns_dev, id->ns_ino,
			  (long long)time(NULL));
		for (size_t i = 0; i < cur->n; i++) {
			sb_puts(&sb, cur->v[i].name);
			snprintf(num, sizeof(num), " %" PRIu64 "\n", cur->v[i].value);
			sb_puts(&sb, num);
		}
		sb_puts(&sb, "end\n");
	}
	if (h && !h->other_boot && !h->corrupt)
		for (size_t i = 0; i < h->nother; i++) {
			sb_add(&sb, h->text + h->other[i].off, h->other[i].len);
			if (sb.buf[sb.len - 1] != '\n')
				sb_putc(&sb, '\n');
		}
	if (ftruncate(fd, 0) < 0) {
		err = -errno;
	} else {
		size_t off = 0;
		while (off < sb.len) {
			ssize_t w = pwrite(fd, sb.buf + off, sb.len - off, (off_t)off);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				err = w < 0 ? -errno : -EIO;
				break;
			}
			off += (size_t)w;
		}
	}
	sb_free(&sb);
	return err;
}

void nstat_hist_free(struct nstat_hist *h)
{
	free(h->text);
	counters_free(&h->prev);
	h->text = NULL;
}
