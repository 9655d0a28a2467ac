/* RTM_GETNEIGH: request and parser. See neigh.h. */
#include "sources/neigh.h"
#include "sources/host.h"
#include "sources/nl.h"
#include "sources/rtnl_int.h"

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
	struct rtnl_tb tb;
	uint16_t type;
	int err;

	memcpy(&type, (const char *)nlh + offsetof(struct nlmsghdr, nlmsg_type), sizeof(type));
	if (type != RTM_NEWNEIGH)
		return 1;
	if ((err = rtnl_tb_msg(nlh, sizeof(ndm), &tb)))
		return err;
	memcpy(&ndm, (const char *)nlh + NLMSG_HDRLEN, sizeof(ndm));
	memset(n, 0, sizeof(*n));
	n->ifindex = ndm.ndm_ifindex;
	n->family = ndm.ndm_family;
	n->flags = ndm.ndm_flags;
	n->type = ndm.ndm_type;
	n->state = ndm.ndm_state;
	size_t need = n->family == AF_INET ? 4 : n->family == AF_INET6 ? 16 : 0;
	const struct nlattr *d = tb.a[NDA_DST];
	if (d && need && mnl_attr_get_payload_len(d) >= need) {
		memcpy(n->dst, mnl_attr_get_payload(d), need);
		n->has_dst = true;
	}
	return 0;
}

static int on_neigh(const struct nlmsghdr *nlh, void *arg)
{
	struct neigh_counts *c = arg;
	struct rt_neigh n;
	int r = neigh_parse_msg(nlh, &n);

	if (r != 0)
		return r < 0 ? r : 0;
	c->total++;
	if (!(n.state & NUD_PERMANENT) && !(n.flags & NTF_EXT_LEARNED))
		c->gc_counted++;
	c->permanent += !!(n.state & NUD_PERMANENT);
	c->incomplete += !!(n.state & NUD_INCOMPLETE);
	c->failed += !!(n.state & NUD_FAILED);
	c->reachable += !!(n.state & NUD_REACHABLE);
	c->stale += !!(n.state & (NUD_STALE | NUD_DELAY | NUD_PROBE));
	c->noarp += !!(n.state & NUD_NOARP);
	return 0;
}

int neigh_count_parse(const void *buf, size_t len, struct neigh_counts *out)
{
	int r = nl_parse_dump(buf, len, 0, 0, on_neigh, out, NULL);
	return r < 0 ? r : 0;
}

int neigh_load_counts(struct host *h, int family, struct neigh_counts *out)
{
	char req[NLMSG_HDRLEN + sizeof(struct ndmsg)] = { 0 };
	struct nlmsghdr *nlh = (struct nlmsghdr *)req;
	struct ndmsg ndm = { .ndm_family = (uint8_t)family };
	char *buf = NULL;
	size_t len = 0;
	int err;

	nlh->nlmsg_len = (uint32_t)NLMSG_LENGTH(sizeof(ndm));
	nlh->nlmsg_type = RTM_GETNEIGH;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	memcpy(req + NLMSG_HDRLEN, &ndm, sizeof(ndm));
	if ((err = host_nl_dump(h, NETLINK_ROUTE, nlh, &buf, &len)))
		return err;
	err = neigh_count_parse(buf, len, out);
	free(buf);
	return err;
}
