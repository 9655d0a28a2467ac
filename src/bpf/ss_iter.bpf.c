/* ss fast path, CO-RE build: see ss_iter.bpf.h. */
#include "vmlinux.h"
#include "bpf/ss_iter.bpf.h"
