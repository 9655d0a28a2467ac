/* libFuzzer target: arbitrary bytes as the content of a /proc/sys file,
 * through the value parsers of sources/sysctl.c: normalising into buffers
 * of every small size and the sizes the readers use, then the integer and
 * integer-vector parsers; the input as a dotted name, through the path and
 * definition lookups. */
#include "fuzz_util.h"
#include "sources/sysctl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t sizes[] = { 0, 1, 2, 3, 64, 256 };
	char *raw = fuzz_strndup(data, size), path[512];
	uint64_t v[3];
	size_t n;

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char *val = malloc(sizes[i] ? sizes[i] : 1);

		if (!val)
			abort();
		sysctl_normalize(raw, size, val, sizes[i]);
		if (sizes[i] && strlen(val) >= sizes[i])
			abort(); /* always terminated inside the buffer */
		if (sizes[i]) {
			(void)sysctl_parse_ll(val);
			if (sysctl_parse_u64s(val, v, 3, &n) == 0 && (n == 0 || n > 3))
				abort();
		}
		free(val);
	}
	if (sysctl_path(raw, path, sizeof(path)) == 0 && strstr(path, "/../"))
		abort(); /* a name never leaves /proc/sys */
	(void)sysctl_def_find(raw);
	free(raw);
	return 0;
}
