/* dnssnoop: one record per DNS message sighted on the wire (a packet on a
 * device, or a TCP send), with the first DNS_COPY_MAX bytes of the message;
 * user space parses it (tracers/dns_parse.h). */
#ifndef NETLENS_BPF_DNSSNOOP_H
#define NETLENS_BPF_DNSSNOOP_H

#include "bpf/netlens.h"

#define DNS_COPY_MAX 512

enum {
	DNS_DIR_EGRESS = 0,  /* leaving: net_dev_queue, or a TCP send */
	DNS_DIR_INGRESS = 1, /* arriving: netif_receive_skb */
	DNS_DIR_OWNER = 2,   /* no message: h names the process that sent on
				socket `sock`, whose packet left before, in a
				softirq its own send ran (caplen 0) */
};

struct dnssnoop_event {
	struct tr_hdr h;   /* netns: the device's (the socket's for a TCP send);
			      pid/comm: the sender, when sent in process context */
	struct tr_tuple t; /* s = the packet's source, d = its destination */
	__u32 ifindex;     /* 0 for a TCP send */
	__u16 caplen;      /* bytes of data[] that follow (<= DNS_COPY_MAX) */
	__u16 paylen;      /* payload bytes of the packet (TCP: with the length) */
	__u8 proto;        /* 17 UDP, 6 TCP */
	__u8 dir;          /* DNS_DIR_* */
	__u8 _pad[6];
	__u64 sock;        /* the sending socket (a salted pointer) of an egress
			      packet without a process, else 0 */
	__u8 data[DNS_COPY_MAX]; /* the payload from its first byte */
};

#endif
