/* libFuzzer target: arbitrary bytes as the kernel BTF that trace_btf_trim()
 * (trace/btfmin.c) trims for tcpretrans's CO-RE relocations, looking up the
 * tracepoint typedefs its tp_btf programs attach through (trace/tpbtf.c) on
 * the way. The object is opened once; the output, when there is one, must
 * be BTF libbpf accepts. Seeds: tests/fuzz/btf_seeds.c. */
#include "fuzz_util.h"
#include "bpf/tcpretrans.h"
#include "bpf/tcpretrans.skel.h"
#include "trace/btfmin.h"
#include "trace/tpbtf.h"

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <stdarg.h>

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tcpretrans_bpf *skel;
	static const void *elf;
	static size_t elf_sz;
	static struct btf_id_query *q;
	static int nq;
	char path[64], out[64];
	int fd;

	if (!skel) {
		libbpf_set_print(quiet);
		skel = tcpretrans_bpf__open();
		if (!skel)
			abort();
		elf = tcpretrans_bpf__elf_bytes(&elf_sz);
		q = tpbtf_queries(skel->obj, &nq);
	}
	fuzz_as_file(data, size, path, sizeof(path));
	fd = trace_btf_trim(skel->obj, elf, elf_sz, path, q, nq);
	if (fd >= 0) {
		struct btf *b;

		snprintf(out, sizeof(out), "/proc/self/fd/%d", fd);
		b = btf__parse(out, NULL);
		if (!b)
			abort(); /* what libbpf is handed must be BTF */
		btf__free(b);
		close(fd);
	}
	return 0;
}
