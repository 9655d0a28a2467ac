/* A fast 64-bit fingerprint of a file's bytes (8 bytes at a time, a
 * multiply-xorshift mix), used to tell whether the running kernel's BTF is
 * the one netlens was built against. Not cryptographic: it guards against
 * a changed kernel, not an adversary (who could load BPF anyway).
 * Header-only so the build-time tool and netlens share one definition. */
#ifndef NETLENS_FINGERPRINT_H
#define NETLENS_FINGERPRINT_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

static inline uint64_t fp_mix(uint64_t h, uint64_t v)
{
	h ^= v * 0x9e3779b97f4a7c15ull;
	h = (h << 27 | h >> 37) * 0xff51afd7ed558ccdull;
	return h ^ (h >> 29);
}

/* 0 and *out set, or -errno. */
static inline int fp_file(const char *path, uint64_t *out)
{
	unsigned char buf[1 << 16];
	uint64_t h = 0x6e65746c656e73ull, total = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
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
		size_t i = 0;
		for (; i + 8 <= (size_t)n; i += 8) {
			uint64_t v;
			memcpy(&v, buf + i, 8);
			h = fp_mix(h, v);
		}
		for (; i < (size_t)n; i++)
			h = fp_mix(h, buf[i]);
		total += (uint64_t)n;
	}
	close(fd);
	*out = fp_mix(h, total);
	return 0;
}

#endif
