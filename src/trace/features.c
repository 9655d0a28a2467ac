/* Kernel feature probes (features.h). */
#include "trace/features.h"
#include "trace/kbtf.h"

bool trace_feat_tracing_runtime_hash(const char *btf_path)
{
	struct kbtf k;
	bool has;

	if (kbtf_open(&k, btf_path) != 0)
		return false;
	/* the struct and its functions (bpf_mem_alloc(), ...) came together:
	 * any of them named so marks the allocator, and a string search
	 * costs a tenth of a walk of the types */
	has = kbtf_has_str(&k, "bpf_mem_alloc");
	kbtf_close(&k);
	return has;
}
