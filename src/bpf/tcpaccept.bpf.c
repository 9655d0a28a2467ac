/* tcpaccept: passive TCP opens, reported when accept()/accept4() returns
 * the new descriptor: that is process context, so the PID and command are
 * the accepting process (the handshake itself completes in softirq).
 * -c counts per remote address and local port in the kernel.
 *
 * Hook: sys_exit (tp_btf, else raw_tp), which runs for every syscall; the
 * syscall number is checked first. */
#include "bpf/netlens.bpf.h"
#include "bpf/tcpaccept.h"

const volatile bool count_mode = false;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, struct tr_endpoint);
	__type(value, struct tr_counts);
} counts SEC(".maps");

static __always_inline int on_accept(struct sock *sk)
{
	struct tcpaccept_event *e;
	struct tr_owner o;
	struct tr_tuple t = {};

	if (!tr_want_sock(sk, BPF_CORE_READ(sk, __sk_common.skc_family)))
		return 0;
	tr_owner_current(&o);
	if (!tr_want_task(o.pid, o.comm))
		return 0;
	tr_read_tuple(sk, &t);
	if (!tr_want_ports(t.sport, t.dport))
		return 0;
	if (count_mode) {
		struct tr_endpoint k = { .port = t.sport, .family = t.family };
		struct tr_counts zero = {}, *c;
		__builtin_memcpy(k.addr, t.daddr, sizeof(k.addr));
		c = bpf_map_lookup_elem(&counts, &k);
		if (!c) {
			bpf_map_update_elem(&counts, &k, &zero, BPF_NOEXIST);
			c = bpf_map_lookup_elem(&counts, &k);
		}
		if (c)
			__sync_fetch_and_add(&c->ok, 1);
		return 0;
	}
	e = tr_reserve(sizeof(*e));
	if (!e)
		return 0;
	tr_fill_hdr(&e->h, sk, &o, bpf_ktime_get_ns());
	e->t = t;
	tr_submit(e);
	return 0;
}

TR_ACCEPTED_SOCK_PROGRAMS(tcpaccept, on_accept)
