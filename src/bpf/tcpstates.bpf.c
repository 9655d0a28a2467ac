/* tcpstates: every TCP state change with the time spent in the old state.
 *
 * Hooks: inet_sock_set_state (tp_btf, else raw_tp); sys_exit for accept()
 * owners. Owners are recorded in process context: connect() (-> SYN_SENT),
 * listen() (-> LISTEN) and accept(); a passive socket's states before
 * accept() have no owner yet (PID 0 / "-").
 */
#define NL_WANT_OWNERS
#include "bpf/netlens.bpf.h"
#include "bpf/tcpstates.h"

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, __u64);
} entered SEC(".maps");

static __always_inline int on_state(struct sock *sk, int oldstate, int newstate, bool backup)
{
	struct tcpstates_event *e;
	struct nl_owner *o;
	__u64 key = (__u64)sk, now, *ts;
	__u16 family;

	if (!nl_sk_is_tcp(sk))
		return 0;
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (!nl_want_sock(sk, family))
		return 0;
	if (!nl_nest_claim(backup))
		return 0;
	now = bpf_ktime_get_ns();
	if (newstate == TCP_SYN_SENT || newstate == TCP_LISTEN)
		nl_owner_set_current(sk);
	o = nl_owner_get(sk);
	ts = bpf_map_lookup_elem(&entered, &key);
	if (o ? !nl_want_task(o->pid, o->comm) : (nl_filter.pid || nl_filter.comm_set))
		goto out;
	e = nl_reserve(sizeof(*e));
	if (!e)
		goto out;
	nl_read_tuple(sk, &e->t);
	if (!nl_want_ports(e->t.sport, e->t.dport)) {
		bpf_ringbuf_discard(e, BPF_RB_NO_WAKEUP);
		goto out;
	}
	nl_fill_hdr(&e->h, sk, o, now);
	e->skaddr = key;
	e->delta_ns = ts ? now - *ts : 0;
	e->oldstate = oldstate;
	e->newstate = newstate;
	nl_submit(e);
out:
	if (newstate == TCP_CLOSE) {
		bpf_map_delete_elem(&entered, &key);
		if (o)
			nl_owner_del(sk);
	} else {
		bpf_map_update_elem(&entered, &key, &now, BPF_ANY);
	}
	return 0;
}

NL_STATE_PROGRAMS(tcpstates, on_state)

static __always_inline int on_accept(struct sock *sk)
{
	__u64 key = (__u64)sk;

	if (bpf_map_lookup_elem(&entered, &key))
		nl_owner_set_current(sk);
	return 0;
}

NL_ACCEPTED_SOCK_PROGRAMS(tcpstates, on_accept)
