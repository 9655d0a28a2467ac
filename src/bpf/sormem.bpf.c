/* sormem: how full a socket's receive buffer is when the application reads
 * it, and the events of a full receive queue or a refused memory charge.
 *
 * Hooks (tp_btf, else raw_tp):
 *   sock_recv_length       every receive that returns (sockio.bpf.h), in
 *                          the reading process: sk_rmem_alloc (the bytes,
 *                          truesize, charged to the receive queue, the
 *                          kernel's sk_rmem_alloc_get()) and sk_rcvbuf,
 *                          read AFTER recvmsg took its data off the queue:
 *                          what the application leaves behind;
 *   sock_rcvqueue_full     __sock_queue_rcv_skb() dropping a packet because
 *                          sk_rmem_alloc >= sk_rcvbuf (raw and ping
 *                          sockets and other users of sock_queue_rcv_skb;
 *                          UDP and TCP have their own checks and do not
 *                          fire it);
 *   sock_exceed_buf_limit  __sk_mem_raise_allocated() refusing a charge:
 *                          the protocol's memory (tcp_mem, udp_mem) or the
 *                          memory cgroup is over its limit.
 * The last two run in softirq context, where current is not the socket's
 * process: they are keyed by socket tuple, protocol and kind.
 */
#include "bpf/netlens.bpf.h"
#include "bpf/sormem.h"
#include "bpf/sockio.bpf.h"

/* Plain hashes, not LRU: a new key that finds a table full is counted
 * (tr_map_update). With -i, user space empties them every interval. */
TR_INTERVAL_TABLE(fill, struct sockio_key, struct sormem_hist, 4096);

TR_INTERVAL_TABLE(drops, struct sormem_drop_key, struct sormem_drop, 4096);

static __always_inline int on_recv(struct sock *sk, int ret, int flags, bool btf)
{
	struct sockio_key k;
	struct sormem_hist *h;
	__u32 slot, rmem, rcvbuf;
	int r, b;

	if (ret < 0 || !sockio_key_rd(&k, sk, flags, true, btf))
		return 0;
	k.rport = 0; /* per local port, whoever the peer */
	r = TR_RD(btf, sk, sk_backlog.rmem_alloc.counter);
	b = TR_RD(btf, sk, sk_rcvbuf);
	rmem = r > 0 ? r : 0;
	rcvbuf = b > 0 ? b : 0;
	h = tr_table_lookup_or_zero(fill, &k);
	if (!h)
		return 0;
	slot = tr_log2(rmem);
	if (slot >= SORMEM_SLOTS)
		slot = SORMEM_SLOTS - 1;
	__sync_fetch_and_add(&h->slots[slot], 1);
	slot = rcvbuf ? (__u64)rmem * 100 / rcvbuf / SORMEM_PCT_STEP : SORMEM_PCT_SLOTS - 1;
	if (slot >= SORMEM_PCT_SLOTS)
		slot = SORMEM_PCT_SLOTS - 1;
	__sync_fetch_and_add(&h->pct[slot], 1);
	__sync_fetch_and_add(&h->reads, 1);
	__sync_fetch_and_add(&h->rmem_sum, rmem);
	if (rmem > h->rmem_max) /* racy across CPUs: at worst a lower maximum */
		h->rmem_max = rmem;
	h->rcvbuf = rcvbuf;
	return 0;
}

SOCKIO_RECV_PROGRAMS(sormem_recv, on_recv(sk, ret, flags, btf))

/* One event of kind on sk; bytes and allocated as struct sormem_drop. */
static __always_inline int on_drop(struct sock *sk, __u8 kind, __u64 bytes, long allocated,
				   bool btf)
{
	struct sormem_drop_key k = {};
	struct sormem_drop *d;
	int r, b;

	if (!sk || !tr_want_sock_rd(sk, TR_RD(btf, sk, __sk_common.skc_family), btf))
		return 0;
	tr_read_tuple_rd(sk, NULL, &k.t, btf);
	if (!tr_want_ports(k.t.sport, k.t.dport))
		return 0;
	k.protocol = TR_RD(btf, sk, sk_protocol);
	k.type = TR_RD(btf, sk, sk_type);
	k.kind = kind;
	d = tr_table_lookup_or_zero(drops, &k);
	if (!d)
		return 0;
	r = TR_RD(btf, sk, sk_backlog.rmem_alloc.counter);
	b = TR_RD(btf, sk, sk_rcvbuf);
	__sync_fetch_and_add(&d->events, 1);
	__sync_fetch_and_add(&d->bytes, bytes);
	d->allocated = allocated;
	d->rmem = r > 0 ? r : 0;
	d->rcvbuf = b > 0 ? b : 0;
	return 0;
}

TR_PROGRAM_PAIR(sormem_qfull, sock_rcvqueue_full, (struct sock *sk, struct sk_buff *skb),
		on_drop(sk, SORMEM_QFULL, skb ? TR_RD(btf, skb, truesize) : 0, 0, btf))

TR_PROGRAM_PAIR(sormem_limit, sock_exceed_buf_limit,
		(struct sock *sk, struct proto *prot, long allocated, int kind),
		on_drop(sk, kind == 1 ? SORMEM_LIMIT_RECV : SORMEM_LIMIT_SEND, 0, allocated, btf))
