/* Carrier change counts and RPS masks of links. See linkextra.h. */
#include "sources/linkextra.h"
#include "sources/host.h"
#include "sources/nldump.h"
#include "sources/rtnl.h"

#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The counts are fields of struct rtnl_link: rtnl.c parses the message;
 * this keeps the part doctor's rules look at. */
static int from_links(const struct rtnl_links *ls, struct link_carriers *out)
{
	for (size_t i = 0; i < ls->n; i++) {
		const struct rtnl_link *l = &ls->v[i];
		struct link_carrier *c = nl_vec_grow(NL_VEC(out));
		if (!c)
			return -ENOMEM;
		c->ifindex = l->ifindex;
		snprintf(c->name, sizeof(c->name), "%s", l->name);
		c->changes = l->carrier_changes;
		c->up = l->carrier_up;
		c->down = l->carrier_down;
		c->has_changes = l->has_carrier_changes;
		c->has_updown = l->has_carrier_updown;
	}
	return 0;
}

/* Takes the outcome of reading ls (err) and ls itself, which it frees. */
static int carriers_of(struct rtnl_links *ls, int err, struct link_carriers *out)
{
	if (!err)
		err = from_links(ls, out);
	rtnl_links_free(ls);
	if (err)
		link_carriers_free(out);
	return err;
}

int link_carriers_parse(const void *buf, size_t len, struct link_carriers *out)
{
	struct rtnl_links ls = { 0 };

	return carriers_of(&ls, rtnl_parse_links(buf, len, &ls), out);
}

int link_carriers_load(struct host *h, struct link_carriers *out)
{
	struct rtnl_links ls = { 0 };

	memset(out, 0, sizeof(*out));
	return carriers_of(&ls, rtnl_load_links(h, &ls), out);
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
