/* tcptop: bytes sent and received per TCP connection and process.
 *
 * Hooks: sock:sock_send_length and sock:sock_recv_length (tp_btf, else
 * raw_tp), fired by sock_sendmsg()/sock_recvmsg() (send, write, sendmsg,
 * recv, read, ... and io_uring's socket ops) with the return value, in the
 * caller's process context: current is the process moving the bytes. Each
 * byte is counted once: errors and zero returns carry none, and a
 * recv(MSG_PEEK) (the tracepoint fires for it too) is skipped, since the
 * bytes it shows are counted when they are read. Not seen: sendfile() and
 * splice(), which bypass sendmsg/recvmsg, and zero-copy receive (the
 * TCP_ZEROCOPY_RECEIVE getsockopt).
 */
#include "bpf/netlens.bpf.h"
#include "bpf/tcptop.h"
#include "bpf/sockio_sys.bpf.h"

#define TR_MSG_PEEK 2

/* A plain hash, not LRU: evicting a flow would lose its bytes unseen. A
 * new flow that finds the map full is counted (tr_map_update), and user
 * space removes flows that stayed idle for a whole interval. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct tcptop_key);
	__type(value, struct tcptop_val);
} flows SEC(".maps");

/* btf: a tp_btf program, reading with plain loads ("reading kernel memory"
 * in netlens.bpf.h). A send or receive on a known entry costs a 16-byte
 * key lookup and two atomic adds; the tuple, netns and command are read
 * when the entry is made (ports are in the key, so the port filters hold
 * for every entry made). */
static __always_inline int on_length(struct sock *sk, int ret, int flags, bool rx, bool btf)
{
	struct tcptop_key k = {};
	struct tcptop_val *v;
	__u64 id;

	if (ret <= 0 || (rx && (flags & TR_MSG_PEEK)))
		return 0;
	if (!sk || !tr_sk_is_tcp_rd(sk, btf))
		return 0;
	if (!tr_want_sock_rd(sk, TR_RD(btf, sk, __sk_common.skc_family), btf))
		return 0;
	id = bpf_get_current_pid_tgid();
	k.sk = (__u64)sk;
	k.pid = id >> 32;
	k.ports = TR_RD(btf, sk, __sk_common.skc_portpair);
	if (tr_filter.pid && k.pid != tr_filter.pid)
		return 0;
	v = bpf_map_lookup_elem(&flows, &k);
	if (!v) {
		struct tcptop_val nv = {};
		tr_read_tuple_rd(sk, NULL, &nv.t, btf);
		if (!tr_want_ports(nv.t.sport, nv.t.dport))
			return 0;
		tr_current_comm(nv.comm, btf);
		if (!tr_want_task(k.pid, nv.comm))
			return 0;
		nv.netns = tr_sk_netns_rd(sk, btf);
		v = tr_map_lookup_or_init(&flows, &k, &nv);
		if (!v)
			return 0;
	}
	if (rx) {
		__sync_fetch_and_add(&v->rx_bytes, ret);
		__sync_fetch_and_add(&v->rx_calls, 1);
	} else {
		__sync_fetch_and_add(&v->tx_bytes, ret);
		__sync_fetch_and_add(&v->tx_calls, 1);
	}
	return 0;
}

SOCKIO_SEND_PROGRAMS(tcptop_send, on_length(sk, ret, flags, false, btf))
SOCKIO_RECV_PROGRAMS(tcptop_recv, on_length(sk, ret, flags, true, btf))
