/* Snapshot files: see snapshot.h for the format and the guarantees. */
#include "sources/snapshot.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

int snap_open(struct snapshot *s, const char *path, char *err, size_t errlen)
{
	struct stat st;
	unsigned char *buf;
	FILE *f = fopen(path, "rbe");
	int ret;

	memset(s, 0, sizeof(*s));
	if (!f)
		return fail(err, errlen, -errno, "cannot open snapshot %s: %s", path, strerror(errno));
	if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode)) {
		fclose(f);
		return fail(err, errlen, -EINVAL, "%s is not a regular file", path);
	}
	if ((uint64_t)st.st_size > SNAP_FILE_MAX) {
		fclose(f);
		return fail(err, errlen, -EFBIG, "%s is larger than a snapshot can be (1 GiB)", path);
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		fclose(f);
		return fail(err, errlen, -ENOMEM, "out of memory reading %s", path);
	}
	size_t n = fread(buf, 1, (size_t)st.st_size, f);
	fclose(f);
	if (n != (size_t)st.st_size) {
		free(buf);
		return fail(err, errlen, -EIO, "cannot read %s", path);
	}
	ret = snap_parse(s, buf, n, err, errlen);
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
	if (fwrite(p, 1, n, w->f) != n)
		w->err = -EIO;
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
	if (!w->err && fflush(w->f) != 0)
		w->err = -EIO;
	return w->err;
}
