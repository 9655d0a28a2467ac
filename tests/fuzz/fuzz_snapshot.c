/* libFuzzer target: arbitrary bytes as a snapshot file. */
#include "sources/snapshot.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct snapshot s;
	unsigned char *copy = malloc(size ? size : 1);
	char err[256];
	size_t sum = 0;

	memcpy(copy, data, size);
	if (snap_parse(&s, copy, size, err, sizeof(err)) == 0)
		for (size_t i = 0; i < s.nrecs; i++)
			for (uint32_t j = 0; j < s.recs[i].data_len; j++)
				sum += ((const unsigned char *)s.recs[i].data)[j];
	snap_close(&s);
	return (int)(sum & 0);
}
