/* gethostlatency: name-resolution calls into libc (getaddrinfo,
 * gethostbyname, gethostbyname2 and their _r variants), timed from the
 * call to its return by uprobes on the library file (bpf/gethostlatency.bpf.c). */
#ifndef NETLENS_BPF_GETHOSTLATENCY_H
#define NETLENS_BPF_GETHOSTLATENCY_H

#include "bpf/netlens.h"

/* The host name as passed, NUL-terminated (DNS names are at most 253). */
#define GHL_NAME_LEN 256

/* The probed functions: the uprobe's attach cookie. */
enum ghl_func {
	GHL_GETADDRINFO = 0,
	GHL_GETHOSTBYNAME,
	GHL_GETHOSTBYNAME2,
	GHL_GETHOSTBYNAME_R,
	GHL_GETHOSTBYNAME2_R,
	GHL_NFUNCS,
};

/* herr when no h_errno is known. */
#define GHL_HERR_NONE 0x7fffffff

/* --hist: a histogram per (bits of GHL_BY_*); fields not asked for stay
 * zero. The key lives in the call in flight (struct ghl_call). */
#define GHL_BY_PROCESS 1
#define GHL_BY_NAME    2

struct ghl_hist_key {
	__u32 pid;
	__u32 _pad;
	char comm[TR_COMM_LEN];
	char name[GHL_NAME_LEN];
};

#define GHL_SLOTS 32 /* log2 of microseconds */

struct ghl_hist {
	__u64 slots[GHL_SLOTS];
	__u64 count;
	__u64 failed;
	__u64 sum_ns;
	__u64 max_ns;
};

struct ghl_event {
	struct tr_hdr h;     /* the calling thread, at the return */
	__u64 lat_ns;        /* from the call to its return */
	__s32 ret;           /* getaddrinfo: its value (0 or EAI_*); the _r calls:
			      * theirs (0 or an errno); gethostbyname(2): 0 */
	__s32 herr;          /* h_errno of a failed gethostbyname*, or GHL_HERR_NONE */
	__u8 func;           /* enum ghl_func */
	__u8 ok;             /* resolved: 0 from getaddrinfo, a hostent otherwise */
	__u8 _pad[6];
	char name[GHL_NAME_LEN]; /* "" for a NULL name */
};

#endif
