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

/* btf: a tp_btf program, reading with plain loads ("reading kernel memory"
 * in netlens.bpf.h) */
static __always_inline int on_probe(struct sock *sk, bool btf)
{
	struct tcp_sock *tp = tr_tcp_sk(sk, btf);
	struct tcpwin_event *e;
	struct tr_tuple t = {};
	__u16 family;

	if (!tp || !tr_sk_is_tcp_rd(sk, btf))
		return 0;
	family = TR_RD(btf, sk, __sk_common.skc_family);
	if (!tr_want_sock_rd(sk, family, btf))
		return 0;
	tr_read_tuple_rd(sk, tp, &t, btf);
	if (!tr_want_ports(t.sport, t.dport))
		return 0;
	e = tr_reserve(sizeof(*e));
	if (!e)
		return 0;
	tr_fill_hdr_rd(&e->h, sk, NULL, bpf_ktime_get_ns(), btf);
	e->t = t;
	e->cwnd = TR_RD(btf, tp, snd_cwnd);
	e->ssthresh = TR_RD(btf, tp, snd_ssthresh);
	e->snd_wnd = TR_RD(btf, tp, snd_wnd);
	e->rcv_wnd = TR_RD(btf, tp, rcv_wnd);
	e->srtt_us = TR_RD(btf, tp, srtt_us) >> 3;
	e->packets_out = TR_RD(btf, tp, packets_out);
	e->mss = TR_RD(btf, tp, mss_cache);
	e->_pad = 0;
	tr_submit_at(e, e->h.ts_ns);
	return 0;
}

TR_PROGRAM_PAIR(tcpwin_probe, tcp_probe, (struct sock *sk, struct sk_buff *skb), on_probe(sk, btf))
