/* Types shared by the BPF programs (src/bpf/\*.bpf.c) and user space
 * (src/trace, src/tracers). Plain fixed-size types only, so both sides agree
 * on the layout; every event starts with struct tr_hdr.
 */
#ifndef NETLENS_BPF_NETLENS_H
#define NETLENS_BPF_NETLENS_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define TR_COMM_LEN  16
#define TR_MAX_PORTS 8

/* An event wakes the consumer when none did for this long (netlens.bpf.h). */
#define TR_WAKE_GAP_NS (5ULL * 1000 * 1000)

/* Common filters, set by user space in .rodata before load (trace/opts.c);
 * zero means "any". The verifier sees them as constants, so a filter that
 * is off costs nothing. */
struct tr_filter {
	__u64 cgroup;        /* cgroup v2 id of the socket */
	__u64 wakeup_bytes;  /* wake the consumer once this much is queued */
	__u32 pid;           /* process (tgid) owning the socket */
	__u32 netns;         /* network namespace inode */
	__u32 ifindex;       /* --dev: packets through this device (in netns) */
	__u32 _pad2;
	__u16 family;        /* AF_INET or AF_INET6 */
	__u8 comm_set;
	__u8 nports;         /* -P: either end */
	__u8 nlports;        /* --lport */
	__u8 nrports;        /* --rport */
	__u8 summary;        /* summary mode: count in maps, stream no events */
	__u8 _pad;
	__u16 ports[TR_MAX_PORTS];
	__u16 lports[TR_MAX_PORTS];
	__u16 rports[TR_MAX_PORTS];
	char comm[TR_COMM_LEN];
};

/* Header of every event in the ring buffer. */
struct tr_hdr {
	__u64 ts_ns;   /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	__u64 cgroup;  /* cgroup v2 id of the socket */
	__u32 netns;   /* network namespace inode */
	__u32 pid;     /* owning process, 0 when unknown */
	__u32 tid;
	__u32 _pad;
	char comm[TR_COMM_LEN];
};

/* A TCP/IP tuple from the socket's point of view: s = local, d = remote.
 * IPv4 addresses sit in the first 4 bytes. Ports in host order. */
struct tr_tuple {
	__u8 saddr[16];
	__u8 daddr[16];
	__u16 sport;
	__u16 dport;
	__u16 family;
	__u16 _pad;
};

/* Key and value of the per-endpoint count maps (tcpconnect -c, tcpaccept -c). */
struct tr_endpoint {
	__u8 addr[16];
	__u16 port;
	__u16 family;
	__u32 _pad;
};

struct tr_counts {
	__u64 ok;
	__u64 failed;
};

/* Histogram maps hold this many slots (log2 or linear buckets). */
#define TR_HIST_SLOTS 64

#endif
