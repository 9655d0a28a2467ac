/* RTM_GETROUTE and RTM_GETRULE: requests and parsers. See route.h. */
#include "sources/route.h"
#include "sources/host.h"
#include "sources/nl.h"
#include "sources/nlattr.h"
#include "sources/nldump.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static size_t addr_size(int family) { return family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0; }

/* Copies a family-sized address; false (dst untouched) when a is absent or short. */
static bool get_addr(const struct nlattr *a, int family, uint8_t *dst)
{
	size_t need = addr_size(family);

	if (!a || !need || nlattr_len(a) < need)
		return false;
	memcpy(dst, nlattr_data(a), need);
	return true;
}

/* A dump request of one family: struct rtmsg and struct fib_rule_hdr are
 * both 12 bytes, family first, so one header serves routes and rules. */
static int dump(struct host *h, uint16_t type, int family, nl_rec_parse parse, struct nl_vec vec)
{
	struct rtmsg rtm = { .rtm_family = (unsigned char)family };
	struct nl_req req = NL_REQ(NETLINK_ROUTE, type, rtm);

	return nl_dump_vec(h, &req, parse, vec, NULL);
}

/* ---- routes ---- */

static int parse_multipath(const struct nlattr *mp, struct rt_route *r)
{
	const char *p = nlattr_data(mp);
	size_t left = nlattr_len(mp);

	while (left >= sizeof(struct rtnexthop)) {
		struct rtnexthop nh;
		memcpy(&nh, p, sizeof(nh));
		if (nh.rtnh_len < sizeof(nh) || nh.rtnh_len > left)
			return -EBADMSG;
		if (r->nnh < RT_NH_MAX) {
			struct rt_nexthop *o = &r->nh[r->nnh++];
			memset(o, 0, sizeof(*o));
			o->oif = nh.rtnh_ifindex;
			o->flags = nh.rtnh_flags;
			o->weight = (unsigned)nh.rtnh_hops + 1;
			o->gw_family = r->family;
			/* the hop's own attributes follow it, within rtnh_len */
			size_t alen = nh.rtnh_len - RTNH_ALIGN(sizeof(nh));
			const char *a = p + RTNH_ALIGN(sizeof(nh));
			if (RTNH_ALIGN(sizeof(nh)) > nh.rtnh_len)
				alen = 0;
			while (alen >= NLA_HDRLEN) {
				struct nlattr at;
				memcpy(&at, a, sizeof(at));
				if (at.nla_len < NLA_HDRLEN || at.nla_len > alen)
					return -EBADMSG;
				if ((at.nla_type & NLA_TYPE_MASK) == RTA_GATEWAY &&
				    (size_t)at.nla_len - NLA_HDRLEN >= addr_size(r->family) && addr_size(r->family)) {
					memcpy(o->gw, a + NLA_HDRLEN, addr_size(r->family));
					o->has_gw = true;
				}
				size_t step = NLA_ALIGN(at.nla_len);
				if (step >= alen)
					break;
				a += step;
				alen -= step;
			}
		}
		size_t step = RTNH_ALIGN(nh.rtnh_len);
		if (step >= left)
			break;
		p += step;
		left -= step;
	}
	return 0;
}

int route_parse_msg(const struct nlmsghdr *nlh, struct rt_route *r)
{
	struct rtmsg rtm;
	struct nlattr_tb tb;
	int err;

	if (nlattr_msg_type(nlh) != RTM_NEWROUTE)
		return 1;
	if ((err = nlattr_tb_msg(nlh, sizeof(rtm), &tb)))
		return err;
	nlattr_msg_hdr(nlh, &rtm, sizeof(rtm));
	memset(r, 0, sizeof(*r));
	r->family = rtm.rtm_family;
	r->dst_len = rtm.rtm_dst_len;
	r->src_len = rtm.rtm_src_len;
	r->tos = rtm.rtm_tos;
	r->protocol = rtm.rtm_protocol;
	r->scope = rtm.rtm_scope;
	r->type = rtm.rtm_type;
	r->table = rtm.rtm_table;
	r->flags = rtm.rtm_flags;
	r->pref = -1;
	nlattr_u32(tb.a[RTA_TABLE], &r->table);
	r->has_priority = nlattr_u32(tb.a[RTA_PRIORITY], &r->priority);
	if (r->dst_len > addr_size(r->family) * 8 || r->src_len > addr_size(r->family) * 8)
		return -EBADMSG;
	get_addr(tb.a[RTA_DST], r->family, r->dst);
	get_addr(tb.a[RTA_SRC], r->family, r->src);
	r->has_prefsrc = get_addr(tb.a[RTA_PREFSRC], r->family, r->prefsrc);
	uint8_t pref;
	if (nlattr_u8(tb.a[RTA_PREF], &pref))
		r->pref = pref;
	nlattr_u32(tb.a[RTA_NH_ID], &r->nhid);
	uint32_t iif = 0;
	nlattr_u32(tb.a[RTA_IIF], &iif);
	r->iif = (int)iif;
	r->has_mark = nlattr_u32(tb.a[RTA_MARK], &r->mark);
	r->has_uid = nlattr_u32(tb.a[RTA_UID], &r->uid);
	if (tb.a[RTA_MULTIPATH])
		return parse_multipath(tb.a[RTA_MULTIPATH], r);
	uint32_t oif = 0;
	nlattr_u32(tb.a[RTA_OIF], &oif);
	r->nh[0].oif = (int)oif;
	r->nh[0].flags = (uint8_t)rtm.rtm_flags;
	r->nh[0].gw_family = r->family;
	r->nh[0].has_gw = get_addr(tb.a[RTA_GATEWAY], r->family, r->nh[0].gw);
	if (!r->nh[0].has_gw && tb.a[RTA_VIA] && nlattr_len(tb.a[RTA_VIA]) > 2) {
		/* struct rtvia: a 2-byte family, then the address */
		const uint8_t *v = nlattr_data(tb.a[RTA_VIA]);
		uint16_t fam;
		memcpy(&fam, v, sizeof(fam));
		if (addr_size(fam) && nlattr_len(tb.a[RTA_VIA]) - 2 >= addr_size(fam)) {
			memcpy(r->nh[0].gw, v + 2, addr_size(fam));
			r->nh[0].gw_family = (uint8_t)fam;
			r->nh[0].has_gw = true;
		}
	}
	r->nnh = 1;
	return 0;
}

static int parse_route(const struct nlmsghdr *nlh, void *rec)
{
	return route_parse_msg(nlh, rec);
}

int route_parse(const void *buf, size_t len, struct rt_routes *out)
{
	return nl_parse_vec(buf, len, parse_route, NL_VEC(out), NULL);
}

int route_load(struct host *h, int family, struct rt_routes *out)
{
	return dump(h, RTM_GETROUTE, family, parse_route, NL_VEC(out));
}

void route_free(struct rt_routes *rs)
{
	free(rs->v);
	memset(rs, 0, sizeof(*rs));
}

bool route_is_clone(const struct rt_route *r)
{
	return (r->flags & RTM_F_CLONED) != 0;
}

/* ---- lookups ---- */

struct get_ans {
	struct rt_route *out;
	int err;
	bool got;
};

static int on_get(const struct nlmsghdr *nlh, void *arg)
{
	struct get_ans *a = arg;
	int r = route_parse_msg(nlh, a->out);

	if (r < 0)
		return r;
	if (r > 0)
		return 0;
	a->got = true;
	return 1; /* one answer: stop */
}

int route_get(struct host *h, const struct route_query *q, struct rt_route *out)
{
	char buf[1024];
	size_t alen = addr_size(q->family);
	struct get_ans a = { .out = out };
	struct nl_dump d;
	int err;

	if (!host_is_live(h))
		return -EOPNOTSUPP;
	if (!alen)
		return -EAFNOSUPPORT;
	memset(buf, 0, sizeof(buf));
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = (uint8_t)q->family;
	rtm->rtm_dst_len = (uint8_t)(alen * 8);
	/* as ip route get: only IPv4 answers with the table the rules chose */
	if (q->family == AF_INET)
		rtm->rtm_flags |= RTM_F_LOOKUP_TABLE;
	mnl_attr_put(nlh, RTA_DST, alen, q->dst);
	if (q->has_src) {
		mnl_attr_put(nlh, RTA_SRC, alen, q->src);
		rtm->rtm_src_len = (uint8_t)(alen * 8);
	}
	if (q->iif)
		mnl_attr_put_u32(nlh, RTA_IIF, (uint32_t)q->iif);
	if (q->oif)
		mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)q->oif);
	if (q->has_mark)
		mnl_attr_put_u32(nlh, RTA_MARK, q->mark);
	if ((err = nl_dump_open(&d, NETLINK_ROUTE)))
		return err;
	err = nl_dump_run(&d, nlh, on_get, &a);
	nl_dump_close(&d);
	if (err)
		return err;
	return a.got ? 0 : -ENODATA;
}

bool route_uses_oif(const struct rt_route *r, int ifindex)
{
	for (unsigned i = 0; i < r->nnh; i++)
		if (r->nh[i].oif == ifindex)
			return true;
	return false;
}

const char *route_dst_text(const struct rt_route *r, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "?";

	if (r->dst_len == 0) {
		snprintf(buf, len, "default");
		return buf;
	}
	if (addr_size(r->family))
		inet_ntop(r->family, r->dst, a, sizeof(a));
	snprintf(buf, len, "%s/%u", a, r->dst_len);
	return buf;
}

bool prefix_contains(int family, const uint8_t *prefix, unsigned plen, const uint8_t *addr)
{
	size_t bits = addr_size(family) * 8;

	if (!bits || plen > bits)
		return false;
	for (unsigned i = 0; i < plen / 8; i++)
		if (prefix[i] != addr[i])
			return false;
	if (plen % 8) {
		uint8_t mask = (uint8_t)(0xff << (8 - plen % 8));
		if ((prefix[plen / 8] & mask) != (addr[plen / 8] & mask))
			return false;
	}
	return true;
}

/* ---- policy rules ---- */

int route_rule_parse_msg(const struct nlmsghdr *nlh, struct route_rule *r)
{
	struct fib_rule_hdr frh;
	struct nlattr_tb tb;
	int err;

	if (nlattr_msg_type(nlh) != RTM_NEWRULE)
		return 1;
	if ((err = nlattr_tb_msg(nlh, sizeof(frh), &tb)))
		return err;
	nlattr_msg_hdr(nlh, &frh, sizeof(frh));
	memset(r, 0, sizeof(*r));
	r->family = frh.family;
	r->dst_len = frh.dst_len;
	r->src_len = frh.src_len;
	r->tos = frh.tos;
	r->action = frh.action;
	r->table = frh.table;
	r->invert = frh.flags & FIB_RULE_INVERT;
	r->iif_detached = frh.flags & FIB_RULE_IIF_DETACHED;
	r->oif_detached = frh.flags & FIB_RULE_OIF_DETACHED;
	if (r->dst_len > addr_size(r->family) * 8 || r->src_len > addr_size(r->family) * 8)
		return -EBADMSG;
	nlattr_u32(tb.a[FRA_TABLE], &r->table);
	nlattr_u32(tb.a[FRA_PRIORITY], &r->priority);
	get_addr(tb.a[FRA_SRC], r->family, r->src);
	get_addr(tb.a[FRA_DST], r->family, r->dst);
	nlattr_str(tb.a[FRA_IIFNAME], r->iifname, sizeof(r->iifname));
	nlattr_str(tb.a[FRA_OIFNAME], r->oifname, sizeof(r->oifname));
	r->has_fwmark = nlattr_u32(tb.a[FRA_FWMARK], &r->fwmark);
	uint32_t sp;
	if (nlattr_u32(tb.a[FRA_SUPPRESS_PREFIXLEN], &sp) && sp != 0xffffffffu) {
		r->has_suppress_prefixlen = true;
		r->suppress_prefixlen = sp;
	}
	r->has_goto = nlattr_u32(tb.a[FRA_GOTO], &r->goto_target);
	nlattr_u8(tb.a[FRA_PROTOCOL], &r->protocol);
	uint8_t l3;
	r->l3mdev = nlattr_u8(tb.a[FRA_L3MDEV], &l3) && l3;
	if (!nlattr_u32(tb.a[FRA_FWMASK], &r->fwmask))
		r->fwmask = r->has_fwmark ? 0xffffffffu : 0;
	if (r->has_fwmark && r->fwmark == 0 && r->fwmask == 0)
		r->has_fwmark = false;
	return 0;
}

static int parse_rule(const struct nlmsghdr *nlh, void *rec)
{
	return route_rule_parse_msg(nlh, rec);
}

int route_rule_parse(const void *buf, size_t len, struct route_rules *out)
{
	return nl_parse_vec(buf, len, parse_rule, NL_VEC(out), NULL);
}

int route_rule_load(struct host *h, int family, struct route_rules *out)
{
	return dump(h, RTM_GETRULE, family, parse_rule, NL_VEC(out));
}

void route_rule_free(struct route_rules *rs)
{
	free(rs->v);
	memset(rs, 0, sizeof(*rs));
}

bool route_rule_is_builtin(const struct route_rule *r)
{
	if (r->src_len || r->dst_len || r->iifname[0] || r->oifname[0] || r->has_fwmark || r->invert ||
	    r->action != FR_ACT_TO_TBL)
		return false;
	return (r->priority == 0 && r->table == RT_TABLE_LOCAL) ||
	       (r->priority == 32766 && r->table == RT_TABLE_MAIN) ||
	       (r->priority == 32767 && r->table == RT_TABLE_DEFAULT);
}
