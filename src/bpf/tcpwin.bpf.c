/* tcpwin: congestion window, slow-start threshold, send and receive
 * windows and smoothed RTT per incoming segment of an established flow.
 *
 * Hook: tcp:tcp_probe (tp_btf, else raw_tp), called by tcp_rcv_established()
 * for every segment (data or ACK) an established socket receives, in
 * softirq or, for a socket its owner holds, at release_sock(): the owner of
 * the socket is not known here and events carry no process.
 */
#include "bpf/netlens.bpf.h"
#include "bpf/tcpwin.h"

static __always_inline int on_probe(struct sock *sk)
{
	struct tcp_sock *tp = (struct tcp_sock *)sk;
	struct tcpwin_event *e;
	struct nl_tuple t = {};
	__u16 family;

	if (!nl_sk_is_tcp(sk))
		return 0;
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (!nl_want_sock(sk, family))
		return 0;
	nl_read_tuple(sk, &t);
	if (!nl_want_ports(t.sport, t.dport))
		return 0;
	e = nl_reserve(sizeof(*e));
	if (!e)
		return 0;
	nl_fill_hdr(&e->h, sk, NULL, bpf_ktime_get_ns());
	e->t = t;
	e->cwnd = BPF_CORE_READ(tp, snd_cwnd);
	e->ssthresh = BPF_CORE_READ(tp, snd_ssthresh);
	e->snd_wnd = BPF_CORE_READ(tp, snd_wnd);
	e->rcv_wnd = BPF_CORE_READ(tp, rcv_wnd);
	e->srtt_us = BPF_CORE_READ(tp, srtt_us) >> 3;
	e->packets_out = BPF_CORE_READ(tp, packets_out);
	e->mss = BPF_CORE_READ(tp, mss_cache);
	e->_pad = 0;
	nl_submit(e);
	return 0;
}

SEC("tp_btf/tcp_probe")
int BPF_PROG(tcpwin_probe_btf, struct sock *sk, struct sk_buff *skb)
{
	return on_probe(sk);
}

SEC("raw_tp/tcp_probe")
int BPF_PROG(tcpwin_probe_raw, struct sock *sk, struct sk_buff *skb)
{
	return on_probe(sk);
}
