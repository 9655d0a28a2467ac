/* RTM_GETADDR and RTM_GETQDISC: requests and parsers. See rtnl.h. */
#include "sources/host.h"
#include "sources/nl.h"
#include "sources/rtnl.h"
#include "sources/rtnl_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/gen_stats.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint16_t msg_type(const struct nlmsghdr *nlh)
{
	uint16_t t;
	memcpy(&t, (const char *)nlh + offsetof(struct nlmsghdr, nlmsg_type), sizeof(t));
	return t;
}

static int dump(struct host *h, uint16_t type, const void *hdr, size_t hdrlen, char **buf,
		size_t *len)
{
	char req[NLMSG_HDRLEN + 64] = { 0 };
	struct nlmsghdr *nlh = (struct nlmsghdr *)req;

	nlh->nlmsg_len = (uint32_t)NLMSG_LENGTH(hdrlen);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	memcpy(req + NLMSG_HDRLEN, hdr, hdrlen);
	return host_nl_dump(h, NETLINK_ROUTE, nlh, buf, len);
}

/* ---- addresses ---- */

int rtnl_parse_addr_msg(const struct nlmsghdr *nlh, struct rtnl_addr *a)
{
	struct ifaddrmsg ifa;
	struct rtnl_tb tb;
	int err;

	if (msg_type(nlh) != RTM_NEWADDR)
		return 1;
	err = rtnl_tb_msg(nlh, sizeof(ifa), &tb);
	if (err)
		return err;
	memcpy(&ifa, (const char *)nlh + NLMSG_HDRLEN, sizeof(ifa));
	memset(a, 0, sizeof(*a));
	a->ifindex = (int)ifa.ifa_index;
	a->family = ifa.ifa_family;
	a->prefixlen = ifa.ifa_prefixlen;
	a->scope = ifa.ifa_scope;
	const struct nlattr *at = tb.a[IFA_LOCAL] ? tb.a[IFA_LOCAL] : tb.a[IFA_ADDRESS];
	size_t need = a->family == AF_INET ? 4 : a->family == AF_INET6 ? 16 : 0;
	uint8_t raw[16];
	if (!at || !need || mnl_attr_get_payload_len(at) < need)
		return 1; /* no address we can print: skip, not an error */
	memcpy(raw, mnl_attr_get_payload(at), need);
	if (!inet_ntop(a->family, raw, a->text, sizeof(a->text)))
		return 1;
	return 0;
}

static int on_addr(const struct nlmsghdr *nlh, void *arg)
{
	struct rtnl_addrs *as = arg;
	struct rtnl_addr tmp;
	int r = rtnl_parse_addr_msg(nlh, &tmp);

	if (r != 0)
		return r < 0 ? r : 0;
	struct rtnl_addr *a = rtnl_grow((void **)&as->v, &as->n, &as->cap, sizeof(*a));
	if (!a)
		return -ENOMEM;
	*a = tmp;
	return 0;
}

int rtnl_parse_addrs(const void *buf, size_t len, struct rtnl_addrs *out)
{
	int r = nl_parse_dump(buf, len, 0, 0, on_addr, out, NULL);
	return r < 0 ? r : 0;
}

int rtnl_load_addrs(struct host *h, struct rtnl_addrs *out)
{
	struct ifaddrmsg ifa = { .ifa_family = AF_UNSPEC };
	char *buf = NULL;
	size_t len = 0;
	int err = dump(h, RTM_GETADDR, &ifa, sizeof(ifa), &buf, &len);

	if (err)
		return err;
	err = rtnl_parse_addrs(buf, len, out);
	free(buf);
	return err;
}

void rtnl_addrs_free(struct rtnl_addrs *as)
{
	free(as->v);
	memset(as, 0, sizeof(*as));
}

/* ---- qdiscs ---- */

static int qdisc_stats2(const struct nlattr *st, struct rtnl_qdisc *q)
{
	struct rtnl_tb tb;
	int err = rtnl_tb_nested(st, &tb);

	if (err)
		return err;
	const struct nlattr *b = tb.a[TCA_STATS_BASIC], *qu = tb.a[TCA_STATS_QUEUE];
	if (b && mnl_attr_get_payload_len(b) >= offsetof(struct gnet_stats_basic, packets) + 4) {
		struct gnet_stats_basic gb = { 0 };
		memcpy(&gb, mnl_attr_get_payload(b), offsetof(struct gnet_stats_basic, packets) + 4);
		q->bytes = gb.bytes;
		q->packets = gb.packets;
		q->has_stats = true;
	}
	uint64_t pkt64;
	if (rtnl_u64(tb.a[TCA_STATS_PKT64], &pkt64))
		q->packets = pkt64; /* the 32-bit count above wraps */
	if (qu && mnl_attr_get_payload_len(qu) >= sizeof(struct gnet_stats_queue)) {
		struct gnet_stats_queue gq;
		memcpy(&gq, mnl_attr_get_payload(qu), sizeof(gq));
		q->qlen = gq.qlen;
		q->backlog = gq.backlog;
		q->drops = gq.drops;
		q->requeues = gq.requeues;
		q->overlimits = gq.overlimits;
		q->has_stats = true;
	}
	return 0;
}

int rtnl_parse_qdisc_msg(const struct nlmsghdr *nlh, struct rtnl_qdisc *q)
{
	struct tcmsg tcm;
	struct rtnl_tb tb;
	int err;

	if (msg_type(nlh) != RTM_NEWQDISC)
		return 1;
	err = rtnl_tb_msg(nlh, sizeof(tcm), &tb);
	if (err)
		return err;
	memcpy(&tcm, (const char *)nlh + NLMSG_HDRLEN, sizeof(tcm));
	memset(q, 0, sizeof(*q));
	q->ifindex = tcm.tcm_ifindex;
	q->handle = tcm.tcm_handle;
	q->parent = tcm.tcm_parent;
	rtnl_str(tb.a[TCA_KIND], q->kind, sizeof(q->kind));
	if (tb.a[TCA_STATS2])
		return qdisc_stats2(tb.a[TCA_STATS2], q);
	if (tb.a[TCA_STATS] && mnl_attr_get_payload_len(tb.a[TCA_STATS]) >= sizeof(struct tc_stats)) {
		struct tc_stats ts;
		memcpy(&ts, mnl_attr_get_payload(tb.a[TCA_STATS]), sizeof(ts));
		q->bytes = ts.bytes;
		q->packets = ts.packets;
		q->drops = ts.drops;
		q->overlimits = ts.overlimits;
		q->qlen = ts.qlen;
		q->backlog = ts.backlog;
		q->has_stats = true;
	}
	return 0;
}

static int on_qdisc(const struct nlmsghdr *nlh, void *arg)
{
	struct rtnl_qdiscs *qs = arg;
	struct rtnl_qdisc tmp;
	int r = rtnl_parse_qdisc_msg(nlh, &tmp);

	if (r != 0)
		return r < 0 ? r : 0;
	struct rtnl_qdisc *q = rtnl_grow((void **)&qs->v, &qs->n, &qs->cap, sizeof(*q));
	if (!q)
		return -ENOMEM;
	*q = tmp;
	return 0;
}

int rtnl_parse_qdiscs(const void *buf, size_t len, struct rtnl_qdiscs *out)
{
	int r = nl_parse_dump(buf, len, 0, 0, on_qdisc, out, NULL);
	return r < 0 ? r : 0;
}

int rtnl_load_qdiscs(struct host *h, struct rtnl_qdiscs *out)
{
	struct tcmsg tcm = { .tcm_family = AF_UNSPEC };
	char *buf = NULL;
	size_t len = 0;
	int err = dump(h, RTM_GETQDISC, &tcm, sizeof(tcm), &buf, &len);

	if (err)
		return err;
	err = rtnl_parse_qdiscs(buf, len, out);
	free(buf);
	return err;
}

void rtnl_qdiscs_free(struct rtnl_qdiscs *qs)
{
	free(qs->v);
	memset(qs, 0, sizeof(*qs));
}

const char *rtnl_tc_handle(uint32_t h, char *buf, size_t len)
{
	if (h == TC_H_ROOT)
		snprintf(buf, len, "root");
	else if (h == TC_H_INGRESS)
		snprintf(buf, len, "ingress");
	else if (TC_H_MIN(h) == 0)
		snprintf(buf, len, "%x:", TC_H_MAJ(h) >> 16);
	else
		snprintf(buf, len, "%x:%x", TC_H_MAJ(h) >> 16, TC_H_MIN(h));
	return buf;
}
