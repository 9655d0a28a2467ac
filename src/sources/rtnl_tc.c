/* RTM_GETADDR and RTM_GETQDISC: requests and parsers. See rtnl.h. */
#include "sources/nlattr.h"
#include "sources/nldump.h"
#include "sources/rtnl.h"

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

/* ---- addresses ---- */

int rtnl_parse_addr_msg(const struct nlmsghdr *nlh, struct rtnl_addr *a)
{
	struct ifaddrmsg ifa;
	struct nlattr_tb tb;
	int err;

	if (nlattr_msg_type(nlh) != RTM_NEWADDR)
		return 1;
	err = nlattr_tb_msg(nlh, sizeof(ifa), &tb);
	if (err)
		return err;
	nlattr_msg_hdr(nlh, &ifa, sizeof(ifa));
	memset(a, 0, sizeof(*a));
	a->ifindex = (int)ifa.ifa_index;
	a->family = ifa.ifa_family;
	a->prefixlen = ifa.ifa_prefixlen;
	a->scope = ifa.ifa_scope;
	const struct nlattr *at = tb.a[IFA_LOCAL] ? tb.a[IFA_LOCAL] : tb.a[IFA_ADDRESS];
	size_t need = a->family == AF_INET ? 4 : a->family == AF_INET6 ? 16 : 0;
	uint8_t raw[16];
	if (!at || !need || nlattr_len(at) < need)
		return 1; /* no address we can print: skip, not an error */
	memcpy(raw, nlattr_data(at), need);
	if (!inet_ntop(a->family, raw, a->text, sizeof(a->text)))
		return 1;
	return 0;
}

static int parse_addr(const struct nlmsghdr *nlh, void *rec)
{
	return rtnl_parse_addr_msg(nlh, rec);
}

int rtnl_parse_addrs(const void *buf, size_t len, struct rtnl_addrs *out)
{
	return nl_parse_vec(buf, len, parse_addr, NL_VEC(out), NULL);
}

int rtnl_load_addrs(struct host *h, struct rtnl_addrs *out)
{
	struct ifaddrmsg ifa = { .ifa_family = AF_UNSPEC };
	struct nl_req req = NL_REQ(NETLINK_ROUTE, RTM_GETADDR, ifa);

	return nl_dump_vec(h, &req, parse_addr, NL_VEC(out), NULL);
}

void rtnl_addrs_free(struct rtnl_addrs *as)
{
	free(as->v);
	memset(as, 0, sizeof(*as));
}

/* ---- qdiscs ---- */

static int qdisc_stats2(const struct nlattr *st, struct rtnl_qdisc *q)
{
	struct nlattr_tb tb;
	int err = nlattr_tb_nested(st, &tb);

	if (err)
		return err;
	const struct nlattr *b = tb.a[TCA_STATS_BASIC], *qu = tb.a[TCA_STATS_QUEUE];
	if (b && nlattr_len(b) >= offsetof(struct gnet_stats_basic, packets) + 4) {
		struct gnet_stats_basic gb = { 0 };
		memcpy(&gb, nlattr_data(b), offsetof(struct gnet_stats_basic, packets) + 4);
		q->bytes = gb.bytes;
		q->packets = gb.packets;
		q->has_stats = true;
	}
	uint64_t pkt64;
	if (nlattr_u64(tb.a[TCA_STATS_PKT64], &pkt64))
		q->packets = pkt64; /* the 32-bit count above wraps */
	if (qu && nlattr_len(qu) >= sizeof(struct gnet_stats_queue)) {
		struct gnet_stats_queue gq;
		memcpy(&gq, nlattr_data(qu), sizeof(gq));
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
	struct nlattr_tb tb;
	int err;

	if (nlattr_msg_type(nlh) != RTM_NEWQDISC)
		return 1;
	err = nlattr_tb_msg(nlh, sizeof(tcm), &tb);
	if (err)
		return err;
	nlattr_msg_hdr(nlh, &tcm, sizeof(tcm));
	memset(q, 0, sizeof(*q));
	q->ifindex = tcm.tcm_ifindex;
	q->handle = tcm.tcm_handle;
	q->parent = tcm.tcm_parent;
	nlattr_str(tb.a[TCA_KIND], q->kind, sizeof(q->kind));
	if (tb.a[TCA_STATS2])
		return qdisc_stats2(tb.a[TCA_STATS2], q);
	if (tb.a[TCA_STATS] && nlattr_len(tb.a[TCA_STATS]) >= sizeof(struct tc_stats)) {
		struct tc_stats ts;
		memcpy(&ts, nlattr_data(tb.a[TCA_STATS]), sizeof(ts));
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

static int parse_qdisc(const struct nlmsghdr *nlh, void *rec)
{
	return rtnl_parse_qdisc_msg(nlh, rec);
}

int rtnl_parse_qdiscs(const void *buf, size_t len, struct rtnl_qdiscs *out)
{
	return nl_parse_vec(buf, len, parse_qdisc, NL_VEC(out), NULL);
}

int rtnl_load_qdiscs(struct host *h, struct rtnl_qdiscs *out)
{
	struct tcmsg tcm = { .tcm_family = AF_UNSPEC };
	struct nl_req req = NL_REQ(NETLINK_ROUTE, RTM_GETQDISC, tcm);

	return nl_dump_vec(h, &req, parse_qdisc, NL_VEC(out), NULL);
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
