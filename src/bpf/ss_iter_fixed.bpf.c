/* ss fast path for the kernel netlens was built on: no CO-RE relocations,
 * no maps, so it loads without parsing the kernel's BTF. See ss_iter.bpf.h. */
#define BPF_NO_PRESERVE_ACCESS_INDEX
#define SS_ITER_FIXED
#include "vmlinux.h"
#include "bpf/ss_iter.bpf.h"
