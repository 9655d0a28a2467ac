/* socksize: log2 histograms of socket I/O sizes per process and direction,
 * kept in the kernel (keyed by struct sockio_key, see socketio.h). */
#ifndef NETLENS_BPF_SOCKSIZE_H
#define NETLENS_BPF_SOCKSIZE_H

#include "bpf/socketio.h"

#define SOCKSIZE_SLOTS 32 /* log2 of bytes: up to 2^32 */

struct socksize_hist {
	__u64 slots[SOCKSIZE_SLOTS];
	__u64 calls;
	__u64 bytes;
};

#endif
