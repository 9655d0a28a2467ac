/* tcpstates: every TCP state change with the time spent in the old state.
 *
 * Hooks: inet_sock_set_state (tp_btf with plain loads, else raw_tp); sys_exit for accept()
 * owners. Owners are recorded in process context: connect() (-> SYN_SENT),
 * listen() (-> LISTEN) and accept(); a passive socket's states before
 * accept() have no owner yet (PID 0 / "-").
 */
#define TR_WANT_OWNERS
#include "bpf/netlens.bpf.h"
#include "bpf/tcpstates.h"

/* When each socket entered its state. A plain hash, not LRU: an eviction
 * would make a live socket's next time-in-state unknown, unseen. Entries
 * go at CLOSE; a socket that finds the map full is counted
 * (tr_map_update) and its next MS shows 0. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, __u64);
} entered SEC(".maps");

static __always_inline int on_state(struct sock *sk, int oldstate, int newstate, bool backup,
				    bool btf)
{
	struct tcpstates_event *e;
	struct tr_owner *o;
	__u64 key = (__u64)sk, now, *ts;
	__u16 family;

	if (!tr_sk_is_tcp_rd(sk, btf))
		return 0;
	family = TR_RD(btf, sk, __sk_common.skc_family);
	if (!tr_want_sock_rd(sk, family, btf))
		return 0;
	if (!tr_nest_claim_rd(backup, btf))
		return 0;
	now = bpf_ktime_get_ns();
	if (newstate == TCP_SYN_SENT || newstate == TCP_LISTEN)
		tr_owner_set_current_rd(sk, btf);
	o = tr_owner_get(sk);
	ts = bpf_map_lookup_elem(&entered, &key);
	if (o ? !tr_want_task(o->pid, o->comm) : (tr_filter.pid || tr_filter.comm_set))
		goto out;
	e = tr_reserve(sizeof(*e));
	if (!e)
		goto out;
	tr_read_tuple_rd(sk, NULL, &e->t, btf);
	if (!tr_want_ports(e->t.sport, e->t.dport)) {
		bpf_ringbuf_discard(e, BPF_RB_NO_WAKEUP);
		goto out;
	}
	tr_fill_hdr_rd(&e->h, sk, o, now, btf);
	e->skaddr = key;
	e->delta_ns = ts ? now - *ts : 0;
	e->oldstate = oldstate;
	e->newstate = newstate;
	tr_submit_at(e, now);
out:
	if (newstate == TCP_CLOSE) {
		bpf_map_delete_elem(&entered, &key);
		if (o)
			tr_owner_del(sk);
	} else if (ts) {
		*ts = now; /* in place: an update would take and free an element */
	} else {
		tr_map_update(&entered, &key, &now, BPF_ANY);
	}
	return 0;
}

TR_STATE_PROGRAMS(tcpstates, on_state)

static __always_inline int on_accept(struct sock *sk)
{
	__u64 key = (__u64)sk;

	if (bpf_map_lookup_elem(&entered, &key))
		tr_owner_set_current(sk);
	return 0;
}

TR_ACCEPTED_SOCK_PROGRAMS(tcpstates, on_accept)
