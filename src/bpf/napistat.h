/* napistat: NAPI polls per device and CPU, and the NET_RX/NET_TX softirqs
 * per CPU, counted in the kernel (cumulative; user space prints what each
 * counter gained per interval). */
#ifndef NETLENS_BPF_NAPISTAT_H
#define NETLENS_BPF_NAPISTAT_H

#include "bpf/netlens.h"

#define NAPISTAT_IFNAMSIZ 16
/* NAPIs a CPU counts in its per-CPU array slots; more go to the hash */
#define NAPISTAT_SLOTS 8

/* slots[i] on a CPU: the NAPI of that CPU's slot_napi[i]; napis: the
 * napi_struct's address -> this, per CPU, for the NAPIs beyond the slots */
struct napistat_napi {
	__u64 polls;
	__u64 work;        /* packets the polls handled (napi_poll's work) */
	__u64 full;        /* polls with work >= budget: more was waiting */
	__u64 timed;       /* polls inside a NET_RX softirq (the ones timed) */
	__u64 poll_ns;     /* their time, see napistat.bpf.c */
	__u32 budget;      /* the largest budget seen (the NAPI's weight) */
	__u32 ifindex;     /* 0: the CPU's backlog NAPI (no device) */
	char ifname[NAPISTAT_IFNAMSIZ];
};

/* cpus: one per CPU (per-CPU array of one entry) */
struct napistat_cpu {
	__u64 rx;          /* NET_RX softirq runs that ended */
	__u64 rx_ns;
	__u64 tx;          /* NET_TX softirq runs that ended */
	__u64 tx_ns;
	__u64 rx_start;    /* the running NET_RX's entry time, 0 outside it */
	__u64 tx_start;
	__u64 mark;        /* in NET_RX: its entry or the last poll's end */
	__u64 slot_napi[NAPISTAT_SLOTS]; /* the NAPI counted in slots[i]; 0: free */
};

#endif
