/* Snapshot files: see snapshot.h for the format and the guarantees. */
#include "sources/snapshot.h"
#include "base/filekind.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

enum { HDR_LEN = 24, REC_HDR = 16 };

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const unsigned char *p) { return get32(p) | (uint64_t)get32(p + 4) << 32; }

static void put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void put64(unsigned char *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static size_t pad8(size_t n) { return (n + 7) & ~(size_t)7; }

static int fail(char *err, size_t errlen, int code, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return code;
}

size_t snap_dump_key(unsigned char key[8], int protocol, uint16_t type, uint8_t family,
		     uint8_t sub)
{
	put32(key, (uint32_t)protocol);
	key[4] = (unsigned char)type;
	key[5] = (unsigned char)(type >> 8);
	key[6] = family;
	key[7] = sub;
	return 8;
}

int snap_parse(struct snapshot *s, unsigned char *buf, size_t len, char *err, size_t errlen)
{
	size_t off, cap = 0;

	memset(s, 0, sizeof(*s));
	s->buf = buf;
	s->len = len;
	if (len < HDR_LEN || memcmp(buf, SNAP_MAGIC, 8) != 0)
		return fail(err, errlen, -EBADMSG, "not a netlens snapshot (bad magic)");
	if (get32(buf + 8) != SNAP_VERSION)
		return fail(err, errlen, -EPROTONOSUPPORT,
			    "snapshot format version %u is not supported (this netlens reads version %d)",
			    get32(buf + 8), SNAP_VERSION);
	if (get32(buf + 12) != HDR_LEN)
		return fail(err, errlen, -EBADMSG, "corrupt snapshot header");
	s->created_ns = get64(buf + 16);
	for (off = HDR_LEN;;) {
		if (len - off < REC_HDR)
			return fail(err, errlen, -EBADMSG,
				    "truncated snapshot: record at byte %zu is cut short", off);
		uint32_t kind = get32(buf + off), sample = get32(buf + off + 4);
		uint32_t klen = get32(buf + off + 8), dlen = get32(buf + off + 12);
		if (klen > SNAP_KEY_MAX || dlen > SNAP_DATA_MAX)
			return fail(err, errlen, -EBADMSG,
				    "corrupt snapshot: record at byte %zu claims %u key and %u data bytes",
				    off, klen, dlen);
		size_t body = pad8((size_t)klen + dlen);
		if (body > len - off - REC_HDR)
			return fail(err, errlen, -EBADMSG,
				    "truncated snapshot: record at byte %zu runs past the end", off);
		const unsigned char *key = buf + off + REC_HDR;
		if (kind == SNAP_END) {
			if (dlen != 8 || klen != 0 || sample != 0)
				return fail(err, errlen, -EBADMSG, "corrupt snapshot trailer");
			if (fp_bytes(buf, off) != get64(key))
				return fail(err, errlen, -EBADMSG,
					    "corrupt snapshot: contents do not match their checksum");
			if (off + REC_HDR + body != len)
				return fail(err, errlen, -EBADMSG,
					    "corrupt snapshot: %zu stray bytes after the end",
					    len - off - REC_HDR - body);
			return 0;
		}
		if (kind != SNAP_FILE && kind != SNAP_NLDUMP && kind != SNAP_META)
			return fail(err, errlen, -EBADMSG,
				    "corrupt snapshot: unknown record kind %u at byte %zu", kind, off);
		if (sample > 1)
			return fail(err, errlen, -EBADMSG,
				    "corrupt snapshot: sample %u at byte %zu", sample, off);
		if (s->nrecs == cap) {
			cap = cap ? cap * 2 : 256;
			struct snap_rec *r = realloc(s->recs, cap * sizeof(*r));
			if (!r)
				return fail(err, errlen, -ENOMEM, "out of memory reading the snapshot");
			s->recs = r;
		}
		s->recs[s->nrecs++] = (struct snap_rec){ kind, sample, key, klen, key + klen, dlen };
		off += REC_HDR + body;
	}
}

/* Reads n bytes from offset 0 of fd: 0, or -errno (-EIO when it ends early). */
static int read_whole(int fd, unsigned char *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = pread(fd, buf + got, n - got, (off_t)got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? -errno : -EIO;
		got += (size_t)r;
	}
	return 0;
}

int snap_open(struct snapshot *s, const char *path, char *err, size_t errlen)
{
	struct stat st;
	unsigned char *buf;
	int fd, ret;

	memset(s, 0, sizeof(*s));
	/* O_NONBLOCK: a FIFO at the path must not wait for a writer forever */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return fail(err, errlen, -errno, "cannot open snapshot %s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		close(fd);
		return fail(err, errlen, ret, "cannot open snapshot %s: %s", path, strerror(-ret));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return fail(err, errlen, -EINVAL,
			    "cannot read snapshot %s: it is %s, not a regular file (give the file "
			    "'netlens snapshot -o' wrote)", path, file_kind(st.st_mode));
	}
	if ((uint64_t)st.st_size > SNAP_FILE_MAX) {
		close(fd);
		return fail(err, errlen, -EFBIG, "%s is larger than a snapshot can be (1 GiB)", path);
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		return fail(err, errlen, -ENOMEM, "out of memory reading %s", path);
	}
	ret = read_whole(fd, buf, (size_t)st.st_size);
	close(fd);
	if (ret < 0) {
		free(buf);
		return fail(err, errlen, ret, "cannot read %s: %s", path,
			    ret == -EIO ? "it shrank while being read" : strerror(-ret));
	}
	ret = snap_parse(s, buf, (size_t)st.st_size, err, errlen);
	if (ret < 0)
		snap_close(s);
	return ret;
}

const struct snap_rec *snap_find(const struct snapshot *s, uint32_t kind, uint32_t sample,
				 const void *key, size_t key_len)
{
	for (size_t i = 0; i < s->nrecs; i++) {
		const struct snap_rec *r = &s->recs[i];
		if (r->kind == kind && r->sample == sample && r->key_len == key_len &&
		    memcmp(r->key, key, key_len) == 0)
			return r;
	}
	return NULL;
}

void snap_close(struct snapshot *s)
{
	free(s->buf);
	free(s->recs);
	memset(s, 0, sizeof(*s));
}

static void wr(struct snap_writer *w, const void *p, size_t n)
{
	if (w->err || !n)
		return;
	errno = 0;
	if (fwrite(p, 1, n, w->f) != n)
		w->err = errno ? -errno : -EIO; /* the write(2) that failed: ENOSPC, EDQUOT... */
	fp_update(&w->fp, p, n);
}

int snap_begin(struct snap_writer *w, FILE *f, uint64_t created_ns)
{
	unsigned char hdr[HDR_LEN];

	memset(w, 0, sizeof(*w));
	w->f = f;
	fp_init(&w->fp);
	memcpy(hdr, SNAP_MAGIC, 8);
	put32(hdr + 8, SNAP_VERSION);
	put32(hdr + 12, HDR_LEN);
	put64(hdr + 16, created_ns);
	wr(w, hdr, sizeof(hdr));
	return w->err;
}

int snap_add(struct snap_writer *w, uint32_t kind, uint32_t sample, const void *key,
	     size_t key_len, const void *data, size_t data_len)
{
	static const unsigned char zeros[8];
	unsigned char h[REC_HDR];

	if (key_len > SNAP_KEY_MAX || data_len > SNAP_DATA_MAX)
		return -EFBIG;
	put32(h, kind);
	put32(h + 4, sample);
	put32(h + 8, (uint32_t)key_len);
	put32(h + 12, (uint32_t)data_len);
	wr(w, h, sizeof(h));
	wr(w, key, key_len);
	wr(w, data, data_len);
	wr(w, zeros, pad8(key_len + data_len) - (key_len + data_len));
	return w->err;
}

int snap_finish(struct snap_writer *w)
{
	unsigned char h[REC_HDR], fp[8];

	put64(fp, fp_final(&w->fp));
	put32(h, SNAP_END);
	put32(h + 4, 0);
	put32(h + 8, 0);
	put32(h + 12, 8);
	wr(w, h, sizeof(h));
	wr(w, fp, sizeof(fp));
	errno = 0;
	if (!w->err && fflush(w->f) != 0)
		w->err = errno ? -errno : -EIO;
	return w->err;
}

int snap_add_meta(struct snap_writer *w, const char *name, const char *value)
{
	return snap_add(w, SNAP_META, 0, name, strlen(name), value, strlen(value));
}

int snap_add_host_meta(struct snap_writer *w, long interval_ms, unsigned samples)
{
	struct utsname u;
	char ms[32];

	if (uname(&u) < 0)
		memset(&u, 0, sizeof(u));
	snprintf(ms, sizeof(ms), "%ld", interval_ms);
	snap_add_meta(w, "netlens", NETLENS_VERSION);
	snap_add_meta(w, "hostname", u.nodename);
	snap_add_meta(w, "kernel", u.release);
	snap_add_meta(w, "interval_ms", ms);
	return snap_add_meta(w, "samples", samples > 1 ? "2" : "1");
}

/* ---- writing a file safely ---- */

/* The temporary file of the snap_out being written, removed by the handler
 * when SIGTERM, SIGINT or SIGHUP ends the process before the rename: a
 * killed `snapshot` leaves no hidden file behind. The handler is installed
 * only over the default action (an ignored signal stays ignored) and only
 * while a file is pending; pending_tmp changes with those signals blocked. */
static const int fatal_signals[] = { SIGTERM, SIGINT, SIGHUP };
enum { NFATAL = sizeof(fatal_signals) / sizeof(fatal_signals[0]) };
static char *volatile pending_tmp;
static struct sigaction saved_action[NFATAL];
static bool handler_installed[NFATAL];

static void remove_pending_then_die(int sig)
{
	char *tmp = pending_tmp;

	if (tmp)
		unlink(tmp); /* async-signal-safe, as is raise() */
	raise(sig);          /* SA_RESETHAND: the default action, once we return */
}

static void block_fatal_signals(sigset_t *old)
{
	sigset_t set;

	sigemptyset(&set);
	for (int i = 0; i < NFATAL; i++)
		sigaddset(&set, fatal_signals[i]);
	sigprocmask(SIG_BLOCK, &set, old);
}

/* Creates tmp (O_EXCL) and, when created, makes it the pending file. */
static int create_pending(char *tmp)
{
	struct sigaction act = { .sa_handler = remove_pending_then_die, .sa_flags = SA_RESETHAND };
	sigset_t old;
	int fd, e;

	block_fatal_signals(&old);
	/* read-write: snap_out_load() reads it back */
	fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	e = errno;
	if (fd >= 0) {
		sigemptyset(&act.sa_mask);
		for (int i = 0; i < NFATAL; i++) {
			struct sigaction cur;
			handler_installed[i] = sigaction(fatal_signals[i], NULL, &cur) == 0 &&
					       !(cur.sa_flags & SA_SIGINFO) && cur.sa_handler == SIG_DFL &&
					       sigaction(fatal_signals[i], &act, &saved_action[i]) == 0;
		}
		pending_tmp = tmp;
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	errno = e;
	return fd;
}

/* Called with the fatal signals blocked, once the file is renamed or gone. */
static void forget_pending(void)
{
	pending_tmp = NULL;
	for (int i = 0; i < NFATAL; i++)
		if (handler_installed[i])
			sigaction(fatal_signals[i], &saved_action[i], NULL);
	memset(handler_installed, 0, sizeof(handler_installed));
}

static void out_free(struct snap_out *o)
{
	free(o->target);
	free(o->tmp);
	memset(o, 0, sizeof(*o));
}

int snap_out_open(struct snap_out *o, const char *target, char *err, size_t errlen)
{
	const char *slash = strrchr(target, '/');
	const char *base = slash ? slash + 1 : target;
	size_t dirlen = slash ? (size_t)(slash - target) + 1 : 0;
	struct stat st;
	int fd = -1;

	memset(o, 0, sizeof(*o));
	if (!*base)
		return fail(err, errlen, -EISDIR, "cannot write %s: give a file name, not a directory",
			    target);
	if (lstat(target, &st) == 0) {
		if (S_ISLNK(st.st_mode))
			return fail(err, errlen, -ELOOP,
				    "refusing to write %s: it is a symbolic link (remove it, or "
				    "choose another name)", target);
		if (!S_ISREG(st.st_mode))
			return fail(err, errlen, -EINVAL,
				    "refusing to write %s: it exists and is not a regular file", target);
		if (st.st_uid != geteuid())
			return fail(err, errlen, -EPERM,
				    "refusing to write %s: it belongs to uid %u, not to you (remove "
				    "it, or choose another name)", target, (unsigned)st.st_uid);
	} else if (errno != ENOENT) {
		return fail(err, errlen, -errno, "cannot write %s: %s", target, strerror(errno));
	}
	o->target = strdup(target);
	/* "<dir>/.<base>.XXXXXXXX" beside the target, so rename() stays on one
	 * file system and the name never collides with a snapshot */
	o->tmp = malloc(dirlen + strlen(base) + 16);
	if (!o->target || !o->tmp) {
		out_free(o);
		return fail(err, errlen, -ENOMEM, "out of memory");
	}
	for (int tries = 0; fd < 0 && tries < 100; tries++) {
		uint32_t rnd;
		if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
			rnd = (uint32_t)getpid() * 2654435761u + (uint32_t)tries;
		sprintf(o->tmp, "%.*s.%s.%08x", (int)dirlen, target, base, rnd);
		fd = create_pending(o->tmp);
		if (fd < 0 && errno != EEXIST) {
			int e = errno;
			if (e == ENOENT || e == ENOTDIR)
				fail(err, errlen, -e, "cannot write %s: its directory does not exist",
				     target);
			else
				fail(err, errlen, -e, "cannot write %s: %s (creating a temporary file "
				     "beside it)", target, strerror(e));
			out_free(o);
			return -e;
		}
	}
	if (fd < 0) {
		fail(err, errlen, -EEXIST, "cannot write %s: no free temporary name beside it", target);
		out_free(o);
		return -EEXIST;
	}
	/* exactly 0600 whatever the umask: a snapshot shows every socket */
	if (fchmod(fd, 0600) < 0 || !(o->f = fdopen(fd, "wb"))) {
		int e = errno;
		close(fd);
		snap_out_abort(o);
		return fail(err, errlen, -e, "cannot write %s: %s", target, strerror(e));
	}
	return 0;
}

int snap_out_load(struct snap_out *o, struct snapshot *s, char *err, size_t errlen)
{
	struct stat st;
	unsigned char *buf;
	int fd = fileno(o->f), ret;

	memset(s, 0, sizeof(*s));
	if (fflush(o->f) != 0 || fstat(fd, &st) < 0)
		return fail(err, errlen, -errno, "writing %s: %s", o->target, strerror(errno));
	if ((uint64_t)st.st_size > SNAP_FILE_MAX)
		return fail(err, errlen, -EFBIG, "%s is larger than a snapshot can be (1 GiB)", o->tmp);
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return fail(err, errlen, -ENOMEM, "out of memory reading %s back", o->tmp);
	ret = read_whole(fd, buf, (size_t)st.st_size);
	if (ret < 0) {
		free(buf);
		return fail(err, errlen, ret, "reading %s back: %s", o->tmp,
			    ret == -EIO ? "it is shorter than what was written" : strerror(-ret));
	}
	ret = snap_parse(s, buf, (size_t)st.st_size, err, errlen);
	if (ret < 0)
		snap_close(s);
	return ret;
}

int snap_out_commit(struct snap_out *o, char *err, size_t errlen)
{
	int ret = 0;

	if (fflush(o->f) != 0 || fsync(fileno(o->f)) != 0)
		ret = -errno;
	if (fclose(o->f) != 0 && !ret)
		ret = -errno;
	o->f = NULL;
	sigset_t old;
	block_fatal_signals(&old);
	if (!ret && rename(o->tmp, o->target) != 0)
		ret = -errno;
	if (ret)
		unlink(o->tmp);
	forget_pending();
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (ret) {
		fail(err, errlen, ret, "writing %s: %s", o->target, strerror(-ret));
	} else {
		/* the rename itself survives a crash once the directory is on disk */
		const char *slash = strrchr(o->target, '/');
		char *dir = slash ? strndup(o->target, (size_t)(slash - o->target) + 1) : NULL;
		int dfd = open(dir ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {
			fsync(dfd);
			close(dfd);
		}
		free(dir);
	}
	out_free(o);
	return ret;
}

void snap_out_abort(struct snap_out *o)
{
	sigset_t old;

	if (o->f)
		fclose(o->f);
	block_fatal_signals(&old);
	if (o->tmp && pending_tmp == o->tmp)
		unlink(o->tmp);
	forget_pending();
	sigprocmask(SIG_SETMASK, &old, NULL);
	out_free(o);
}
