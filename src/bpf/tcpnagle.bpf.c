/* tcpnagle: TCP sends held back by Nagle's algorithm or TCP_CORK.
 *
 * There is no tracepoint in tcp_nagle_test(); the hold is seen from both
 * sides of it instead:
 *   sock_send_length  (tp_btf, else raw_tp) after every send on a socket,
 *                     in the sender's context: a TCP socket left with unsent
 *                     data less than an MSS (write_seq - snd_nxt), with
 *                     TCP_CORK set, or with Nagle on (nonagle 0) and the last
 *                     small segment sent not acked yet (tcp_minshall_check(),
 *                     what tcp_nagle_check() tests), starts a hold at snd_nxt;
 *   net_dev_queue     (tp_btf, else raw_tp) every packet handed to a device:
 *                     the first segment of the held socket (skb->sk) whose
 *                     payload covers the held sequence number ends the hold.
 *                     It runs for every packet of the host: one hash lookup
 *                     by skb->sk when nothing is held;
 *   tcp_destroy_sock  the socket is freed: its hold is forgotten.
 * Unsent data that neither TCP_CORK nor Nagle explains (MSG_MORE, a full
 * congestion or receive window, TCP small queues, autocorking) is not
 * counted. A hold whose segment was not seen (a net_dev_queue run the
 * kernel skipped because it nested in another on the same CPU) is found at
 * the socket's next send or segment and counted in `missed`. */
#include "bpf/netlens.bpf.h"
#include "bpf/tcpnagle.h"
#include "bpf/sockio_sys.bpf.h"

#define TCP_NAGLE_OFF  1
#define TCP_NAGLE_CORK 2

struct hold {
	__u64 start_ns;
	__u32 seq;       /* snd_nxt at the start: the first held byte */
	__u32 bytes;
	__u32 sends;
	__u8 reason;
	__u8 _pad[3];
	struct tr_hdr h; /* the sender, at the start */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u64);
	__type(value, struct hold);
} holds SEC(".maps");

TR_INTERVAL_TABLE(counts, struct tcpnagle_key, struct tcpnagle_count, 10240);

TR_INTERVAL_TABLE(hist, __u32, __u64, TCPNAGLE_SLOTS);

/* holds whose end was not seen (see above) */
__u64 missed = 0;

static __always_inline bool seq_before(__u32 a, __u32 b)
{
	return (__s32)(a - b) < 0;
}

static __always_inline int on_send(struct sock *sk, int ret, bool btf)
{
	struct tcp_sock *tp = tr_tcp_sk(sk, btf);
	__u32 write_seq, snd_nxt, snd_una, sml, unsent;
	__u64 key = (__u64)sk;
	struct hold *h, n = {};
	struct tr_owner o;
	__u8 nonagle, reason;
	int state;

	if (ret <= 0 || !tr_want_tcp_sock_rd(sk, tp, btf))
		return 0;
	state = TR_RD(btf, sk, __sk_common.skc_state);
	if (state != TCP_ESTABLISHED && state != TCP_CLOSE_WAIT)
		return 0;
	write_seq = BPF_CORE_READ(tp, write_seq);
	snd_nxt = BPF_CORE_READ(tp, snd_nxt);
	unsent = write_seq - snd_nxt;
	h = bpf_map_lookup_elem(&holds, &key);
	if (h && h->seq != snd_nxt) {
		/* its data left unseen */
		bpf_map_delete_elem(&holds, &key);
		__sync_fetch_and_add(&missed, 1);
		h = NULL;
	}
	if ((__s32)unsent <= 0 || unsent >= BPF_CORE_READ(tp, mss_cache))
		return 0;
	nonagle = BPF_CORE_READ_BITFIELD_PROBED(tp, nonagle);
	snd_una = BPF_CORE_READ(tp, snd_una);
	sml = BPF_CORE_READ(tp, snd_sml);
	if (nonagle & TCP_NAGLE_CORK)
		reason = TCPNAGLE_CORK;
	else if (!nonagle && BPF_CORE_READ(tp, packets_out) && seq_before(snd_una, sml) &&
		 !seq_before(snd_nxt, sml))
		reason = TCPNAGLE_NAGLE;
	else
		return 0;
	if (h) {
		h->bytes = unsent;
		h->sends++;
		if (reason == TCPNAGLE_CORK)
			h->reason = reason;
		return 0;
	}
	tr_owner_current(&o);
	if (!tr_want_task(o.pid, o.comm))
		return 0;
	{
		struct tr_tuple t = {};

		tr_read_tuple_rd(sk, tp, &t, btf);
		if (!tr_want_ports(t.sport, t.dport))
			return 0;
	}
	n.start_ns = bpf_ktime_get_ns();
	n.seq = snd_nxt;
	n.bytes = unsent;
	n.sends = 1;
	n.reason = reason;
	tr_fill_hdr_rd(&n.h, sk, &o, n.start_ns, btf);
	tr_map_update(&holds, &key, &n, BPF_NOEXIST);
	return 0;
}

static __always_inline void report(struct sock *sk, const struct hold *h, __u64 now)
{
	__u64 d = now - h->start_ns;
	struct tcpnagle_event *e;

	if (tr_filter.summary) {
		struct tcpnagle_key k = {};
		struct tcpnagle_count *c;
		__u32 slot = tr_log2(d / 1000);
		__u64 *s;

		tr_read_tuple(sk, &k.t);
		k.pid = h->h.pid;
		k.reason = h->reason;
		__builtin_memcpy(k.comm, h->h.comm, TR_COMM_LEN);
		c = tr_table_lookup_or_zero(counts, &k);
		if (c) {
			__sync_fetch_and_add(&c->holds, 1);
			__sync_fetch_and_add(&c->sends, h->sends);
			__sync_fetch_and_add(&c->bytes, h->bytes);
			__sync_fetch_and_add(&c->total_ns, d);
			if (d > c->max_ns)
				c->max_ns = d;
		}
		if (slot >= TCPNAGLE_SLOTS)
			slot = TCPNAGLE_SLOTS - 1;
		s = tr_table_lookup_or_zero(hist, &slot);
		if (s)
			__sync_fetch_and_add(s, 1);
		return;
	}
	e = tr_reserve(sizeof(*e));
	if (!e)
		return;
	e->h = h->h;
	e->h.ts_ns = now;
	tr_read_tuple(sk, &e->t);
	e->hold_ns = d;
	e->bytes = h->bytes;
	e->sends = h->sends;
	e->reason = h->reason;
	__builtin_memset(e->_pad, 0, sizeof(e->_pad));
	tr_submit(e);
}

/* Every packet of the host: skb->sk first, then the table. */
static __always_inline int on_xmit(struct sk_buff *skb)
{
	struct sock *sk = BPF_CORE_READ(skb, sk);
	__u64 key = (__u64)sk;
	unsigned char *head;
	__u16 th_off, data_off;
	__u32 seq, len, payload;
	struct tcphdr th;
	struct hold *h, c;

	if (!sk)
		return 0;
	h = bpf_map_lookup_elem(&holds, &key);
	if (!h)
		return 0;
	head = BPF_CORE_READ(skb, head);
	th_off = BPF_CORE_READ(skb, transport_header);
	data_off = BPF_CORE_READ(skb, data) - head;
	if (bpf_probe_read_kernel(&th, sizeof(th), head + th_off))
		return 0;
	len = BPF_CORE_READ(skb, len);
	payload = len - (__u32)(th_off - data_off) - th.doff * 4;
	if ((__s32)payload <= 0)
		return 0;
	seq = bpf_ntohl(th.seq);
	if (seq_before(h->seq, seq)) {
		/* sent past the hold: its segment left unseen */
		bpf_map_delete_elem(&holds, &key);
		__sync_fetch_and_add(&missed, 1);
		return 0;
	}
	if (!seq_before(h->seq, seq + payload))
		return 0; /* a retransmission of older data */
	c = *h;
	/* two CPUs sending at once: the one that deletes it reports */
	if (bpf_map_delete_elem(&holds, &key))
		return 0;
	report(sk, &c, bpf_ktime_get_ns());
	return 0;
}

SOCKIO_SEND_PROGRAMS(tcpnagle_send, on_send(sk, ret, btf))
TR_PROGRAM_PAIR(tcpnagle_xmit, net_dev_queue, (struct sk_buff *skb), on_xmit(skb))
TR_PROGRAM_PAIR(tcpnagle_destroy, tcp_destroy_sock, (struct sock *sk),
		({ __u64 k = (__u64)sk; bpf_map_delete_elem(&holds, &k); 0; }))
