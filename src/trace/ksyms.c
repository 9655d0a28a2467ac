/* /proc/kallsyms, sorted for address lookups (ksyms.h). */
#include "trace/ksyms.h"
#include "base/output.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int ksym_cmp(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr ? 1 : 0;
}

int ksyms_load(struct ksyms *ks, const char *path)
{
	FILE *f;
	char line[512];
	size_t cap = 0;

	ks->loaded = true;
	f = fopen(path ? path : "/proc/kallsyms", "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long a;
		char type, name[256];
		if (sscanf(line, "%llx %c %255s", &a, &type, name) != 3 || !a)
			continue;
		if (type != 't' && type != 'T' && type != 'w' && type != 'W')
			continue;
		if (ks->n == cap) {
			cap = cap ? cap * 2 : 65536;
			ks->v = realloc(ks->v, cap * sizeof(*ks->v));
			if (!ks->v)
				abort();
		}
		ks->v[ks->n].addr = a;
		ks->v[ks->n].name = strdup(name);
		if (!ks->v[ks->n].name)
			abort();
		ks->n++;
	}
	fclose(f);
	if (!ks->n)
		return -ENODATA; /* every address zeroed (kptr_restrict), or no text symbols */
	qsort(ks->v, ks->n, sizeof(*ks->v), ksym_cmp);
	return 0;
}

const char *ksyms_str(struct ksyms *ks, uint64_t addr, char *buf, size_t cap)
{
	size_t lo = 0, hi;

	if (!ks->loaded) {
		int err = ksyms_load(ks, NULL);
		if (err == -ENODATA)
			out_warn("/proc/kallsyms shows no addresses (kernel.kptr_restrict?): kernel "
				 "addresses stay numeric");
		else if (err)
			out_warn("/proc/kallsyms: %s: kernel addresses stay numeric", strerror(-err));
	}
	hi = ks->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ks->v[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || !addr)
		snprintf(buf, cap, "0x%" PRIx64, addr);
	else
		snprintf(buf, cap, "%s+0x%" PRIx64, ks->v[lo - 1].name, addr - ks->v[lo - 1].addr);
	return buf;
}

int ksyms_first_frame(struct ksyms *ks, const uint64_t *ips, int n)
{
	static const char *const skip[] = { "bpf_prog_", "bpf_trace_run", "__traceiter_",
					    "__bpf_trace_" };
	char b[160];
	int i;

	for (i = 0; i < n && ips[i]; i++) {
		bool machinery = false;
		ksyms_str(ks, ips[i], b, sizeof(b));
		for (size_t k = 0; k < sizeof(skip) / sizeof(skip[0]); k++)
			machinery |= strncmp(b, skip[k], strlen(skip[k])) == 0;
		if (!machinery)
			break;
	}
	return i < n && ips[i] ? i : 0;
}

void ksyms_free(struct ksyms *ks)
{
	for (size_t i = 0; i < ks->n; i++)
		free(ks->v[i].name);
	free(ks->v);
	memset(ks, 0, sizeof(*ks));
}
