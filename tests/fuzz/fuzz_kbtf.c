/* libFuzzer target: arbitrary bytes as the kernel BTF file, through the
 * readers that walk it in place (trace/kbtf.c): the header checks, the walk
 * of every type, lookups by kind and name, the string search, and the enum
 * reader (tracers/btfenum_util.c) on the enums the tracers name. Seeds: the
 * types a tracer uses, its tracepoint typedefs and those enums, from a real
 * kernel (tests/fuzz/btf_seeds.c). */
#include "fuzz_util.h"
#include "trace/kbtf.h"
#include "tracers/btfenum_util.h"

#include <linux/btf.h>

static int visit(void *arg, uint32_t id, const struct btf_type *t, uint32_t pos)
{
	const struct kbtf *k = arg;
	const char *name = kbtf_str(k, t->name_off);

	if (name && strlen(name) > k->strs_len)
		abort();
	return id > 1u << 20 && pos == 0; /* never: every byte of t was checked */
}

static void read_enum(const struct kbtf *k, const char *type, const char *prefix)
{
	struct btfenum_names e;
	long long v;

	if (btfenum_read(k, type, prefix, &e) != 0)
		return;
	for (size_t i = 0; i < e.n; i++)
		if (!btfenum_value(&e, e.names[i], &v) || !btfenum_name(&e, v))
			abort(); /* every name read is found again */
	btfenum_free(&e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];
	struct kbtf k;

	fuzz_as_file(data, size, path, sizeof(path));
	if (kbtf_open(&k, path) != 0)
		return 0;
	kbtf_walk(&k, visit, &k);
	kbtf_find(&k, BTF_KIND_TYPEDEF, "btf_trace_tcp_retransmit_skb");
	kbtf_find(&k, BTF_KIND_STRUCT, "sock");
	kbtf_has_str(&k, "bpf_mem_alloc");
	read_enum(&k, "skb_drop_reason", "SKB_DROP_REASON_");
	read_enum(&k, "sk_rst_reason", "SK_RST_REASON_");
	read_enum(&k, "tcp_ca_state", "TCP_CA_");
	kbtf_close(&k);
	return 0;
}
