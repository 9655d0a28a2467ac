/* libFuzzer target: arbitrary bytes as sock_diag replies of every kind. */
#include "sources/sockdiag.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int touch(const struct sock_rec *s, void *arg)
{
	size_t *sum = arg;

	if (s->tcpi)
		for (size_t i = 0; i < s->tcpi_len; i++)
			*sum += ((const uint8_t *)s->tcpi)[i];
	if (s->cong)
		*sum += strlen(s->cong);
	if (s->path)
		*sum += strlen(s->path);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t sum = 0;

	if (size < 1)
		return 0;
	struct sockdiag_query q = { .kind = (enum sock_kind)(data[0] % SK_KIND_MAX) };
	/* netlink buffers are aligned; so is the copy the parser gets */
	void *copy = malloc(size - 1 ? size - 1 : 1);
	memcpy(copy, data + 1, size - 1);
	sockdiag_parse(&q, copy, size - 1, touch, &sum);
	free(copy);
	return 0;
}
