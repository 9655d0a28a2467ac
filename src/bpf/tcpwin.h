/* tcpwin: one event per tcp:tcp_probe (an incoming segment on an
 * established socket): the sender's and receiver's windows and the RTT. */
#ifndef NETLENS_BPF_TCPWIN_H
#define NETLENS_BPF_TCPWIN_H

#include "bpf/netlens.h"

#define TCPWIN_INFINITE_SSTHRESH 0x7fffffff

struct tcpwin_event {
	struct tr_hdr h;
	struct tr_tuple t;
	__u32 cwnd;       /* snd_cwnd, segments */
	__u32 ssthresh;   /* snd_ssthresh, segments; TCPWIN_INFINITE_SSTHRESH: unset */
	__u32 snd_wnd;    /* peer's advertised window, bytes */
	__u32 rcv_wnd;    /* our advertised window, bytes */
	__u32 srtt_us;    /* smoothed RTT, microseconds (srtt_us >> 3) */
	__u32 packets_out;
	__u32 mss;        /* mss_cache */
	__u32 _pad;
};

#endif
