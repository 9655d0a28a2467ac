/* tcpconnlat: time from SYN_SENT to ESTABLISHED per connect, streamed or
 * as a log2/linear histogram in the kernel; a minimum-latency filter drops
 * fast connects in the kernel.
 *
 * Hook: inet_sock_set_state (tp_btf with plain loads, else raw_tp). */
#include "bpf/synsent.bpf.h"
#include "bpf/tcpconnlat.h"

const volatile __u64 min_ns = 0;
const volatile bool hist_mode = false;
const volatile __u64 hist_step_us = 0; /* 0: log2 buckets of microseconds */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TR_HIST_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} hist SEC(".maps");

static __always_inline int on_state(struct sock *sk, int oldstate, int newstate, bool backup,
				    bool btf)
{
	struct synsent *s = synsent_track(sk, oldstate, newstate, backup, btf);
	struct tcpconnlat_event *e;
	struct tr_tuple t = {};
	__u64 now, lat;

	if (!s)
		return 0;
	if (newstate != TCP_ESTABLISHED)
		goto out;
	now = bpf_ktime_get_ns();
	lat = now - s->ts;
	if (lat < min_ns)
		goto out;
	tr_read_tuple_rd(sk, NULL, &t, btf);
	if (!tr_want_ports(t.sport, t.dport))
		goto out;
	if (hist_mode) {
		__u64 us = lat / 1000, *slot;
		__u32 i = hist_step_us ? us / hist_step_us : tr_log2(us);
		if (i >= TR_HIST_SLOTS)
			i = TR_HIST_SLOTS - 1;
		slot = bpf_map_lookup_elem(&hist, &i);
		if (slot)
			__sync_fetch_and_add(slot, 1);
		goto out;
	}
	e = tr_reserve(sizeof(*e));
	if (!e)
		goto out;
	tr_fill_hdr_rd(&e->h, sk, &s->o, now, btf);
	e->t = t;
	e->lat_ns = lat;
	tr_submit_at(e, now);
out:
	synsent_done(sk);
	return 0;
}

TR_STATE_PROGRAMS(tcpconnlat, on_state)
