/* netlens routes get: one lookup through RTM_GETROUTE (ip route get), live
 * only. Parses the words after "get" (ADDR, from, iif, oif, mark), asks the
 * kernel through sources/route.c's route_get(), prints the route it chose
 * and, in words, which interface the reply leaves by; a refused lookup
 * becomes one line naming the likely cause. routes.c calls it; it calls
 * only routes_text.c. */
#include "cmd/routes.h"

#include "base/opts.h"
#include "base/output.h"
#include "sources/host.h"
#include "sources/route.h"
#include "sources/rtnl.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* ---- routes get ---- */

static const char *get_error(int err, const struct route_query *q, bool src_local, const char *dst,
			     const char *src, const char *iif, char *buf, size_t len)
{
	switch (err) {
	case -ENETUNREACH:
		if (q->has_src && !q->iif && !src_local)
			snprintf(buf, len, "%s is not an address of this host: the kernel looks up what this "
				 "host sends only from its own addresses (add 'iif DEV' to ask about a packet "
				 "from %s arriving on DEV)", src, src);
		else
			snprintf(buf, len, "network unreachable: no table the rules chose holds a route to %s "
				 "(see 'netlens routes' and 'netlens routes rules')", dst);
		break;
	case -EHOSTUNREACH:
		if (q->iif)
			snprintf(buf, len, "no route to host %s for a packet arriving on %s: an unreachable route "
				 "covers it, or forwarding is off (net.ipv%d.conf.%s.forwarding)", dst, iif,
				 q->family == AF_INET6 ? 6 : 4, iif);
		else
			snprintf(buf, len, "no route to host %s: an unreachable route covers it "
				 "(see 'netlens routes --to %s')", dst, dst);
		break;
	case -EINVAL:
		snprintf(buf, len, "the kernel refused the lookup (invalid argument): a blackhole route covers "
			 "%s, or the source is not valid here (multicast, broadcast or unspecified; a local "
			 "address arriving on iif; iif without from)", dst);
		break;
	case -EACCES:
		snprintf(buf, len, "a prohibit route covers %s: packets to it are refused (administratively "
			 "prohibited)", dst);
		break;
	case -EXDEV:
		snprintf(buf, len, "reverse-path filtering refuses %s arriving on %s: replies to it would not "
			 "leave by %s (net.ipv4.conf.%s.rp_filter)", src, iif, iif, iif);
		break;
	case -ENODEV:
		snprintf(buf, len, "the kernel knows no such device: it went away during the lookup");
		break;
	default:
		snprintf(buf, len, "looking up the route to %s failed: %s", dst, strerror(-err));
	}
	return buf;
}

static bool is_local(struct host *h, int family, const uint8_t *a)
{
	struct rtnl_addrs as = { 0 };
	char t[INET6_ADDRSTRLEN];
	bool found = false;

	if (rtnl_load_addrs(h, &as) == 0) {
		routes_addr_text(family, a, t, sizeof(t));
		for (size_t i = 0; i < as.n && !found; i++)
			found = as.v[i].family == family && strcmp(as.v[i].text, t) == 0;
	}
	rtnl_addrs_free(&as);
	return found;
}

enum { G_DST, G_VIA, G_DEV, G_SRC, G_TABLE, G_NCOLS };

static const struct out_col get_cols[G_NCOLS] = {
	{ "Destination", "dst", 0, 0 }, { "Via", "gateway", 0, 0 }, { "Dev", "dev", 0, 0 },
	{ "Src", "prefsrc", 0, 0 },     { "Table", "table", 0, 0 },
};

int route_get_cmd(struct routes_run *r, struct opts *p, char **av, int ac)
{
	struct route_query q = { 0 };
	const char *dst = NULL, *src = NULL, *iif = NULL, *oif = NULL;
	unsigned plen;
	int fam, src_family = 0;

	for (int i = 0; i < ac; i++) {
		const char *k = av[i];
		bool kw = !strcmp(k, "from") || !strcmp(k, "iif") || !strcmp(k, "oif") || !strcmp(k, "mark") ||
			  !strcmp(k, "to");
		if (kw && i + 1 >= ac)
			return opts_fail_cmd(p, "get: '%s' needs a value: get ADDR [from ADDR] [iif DEV] "
					     "[oif DEV] [mark N]", k);
		const char *v = kw ? av[++i] : k;
		if (!kw || !strcmp(k, "to")) {
			if (dst)
				return opts_fail_cmd(p, "get: one destination only ('%s' and '%s')", dst, v);
			if (routes_parse_prefix(v, &fam, q.dst, &plen) || plen != routes_addr_len(fam) * 8)
				return opts_fail_cmd(p, "get: '%s' is not an IPv4 or IPv6 address", v);
			dst = v;
			q.family = fam;
		} else if (!strcmp(k, "from")) {
			if (routes_parse_prefix(v, &fam, q.src, &plen) || plen != routes_addr_len(fam) * 8)
				return opts_fail_cmd(p, "get: from '%s' is not an IPv4 or IPv6 address", v);
			src = v;
			q.has_src = true;
			src_family = fam;
		} else if (!strcmp(k, "iif")) {
			iif = v;
		} else if (!strcmp(k, "oif")) {
			oif = v;
		} else {
			char *end;
			errno = 0;
			unsigned long m = strtoul(v, &end, !strncmp(v, "0x", 2) ? 16 : 10);
			if (!isdigit((unsigned char)*v) || *end || errno || m > 0xffffffffUL)
				return opts_fail_cmd(p, "get: mark '%s' is not a number (decimal, or hex with 0x)", v);
			q.has_mark = true;
			q.mark = (uint32_t)m;
		}
	}
	if (!dst)
		return opts_fail_cmd(p, "get: give the destination: get ADDR [from ADDR] [iif DEV] [oif DEV] [mark N]");
	if (q.has_src && src_family != q.family)
		return opts_fail_cmd(p, "get: from %s and %s are of different families", src, dst);
	if (r->family && r->family != q.family)
		return opts_fail_cmd(p, "get: %s is not an %s address", dst, r->family == AF_INET ? "IPv4" : "IPv6");
	if (r->has_table || r->dev || r->has_to || r->all)
		return opts_fail_cmd(p, "get takes its own words (from, iif, oif, mark): --table, --dev, --to "
				     "and -a select what show, rules and neigh list");
	if (!host_is_live(r->h))
		return out_error("routes get asks this kernel for a lookup, which a snapshot cannot answer: "
				 "run it without --from (on the host, or with -N NAME)");
	if (iif && !(q.iif = routes_dev_index(r, iif)))
		return out_error("no interface named '%s' in this namespace: run 'netlens links' for the list", iif);
	if (oif && !(q.oif = routes_dev_index(r, oif)))
		return out_error("no interface named '%s' in this namespace: run 'netlens links' for the list", oif);

	struct rt_route rt;
	int err = route_get(r->h, &q, &rt);
	if (err) {
		char why[512];
		bool local = q.has_src && !q.iif && err == -ENETUNREACH ? is_local(r->h, q.family, q.src) : true;
		return out_error("%s", get_error(err, &q, local, dst, src, iif, why, sizeof(why)));
	}

	char b1[64], b2[INET6_ADDRSTRLEN], b3[INET6_ADDRSTRLEN], num[24], tn[64];
	const struct rt_nexthop *nh = &rt.nh[0];
	const char *gw = nh->has_gw ? routes_addr_text(nh->gw_family, nh->gw, b2, sizeof(b2)) : NULL;
	const char *dev = nh->oif ? routes_dev_name(r, nh->oif, num, sizeof(num)) : NULL;
	const char *from = rt.has_prefsrc ? routes_addr_text(rt.family, rt.prefsrc, b3, sizeof(b3)) : src;
	/* table 0: the kernel chose without a table (oif given) */
	const char *table = rt.table ? routes_table_name(&r->names, rt.table, tn, sizeof(tn)) : NULL;
	struct table *t = out_table_begin(get_cols, G_NCOLS);

	out_row_begin(t);
	out_cell_str(t, G_DST, dst);
	routes_cell_opt(t, G_VIA, gw);
	routes_cell_opt(t, G_DEV, dev);
	routes_cell_opt(t, G_SRC, rt.has_prefsrc ? from : NULL);
	routes_cell_opt(t, G_TABLE, table);
	out_field_str(t, "family", NULL, routes_family_name(rt.family));
	out_field_str(t, "type", "type ", routes_type_name(rt.type, b1, sizeof(b1)));
	if (src)
		out_field_str(t, "from", "from ", src);
	if (iif)
		out_field_str(t, "iif", "iif ", iif);
	if (rt.has_mark)
		out_field_u64(t, "mark", "mark ", rt.mark);
	if (rt.has_uid)
		out_field_u64(t, "uid", NULL, rt.uid);
	routes_flag_words(t, rt.flags & ~(uint32_t)(RTM_F_CLONED | RTM_F_LOOKUP_TABLE));
	out_row_end(t);
	out_table_end(t);
	if (!out_is_json()) {
		if (rt.type == RTN_LOCAL)
			out_line("%s is an address of this host: packets to it are delivered locally%s%s%s",
				 dst, dev ? " (dev " : "", dev ? dev : "", dev ? ")" : "");
		else if (q.iif)
			out_line("packets from %s arriving on %s for %s are forwarded by %s%s%s%s%s%s",
				 src ? src : "any address", iif, dst, dev ? dev : "?", gw ? " via " : "",
				 gw ? gw : "", table ? " (table " : "", table ? table : "",
				 table ? ")" : "");
		else
			out_line("replies to %s leave by %s%s%s%s%s%s%s%s", dst, dev ? dev : "?",
				 gw ? " via " : "", gw ? gw : "", from ? " from " : "", from ? from : "",
				 table ? " (table " : "", table ? table : "", table ? ")" : "");
	}
	return EXIT_OK;
}
