/* fnv1a32(): the FNV-1a hash of a byte range, for the hash tables keyed by
 * small fixed structs or strings (bounded tables: not for keys an
 * adversary picks to collide). Header-only. */
#ifndef NETLENS_BASE_FNV_H
#define NETLENS_BASE_FNV_H

#include <stddef.h>
#include <stdint.h>

static inline uint32_t fnv1a32(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 16777619u;
	return h;
}

#endif
