/* Carrier change counts and RPS masks of links. See linkextra.h. */
#include "sources/linkextra.h"
#include "sources/host.h"
#include "sources/nl.h"
#include "sources/rtnl_int.h"

#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int on_link(const struct nlmsghdr *nlh, void *arg)
{
	struct link_carriers *c = arg;
	struct ifinfomsg ifi;
	struct rtnl_tb tb;
	uint16_t type;
	int err;

	memcpy(&type, (const char *)nlh + offsetof(struct nlmsghdr, nlmsg_type), sizeof(type));
	if (type != RTM_NEWLINK)
		return 0;
	if ((err = rtnl_tb_msg(nlh, sizeof(ifi), &tb)))
		return err;
	memcpy(&ifi, (const char *)nlh + NLMSG_HDRLEN, sizeof(ifi));
	struct link_carrier *l = rtnl_grow((void **)&c->v, &c->n, &c->cap, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->ifindex = ifi.ifi_index;
	if (!rtnl_str(tb.a[IFLA_IFNAME], l->name, sizeof(l->name)) || !l->name[0])
		snprintf(l->name, sizeof(l->name), "if%d", l->ifindex);
	l->has_changes = rtnl_u32(tb.a[IFLA_CARRIER_CHANGES], &l->changes);
	l->has_updown = rtnl_u32(tb.a[IFLA_CARRIER_UP_COUNT], &l->up) &&
			rtnl_u32(tb.a[IFLA_CARRIER_DOWN_COUNT], &l->down);
	return 0;
}

int link_carriers_parse(const void *buf, size_t len, struct link_carriers *out)
{
	bool intr = false;
	int r = nl_parse_dump(buf, len, 0, 0, on_link, out, &intr);

	if (r < 0)
		link_carriers_free(out);
	return r < 0 ? r : 0;
}

int link_carriers_load(struct host *h, struct link_carriers *out)
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

	memset(out, 0, sizeof(*out));
	if (err)
		return err;
	err = link_carriers_parse(buf, len, out);
	free(buf);
	return err;
}

void link_carriers_free(struct link_carriers *c)
{
	free(c->v);
	memset(c, 0, sizeof(*c));
}

const struct link_carrier *link_carrier_find(const struct link_carriers *c, int ifindex)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->v[i].ifindex == ifindex)
			return &c->v[i];
	return NULL;
}

/* ---- RPS ---- */

static int read_small(struct host *h, const char *path, char *dst, size_t size)
{
	char *buf = NULL;
	size_t len = 0;
	int err = host_read_file(h, path, &buf, &len);

	if (err)
		return err;
	while (len && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
		len--;
	if (len >= size)
		len = size - 1;
	memcpy(dst, buf, len);
	dst[len] = '\0';
	free(buf);
	return 0;
}

/* "00000000,00000003" -> true when a bit is set; -EBADMSG when not a mask. */
static int mask_nonzero(const char *s)
{
	bool any = false;

	if (!*s)
		return -EBADMSG;
	for (; *s; s++) {
		if (*s == ',')
			continue;
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f') || (*s >= 'A' && *s <= 'F')))
			return -EBADMSG;
		any |= *s != '0';
	}
	return any;
}

int link_rps_read(struct host *h, const char *ifname, int ifindex, struct link_rps *out)
{
	char path[128], val[80];
	int err;

	memset(out, 0, sizeof(*out));
	if (!*ifname || strchr(ifname, '/') || strcmp(ifname, ".") == 0 || strcmp(ifname, "..") == 0)
		return -EINVAL;
	snprintf(path, sizeof(path), "/sys/class/net/%s/ifindex", ifname);
	if (read_small(h, path, val, sizeof(val)) == 0 && atoi(val) != ifindex)
		return -ESTALE;
	for (unsigned q = 0; q < LINK_RPS_MAX_QUEUES; q++) {
		snprintf(path, sizeof(path), "/sys/class/net/%s/queues/rx-%u/rps_cpus", ifname, q);
		if ((err = read_small(h, path, val, sizeof(val)))) {
			if (q == 0)
				return err;
			break;
		}
		int nz = mask_nonzero(val);
		if (nz < 0)
			return nz;
		out->nqueues++;
		if (nz && !out->enabled++)
			snprintf(out->mask, sizeof(out->mask), "%s", val);
	}
	return 0;
}

const char *link_rps_mask_all(unsigned ncpus, char *buf, size_t size)
{
	/* the kernel's bitmap format: 32-bit words in hex, most significant first */
	size_t n = 0;
	unsigned words = ncpus ? (ncpus + 31) / 32 : 1;

	buf[0] = '\0';
	for (unsigned w = words; w-- > 0 && n + 10 < size;) {
		unsigned bits = ncpus > w * 32 ? ncpus - w * 32 : 0;
		uint32_t v = bits >= 32 ? 0xffffffffu : (uint32_t)((1ull << bits) - 1);
		n += (size_t)snprintf(buf + n, size - n, w == words - 1 ? "%x" : ",%08x", v);
	}
	return buf;
}
