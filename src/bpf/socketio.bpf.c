/* socketio: socket I/O calls and bytes per process, direction, protocol and
 * port pair, counted in the kernel.
 *
 * Hooks: sock:sock_send_length and sock:sock_recv_length (tp_btf, else
 * raw_tp); see sockio.bpf.h for what they see. A call that returned
 * -errno counts as an error, not a call; a zero return (end of stream) is
 * a call of 0 bytes.
 */
#include "bpf/netlens.bpf.h"
#include "bpf/sockio.bpf.h"

/* A plain hash, not LRU: evicting an entry would lose its counts unseen. A
 * new key that finds the table full is counted (tr_map_update). With -i,
 * user space reads increments every interval (TRACE_COUNT_ROWS) and deletes
 * only keys that stayed idle. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, struct sockio_key);
	__type(value, struct socketio_val);
} io SEC(".maps");

static __always_inline int on_io(struct sock *sk, int ret, int flags, bool rx, bool btf)
{
	struct sockio_key k;
	struct socketio_val *v;

	if (!sockio_key_rd(&k, sk, flags, rx, btf))
		return 0;
	v = tr_map_lookup_or_zero(&io, &k);
	if (!v)
		return 0;
	if (ret < 0) {
		__sync_fetch_and_add(&v->errors, 1);
	} else {
		__sync_fetch_and_add(&v->calls, 1);
		__sync_fetch_and_add(&v->bytes, ret);
	}
	return 0;
}

SOCKIO_PROGRAMS(socketio, on_io)
