/* ieee80211scan: the time from a Wi-Fi scan request handed to the driver
 * (cfg80211:rdev_scan, in the context of the process that asked, through
 * nl80211) to its completion (cfg80211:cfg80211_scan_done), per request.
 *
 * cfg80211 is usually a module, so its types are not in the kernel's own
 * BTF (nor in netlens's vmlinux.h): the programs are raw_tp ones that use
 * the tracepoints' arguments only as addresses, the request as the key
 * and the wiphy to tell radios apart, and read no field of them.
 * User space refuses to run, naming the tracepoint, on a kernel without
 * cfg80211 (ieee80211scan.c).
 *
 * Hooks: rdev_scan and cfg80211_scan_done (raw_tp).
 */
#include "bpf/netlens.bpf.h"
#include "bpf/ieee80211scan.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __u64);
	__type(value, struct ieee80211scan_start);
} scans SEC(".maps");

SEC("raw_tp/rdev_scan")
int BPF_PROG(ieee80211scan_start, void *wiphy, void *request)
{
	struct ieee80211scan_start s = {};
	__u64 key = (__u64)request;
	struct tr_owner o;

	tr_owner_current(&o);
	if (!tr_want_task(o.pid, o.comm))
		return 0;
	s.ts_ns = bpf_ktime_get_ns();
	s.wiphy = (__u64)wiphy;
	s.pid = o.pid;
	s.tid = o.tid;
	__builtin_memcpy(s.comm, o.comm, sizeof(s.comm));
	tr_map_update(&scans, &key, &s, BPF_ANY);
	return 0;
}

SEC("raw_tp/cfg80211_scan_done")
int BPF_PROG(ieee80211scan_done, void *request, void *info)
{
	__u64 key = (__u64)request, now = bpf_ktime_get_ns();
	struct ieee80211scan_start *s = bpf_map_lookup_elem(&scans, &key);
	struct ieee80211scan_event *e;

	if (!s)
		return 0;
	e = tr_reserve(sizeof(*e));
	if (e) {
		__builtin_memset(&e->h, 0, sizeof(e->h));
		e->h.ts_ns = now;
		e->h.pid = s->pid;
		e->h.tid = s->tid;
		__builtin_memcpy(e->h.comm, s->comm, sizeof(e->h.comm));
		e->lat_ns = now > s->ts_ns ? now - s->ts_ns : 0;
		e->wiphy = s->wiphy;
		tr_submit(e);
	}
	bpf_map_delete_elem(&scans, &key);
	return 0;
}
