/* soconnlat, so1stbyte: latencies that start at connect() on a TCP socket
 * (bpf/soconnpend.bpf.h): one event per connect, or log2 histograms kept
 * in the kernel (--hist), one per process, destination or both. */
#ifndef NETLENS_BPF_SOLAT_H
#define NETLENS_BPF_SOLAT_H

#include "bpf/netlens.h"

/* sizeof(struct sockaddr_in6) is 28, rounded up to 8 */
#define SOLAT_SA 32

/* ret of a connect that ended in CLOSE with no error on the socket: the
 * application closed it (or disconnected it) before it connected. */
#define SOLAT_CLOSED 1

struct solat_event {
	struct tr_hdr h;      /* the process that called connect() */
	__u64 lat_ns;         /* from connect() to the end measured */
	__s32 ret;            /* soconnlat: 0, -errno or SOLAT_CLOSED; so1stbyte: 0 */
	__u16 addrlen;        /* as passed to connect(); sa holds min(addrlen, SOLAT_SA) */
	__u8 nonblock;        /* the socket was non-blocking (O_NONBLOCK) */
	__u8 _pad;
	__u8 sa[SOLAT_SA];    /* the destination: struct sockaddr_in or _in6 */
};

/* --hist: what a histogram is kept per (bits, SOLAT_BY_*). */
#define SOLAT_BY_PROCESS 1
#define SOLAT_BY_DEST    2

#define SOLAT_SLOTS 32 /* log2 of microseconds: up to 2^32 us */

/* Key of the hist map: the fields --by does not ask for are zero. */
struct solat_hist_key {
	__u8 addr[16];
	__u16 port;
	__u16 family;
	__u32 pid;
	char comm[TR_COMM_LEN];
};

struct solat_hist {
	__u64 slots[SOLAT_SLOTS];
	__u64 count;
	__u64 failed;         /* soconnlat: connects that did not connect */
	__u64 sum_ns;
};

#endif
