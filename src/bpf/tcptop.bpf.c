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

#define NL_MSG_PEEK 2

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct tcptop_key);
	__type(value, struct tcptop_val);
} flows SEC(".maps");

static __always_inline int on_length(struct sock *sk, int ret, int flags, bool rx)
{
	struct tcptop_key k = {};
	struct tcptop_val *v;
	__u64 id;
	char comm[NL_COMM_LEN];

	if (ret <= 0 || (rx && (flags & NL_MSG_PEEK)))
		return 0;
	if (!sk || !nl_sk_is_tcp(sk))
		return 0;
	k.t.family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (!nl_want_sock(sk, k.t.family))
		return 0;
	nl_read_tuple(sk, &k.t);
	if (!nl_want_ports(k.t.sport, k.t.dport))
		return 0;
	id = bpf_get_current_pid_tgid();
	bpf_get_current_comm(comm, sizeof(comm));
	if (!nl_want_task(id >> 32, comm))
		return 0;
	k.pid = id >> 32;
	k.netns = nl_sk_netns(sk);
	v = bpf_map_lookup_elem(&flows, &k);
	if (!v) {
		struct tcptop_val nv = {};
		__builtin_memcpy(nv.comm, comm, sizeof(nv.comm));
		bpf_map_update_elem(&flows, &k, &nv, BPF_NOEXIST);
		v = bpf_map_lookup_elem(&flows, &k);
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

SEC("tp_btf/sock_send_length")
int BPF_PROG(tcptop_send_btf, struct sock *sk, int ret, int flags)
{
	return on_length(sk, ret, flags, false);
}

SEC("raw_tp/sock_send_length")
int BPF_PROG(tcptop_send_raw, struct sock *sk, int ret, int flags)
{
	return on_length(sk, ret, flags, false);
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(tcptop_recv_btf, struct sock *sk, int ret, int flags)
{
	return on_length(sk, ret, flags, true);
}

SEC("raw_tp/sock_recv_length")
int BPF_PROG(tcptop_recv_raw, struct sock *sk, int ret, int flags)
{
	return on_length(sk, ret, flags, true);
}
