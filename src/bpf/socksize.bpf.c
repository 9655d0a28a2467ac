/* socksize: log2 histograms of socket send and receive sizes per process
 * and direction, kept in the kernel.
 *
 * Hooks: sock:sock_send_length and sock:sock_recv_length (tp_btf, else
 * raw_tp); see sockio.bpf.h for what they see. Calls that failed (-errno)
 * are left out; a zero return (end of stream) lands in the first slot.
 */
#include "bpf/netlens.bpf.h"
#include "bpf/socksize.h"
#include "bpf/sockio.bpf.h"

/* A plain hash, not LRU: a new process/direction that finds the table full
 * is counted (tr_map_update). With -i, user space empties it every
 * interval. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct sockio_key);
	__type(value, struct socksize_hist);
} sizes SEC(".maps");

static __always_inline int on_io(struct sock *sk, int ret, int flags, bool rx, bool btf)
{
	struct sockio_key k;
	struct socksize_hist *h;
	__u32 slot;

	if (ret < 0 || !sockio_key_rd(&k, sk, flags, rx, btf))
		return 0;
	/* one histogram per process and direction, whatever the socket */
	k.family = k.type = k.protocol = k.lport = k.rport = 0;
	h = tr_map_lookup_or_zero(&sizes, &k);
	if (!h)
		return 0;
	slot = tr_log2(ret);
	if (slot >= SOCKSIZE_SLOTS)
		slot = SOCKSIZE_SLOTS - 1;
	__sync_fetch_and_add(&h->slots[slot], 1);
	__sync_fetch_and_add(&h->calls, 1);
	__sync_fetch_and_add(&h->bytes, ret);
	return 0;
}

SOCKIO_PROGRAMS(socksize, on_io)
