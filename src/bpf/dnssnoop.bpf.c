/* dnssnoop: DNS messages on the wire, UDP and TCP, to or from the DNS ports
 * (-P, default 53), in every network namespace.
 *
 * Hooks: net:net_dev_queue (every packet a device is given to send) and
 * net:netif_receive_skb (every packet the stack receives, after GRO), so
 * each packet costs one program run; a packet that is not DNS costs a few
 * loads and one read of its IP and transport headers. For a DNS packet the
 * payload is copied from the linear part of the buffer (UDP messages always
 * are; TCP payload that sits in page fragments, as every local TCP send's
 * does, is not reachable here: a TCP answer goes up without it) and
 * tcp:tcp_sendmsg_locked adds the first bytes of each TCP send on a DNS
 * port from the sender's own buffer. sock:sock_send_length remembers who
 * sends on UDP sockets that may send DNS, for a query that leaves from a
 * softirq (its neighbour being resolved).
 * User space parses the messages, pairs queries with answers and drops the
 * second sighting of a packet that leaves one namespace and enters another.
 */
#include "bpf/netlens.bpf.h"
#include "bpf/dnssnoop.h"
#include "bpf/pkt.bpf.h"

#define ETH_P_IP_BE   0x0008 /* htons(0x0800) */
#define ETH_P_IPV6_BE 0xDD86 /* htons(0x86DD) */
#define PROTO_UDP     17
#define PROTO_TCP     6

/* The record being built (too large for the stack), with slack after it
 * for the verifier: a copy at offset off of n bytes, each bounded by
 * DNS_COPY_MAX on its own, stays inside the value. */
struct scratch {
	struct dnssnoop_event e;
	__u8 slack[DNS_COPY_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch SEC(".maps");

/* The last process that sent on a UDP socket that may send to a DNS port
 * (unconnected, or connected to one), for packets that leave later in a
 * softirq: the first packets to a neighbour not resolved yet wait for its
 * link-layer address and leave when it comes. LRU on purpose: a label that
 * counts nothing; an evicted socket's late packets show no process. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, struct tr_owner);
} udp_senders SEC(".maps");

/* Sockets whose UDP packet left in a softirq before any send of theirs
 * returned (a neighbour resolved during the send itself, as on a veth
 * pair): their send's return reports the process (DNS_DIR_OWNER). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, __u8);
} unowned SEC(".maps");

/* Socket pointers go out salted (user space only matches them). */
const volatile __u64 sock_salt = 0;

static __always_inline bool dns_port(__u16 sport, __u16 dport)
{
	return tr_port_in(tr_filter.ports, tr_filter.nports, sport) ||
	       tr_port_in(tr_filter.ports, tr_filter.nports, dport);
}

static __always_inline struct dnssnoop_event *begin(__u64 now, __u32 netns, bool task)
{
	__u32 zero = 0;
	struct dnssnoop_event *e = bpf_map_lookup_elem(&scratch, &zero);

	if (!e)
		return NULL;
	e->h.ts_ns = now;
	e->h.netns = netns;
	e->h._pad = 0;
	if (task) {
		struct tr_owner o;
		tr_owner_current(&o);
		tr_hdr_set_owner(&e->h, &o);
		e->h.cgroup = bpf_get_current_cgroup_id();
	} else {
		tr_hdr_set_owner(&e->h, NULL);
		e->h.cgroup = 0;
	}
	return e;
}

static __always_inline void finish(struct dnssnoop_event *e, __u64 n, __u64 now)
{
	barrier_var(n);
	if (n > DNS_COPY_MAX)
		return;
	e->caplen = n;
	tr_output(e, __builtin_offsetof(struct dnssnoop_event, data) + n, now);
}

/* UDP DNS messages seen leaving, by what does not change on the way (the
 * addresses, ports, transaction id and QR bit), so that the same message
 * arriving in a local namespace (loopback, a veth pair) is not sent up a
 * second time: user space would only drop it. LRU: an evicted message
 * arriving goes up, and is dropped there. */
struct seen_key {
	__u8 saddr[16];
	__u8 daddr[16];
	__u16 sport;
	__u16 dport;
	__u16 id;
	__u8 qr;
	__u8 _pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, struct seen_key);
	__type(value, __u64);
} seen SEC(".maps");

#define SEEN_FOR_NS 1000000000ull /* a sighting this old is not the same trip */

/* True for a message arriving that was seen leaving (and forgets it). */
static __always_inline bool seen_before(struct dnssnoop_event *e, __u8 dir, __u64 now)
{
	struct seen_key k;
	__u64 *t;

	__builtin_memcpy(k.saddr, e->t.saddr, 16);
	__builtin_memcpy(k.daddr, e->t.daddr, 16);
	k.sport = e->t.sport;
	k.dport = e->t.dport;
	k.id = (__u16)e->data[0] << 8 | e->data[1];
	k.qr = e->data[2] >> 7;
	k._pad = 0;
	if (dir == DNS_DIR_EGRESS) {
		bpf_map_update_elem(&seen, &k, &now, BPF_ANY);
		return false;
	}
	t = bpf_map_lookup_elem(&seen, &k);
	if (!t)
		return false;
	bool same = now - *t < SEEN_FOR_NS;
	bpf_map_delete_elem(&seen, &k);
	return same;
}

/* The packet's headers: IPv4 (with options) or IPv6 (its extension
 * headers walked apart) and the first 14 bytes of UDP/TCP, read at once. */
struct hdrs {
	__u8 b[64];
};

static __always_inline int on_skb(struct sk_buff *skb, __u8 dir, bool btf)
{
	__u16 proto = TR_RD(btf, skb, protocol);
	unsigned char *nh, *l4, *pay, *data;
	__u32 l3len, iphl, headlen, paylen, l4len;
	__u64 n;
	__u16 sport, dport;
	__u8 ipproto, family;
	struct hdrs h;

	if (proto != ETH_P_IP_BE && proto != ETH_P_IPV6_BE)
		return 0;
	if (dir == DNS_DIR_EGRESS) {
		/* a connected socket's packets carry its ports: no need to read
		 * the headers of a TCP stream or a connected UDP socket that is
		 * not on a DNS port (the common case) */
		struct sock *sk = TR_RD(btf, skb, sk);
		if (sk) {
			__u16 dp = TR_RD(btf, sk, __sk_common.skc_dport);
			if (dp && !dns_port(TR_RD(btf, sk, __sk_common.skc_num), bpf_ntohs(dp)))
				return 0;
		}
	}
	family = proto == ETH_P_IP_BE ? TR_AF_INET : TR_AF_INET6;
	if (tr_filter.family && tr_filter.family != family)
		return 0;
	/* leaving, data is the link-layer header; arriving, the IP header
	 * (the network header offset is not reset yet) */
	data = TR_RD(btf, skb, data);
	nh = dir == DNS_DIR_EGRESS ? TR_RD(btf, skb, head) + TR_RD(btf, skb, network_header) : data;
	if (btf) {
		/* a tp_btf program reads packet bytes through skb->head/data
		 * with plain loads (the verifier makes them fault-safe): no
		 * helper call on the common path */
		for (int i = 0; i < (int)sizeof(h.b); i += 8)
			*(__u64 *)&h.b[i] = *(__u64 *)(nh + i);
	} else if (bpf_probe_read_kernel(&h, sizeof(h), nh)) {
		return 0;
	}
	if (family == TR_AF_INET) {
		iphl = (h.b[0] & 0xf) * 4;
		ipproto = h.b[9];
		/* a fragment after the first has no transport header */
		if (((h.b[6] & 0x1f) | h.b[7]) || iphl < 20)
			return 0;
		l3len = ((__u32)h.b[2] << 8 | h.b[3]);
		if (l3len < iphl)
			return 0;
		l3len -= iphl;
	} else {
		iphl = 40;
		ipproto = h.b[6];
		l3len = ((__u32)h.b[4] << 8 | h.b[5]);
		if (pkt_ipv6_is_ext(ipproto)) { /* rare: walk them */
			struct pkt_ip ip6 = { .proto = ipproto, .l4 = nh + 40 };
			int ext = pkt_ipv6_skip_ext(&ip6, btf);
			if (ext < 0 || !ip6.l4 || (__u32)ext > l3len || ext > 2048)
				return 0; /* unreadable, or no transport header */
			ipproto = ip6.proto;
			iphl += ext;
			l3len -= ext;
		}
	}
	if (ipproto != PROTO_UDP && ipproto != PROTO_TCP)
		return 0;
	if (iphl + 14 <= sizeof(h.b)) {
		/* 64-bit, and checked as it is used: the verifier loses a
		 * 32-bit bound across the zero extension */
		__u64 o = iphl & 0x3f;
		barrier_var(o);
		if (o > sizeof(h.b) - 14)
			return 0;
		sport = (__u16)h.b[o] << 8 | h.b[o + 1];
		dport = (__u16)h.b[o + 2] << 8 | h.b[o + 3];
		l4len = ipproto == PROTO_UDP ? 8 : (__u32)(h.b[o + 12] >> 4) * 4;
	} else {
		/* IPv4 options push the ports past what was read */
		__u8 p[14];
		if (bpf_probe_read_kernel(p, sizeof(p), nh + iphl))
			return 0;
		sport = (__u16)p[0] << 8 | p[1];
		dport = (__u16)p[2] << 8 | p[3];
		l4len = ipproto == PROTO_UDP ? 8 : (__u32)(p[12] >> 4) * 4;
	}
	if (!dns_port(sport, dport))
		return 0;
	/* ---- a DNS packet: the rare path ---- */
	if (l3len <= l4len)
		return 0; /* no payload (a bare TCP ACK, SYN or FIN) */
	paylen = l3len - l4len;
	if (paylen < (ipproto == PROTO_TCP ? 14 : 12))
		return 0; /* too short for a DNS header */
	l4 = nh + iphl;
	pay = l4 + l4len;
	headlen = TR_RD(btf, skb, len) - TR_RD(btf, skb, data_len);
	if (pay >= data + headlen) {
		/* the payload is in page fragments, out of reach: a TCP answer
		 * still goes up without its message (user space ends the
		 * flow's oldest query with it), anything else is left */
		if (ipproto != PROTO_TCP ||
		    !tr_port_in(tr_filter.ports, tr_filter.nports, sport))
			return 0;
		pay = data + headlen;
	}
	n = data + headlen - pay;
	if (n > paylen)
		n = paylen;
	if (n > DNS_COPY_MAX)
		n = DNS_COPY_MAX;

	__u64 now = bpf_ktime_get_ns();
	struct net_device *dev = TR_RD(btf, skb, dev);
	__u32 netns = BPF_CORE_READ(dev, nd_net.net, ns.inum);
	if (tr_filter.netns && netns != tr_filter.netns)
		return 0;
	bool task = dir == DNS_DIR_EGRESS && pkt_in_task();
	struct dnssnoop_event *e = begin(now, netns, task);
	if (!e)
		return 0;
	e->sock = 0;
	if (dir == DNS_DIR_EGRESS && !task && ipproto == PROTO_UDP) {
		__u64 sk = (__u64)BPF_CORE_READ(skb, sk);
		struct tr_owner *o = sk ? bpf_map_lookup_elem(&udp_senders, &sk) : NULL;
		__u8 one = 1;
		if (o) {
			tr_hdr_set_owner(&e->h, o);
		} else if (sk) {
			e->sock = sk ^ sock_salt;
			bpf_map_update_elem(&unowned, &sk, &one, BPF_ANY);
		}
	}
	e->t.family = family;
	e->t._pad = 0;
	e->t.sport = sport;
	e->t.dport = dport;
	if (family == TR_AF_INET) {
		__builtin_memset(e->t.saddr, 0, 16);
		__builtin_memset(e->t.daddr, 0, 16);
		__builtin_memcpy(e->t.saddr, &h.b[12], 4);
		__builtin_memcpy(e->t.daddr, &h.b[16], 4);
	} else {
		__builtin_memcpy(e->t.saddr, &h.b[8], 16);
		__builtin_memcpy(e->t.daddr, &h.b[24], 16);
	}
	e->ifindex = BPF_CORE_READ(dev, ifindex);
	e->paylen = paylen > 0xffff ? 0xffff : paylen;
	e->proto = ipproto;
	e->dir = dir;
	barrier_var(n); /* keep the bound the verifier needs */
	if (n > DNS_COPY_MAX)
		return 0;
	if (bpf_probe_read_kernel(e->data, n, pay))
		return 0;
	if (ipproto == PROTO_UDP && n >= 4 && seen_before(e, dir, now))
		return 0;
	finish(e, n, now);
	return 0;
}

TR_PROGRAM_PAIR(dnssnoop_xmit, net_dev_queue, (struct sk_buff *skb),
		on_skb(skb, DNS_DIR_EGRESS, btf))
TR_PROGRAM_PAIR(dnssnoop_recv, netif_receive_skb, (struct sk_buff *skb),
		on_skb(skb, DNS_DIR_INGRESS, btf))

/* Copies up to `cap` bytes from user address src to e->data + off. */
static __always_inline __u64 copy_user(struct dnssnoop_event *e, __u64 off, const void *src,
				       __u64 len)
{
	__u64 room, n;

	if (off >= DNS_COPY_MAX)
		return off;
	room = DNS_COPY_MAX - off;
	n = len < room ? len : room;
	barrier_var(off);
	barrier_var(n);
	if (off > DNS_COPY_MAX || n > DNS_COPY_MAX || off + n > DNS_COPY_MAX || !n)
		return off;
	if (bpf_probe_read_user(e->data + off, n, src))
		return off;
	return off + n;
}

/* A TCP send on a DNS port: its first bytes, from the sender's buffer (a
 * single buffer, send()/write(), or the first four pieces of a vector:
 * glibc writes each query's length and message apart, two queries at
 * once). Whatever they hold, a length, a message, part of one or several:
 * user space follows the stream (tracers/dns_stream.h), so the record is
 * the send's first bytes without a hole, paylen its whole size. */
static __always_inline int on_sendmsg(struct sock *sk, struct msghdr *msg, bool btf)
{
	__u16 family = TR_RD(btf, sk, __sk_common.skc_family);
	__u16 lport = TR_RD(btf, sk, __sk_common.skc_num);
	__u16 rport = bpf_ntohs(TR_RD(btf, sk, __sk_common.skc_dport));

	if (!dns_port(lport, rport))
		return 0;
	if (tr_filter.family && tr_filter.family != family)
		return 0;

	__u64 now = bpf_ktime_get_ns();
	__u32 netns = tr_sk_netns_rd(sk, btf);
	if (tr_filter.netns && netns != tr_filter.netns)
		return 0;
	__u8 type = BPF_CORE_READ(msg, msg_iter.iter_type);
	__u64 off = BPF_CORE_READ(msg, msg_iter.iov_offset);
	__u64 left = BPF_CORE_READ(msg, msg_iter.count);
	struct dnssnoop_event *e = begin(now, netns, pkt_in_task());
	__u64 n = 0;
	if (!e)
		return 0;
	if (type == bpf_core_enum_value(enum iter_type, ITER_UBUF)) {
		const char *p = BPF_CORE_READ(msg, msg_iter.ubuf);
		n = copy_user(e, 0, p + off, left);
	} else if (type == bpf_core_enum_value(enum iter_type, ITER_IOVEC)) {
		const struct iovec *iov = BPF_CORE_READ(msg, msg_iter.__iov);
		__u64 segs = BPF_CORE_READ(msg, msg_iter.nr_segs);
		for (int i = 0; i < 4 && i < segs; i++) {
			const char *base = BPF_CORE_READ(iov + i, iov_base);
			__u64 len = BPF_CORE_READ(iov + i, iov_len);
			if (i == 0) {
				if (off > len)
					break;
				base += off;
				len -= off;
			}
			__u64 m = copy_user(e, n, base, len);
			bool whole = m - n == len;
			n = m;
			if (!whole)
				break; /* out of room, or a fault: no hole in the copy */
		}
	} else {
		return 0;
	}
	if (!n)
		return 0;
	tr_read_tuple_rd(sk, NULL, &e->t, btf);
	e->ifindex = 0;
	e->sock = 0;
	e->paylen = left > 0xffff ? 0xffff : left;
	e->proto = PROTO_TCP;
	e->dir = DNS_DIR_EGRESS;
	finish(e, n, now);
	return 0;
}

TR_PROGRAM_PAIR(dnssnoop_tcpsend, tcp_sendmsg_locked,
		(const struct sock *sk, const struct msghdr *msg, const struct sk_buff *skb,
		 int size_goal),
		on_sendmsg((struct sock *)sk, (struct msghdr *)msg, btf))

/* After each send on a socket (process context): remember who sends on
 * UDP sockets that may send DNS (see udp_senders). Any other socket costs
 * two loads. */
static __always_inline int on_send_length(struct sock *sk, bool btf)
{
	__u64 key = (__u64)sk;
	struct tr_owner o, *old;
	__u16 dport;

	if (TR_RD(btf, sk, sk_protocol) != PROTO_UDP)
		return 0;
	dport = bpf_ntohs(TR_RD(btf, sk, __sk_common.skc_dport));
	if (dport && !tr_port_in(tr_filter.ports, tr_filter.nports, dport))
		return 0;
	tr_owner_current(&o);
	if (bpf_map_lookup_elem(&unowned, &key)) {
		__u64 now = bpf_ktime_get_ns();
		struct dnssnoop_event *e = begin(now, tr_sk_netns_rd(sk, btf), true);
		bpf_map_delete_elem(&unowned, &key);
		if (e) {
			__builtin_memset(&e->t, 0, sizeof(e->t));
			e->ifindex = 0;
			e->paylen = 0;
			e->proto = PROTO_UDP;
			e->dir = DNS_DIR_OWNER;
			/* a tp_btf program's sk is a pointer to the verifier,
			 * which refuses math on it: salt a copy */
			__u64 v = 0;
			bpf_probe_read_kernel(&v, sizeof(v), &key);
			e->sock = v ^ sock_salt;
			finish(e, 0, now);
		}
	}
	old = bpf_map_lookup_elem(&udp_senders, &key);
	if (old && old->tid == o.tid)
		return 0;
	bpf_map_update_elem(&udp_senders, &key, &o, BPF_ANY);
	return 0;
}

TR_PROGRAM_PAIR(dnssnoop_sendlen, sock_send_length, (struct sock *sk, int ret, int flags),
		on_send_length(sk, btf))
