/* Build-time tool: prints the fingerprint of a BTF file as a C constant. */
#include "base/fingerprint.h"

#include <stdio.h>

int main(int argc, char **argv)
{
	uint64_t h;

	if (argc != 2 || fp_file(argv[1], &h) < 0) {
		fprintf(stderr, "usage: btf_fingerprint FILE\n");
		return 1;
	}
	printf("0x%016llxull\n", (unsigned long long)h);
	return 0;
}
