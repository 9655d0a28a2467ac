/* RTM_GETLINK: request, message parser, link sets and selection. See rtnl.h.
 * Bounded attribute helpers shared with rtnl_info.c and rtnl_tc.c live here. */
#include "sources/rtnl.h"
#include "sources/host.h"
#include "sources/nl.h"
#include "sources/rtnl_int.h"

#include <errno.h>
#include <fnmatch.h>
#include <stddef.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- bounded attribute access ---- */

static uint16_t nla_len_of(const struct nlattr *a)
{
	uint16_t n;
	/* byte copies: no alignment is assumed of the buffer */
	memcpy(&n, (const char *)a + offsetof(struct nlattr, nla_len), sizeof(n));
	return n;
}

static size_t plen(const struct nlattr *a) { return nla_len_of(a) - NLA_HDRLEN; }
static const void *payload(const struct nlattr *a) { return (const char *)a + NLA_HDRLEN; }

static int walk(const char *p, size_t len, struct rtnl_tb *tb)
{
	memset(tb, 0, sizeof(*tb));
	while (len >= NLA_HDRLEN) {
		const struct nlattr *a = (const void *)p;
		uint16_t alen = nla_len_of(a), type;
		memcpy(&type, p + offsetof(struct nlattr, nla_type), sizeof(type));
		type &= NLA_TYPE_MASK;
		if (alen < NLA_HDRLEN || alen > len)
			return -EBADMSG;
		if (type < RTNL_TB_MAX)
			tb->a[type] = a;
		size_t step = NLA_ALIGN(alen);
		if (step >= len)
			break;
		p += step;
		len -= step;
	}
	return 0;
}

int rtnl_tb_msg(const struct nlmsghdr *nlh, size_t hdrlen, struct rtnl_tb *tb)
{
	uint32_t mlen;

	memcpy(&mlen, (const char *)nlh + offsetof(struct nlmsghdr, nlmsg_len), sizeof(mlen));
	if (mlen < NLMSG_LENGTH(hdrlen))
		return -EBADMSG;
	size_t off = NLMSG_HDRLEN + NLMSG_ALIGN(hdrlen);
	if (off > mlen)
		off = mlen;
	return walk((const char *)nlh + off, mlen - off, tb);
}

int rtnl_tb_nested(const struct nlattr *a, struct rtnl_tb *tb)
{
	return walk(payload(a), plen(a), tb);
}

#define GETTER(name, T)                                                  \
	bool name(const struct nlattr *a, T *v)                          \
	{                                                                \
		if (!a || plen(a) < sizeof(T))                           \
			return false;                                    \
		memcpy(v, payload(a), sizeof(T));                        \
		return true;                                             \
	}
GETTER(rtnl_u8, uint8_t)
GETTER(rtnl_u16, uint16_t)
GETTER(rtnl_u32, uint32_t)
GETTER(rtnl_u64, uint64_t)

bool rtnl_str(const struct nlattr *a, char *dst, size_t cap)
{
	if (!a || cap == 0)
		return false;
	size_t n = plen(a);
	const char *s = payload(a);
	const char *nul = memchr(s, '\0', n);
	if (nul)
		n = (size_t)(nul - s);
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return true;
}

void *rtnl_grow(void **v, size_t *n, size_t *cap, size_t sz)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 64;
		void *p = realloc(*v, nc * sz);
		if (!p)
			return NULL;
		*v = p;
		*cap = nc;
	}
	char *e = (char *)*v + (*n)++ * sz;
	memset(e, 0, sz);
	return e;
}

/* ---- links ---- */

static void stats_from32(struct rtnl_link_stats64 *d, const struct nlattr *a)
{
	struct rtnl_link_stats s32 = { 0 };
	size_t n = plen(a) < sizeof(s32) ? plen(a) : sizeof(s32);

	memcpy(&s32, payload(a), n);
	const uint32_t *src = (const uint32_t *)&s32;
	uint64_t *dst = (uint64_t *)d;
	/* the 32-bit struct lists the same counters in the same order */
	for (size_t i = 0; i < sizeof(s32) / sizeof(uint32_t) && i < sizeof(*d) / sizeof(uint64_t); i++)
		dst[i] = src[i];
}

static int parse_linkinfo(const struct nlattr *li, struct rtnl_link *l)
{
	struct rtnl_tb tb;
	int err = rtnl_tb_nested(li, &tb);

	if (err)
		return err;
	rtnl_str(tb.a[IFLA_INFO_KIND], l->kind, sizeof(l->kind));
	rtnl_str(tb.a[IFLA_INFO_SLAVE_KIND], l->slave_kind, sizeof(l->slave_kind));
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
	struct rtnl_tb tb;
	uint16_t type;
	uint32_t u;
	int err;

	memcpy(&type, (const char *)nlh + offsetof(struct nlmsghdr, nlmsg_type), sizeof(type));
	if (type != RTM_NEWLINK)
		return 1;
	err = rtnl_tb_msg(nlh, sizeof(ifi), &tb);
	if (err)
		return err;
	memcpy(&ifi, (const char *)nlh + NLMSG_HDRLEN, sizeof(ifi));
	memset(l, 0, sizeof(*l));
	l->ifindex = ifi.ifi_index;
	l->flags = ifi.ifi_flags;
	l->type = ifi.ifi_type;
	l->operstate = 0; /* IF_OPER_UNKNOWN */
	if (!rtnl_str(tb.a[IFLA_IFNAME], l->name, sizeof(l->name)) || !l->name[0])
		snprintf(l->name, sizeof(l->name), "if%d", l->ifindex);
	rtnl_str(tb.a[IFLA_QDISC], l->qdisc, sizeof(l->qdisc));
	rtnl_u32(tb.a[IFLA_MTU], &l->mtu);
	rtnl_u32(tb.a[IFLA_TXQLEN], &l->txqlen);
	rtnl_u8(tb.a[IFLA_OPERSTATE], &l->operstate);
	if (rtnl_u32(tb.a[IFLA_MASTER], &u))
		l->master = (int)u;
	if (rtnl_u32(tb.a[IFLA_LINK], &u))
		l->link = (int)u;
	if (rtnl_u32(tb.a[IFLA_LINK_NETNSID], &u)) {
		l->link_netnsid = (int32_t)u;
		l->has_link_netnsid = true;
	}
	if (tb.a[IFLA_ADDRESS]) {
		size_t n = plen(tb.a[IFLA_ADDRESS]);
		l->addr_len = (uint8_t)(n < sizeof(l->addr) ? n : sizeof(l->addr));
		memcpy(l->addr, payload(tb.a[IFLA_ADDRESS]), l->addr_len);
	}
	if (tb.a[IFLA_STATS64]) {
		/* the struct grows with kernels: take what both sides know */
		size_t n = plen(tb.a[IFLA_STATS64]);
		memcpy(&l->stats, payload(tb.a[IFLA_STATS64]), n < sizeof(l->stats) ? n : sizeof(l->stats));
		l->has_stats = true;
	} else if (tb.a[IFLA_STATS]) {
		stats_from32(&l->stats, tb.a[IFLA_STATS]);
		l->has_stats = l->stats32 = true;
	}
	if (tb.a[IFLA_LINKINFO])
		return parse_linkinfo(tb.a[IFLA_LINKINFO], l);
	return 0;
}

static int on_link(const struct nlmsghdr *nlh, void *arg)
{
	struct rtnl_links *ls = arg;
	struct rtnl_link tmp;
	int r = rtnl_parse_link_msg(nlh, &tmp);

	if (r != 0)
		return r < 0 ? r : 0;
	struct rtnl_link *l = rtnl_grow((void **)&ls->v, &ls->n, &ls->cap, sizeof(*l));
	if (!l)
		return -ENOMEM;
	*l = tmp;
	return 0;
}

int rtnl_parse_links(const void *buf, size_t len, struct rtnl_links *out)
{
	int r = nl_parse_dump(buf, len, 0, 0, on_link, out, &out->interrupted);
	return r < 0 ? r : 0;
}

int rtnl_load_links(struct host *h, struct rtnl_links *out)
{
	struct {
		struct nlmsghdr nlh;
		struct ifinfomsg ifi;
	} req = {
		.nlh = { .nlmsg_len = sizeof(req), .nlmsg_type = RTM_GETLINK,
			 .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP },
		.ifi = { .ifi_family = AF_UNSPEC },
	};
	char *buf = NULL;
	size_t len = 0;
	int err = host_nl_dump(h, NETLINK_ROUTE, &req.nlh, &buf, &len);

	if (err)
		return err;
	err = rtnl_parse_links(buf, len, out);
	free(buf);
	return err;
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
