/* A fast 64-bit fingerprint of a byte stream (8 bytes at a time, a
 * multiply-xorshift mix): tells whether the running kernel's BTF is the one
 * netlens was built against, and whether a snapshot file is intact. Not
 * cryptographic: it guards against change and corruption, not an adversary.
 * Header-only so the build-time tool and netlens share one definition.
 * The result depends only on the bytes, not on how they were split. */
#ifndef NETLENS_FINGERPRINT_H
#define NETLENS_FINGERPRINT_H

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

struct fp_state {
	uint64_t h, total;
	unsigned char tail[8];
	size_t tail_len;
};

static inline uint64_t fp_mix(uint64_t h, uint64_t v)
{
	h ^= v * 0x9e3779b97f4a7c15ull;
	h = (h << 27 | h >> 37) * 0xff51afd7ed558ccdull;
	return h ^ (h >> 29);
}

static inline void fp_init(struct fp_state *s)
{
	memset(s, 0, sizeof(*s));
	s->h = 0x6e65746c656e73ull;
}

static inline void fp_update(struct fp_state *s, const void *data, size_t n)
{
	const unsigned char *p = data;
	uint64_t v;

	s->total += n;
	while (s->tail_len && n) {
		s->tail[s->tail_len++] = *p++;
		n--;
		if (s->tail_len == 8) {
			memcpy(&v, s->tail, 8);
			s->h = fp_mix(s->h, v);
			s->tail_len = 0;
		}
	}
	for (; n >= 8; p += 8, n -= 8) {
		memcpy(&v, p, 8);
		s->h = fp_mix(s->h, v);
	}
	memcpy(s->tail, p, n);
	s->tail_len += n;
}

static inline uint64_t fp_final(const struct fp_state *s)
{
	uint64_t h = s->h;

	for (size_t i = 0; i < s->tail_len; i++)
		h = fp_mix(h, s->tail[i]);
	return fp_mix(h, s->total);
}

static inline uint64_t fp_bytes(const void *data, size_t n)
{
	struct fp_state s;

	fp_init(&s);
	fp_update(&s, data, n);
	return fp_final(&s);
}

/* 0 and *out set, or -errno. */
static inline int fp_file(const char *path, uint64_t *out)
{
	unsigned char buf[1 << 16];
	struct fp_state s;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	fp_init(&s);
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			int err = -errno;
			close(fd);
			return err;
		}
		if (n == 0)
			break;
		fp_update(&s, buf, (size_t)n);
	}
	close(fd);
	*out = fp_final(&s);
	return 0;
}

#endif
