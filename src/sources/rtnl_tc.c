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

/* Where a kind's TCA_STATS_APP structure keeps each statistic: byte offset
 * and size (4 or 8, signed when negative), under tc -s -j's name where tc
 * 6.1 prints it and the kernel's field name otherwise. Fields past the end
 * of what a kernel sends are left out. */
struct xfield {
	const char *key;
	unsigned short off;
	signed char size;
};

/* struct tc_fq_codel_xstats: u32 type, then (TCA_FQ_CODEL_XSTATS_QDISC)
 * struct tc_fq_codel_qd_stats */
static const struct xfield fq_codel_x[] = {
	{ "maxpacket", 4, 4 },      { "drop_overlimit", 8, 4 }, { "ecn_mark", 12, 4 },
	{ "new_flow_count", 16, 4 }, { "new_flows_len", 20, 4 }, { "old_flows_len", 24, 4 },
	{ "ce_mark", 28, 4 },       { "memory_used", 32, 4 },   { "drop_overmemory", 36, 4 },
	{ NULL, 0, 0 },
};

/* struct tc_fq_qd_stats (6.8's, with the band counters) */
static const struct xfield fq_x[] = {
	{ "gc", 0, 8 },             { "highprio", 8, 8 },       { "retrans", 16, 8 },
	{ "throttled", 24, 8 },     { "flows_plimit", 32, 8 },  { "pkts_too_long", 40, 8 },
	{ "alloc_errors", 48, 8 },  { "next_packet_delay", 56, -8 }, { "flows", 64, 4 },
	{ "inactive", 68, 4 },      { "throttled_flows", 72, 4 }, { "latency", 76, 4 },
	{ "ce_mark", 80, 8 },       { "horizon_drops", 88, 8 }, { "horizon_caps", 96, 8 },
	{ "fastpath_packets", 104, 8 }, { "band0_drops", 112, 8 }, { "band1_drops", 120, 8 },
	{ "band2_drops", 128, 8 },  { "band0_pkts", 136, 4 },   { "band1_pkts", 140, 4 },
	{ "band2_pkts", 144, 4 },
	{ NULL, 0, 0 },
};

static void qdisc_xstats(const struct nlattr *app, struct rtnl_qdisc *q)
{
	const struct xfield *tab = NULL;
	const uint8_t *p = nlattr_data(app);
	size_t len = nlattr_len(app);

	if (strcmp(q->kind, "fq_codel") == 0) {
		uint32_t type;
		if (len < 4)
			return;
		memcpy(&type, p, sizeof(type));
		if (type == TCA_FQ_CODEL_XSTATS_QDISC)
			tab = fq_codel_x;
	} else if (strcmp(q->kind, "fq") == 0) {
		tab = fq_x;
	}
	for (; tab && tab->key && q->nxstats < RTNL_XSTATS_MAX; tab++) {
		size_t size = (size_t)(tab->size < 0 ? -tab->size : tab->size);
		if ((size_t)tab->off + size > len)
			break;
		struct rtnl_xstat *x = &q->xstats[q->nxstats++];
		x->key = tab->key;
		if (size == 4) {
			uint32_t v;
			memcpy(&v, p + tab->off, sizeof(v));
			x->v = v;
		} else {
			uint64_t v;
			memcpy(&v, p + tab->off, sizeof(v));
			/* s64 as the kernel sent it; a u64 above INT64_MAX saturates */
			x->v = tab->size < 0 ? (int64_t)v : v > INT64_MAX ? INT64_MAX : (int64_t)v;
		}
	}
}

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
	if (tb.a[TCA_STATS_APP])
		qdisc_xstats(tb.a[TCA_STATS_APP], q);
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
	/* old kernels: TCA_STATS and the kind's own TCA_XSTATS */
	if (tb.a[TCA_XSTATS])
		qdisc_xstats(tb.a[TCA_XSTATS], q);
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
