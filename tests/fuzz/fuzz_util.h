/* What the libFuzzer targets share: the entry point's prototype, a reader
 * that takes the input apart field by field, and the input as a file for
 * readers that take a path. Static inline: each target takes what it uses. */
#ifndef NETLENS_FUZZ_UTIL_H
#define NETLENS_FUZZ_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input consumed from the front; reads past the end give zeros. */
struct fuzz_in {
	const uint8_t *p;
	size_t n;
};

static inline uint8_t fuzz_u8(struct fuzz_in *in)
{
	uint8_t v = 0;

	if (in->n) {
		v = *in->p++;
		in->n--;
	}
	return v;
}

static inline uint32_t fuzz_u32(struct fuzz_in *in)
{
	uint32_t v = 0;

	for (int i = 0; i < 4; i++)
		v = v << 8 | fuzz_u8(in);
	return v;
}

/* A malloc'ed copy of n bytes with a NUL after them (n may be 0); the
 * bytes before it may hold NULs too. Aborts when out of memory. */
static inline char *fuzz_strndup(const uint8_t *p, size_t n)
{
	char *s = malloc(n + 1);

	if (!s)
		abort();
	if (n)
		memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

/* The bytes as a file: one memfd for the whole run, rewritten for each
 * input; path gets its /proc/self/fd name. Aborts when that fails. */
static inline void fuzz_as_file(const uint8_t *data, size_t size, char *path, size_t cap)
{
	static int fd = -1;

	if (fd < 0 && (fd = memfd_create("netlens-fuzz", MFD_CLOEXEC)) < 0)
		abort();
	if (ftruncate(fd, 0) || (size && pwrite(fd, data, size, 0) != (ssize_t)size))
		abort();
	snprintf(path, cap, "/proc/self/fd/%d", fd);
}

#endif
