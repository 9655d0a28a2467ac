/* NETLINK_SOCK_DIAG dumps: request building, the receive loop, and the
 * parsers from kernel messages to struct sock_rec. See sockdiag.h. */
#include "sources/sockdiag.h"
#include "sources/host.h"
#include "sources/nl.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/packet_diag.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>
#include <linux/unix_diag.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif

static const char *const state_names[SS_STATE_MAX] = {
	[SS_UNKNOWN_] = "UNKNOWN",     [SS_ESTABLISHED] = "ESTAB",   [SS_SYN_SENT] = "SYN-SENT",
	[SS_SYN_RECV] = "SYN-RECV",    [SS_FIN_WAIT1] = "FIN-WAIT-1", [SS_FIN_WAIT2] = "FIN-WAIT-2",
	[SS_TIME_WAIT] = "TIME-WAIT",  [SS_CLOSE] = "UNCONN",        [SS_CLOSE_WAIT] = "CLOSE-WAIT",
	[SS_LAST_ACK] = "LAST-ACK",    [SS_LISTEN] = "LISTEN",       [SS_CLOSING] = "CLOSING",
	[SS_NEW_SYN_RECV] = "SYN-RECV", [SS_BOUND_INACTIVE] = "BOUND-INACTIVE",
};

const char *sock_state_name(unsigned state)
{
	return state < SS_STATE_MAX && state_names[state] ? state_names[state] : "UNKNOWN";
}

const char *sock_netid(const struct sock_rec *s)
{
	switch (s->kind) {
	case SK_TCP: return "tcp";
	case SK_UDP: return "udp";
	case SK_RAW: return "raw";
	case SK_MPTCP: return "mptcp";
	case SK_UNIX:
		return s->type == SOCK_STREAM ? "u_str" : s->type == SOCK_SEQPACKET ? "u_seq" : "u_dgr";
	case SK_PACKET: return s->type == SOCK_RAW ? "p_raw" : "p_dgr";
	}
	return "?";
}

/* ---- parsing ---- */

struct attr_table {
	const struct nlattr *tb[32];
	int max;
};

static int collect_attr(const struct nlattr *a, void *data)
{
	struct attr_table *t = data;
	int type = mnl_attr_get_type(a);

	if (type <= t->max)
		t->tb[type] = a;
	return MNL_CB_OK;
}

static int parse_attrs(const struct nlmsghdr *nlh, size_t hdrlen, struct attr_table *t, int max)
{
	memset(t->tb, 0, sizeof(t->tb));
	t->max = max < 31 ? max : 31;
	return mnl_attr_parse(nlh, (unsigned)hdrlen, collect_attr, t) == MNL_CB_ERROR ? -EBADMSG : 0;
}

static void get_meminfo(struct sock_rec *s, const struct nlattr *a)
{
	size_t n = mnl_attr_get_payload_len(a) / sizeof(uint32_t);

	if (n > SK_MEMINFO_N)
		n = SK_MEMINFO_N;
	memset(s->meminfo, 0, sizeof(s->meminfo));
	memcpy(s->meminfo, mnl_attr_get_payload(a), n * sizeof(uint32_t));
	s->has |= SKH_MEMINFO;
}

static bool attr_u32(const struct nlattr *a, uint32_t *v)
{
	if (!a || mnl_attr_get_payload_len(a) < sizeof(uint32_t))
		return false;
	memcpy(v, mnl_attr_get_payload(a), sizeof(*v));
	return true;
}

static bool attr_u8(const struct nlattr *a, uint8_t *v)
{
	if (!a || mnl_attr_get_payload_len(a) < 1)
		return false;
	*v = *(const uint8_t *)mnl_attr_get_payload(a);
	return true;
}

static int parse_inet(const struct sockdiag_query *q, const struct nlmsghdr *nlh, struct sock_rec *s)
{
	const struct inet_diag_msg *m = mnl_nlmsg_get_payload(nlh);
	struct attr_table at;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*m))
		return -EBADMSG;
	if (m->idiag_family != AF_INET && m->idiag_family != AF_INET6)
		return -EBADMSG;
	s->kind = (uint8_t)q->kind;
	s->family = m->idiag_family;
	s->type = q->kind == SK_UDP ? SOCK_DGRAM : q->kind == SK_RAW ? SOCK_RAW : SOCK_STREAM;
	s->state = m->idiag_state;
	s->sport = ntohs(m->id.idiag_sport);
	s->dport = ntohs(m->id.idiag_dport);
	memcpy(s->src, m->id.idiag_src, 16);
	memcpy(s->dst, m->id.idiag_dst, 16);
	s->ifindex = m->id.idiag_if;
	s->cookie = (uint64_t)m->id.idiag_cookie[1] << 32 | m->id.idiag_cookie[0];
	s->uid = m->idiag_uid;
	s->inode = m->idiag_inode;
	s->rqueue = m->idiag_rqueue;
	s->wqueue = m->idiag_wqueue;
	s->timer = m->idiag_timer;
	s->retrans = m->idiag_retrans;
	s->expires_ms = m->idiag_expires;
	s->has = SKH_UID | SKH_COOKIE;

	if (parse_attrs(nlh, sizeof(*m), &at, INET_DIAG_MAX) < 0)
		return -EBADMSG;
	if (at.tb[INET_DIAG_SKMEMINFO])
		get_meminfo(s, at.tb[INET_DIAG_SKMEMINFO]);
	if (at.tb[INET_DIAG_INFO] && (q->kind == SK_TCP)) {
		s->tcpi = mnl_attr_get_payload(at.tb[INET_DIAG_INFO]);
		s->tcpi_len = mnl_attr_get_payload_len(at.tb[INET_DIAG_INFO]);
		s->has |= SKH_TCPINFO;
	}
	if (at.tb[INET_DIAG_CONG]) {
		const char *c = mnl_attr_get_payload(at.tb[INET_DIAG_CONG]);
		size_t n = mnl_attr_get_payload_len(at.tb[INET_DIAG_CONG]);
		if (n > 0 && memchr(c, '\0', n)) {
			s->cong = c;
			s->has |= SKH_CONG;
		}
	}
	for (int cc = INET_DIAG_VEGASINFO; cc <= INET_DIAG_BBRINFO; cc++) {
		if (cc != INET_DIAG_VEGASINFO && cc != INET_DIAG_DCTCPINFO && cc != INET_DIAG_BBRINFO)
			continue;
		if (at.tb[cc] && mnl_attr_get_payload_len(at.tb[cc]) > 0) {
			s->cc_type = (uint16_t)cc;
			s->cc_info = mnl_attr_get_payload(at.tb[cc]);
			s->cc_len = mnl_attr_get_payload_len(at.tb[cc]);
			s->has |= SKH_CCINFO;
		}
	}
	if (attr_u8(at.tb[INET_DIAG_SHUTDOWN], &s->shutdown))
		s->has |= SKH_SHUTDOWN;
	if (attr_u8(at.tb[INET_DIAG_TOS], &s->tos) || attr_u8(at.tb[INET_DIAG_TCLASS], &s->tos))
		s->has |= SKH_TOS;
	if (attr_u32(at.tb[INET_DIAG_MARK], &s->mark))
		s->has |= SKH_MARK;
	if (at.tb[INET_DIAG_CGROUP_ID] && mnl_attr_get_payload_len(at.tb[INET_DIAG_CGROUP_ID]) >= 8) {
		memcpy(&s->cgroup_id, mnl_attr_get_payload(at.tb[INET_DIAG_CGROUP_ID]), 8);
		s->has |= SKH_CGROUP;
	}
	/* sent unasked for IPv6 sockets in LISTEN or CLOSE */
	if (attr_u8(at.tb[INET_DIAG_SKV6ONLY], &s->v6only))
		s->has |= SKH_V6ONLY;
	if (q->kind == SK_RAW) {
		uint8_t proto = 0;
		if (attr_u8(at.tb[INET_DIAG_PROTOCOL], &proto))
			s->sport = proto;
	}
	return 0;
}

static int parse_unix(const struct nlmsghdr *nlh, struct sock_rec *s, char *path_buf, size_t cap)
{
	const struct unix_diag_msg *m = mnl_nlmsg_get_payload(nlh);
	struct attr_table at;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*m) || m->udiag_family != AF_UNIX)
		return -EBADMSG;
	s->kind = SK_UNIX;
	s->family = AF_UNIX;
	s->type = m->udiag_type;
	s->state = m->udiag_state;
	s->inode = m->udiag_ino;
	s->cookie = (uint64_t)m->udiag_cookie[1] << 32 | m->udiag_cookie[0];
	s->has = SKH_COOKIE;
	if (parse_attrs(nlh, sizeof(*m), &at, UNIX_DIAG_MAX) < 0)
		return -EBADMSG;
	if (at.tb[UNIX_DIAG_NAME]) {
		const char *p = mnl_attr_get_payload(at.tb[UNIX_DIAG_NAME]);
		size_t n = mnl_attr_get_payload_len(at.tb[UNIX_DIAG_NAME]);
		if (n >= cap)
			n = cap - 1;
		memcpy(path_buf, p, n);
		path_buf[n] = '\0';
		if (n > 0 && path_buf[0] == '\0') {
			/* abstract namespace: every byte is the name, and its
			 * NULs (the leading one included) print as '@', like ss */
			for (size_t i = 0; i < n; i++)
				if (path_buf[i] == '\0')
					path_buf[i] = '@';
		}
		/* a path name ends at its first NUL: binding with a length that
		 * counts the terminator (Python, many daemons) is the same path */
		s->path = path_buf;
		s->has |= SKH_PATH;
	}
	if (attr_u32(at.tb[UNIX_DIAG_PEER], &s->peer_inode))
		s->has |= SKH_PEER;
	if (at.tb[UNIX_DIAG_RQLEN] &&
	    mnl_attr_get_payload_len(at.tb[UNIX_DIAG_RQLEN]) >= sizeof(struct unix_diag_rqlen)) {
		struct unix_diag_rqlen rq;
		memcpy(&rq, mnl_attr_get_payload(at.tb[UNIX_DIAG_RQLEN]), sizeof(rq));
		s->rqueue = rq.udiag_rqueue;
		s->wqueue = rq.udiag_wqueue;
		s->has |= SKH_RQLEN;
	}
	if (at.tb[UNIX_DIAG_MEMINFO])
		get_meminfo(s, at.tb[UNIX_DIAG_MEMINFO]);
	if (attr_u32(at.tb[UNIX_DIAG_UID], &s->uid))
		s->has |= SKH_UID;
	if (attr_u8(at.tb[UNIX_DIAG_SHUTDOWN], &s->shutdown))
		s->has |= SKH_SHUTDOWN;
	return 0;
}

static int parse_packet(const struct nlmsghdr *nlh, struct sock_rec *s)
{
	const struct packet_diag_msg *m = mnl_nlmsg_get_payload(nlh);
	struct attr_table at;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*m) || m->pdiag_family != AF_PACKET)
		return -EBADMSG;
	s->kind = SK_PACKET;
	s->family = AF_PACKET;
	s->type = m->pdiag_type;
	s->state = SS_CLOSE;
	s->protocol = m->pdiag_num; /* packet_diag already sends ntohs(po->num) */
	s->inode = m->pdiag_ino;
	s->cookie = (uint64_t)m->pdiag_cookie[1] << 32 | m->pdiag_cookie[0];
	s->has = SKH_COOKIE;
	if (parse_attrs(nlh, sizeof(*m), &at, PACKET_DIAG_MAX) < 0)
		return -EBADMSG;
	if (at.tb[PACKET_DIAG_INFO] &&
	    mnl_attr_get_payload_len(at.tb[PACKET_DIAG_INFO]) >= sizeof(struct packet_diag_info)) {
		struct packet_diag_info pi;
		memcpy(&pi, mnl_attr_get_payload(at.tb[PACKET_DIAG_INFO]), sizeof(pi));
		s->ifindex = pi.pdi_index;
	}
	if (at.tb[PACKET_DIAG_MEMINFO]) {
		get_meminfo(s, at.tb[PACKET_DIAG_MEMINFO]);
		s->rqueue = s->meminfo[0]; /* SK_MEMINFO_RMEM_ALLOC, as ss shows it */
	}
	if (attr_u32(at.tb[PACKET_DIAG_UID], &s->uid))
		s->has |= SKH_UID;
	return 0;
}

struct parse_ctx {
	const struct sockdiag_query *q;
	sock_cb cb;
	void *arg;
	char path[4096 + 2];
};

static int parse_one(const struct nlmsghdr *nlh, void *data)
{
	struct parse_ctx *c = data;
	struct sock_rec s;
	int err;

	memset(&s, 0, sizeof(s));
	if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY &&
	    !(nlh->nlmsg_type == TCPDIAG_GETSOCK && c->q->family == AF_UNSPEC))
		return -EBADMSG;
	switch (c->q->kind) {
	case SK_UNIX:
		err = parse_unix(nlh, &s, c->path, sizeof(c->path));
		break;
	case SK_PACKET:
		err = parse_packet(nlh, &s);
		break;
	default:
		err = parse_inet(c->q, nlh, &s);
		break;
	}
	if (err)
		return err;
	return c->cb(&s, c->arg);
}

/* A buffer of messages through one per-message parser (dumps, events). */
static int parse_with(nl_msg_cb each, const struct sockdiag_query *q, const void *buf, size_t len,
		      sock_cb cb, void *arg)
{
	struct parse_ctx *c = malloc(sizeof(*c));
	int ret;

	if (!c)
		return -ENOMEM;
	c->q = q;
	c->cb = cb;
	c->arg = arg;
	ret = nl_parse_dump(buf, len, 0, 0, each, c, NULL);
	free(c);
	return ret;
}

int sockdiag_parse(const struct sockdiag_query *q, const void *buf, size_t len, sock_cb cb, void *arg)
{
	return parse_with(parse_one, q, buf, len, cb, arg);
}

/* ---- requests ---- */

static const struct {
	int proto;
} inet_proto[] = {
	[SK_TCP] = { IPPROTO_TCP },
	[SK_UDP] = { IPPROTO_UDP },
	[SK_RAW] = { IPPROTO_RAW },
	[SK_MPTCP] = { IPPROTO_MPTCP },
};

struct nlmsghdr *sockdiag_request(const struct sockdiag_query *q, char *buf, uint32_t seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);

	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;

	if (q->kind == SK_UNIX) {
		struct unix_diag_req *r = mnl_nlmsg_put_extra_header(nlh, sizeof(*r));
		r->sdiag_family = AF_UNIX;
		r->udiag_states = q->states;
		r->udiag_show = UDIAG_SHOW_NAME | UDIAG_SHOW_PEER | UDIAG_SHOW_RQLEN | UDIAG_SHOW_UID;
		if (q->ext & SKX_MEMINFO)
			r->udiag_show |= UDIAG_SHOW_MEMINFO;
		return nlh;
	}
	if (q->kind == SK_PACKET) {
		struct packet_diag_req *r = mnl_nlmsg_put_extra_header(nlh, sizeof(*r));
		r->sdiag_family = AF_PACKET;
		r->pdiag_show = PACKET_SHOW_INFO | PACKET_SHOW_MEMINFO;
		return nlh;
	}

	int proto = inet_proto[q->kind].proto;
	uint32_t states = q->states;

	if (states & (1u << SS_SYN_RECV))
		states |= 1u << SS_NEW_SYN_RECV;
	if (q->kind == SK_TCP && q->family == AF_UNSPEC) {
		/* the old request: the kernel walks its tables once for both
		 * families (sdiag_family AF_UNSPEC), where a v2 request per
		 * family walks them once each */
		struct inet_diag_req *c = mnl_nlmsg_put_extra_header(nlh, sizeof(*c));
		nlh->nlmsg_type = TCPDIAG_GETSOCK;
		c->idiag_family = AF_INET;
		c->idiag_states = states;
		return nlh;
	}
	struct inet_diag_req_v2 *r = mnl_nlmsg_put_extra_header(nlh, sizeof(*r));
	r->sdiag_family = (uint8_t)q->family;
	r->sdiag_protocol = proto > 255 ? 0 : (uint8_t)proto;
	r->idiag_states = states;
	if (q->kind == SK_RAW)
		r->pad = IPPROTO_RAW; /* sdiag_raw_protocol: IPPROTO_RAW matches every protocol */
	if (q->ext & SKX_MEMINFO)
		r->idiag_ext |= 1 << (INET_DIAG_SKMEMINFO - 1);
	if ((q->ext & SKX_TCPINFO) && (q->kind == SK_TCP || q->kind == SK_MPTCP))
		r->idiag_ext |= (1 << (INET_DIAG_INFO - 1)) | (1 << (INET_DIAG_CONG - 1)) |
				(1 << (INET_DIAG_VEGASINFO - 1)); /* asks for any CC's info */
	if (q->ext & SKX_MISC)
		r->idiag_ext |= (1 << (INET_DIAG_TOS - 1)) | (1 << (INET_DIAG_TCLASS - 1));
	if (proto > 255)
		mnl_attr_put_u32(nlh, INET_DIAG_REQ_PROTOCOL, (uint32_t)proto);
	if (q->bytecode)
		mnl_attr_put(nlh, INET_DIAG_REQ_BYTECODE, q->bytecode_len, q->bytecode);
	return nlh;
}

int sockdiag_dump(const struct sockdiag_query *q, sock_cb cb, void *arg)
{
	char *req = calloc(1, 4096 + (q->bytecode ? q->bytecode_len : 0));
	struct parse_ctx *c = malloc(sizeof(*c));
	struct nl_dump d;
	int ret;

	if (!req || !c) {
		free(req);
		free(c);
		return -ENOMEM;
	}
	c->q = q;
	c->cb = cb;
	c->arg = arg;
	ret = nl_dump_open(&d, NETLINK_SOCK_DIAG);
	if (ret == 0) {
		struct nlmsghdr *nlh = sockdiag_request(q, req, d.seq);
		ret = nl_dump_run(&d, nlh, parse_one, c);
		nl_dump_close(&d);
	}
	free(req);
	free(c);
	return ret;
}

int sockdiag_dump_host(struct host *h, const struct sockdiag_query *q, sock_cb cb, void *arg)
{
	struct sockdiag_query all = *q;
	char *req, *buf;
	size_t len;
	int err;

	if (host_is_live(h))
		return sockdiag_dump(q, cb, arg);
	all.bytecode = NULL;
	all.bytecode_len = 0;
	req = calloc(1, 4096);
	if (!req)
		return -ENOMEM;
	err = host_nl_dump(h, NETLINK_SOCK_DIAG, sockdiag_request(&all, req, 0), &buf, &len);
	free(req);
	if (err)
		return err;
	err = sockdiag_parse(&all, buf, len, cb, arg);
	free(buf);
	return err;
}

/* ---- destroying sockets, and their destruction as events ---- */

struct nlmsghdr *sockdiag_destroy_request(const struct sock_rec *s, char *buf, uint32_t seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct inet_diag_req_v2 *r;
	int proto = s->kind < SK_UNIX ? inet_proto[s->kind].proto : 0;

	nlh->nlmsg_type = SOCK_DESTROY;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	r = mnl_nlmsg_put_extra_header(nlh, sizeof(*r));
	r->sdiag_family = s->family;
	r->sdiag_protocol = proto > 255 ? 0 : (uint8_t)proto;
	r->idiag_states = ~0u;
	/* raw sockets are looked up by their protocol (sdiag_raw_protocol) */
	if (s->kind == SK_RAW)
		r->pad = (uint8_t)s->sport;
	r->id.idiag_sport = htons(s->sport);
	r->id.idiag_dport = htons(s->dport);
	memcpy(r->id.idiag_src, s->src, 16);
	memcpy(r->id.idiag_dst, s->dst, 16);
	r->id.idiag_if = s->ifindex;
	/* /proc records have none: the kernel then does not check it */
	r->id.idiag_cookie[0] = s->has & SKH_COOKIE ? (uint32_t)s->cookie : INET_DIAG_NOCOOKIE;
	r->id.idiag_cookie[1] = s->has & SKH_COOKIE ? (uint32_t)(s->cookie >> 32) : INET_DIAG_NOCOOKIE;
	if (proto > 255)
		mnl_attr_put_u32(nlh, INET_DIAG_REQ_PROTOCOL, (uint32_t)proto);
	return nlh;
}

static int no_message(const struct nlmsghdr *nlh, void *arg)
{
	(void)nlh;
	(void)arg;
	return -EPROTO; /* an answer to SOCK_DESTROY is only an ack */
}

int sockdiag_destroy(struct nl_dump *d, const struct sock_rec *s)
{
	char req[4096];
	struct nlmsghdr *nlh;
	int ret;

	if (s->kind >= SK_UNIX || (s->family != AF_INET && s->family != AF_INET6))
		return -EOPNOTSUPP;
	memset(req, 0, sizeof(req));
	nlh = sockdiag_destroy_request(s, req, ++d->seq);
	if (mnl_socket_sendto(d->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(d->nl, d->buf, d->bufsize);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EPIPE;
		/* the ack (NLMSG_ERROR 0) ends the buffer: 1 is success here */
		ret = nl_parse_dump(d->buf, (size_t)n, d->seq, d->portid, no_message, NULL, NULL);
		return ret < 0 ? ret : 0;
	}
}

int sockdiag_events_open(struct nl_dump *d, bool tcp, bool udp, bool inet4, bool inet6)
{
	const int groups[2][2] = { { SKNLGRP_INET_TCP_DESTROY, SKNLGRP_INET_UDP_DESTROY },
				   { SKNLGRP_INET6_TCP_DESTROY, SKNLGRP_INET6_UDP_DESTROY } };
	int err = nl_dump_open(d, NETLINK_SOCK_DIAG);

	if (err)
		return err;
	for (int f = 0; f < 2; f++) {
		if (!(f ? inet6 : inet4))
			continue;
		for (int k = 0; k < 2; k++) {
			int g = groups[f][k];
			if (!(k ? udp : tcp))
				continue;
			if (mnl_socket_setsockopt(d->nl, NETLINK_ADD_MEMBERSHIP, &g, sizeof(g)) < 0) {
				err = -errno;
				nl_dump_close(d);
				return err;
			}
		}
	}
	return 0;
}

static int parse_event(const struct nlmsghdr *nlh, void *data)
{
	struct parse_ctx *c = data;
	const struct inet_diag_msg *m = mnl_nlmsg_get_payload(nlh);
	struct sockdiag_query q = { .kind = SK_TCP };
	struct attr_table at;
	struct sock_rec s;
	uint8_t proto = 0;
	int err;

	if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY || mnl_nlmsg_get_payload_len(nlh) < sizeof(*m))
		return -EBADMSG;
	if (parse_attrs(nlh, sizeof(*m), &at, INET_DIAG_MAX) < 0)
		return -EBADMSG;
	if (!attr_u8(at.tb[INET_DIAG_PROTOCOL], &proto))
		return 0; /* not an inet socket's event: nothing to show */
	if (proto == IPPROTO_TCP)
		q.kind = SK_TCP;
	else if (proto == IPPROTO_UDP || proto == IPPROTO_UDPLITE)
		q.kind = SK_UDP;
	else
		return 0;
	q.family = m->idiag_family;
	memset(&s, 0, sizeof(s));
	if ((err = parse_inet(&q, nlh, &s)) < 0)
		return err;
	return c->cb(&s, c->arg);
}

int sockdiag_events_parse(const void *buf, size_t len, sock_cb cb, void *arg)
{
	int ret = parse_with(parse_event, NULL, buf, len, cb, arg);

	return ret < 0 ? ret : 0;
}

int64_t sockdiag_events_dropped(struct nl_dump *d)
{
	uint32_t mem[SK_MEMINFO_VARS] = { 0 };
	socklen_t len = sizeof(mem);

	if (getsockopt(mnl_socket_get_fd(d->nl), SOL_SOCKET, SO_MEMINFO, mem, &len) < 0)
		return -errno;
	if (len < (socklen_t)((SK_MEMINFO_DROPS + 1) * sizeof(uint32_t)))
		return -EOPNOTSUPP;
	return mem[SK_MEMINFO_DROPS];
}

bool sockdiag_kind_supported(enum sock_kind k)
{
	if (k != SK_MPTCP)
		return true;
	/* MPTCP sockets can be created only when the kernel has CONFIG_MPTCP */
	int fd = socket(AF_INET, SOCK_STREAM, IPPROTO_MPTCP);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}
