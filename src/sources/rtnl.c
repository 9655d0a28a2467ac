/* RTM_GETLINK: request, message parser, link sets and selection. See rtnl.h.
 * The kind's data is decoded by rtnl_info.c; attributes are read through
 * nlattr.h. */
#include "sources/rtnl.h"
#include "sources/nlattr.h"
#include "sources/nldump.h"
#include "sources/rtnl_int.h"

#include <errno.h>
#include <fnmatch.h>
#include <stddef.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- links ---- */

static void stats_from32(struct rtnl_link_stats64 *d, const struct nlattr *a)
{
	struct rtnl_link_stats s32 = { 0 };
	size_t n = nlattr_len(a) < sizeof(s32) ? nlattr_len(a) : sizeof(s32);

	memcpy(&s32, nlattr_data(a), n);
	const uint32_t *src = (const uint32_t *)&s32;
	uint64_t *dst = (uint64_t *)d;
	/* the 32-bit struct lists the same counters in the same order */
	for (size_t i = 0; i < sizeof(s32) / sizeof(uint32_t) && i < sizeof(*d) / sizeof(uint64_t); i++)
		dst[i] = src[i];
}

static int parse_linkinfo(const struct nlattr *li, struct rtnl_link *l)
{
	struct nlattr_tb tb;
	int err = nlattr_tb_nested(li, &tb);

	if (err)
		return err;
	nlattr_str(tb.a[IFLA_INFO_KIND], l->kind, sizeof(l->kind));
	nlattr_str(tb.a[IFLA_INFO_SLAVE_KIND], l->slave_kind, sizeof(l->slave_kind));
	if (tb.a[IFLA_INFO_DATA] && l->kind[0]) {
		err = rtnl_decode_info(l->kind, false, tb.a[IFLA_INFO_DATA], l->info, RTNL_INFO_MAX,
				       &l->ninfo);
		if (err)
			return err;
	}
	if (tb.a[IFLA_INFO_SLAVE_DATA] && l->slave_kind[0])
		err = rtnl_decode_info(l->slave_kind, true, tb.a[IFLA_INFO_SLAVE_DATA], l->slave_info,
				       RTNL_SLAVE_INFO_MAX, &l->nslave_info);
	return err;
}

int rtnl_parse_link_msg(const struct nlmsghdr *nlh, struct rtnl_link *l)
{
	struct ifinfomsg ifi;
	struct nlattr_tb tb;
	uint32_t u;
	int err;

	if (nlattr_msg_type(nlh) != RTM_NEWLINK)
		return 1;
	err = nlattr_tb_msg(nlh, sizeof(ifi), &tb);
	if (err)
		return err;
	nlattr_msg_hdr(nlh, &ifi, sizeof(ifi));
	memset(l, 0, sizeof(*l));
	l->ifindex = ifi.ifi_index;
	l->flags = ifi.ifi_flags;
	l->type = ifi.ifi_type;
	l->operstate = 0; /* IF_OPER_UNKNOWN */
	if (!nlattr_str(tb.a[IFLA_IFNAME], l->name, sizeof(l->name)) || !l->name[0])
		snprintf(l->name, sizeof(l->name), "if%d", l->ifindex);
	nlattr_str(tb.a[IFLA_QDISC], l->qdisc, sizeof(l->qdisc));
	nlattr_u32(tb.a[IFLA_MTU], &l->mtu);
	nlattr_u32(tb.a[IFLA_TXQLEN], &l->txqlen);
	nlattr_u8(tb.a[IFLA_OPERSTATE], &l->operstate);
	if (nlattr_u32(tb.a[IFLA_MASTER], &u))
		l->master = (int)u;
	if (nlattr_u32(tb.a[IFLA_LINK], &u))
		l->link = (int)u;
	if (nlattr_u32(tb.a[IFLA_LINK_NETNSID], &u)) {
		l->link_netnsid = (int32_t)u;
		l->has_link_netnsid = true;
	}
	if (tb.a[IFLA_ADDRESS]) {
		size_t n = nlattr_len(tb.a[IFLA_ADDRESS]);
		l->addr_len = (uint8_t)(n < sizeof(l->addr) ? n : sizeof(l->addr));
		memcpy(l->addr, nlattr_data(tb.a[IFLA_ADDRESS]), l->addr_len);
	}
	if (tb.a[IFLA_STATS64]) {
		/* the struct grows with kernels: take what both sides know */
		size_t n = nlattr_len(tb.a[IFLA_STATS64]);
		memcpy(&l->stats, nlattr_data(tb.a[IFLA_STATS64]), n < sizeof(l->stats) ? n : sizeof(l->stats));
		l->has_stats = true;
	} else if (tb.a[IFLA_STATS]) {
		stats_from32(&l->stats, tb.a[IFLA_STATS]);
		l->has_stats = l->stats32 = true;
	}
	l->has_carrier_changes = nlattr_u32(tb.a[IFLA_CARRIER_CHANGES], &l->carrier_changes);
	l->has_carrier_updown = nlattr_u32(tb.a[IFLA_CARRIER_UP_COUNT], &l->carrier_up) &&
				nlattr_u32(tb.a[IFLA_CARRIER_DOWN_COUNT], &l->carrier_down);
	if (tb.a[IFLA_LINKINFO])
		return parse_linkinfo(tb.a[IFLA_LINKINFO], l);
	return 0;
}

static int parse_link(const struct nlmsghdr *nlh, void *rec)
{
	return rtnl_parse_link_msg(nlh, rec);
}

int rtnl_parse_links(const void *buf, size_t len, struct rtnl_links *out)
{
	return nl_parse_vec(buf, len, parse_link, NL_VEC(out), &out->interrupted);
}

int rtnl_load_links(struct host *h, struct rtnl_links *out)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	struct nl_req req = NL_REQ(NETLINK_ROUTE, RTM_GETLINK, ifi);

	return nl_dump_vec(h, &req, parse_link, NL_VEC(out), &out->interrupted);
}

void rtnl_links_free(struct rtnl_links *ls)
{
	free(ls->v);
	memset(ls, 0, sizeof(*ls));
}

const struct rtnl_link *rtnl_link_by_index(const struct rtnl_links *ls, int ifindex)
{
	for (size_t i = 0; i < ls->n; i++)
		if (ls->v[i].ifindex == ifindex)
			return &ls->v[i];
	return NULL;
}

const struct rtnl_link *rtnl_link_by_name(const struct rtnl_links *ls, const char *name)
{
	for (size_t i = 0; i < ls->n; i++)
		if (strcmp(ls->v[i].name, name) == 0)
			return &ls->v[i];
	return NULL;
}

const struct rtnl_kv *rtnl_info_get(const struct rtnl_link *l, const char *key)
{
	for (unsigned i = 0; i < l->ninfo; i++)
		if (strcmp(l->info[i].key, key) == 0)
			return &l->info[i];
	return NULL;
}

const char *rtnl_operstate_name(uint8_t s)
{
	static const char *const n[] = { "UNKNOWN", "NOTPRESENT", "DOWN", "LOWERLAYERDOWN",
					 "TESTING", "DORMANT", "UP" };
	return s < sizeof(n) / sizeof(n[0]) ? n[s] : "UNKNOWN";
}

int rtnl_select(const struct rtnl_links *ls, char *const *pat, int npat, bool *sel,
		const char **unmatched)
{
	for (size_t i = 0; i < ls->n; i++)
		sel[i] = npat == 0;
	for (int p = 0; p < npat; p++) {
		bool any = false;
		for (size_t i = 0; i < ls->n; i++) {
			if (strcmp(ls->v[i].name, pat[p]) == 0 || fnmatch(pat[p], ls->v[i].name, 0) == 0) {
				sel[i] = true;
				any = true;
			}
		}
		if (!any) {
			*unmatched = pat[p];
			return -ENODEV;
		}
	}
	return 0;
}
