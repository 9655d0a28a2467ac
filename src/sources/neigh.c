/* RTM_GETNEIGH: request and parser. See neigh.h. */
#include "sources/neigh.h"
#include "sources/nlattr.h"
#include "sources/nldump.h"

#include <errno.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

int neigh_parse_msg(const struct nlmsghdr *nlh, struct rt_neigh *n)
{
	struct ndmsg ndm;
	struct nlattr_tb tb;
	int err;

	if (nlattr_msg_type(nlh) != RTM_NEWNEIGH)
		return 1;
	if ((err = nlattr_tb_msg(nlh, sizeof(ndm), &tb)))
		return err;
	nlattr_msg_hdr(nlh, &ndm, sizeof(ndm));
	memset(n, 0, sizeof(*n));
	n->ifindex = ndm.ndm_ifindex;
	n->family = ndm.ndm_family;
	n->flags = ndm.ndm_flags;
	n->type = ndm.ndm_type;
	n->state = ndm.ndm_state;
	size_t need = n->family == AF_INET ? 4 : n->family == AF_INET6 ? 16 : 0;
	const struct nlattr *d = tb.a[NDA_DST];
	if (d && need && nlattr_len(d) >= need) {
		memcpy(n->dst, nlattr_data(d), need);
		n->has_dst = true;
	}
	const struct nlattr *ll = tb.a[NDA_LLADDR];
	if (ll && nlattr_len(ll) <= NEIGH_LLADDR_MAX) {
		n->lladdr_len = (uint8_t)nlattr_len(ll);
		memcpy(n->lladdr, nlattr_data(ll), n->lladdr_len);
	}
	n->has_probes = nlattr_u32(tb.a[NDA_PROBES], &n->probes);
	return 0;
}

void neigh_count(struct neigh_counts *c, const struct rt_neigh *n)
{
	c->total++;
	if (!(n->state & NUD_PERMANENT) && !(n->flags & NTF_EXT_LEARNED))
		c->gc_counted++;
	c->permanent += !!(n->state & NUD_PERMANENT);
	c->incomplete += !!(n->state & NUD_INCOMPLETE);
	c->failed += !!(n->state & NUD_FAILED);
	c->reachable += !!(n->state & NUD_REACHABLE);
	c->stale += !!(n->state & (NUD_STALE | NUD_DELAY | NUD_PROBE));
	c->noarp += !!(n->state & NUD_NOARP);
	c->none += n->state == NUD_NONE;
	for (unsigned i = 0; i < NEIGH_NSTATES; i++)
		c->state[i] += !!(n->state & (1u << i));
}

const char *neigh_state_name(unsigned bit)
{
	static const char *const names[NEIGH_NSTATES] = {
		"INCOMPLETE", "REACHABLE", "STALE", "DELAY", "PROBE", "FAILED", "NOARP", "PERMANENT",
	};
	return bit < NEIGH_NSTATES ? names[bit] : "?";
}

static int on_neigh(const struct nlmsghdr *nlh, void *arg)
{
	struct rt_neigh n;
	int r = neigh_parse_msg(nlh, &n);

	if (r != 0)
		return r < 0 ? r : 0;
	neigh_count(arg, &n);
	return 0;
}

static int parse_neigh(const struct nlmsghdr *nlh, void *rec)
{
	return neigh_parse_msg(nlh, rec);
}

int neigh_parse(const void *buf, size_t len, struct rt_neighs *out)
{
	return nl_parse_vec(buf, len, parse_neigh, NL_VEC(out), &out->interrupted);
}

int neigh_load(struct host *h, int family, struct rt_neighs *out)
{
	struct ndmsg ndm = { .ndm_family = (uint8_t)family };
	struct nl_req req = NL_REQ(NETLINK_ROUTE, RTM_GETNEIGH, ndm);

	return nl_dump_vec(h, &req, parse_neigh, NL_VEC(out), &out->interrupted);
}

void neigh_free(struct rt_neighs *ns)
{
	free(ns->v);
	memset(ns, 0, sizeof(*ns));
}

int neigh_count_parse(const void *buf, size_t len, struct neigh_counts *out)
{
	int r = nl_parse_dump(buf, len, 0, 0, on_neigh, out, NULL);
	return r < 0 ? r : 0;
}

int neigh_load_counts(struct host *h, int family, struct neigh_counts *out)
{
	struct ndmsg ndm = { .ndm_family = (uint8_t)family };
	struct nl_req req = NL_REQ(NETLINK_ROUTE, RTM_GETNEIGH, ndm);

	/* counted as they come: no entry is kept */
	return nl_dump_each(h, &req, on_neigh, out, NULL);
}
