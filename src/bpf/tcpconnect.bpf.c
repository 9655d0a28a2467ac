/* tcpconnect: active TCP opens with owner and tuple; failed connects with
 * their error; -c counts per destination in the kernel.
 *
 * Hook: inet_sock_set_state (tp_btf with plain loads, else raw_tp). */
#include "bpf/synsent.bpf.h"
#include "bpf/tcpconnect.h"

TR_ENDPOINT_COUNTS_MAP(counts);

static __always_inline int on_state(struct sock *sk, int oldstate, int newstate, bool backup,
				    bool btf)
{
	struct synsent *s = synsent_track(sk, oldstate, newstate, backup, btf);
	struct tcpconnect_event *e;
	struct tr_tuple t = {};
	int err = 0;

	if (!s)
		return 0;
	tr_read_tuple_rd(sk, NULL, &t, btf);
	if (!tr_want_ports(t.sport, t.dport))
		goto out;
	if (newstate != TCP_ESTABLISHED) {
		err = TR_RD(btf, sk, sk_err);
		if (!err)
			err = TR_RD(btf, sk, sk_err_soft);
	}
	if (tr_filter.summary) {
		struct tr_endpoint k = { .port = t.dport, .family = t.family };
		struct tr_counts *c;
		__builtin_memcpy(k.addr, t.daddr, sizeof(k.addr));
		c = tr_map_lookup_or_zero(&counts, &k);
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
	tr_fill_hdr_rd(&e->h, sk, &s->o, now, btf);
	e->t = t;
	e->lat_ns = now - s->ts;
	/* -1: closed while connecting, with no error (aborted by its owner) */
	e->err = newstate == TCP_ESTABLISHED ? 0 : (err ? err : -1);
	e->_pad = 0;
	tr_submit_at(e, now);
out:
	synsent_done(sk);
	return 0;
}

TR_STATE_PROGRAMS(tcpconnect, on_state)
