/* Active opens, shared by tcpconnect and tcpconnlat: connect() moves a
 * socket CLOSE -> SYN_SENT in process context (owner = current, filtered
 * here so unwanted connects cost one map miss later); leaving SYN_SENT for
 * ESTABLISHED (or CLOSE: failed) ends the connect. Source port may still be
 * 0 at SYN_SENT, so the tuple is read when the connect ends. */
#ifndef NETLENS_SYNSENT_BPF_H
#define NETLENS_SYNSENT_BPF_H

#include "bpf/netlens.bpf.h"

struct synsent {
	__u64 ts;
	struct tr_owner o;
};

/* A plain hash, not LRU: evicting a pending connect would lose its
 * completion unseen. Entries live from connect() to the end of SYN_SENT;
 * a connect that finds the map full is counted (tr_map_update). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct synsent);
} synsent SEC(".maps");

/* Returns the connect's record when sk leaves SYN_SENT (caller deletes it
 * with synsent_done), NULL otherwise. backup: see tr_nest_claim(); the
 * claim comes before the map lookup, whose result the primary changes.
 * btf: a tp_btf program ("reading kernel memory" in netlens.bpf.h). */
static __always_inline struct synsent *synsent_track(struct sock *sk, int oldstate, int newstate,
						     bool backup, bool btf)
{
	__u64 key = (__u64)sk;

	if (newstate == TCP_SYN_SENT) {
		struct synsent s = { .ts = bpf_ktime_get_ns() };
		if (!tr_sk_is_tcp_rd(sk, btf))
			return NULL;
		if (!tr_want_sock_rd(sk, TR_RD(btf, sk, __sk_common.skc_family), btf))
			return NULL;
		if (!tr_nest_claim_rd(backup, btf))
			return NULL;
		tr_owner_current_rd(&s.o, btf);
		if (!tr_want_task(s.o.pid, s.o.comm))
			return NULL;
		tr_map_update(&synsent, &key, &s, BPF_ANY);
		return NULL;
	}
	if (oldstate != TCP_SYN_SENT || !tr_sk_is_tcp_rd(sk, btf))
		return NULL;
	if (!tr_nest_claim_rd(backup, btf))
		return NULL;
	return bpf_map_lookup_elem(&synsent, &key);
}

static __always_inline void synsent_done(struct sock *sk)
{
	__u64 key = (__u64)sk;

	bpf_map_delete_elem(&synsent, &key);
}

#endif
