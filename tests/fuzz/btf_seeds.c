/* Makes the seed BTF blobs of the BTF fuzzers (fuzz_kbtf, fuzz_btfmin) from
 * the running kernel: the BTF trace_btf_trim() keeps for a tracer (the
 * kernel's own types, offsets and names for every CO-RE relocation of the
 * object), plus the btf_trace_<tracepoint> typedefs its tp_btf programs
 * look up and the enums the tracers name (skb_drop_reason, sk_rst_reason,
 * tcp_ca_state) copied from the kernel. A few kilobytes each.
 *
 *   make && cc -std=gnu17 -D_GNU_SOURCE -Isrc -Ibuild -o /tmp/btf_seeds \
 *      tests/fuzz/btf_seeds.c $(ls build/obj/ * /[a-z]*.o | grep -v main.o) \
 *      -lbpf -lelf -lz -lmnl -lm && /tmp/btf_seeds OUT_DIR
 *
 * (without the blanks around the '*') writes OUT_DIR/tcpretrans.btf and OUT_DIR/skbdrop.btf. */
#include "bpf/skbdrop.h"
#include "bpf/skbdrop.skel.h"
#include "bpf/tcpretrans.h"
#include "bpf/tcpretrans.skel.h"
#include "trace/btfmin.h"
#include "trace/tpbtf.h"

#include <bpf/btf.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void die(const char *what)
{
	fprintf(stderr, "btf_seeds: %s\n", what);
	exit(1);
}

/* The kernel's enum `name` appended to out. */
static void add_enum(struct btf *out, const struct btf *kernel, const char *name)
{
	int id = btf__find_by_name_kind(kernel, name, BTF_KIND_ENUM);

	if (id < 0)
		id = btf__find_by_name_kind(kernel, name, BTF_KIND_ENUM64);
	if (id > 0 && btf__add_type(out, kernel, btf__type_by_id(kernel, (uint32_t)id)) < 0)
		die("cannot copy an enum");
}

static void write_seed(const struct bpf_object *obj, const void *elf, size_t sz,
		       const struct btf *kernel, const char *path)
{
	int nq, fd;
	struct btf_id_query *q = tpbtf_queries(obj, &nq);
	char memfd[64];
	struct btf *out;
	const void *raw;
	uint32_t len;
	FILE *f;

	fd = trace_btf_trim(obj, elf, sz, NULL, q, nq);
	if (fd < 0)
		die("trace_btf_trim failed");
	snprintf(memfd, sizeof(memfd), "/proc/self/fd/%d", fd);
	out = btf__parse(memfd, NULL);
	if (!out)
		die("cannot read the trimmed BTF");
	for (int i = 0; i < nq; i++)
		if (btf__add_typedef(out, q[i].name, btf__add_ptr(out, 0)) < 0)
			die("cannot add a typedef");
	add_enum(out, kernel, "skb_drop_reason");
	add_enum(out, kernel, "sk_rst_reason");
	add_enum(out, kernel, "tcp_ca_state");
	raw = btf__raw_data(out, &len);
	f = fopen(path, "wb");
	if (!raw || !f || fwrite(raw, 1, len, f) != len || fclose(f))
		die("cannot write the seed");
	btf__free(out);
	close(fd);
}

int main(int argc, char **argv)
{
	struct btf *kernel = btf__load_vmlinux_btf();
	struct tcpretrans_bpf *rt = tcpretrans_bpf__open();
	struct skbdrop_bpf *sd = skbdrop_bpf__open();
	char path[4096];
	size_t sz;
	const void *elf;

	if (argc != 2 || !kernel || !rt || !sd)
		die("usage: btf_seeds OUT_DIR (on a kernel with BTF)");
	elf = tcpretrans_bpf__elf_bytes(&sz);
	snprintf(path, sizeof(path), "%s/tcpretrans.btf", argv[1]);
	write_seed(rt->obj, elf, sz, kernel, path);
	elf = skbdrop_bpf__elf_bytes(&sz);
	snprintf(path, sizeof(path), "%s/skbdrop.btf", argv[1]);
	write_seed(sd->obj, elf, sz, kernel, path);
	tcpretrans_bpf__destroy(rt);
	skbdrop_bpf__destroy(sd);
	btf__free(kernel);
	return 0;
}
