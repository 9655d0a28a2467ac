/* tcpconnect: active TCP opens with owner and tuple; failed connects with
 * their error; -c counts per destination in the kernel.
 *
 * Hook: inet_sock_set_state (tp_btf, else raw_tp). */
#include "bpf/synsent.bpf.h"
#include "bpf/tcpconnect.h"

const volatile bool count_mode = false;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, struct tr_endpoint);
	__type(value, struct tr_counts);
} counts SEC(".maps");

static __always_inline int on_state(struct sock *sk, int oldstate, int newstate, bool backup)
{
	struct synsent *s = synsent_track(sk, oldstate, newstate, backup);
	struct tcpconnect_event *e;
	struct tr_tuple t = {};
	int err = 0;

	if (!s)
		return 0;
	tr_read_tuple(sk, &t);
	if (!tr_want_ports(t.sport, t.dport))
		goto out;
	if (newstate != TCP_ESTABLISHED) {
		err = BPF_CORE_READ(sk, sk_err);
		if (!err)
			err = BPF_CORE_READ(sk, sk_err_soft);
	}
	if (count_mode) {
		struct tr_endpoint k = { .port = t.dport, .family = t.family };
		struct tr_counts zero = {}, *c;
		__builtin_memcpy(k.addr, t.daddr, sizeof(k.addr));
		c = bpf_map_lookup_elem(&counts, &k);
		if (!c) {
			bpf_map_update_elem(&counts, &k, &zero, BPF_NOEXIST);
			c = bpf_map_lookup_elem(&counts, &k);
		}
		if (c) {
			if (newstate == TCP_ESTABLISHED)
				__sync_fetch_and_add(&c->ok, 1);
			else
				__sync_fetch_and_add(&c->failed, 1);
		}
		goto out;
	}
	e = tr_reserve(sizeof(*e));
	if (!e)
		goto out;
	__u64 now = bpf_ktime_get_ns();
	tr_fill_hdr(&e->h, sk, &s->o, now);
	e->t = t;
	e->lat_ns = now - s->ts;
	/* -1: closed while connecting, with no error (aborted by its owner) */
	e->err = newstate == TCP_ESTABLISHED ? 0 : (err ? err : -1);
	e->_pad = 0;
	tr_submit(e);
out:
	synsent_done(sk);
	return 0;
}

TR_STATE_PROGRAMS(tcpconnect, on_state)
