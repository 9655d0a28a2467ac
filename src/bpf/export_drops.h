/* The exporter's drops collector: packets freed as dropped, by reason. */
#ifndef NETLENS_BPF_EXPORT_DROPS_H
#define NETLENS_BPF_EXPORT_DROPS_H

#include "bpf/netlens.h"

/* enum skb_drop_reason's core values; subsystem reasons (a subsystem id in
 * the upper 16 bits) and anything beyond land in the last slot */
#define EXP_DROP_REASONS 256

struct exp_drop_count {
	__u64 packets;
	__u64 bytes;
};

#endif
