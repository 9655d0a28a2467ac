/* ieee80211scan: Wi-Fi scans through the cfg80211 tracepoints, from the
 * scan request handed to the driver to its completion. */
#ifndef NETLENS_BPF_IEEE80211SCAN_H
#define NETLENS_BPF_IEEE80211SCAN_H

#include "bpf/netlens.h"

/* A scan in flight, keyed by its request's address. */
struct ieee80211scan_start {
	__u64 ts_ns;
	__u64 wiphy;    /* the struct wiphy's address: tells radios apart */
	__u32 pid;      /* who asked (rdev_scan runs in the requester's context) */
	__u32 tid;
	char comm[TR_COMM_LEN];
};

struct ieee80211scan_event {
	struct tr_hdr h;  /* ts: the scan's end; pid/comm: who asked */
	__u64 lat_ns;
	__u64 wiphy;
};

#endif
