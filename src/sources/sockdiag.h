/* Sockets over NETLINK_SOCK_DIAG.
 *
 * sockdiag_dump() asks the kernel for one kind of socket (TCP, UDP, RAW,
 * MPTCP, UNIX or PACKET) and calls back once per socket with a struct
 * sock_rec. Nothing is accumulated: a dump of a million sockets costs the
 * memory of one netlink buffer. The record's pointers (tcp_info, congestion
 * algorithm, UNIX path) point into the netlink message and are valid only
 * during the callback.
 *
 * sockdiag_parse() is the same parser over a buffer of netlink messages, so
 * recorded replies (and corrupt ones in tests) run through the real code.
 * Both return 0 or -errno; a malformed message is -EBADMSG, never a crash.
 */
#ifndef NETLENS_SOCKDIAG_H
#define NETLENS_SOCKDIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct tcp_info;

enum sock_kind {
	SK_TCP,
	SK_UDP,
	SK_RAW,
	SK_MPTCP,
	SK_UNIX,
	SK_PACKET,
	SK_KIND_MAX,
};

/* TCP state numbers as the kernel uses them (also for UDP, RAW, UNIX). */
enum sock_state {
	SS_UNKNOWN_ = 0,
	SS_ESTABLISHED = 1,
	SS_SYN_SENT,
	SS_SYN_RECV,
	SS_FIN_WAIT1,
	SS_FIN_WAIT2,
	SS_TIME_WAIT,
	SS_CLOSE,
	SS_CLOSE_WAIT,
	SS_LAST_ACK,
	SS_LISTEN,
	SS_CLOSING,
	SS_NEW_SYN_RECV,
	SS_BOUND_INACTIVE,
	SS_STATE_MAX,
};

/* Every state but 0 and BOUND_INACTIVE: asking for bound-but-inactive
 * sockets makes the kernel walk the bind hash as well, which costs a fifth
 * of a large dump and is not what "all" means in ss. */
#define SS_ALL_STATES (((1u << SS_BOUND_INACTIVE) - 1) & ~1u)

/* What was present in the message (bits of sock_rec.has). */
enum sock_has {
	SKH_MEMINFO = 1 << 0,
	SKH_TCPINFO = 1 << 1,
	SKH_CONG    = 1 << 2,
	SKH_SHUTDOWN = 1 << 3,
	SKH_UID     = 1 << 4,
	SKH_COOKIE  = 1 << 5,
	SKH_PEER    = 1 << 6, /* UNIX peer inode */
	SKH_PATH    = 1 << 7, /* UNIX path */
	SKH_MARK    = 1 << 8,
	SKH_TOS     = 1 << 9,
	SKH_RQLEN   = 1 << 10, /* UNIX queue lengths */
	SKH_CCINFO  = 1 << 11, /* congestion control state (cc_type, cc_info) */
	SKH_V6ONLY  = 1 << 12, /* IPv6 listening/unbound: v6only is known */
	SKH_CGROUP  = 1 << 13, /* cgroup v2 id (INET_DIAG_CGROUP_ID) */
};

enum { SK_MEMINFO_N = 9 }; /* SK_MEMINFO_RMEM_ALLOC .. SK_MEMINFO_DROPS */

struct sock_rec {
	uint8_t kind;    /* enum sock_kind */
	uint8_t family;  /* AF_INET, AF_INET6, AF_UNIX, AF_PACKET */
	uint8_t type;    /* SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET, SOCK_RAW */
	uint8_t state;   /* enum sock_state */
	uint16_t sport, dport; /* host order; RAW: sport is the protocol */
	uint8_t src[16], dst[16]; /* network order; IPv4 in the first 4 bytes */
	uint32_t ifindex;
	uint32_t uid;
	uint64_t inode;
	uint64_t cookie;
	uint32_t rqueue, wqueue; /* LISTEN: accept queue length and backlog limit */
	uint8_t timer;   /* 0 none, 1 retransmit, 2 keepalive, 3 time-wait, 4 probe */
	uint8_t retrans;
	uint8_t shutdown;
	uint8_t tos;
	uint8_t v6only;  /* IPV6_V6ONLY (when SKH_V6ONLY): no IPv4 on [::] */
	uint32_t expires_ms;
	uint32_t mark;
	uint32_t has;    /* enum sock_has */
	uint32_t meminfo[SK_MEMINFO_N];
	const struct tcp_info *tcpi; /* valid for tcpi_len bytes (may be shorter) */
	size_t tcpi_len;
	const char *cong;
	/* INET_DIAG_VEGASINFO, _DCTCPINFO or _BBRINFO: the struct the
	 * algorithm reports (tcpvegas_info, tcp_dctcp_info, tcp_bbr_info) */
	uint16_t cc_type;
	const void *cc_info;
	size_t cc_len;
	const char *path; /* UNIX: path; abstract names begin with '@' */
	uint32_t peer_inode;
	uint16_t protocol;  /* PACKET: ethertype, host order */
	uint64_t cgroup_id; /* inet: the socket's cgroup v2 id (SKH_CGROUP) */
};

/* Which diag extensions to ask for. */
enum sock_ext {
	SKX_MEMINFO = 1 << 0,
	SKX_TCPINFO = 1 << 1, /* also congestion algorithm and its state */
	SKX_MISC    = 1 << 2, /* tos, mark, cookie, shutdown */
};

struct sockdiag_query {
	enum sock_kind kind;
	int family;          /* AF_INET or AF_INET6 for inet kinds; ignored otherwise.
			      * SK_TCP also takes AF_UNSPEC: both families in one walk
			      * of the kernel's tables (inet_diag's compatibility
			      * request, TCPDIAG_GETSOCK; no extensions or bytecode) */
	uint32_t states;     /* bit per enum sock_state */
	unsigned ext;        /* enum sock_ext */
	const void *bytecode; /* INET_DIAG_REQ_BYTECODE, or NULL */
	size_t bytecode_len;
};

typedef int (*sock_cb)(const struct sock_rec *s, void *arg);

/* Dump over a socket opened in the current network namespace. */
int sockdiag_dump(const struct sockdiag_query *q, sock_cb cb, void *arg);

/* The same through a host: live hosts stream as sockdiag_dump() does; a
 * recorded host replays its dump of q's kind and family, which holds every
 * state and extension, so the callback sees states q did not ask for and
 * must filter them itself (q->bytecode is ignored). -ENOENT when the
 * recording has no such dump. */
struct host;
int sockdiag_dump_host(struct host *h, const struct sockdiag_query *q, sock_cb cb, void *arg);

/* Parse a buffer of netlink messages for query q. Returns 0 at NLMSG_DONE,
 * 1 when more messages are expected, -errno on error. */
int sockdiag_parse(const struct sockdiag_query *q, const void *buf, size_t len, sock_cb cb,
		   void *arg);

/* Builds the dump request for q into buf (4096 bytes + bytecode_len). */
struct nlmsghdr;
struct nlmsghdr *sockdiag_request(const struct sockdiag_query *q, char *buf, uint32_t seq);

/* Does this kernel offer the kind (MPTCP needs CONFIG_MPTCP, etc.)? */
bool sockdiag_kind_supported(enum sock_kind k);

/* ---- Acting on live sockets (never through a host: no snapshot can) ----
 *
 * SOCK_DESTROY: closes one inet socket found by a dump, identified by its
 * whole inet_diag_sockid (addresses, ports, bound device, cookie), as
 * iproute2's ss -K does. d is an open NETLINK_SOCK_DIAG socket
 * (nl_dump_open()), separate from any dump in progress. 0 when the kernel
 * closed it; -EPERM without CAP_NET_ADMIN in the socket's namespace,
 * -EOPNOTSUPP when the kernel cannot destroy this kind (no
 * CONFIG_INET_DIAG_DESTROY, or a protocol without a destroy handler),
 * -ENOENT when the socket is already gone, other -errno. */
struct nl_dump;
int sockdiag_destroy(struct nl_dump *d, const struct sock_rec *s);
/* The request sockdiag_destroy() sends, into buf (>= 4096 bytes). */
struct nlmsghdr *sockdiag_destroy_request(const struct sock_rec *s, char *buf, uint32_t seq);

/* Destroyed-socket events: a NETLINK_SOCK_DIAG socket in the sock_diag
 * multicast groups (SKNLGRP_INET{,6}_{TCP,UDP}_DESTROY) for the kinds and
 * families asked for (needs CAP_NET_ADMIN: -EPERM). The kernel sends one
 * inet_diag_msg, with tcp_info for TCP, when a socket is freed. */
int sockdiag_events_open(struct nl_dump *d, bool tcp, bool udp, bool inet4, bool inet6);
/* Parses a buffer of event messages, one callback per socket; the kind
 * comes from each message's INET_DIAG_PROTOCOL. 0 or -errno. */
int sockdiag_events_parse(const void *buf, size_t len, sock_cb cb, void *arg);
/* Messages the kernel dropped because the socket's receive queue was full
 * (its sk_drops, through SO_MEMINFO); -errno when it cannot be read. */
int64_t sockdiag_events_dropped(struct nl_dump *d);

const char *sock_state_name(unsigned state); /* "ESTAB", "LISTEN", ... as ss */
const char *sock_netid(const struct sock_rec *s); /* "tcp", "u_str", ... */

#endif
