/* netlens links: every interface with its kind and the details that matter
 * (bridge ports, bond slaves and mode, vlan id, vxlan vni and endpoints,
 * macvlan/ipvlan mode, veth peer, tun/tap, ...), drawn as a tree of
 * master/lower relationships in text and given as fields in JSON (master,
 * lower, peer, kind, info{...}), with mtu, state, addresses, txqueuelen,
 * qdisc, and rp_filter / arp_filter (own, `all`, and the effective value the
 * kernel applies). Reads go through the host; this file only plans and
 * prints. */
#include "base/opts.h"
#include "base/output.h"
#include "cmd/state_src.h"
#include "command.h"
#include "sources/host.h"
#include "sources/netns.h"
#include "sources/sysctl.h"
#include "sources/rtnl.h"

#include <errno.h>
#include <linux/if_arp.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char links_about[] =
	"Every interface (or those named; PATTERN is a shell glob) with its kind and\n"
	"details, drawn as a tree: bridge/bond/team ports under their master,\n"
	"vlan/macvlan/ipvlan/vxlan devices under their lower device. Shows mtu, state,\n"
	"txqueuelen, qdisc, addresses, the veth peer (its name; ifindex@NETNS when it\n"
	"lives in another namespace: the `ip netns` name for it, else the netnsid),\n"
	"and rp_filter and arp_filter: the interface's own value, conf/all's, and the\n"
	"effective one (rp_filter: the larger of the two; arp_filter: either one set).\n"
	"JSON (-j): one object per interface (master, lower, peer, kind, info{}).\n";

static const struct opt_group links_opts[] = {
	{ "Source", state_src_rows },
	OPT_GROUPS_END,
};

enum { C_NAME, C_IDX, C_KIND, C_STATE, C_MTU, C_QDISC, C_TXQ, C_ADDR, NCOLS };

static const struct out_col cols[NCOLS] = {
	{ "Interface", "ifname", 0, 0 }, { "Idx", "ifindex", OUT_RIGHT, 0 },
	{ "Kind", "kind", 0, 0 },        { "State", "operstate", 0, 0 },
	{ "MTU", "mtu", OUT_RIGHT, 0 },  { "Qdisc", "qdisc", 0, 0 },
	{ "Txqlen", "txqlen", OUT_RIGHT, 0 }, { "Addresses", NULL, OUT_LAST, 0 },
};

struct links_run {
	struct host *h;
	struct rtnl_links ls;
	struct rtnl_addrs as;
	struct netns_names nsn; /* ip netns names of netnsids (live only) */
	bool *sel;
	int *parent;   /* index into ls.v, or -1 */
	bool *done;
	long rp_all, arp_all;
	struct table *t;
};

static bool stacked_kind(const char *k)
{
	static const char *const s[] = { "vlan", "macvlan", "macvtap", "ipvlan", "ipvtap", "macsec" };
	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++)
		if (strcmp(k, s[i]) == 0)
			return true;
	return false;
}

/* The lower (underlying) device: IFLA_LINK for stacked kinds, the tunnel's
 * "link" for vxlan and friends; 0 for none. A veth's IFLA_LINK is its peer. */
static int lower_of(const struct rtnl_link *l)
{
	if (l->link && !l->has_link_netnsid && l->link != l->ifindex && stacked_kind(l->kind))
		return l->link;
	const struct rtnl_kv *kv = rtnl_info_get(l, "link");
	if (kv && kv->type == RV_IFINDEX)
		return (int)kv->u;
	return 0;
}

static int index_of(const struct links_run *r, int ifindex)
{
	const struct rtnl_link *l = ifindex ? rtnl_link_by_index(&r->ls, ifindex) : NULL;
	return l ? (int)(l - r->ls.v) : -1;
}

static long read_num(struct host *h, const char *dev, const char *knob)
{
	char name[128];
	char dotted[IFNAMSIZ];

	/* sysctl names write an interface's dots as slashes (eth0.100 -> eth0/100) */
	snprintf(dotted, sizeof(dotted), "%s", dev);
	for (char *p = dotted; *p; p++)
		if (*p == '.')
			*p = '/';
	if (snprintf(name, sizeof(name), "net.ipv4.conf.%s.%s", dotted, knob) >= (int)sizeof(name))
		return -1;
	return (long)sysctl_read_ll(h, name);
}

static void kv_fields(struct links_run *r, const struct rtnl_kv *kv, unsigned n)
{
	char label[64];

	for (unsigned i = 0; i < n; i++) {
		snprintf(label, sizeof(label), "%s ", kv[i].label ? kv[i].label : kv[i].key);
		if (kv[i].text) {
			/* text and JSON word it differently: one call each */
			out_field_str(r->t, NULL, label, kv[i].text);
			if (kv[i].type == RV_BOOL)
				out_field_bool(r->t, kv[i].key, NULL, kv[i].u != 0);
			else
				out_field_u64(r->t, kv[i].key, NULL, kv[i].u);
		} else if (kv[i].type == RV_BOOL) {
			out_field_bool(r->t, kv[i].key, label, kv[i].u != 0);
		} else if (kv[i].type == RV_STR) {
			out_field_str(r->t, kv[i].key, label, kv[i].s);
		} else if (kv[i].type == RV_IFINDEX) {
			const struct rtnl_link *o = rtnl_link_by_index(&r->ls, (int)kv[i].u);
			char num[24];
			snprintf(num, sizeof(num), "if%llu", (unsigned long long)kv[i].u);
			out_field_str(r->t, kv[i].key, label, o ? o->name : num);
		} else {
			out_field_u64(r->t, kv[i].key, label, kv[i].u);
		}
	}
}

static const char *kind_of(const struct rtnl_link *l)
{
	if (l->kind[0])
		return l->kind;
	return l->type == ARPHRD_LOOPBACK ? "loopback" : "device";
}

static void print_link(struct links_run *r, size_t i, const char *prefix, int depth)
{
	const struct rtnl_link *l = &r->ls.v[i];
	struct table *t = r->t;
	char name[256 + IFNAMSIZ], addrs[1024] = "";
	size_t alen = 0;

	snprintf(name, sizeof(name), "%s%s", prefix, l->name);
	out_row_begin(t);
	out_cell_str(t, C_NAME, out_is_json() ? l->name : name);
	out_cell_i64(t, C_IDX, l->ifindex);
	out_cell_str(t, C_KIND, kind_of(l));
	out_cell_str(t, C_STATE, rtnl_operstate_name(l->operstate));
	out_cell_u64(t, C_MTU, l->mtu);
	out_cell_str(t, C_QDISC, l->qdisc[0] ? l->qdisc : "-");
	out_cell_u64(t, C_TXQ, l->txqlen);

	out_arr_begin(t, "addresses", NULL);
	for (size_t a = 0; a < r->as.n; a++) {
		const struct rtnl_addr *ad = &r->as.v[a];
		char one[64];
		if (ad->ifindex != l->ifindex)
			continue;
		snprintf(one, sizeof(one), "%s/%u", ad->text, ad->prefixlen);
		out_field_str(t, "addr", NULL, one);
		if (alen + strlen(one) + 2 < sizeof(addrs))
			alen += (size_t)snprintf(addrs + alen, sizeof(addrs) - alen, "%s%s",
						 alen ? "," : "", one);
	}
	out_arr_end(t);
	out_cell_str(t, C_ADDR, addrs[0] ? addrs : "-");
	out_field_i64(t, "depth", NULL, depth);
	out_field_bool(t, "admin_up", NULL, (l->flags & 1u) != 0); /* IFF_UP */

	if (l->addr_len == 6) {
		char mac[24];
		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", l->addr[0], l->addr[1],
			 l->addr[2], l->addr[3], l->addr[4], l->addr[5]);
		out_field_str(t, "mac", "mac ", mac);
	}
	const struct rtnl_link *m = l->master ? rtnl_link_by_index(&r->ls, l->master) : NULL;
	if (l->master) {
		char num[24];
		snprintf(num, sizeof(num), "if%d", l->master);
		out_field_str(t, "master", "master ", m ? m->name : num);
	}
	int lower = lower_of(l);
	if (lower) {
		const struct rtnl_link *lo = rtnl_link_by_index(&r->ls, lower);
		char num[24];
		snprintf(num, sizeof(num), "if%d", lower);
		out_field_str(t, "lower", "lower ", lo ? lo->name : num);
	}
	if (strcmp(l->kind, "veth") == 0 && l->link) {
		char peer[300];
		const struct rtnl_link *p = l->has_link_netnsid ? NULL : rtnl_link_by_index(&r->ls, l->link);
		const char *ns = l->has_link_netnsid ? netns_name_of(&r->nsn, l->link_netnsid) : NULL;
		if (p)
			snprintf(peer, sizeof(peer), "%s", p->name);
		else if (ns) /* as `ip link` shows link-netns NAME */
			snprintf(peer, sizeof(peer), "%d@%s", l->link, ns);
		else if (l->has_link_netnsid)
			snprintf(peer, sizeof(peer), "%d@%d", l->link, l->link_netnsid);
		else
			snprintf(peer, sizeof(peer), "if%d", l->link);
		out_field_str(t, "peer", "peer ", peer);
		out_field_i64(t, "peer_ifindex", NULL, l->link);
		if (l->has_link_netnsid)
			out_field_i64(t, "peer_netnsid", NULL, l->link_netnsid);
		if (ns)
			out_field_str(t, "peer_netns", NULL, ns);
	}
	if (l->ninfo) {
		out_obj_begin(t, "info", "");
		kv_fields(r, l->info, l->ninfo);
		out_obj_end(t);
	}
	if (l->slave_kind[0]) {
		out_field_str(t, "slave_kind", NULL, l->slave_kind);
		out_obj_begin(t, "slave_info", "port");
		kv_fields(r, l->slave_info, l->nslave_info);
		out_obj_end(t);
	}
	/* ports of a master */
	bool any = false;
	for (size_t k = 0; k < r->ls.n; k++) {
		if (r->ls.v[k].master != l->ifindex)
			continue;
		if (!any)
			out_arr_begin(t, "ports", "ports");
		any = true;
		out_field_str(t, "port", "", r->ls.v[k].name);
	}
	if (any)
		out_arr_end(t);
	long rp = read_num(r->h, l->name, "rp_filter"), arp = read_num(r->h, l->name, "arp_filter");
	if (rp >= 0) {
		long eff = r->rp_all > rp ? r->rp_all : rp;
		out_field_i64(t, "rp_filter", "rp_filter ", rp);
		if (r->rp_all >= 0) {
			out_field_i64(t, "rp_filter_all", NULL, r->rp_all);
			out_field_i64(t, "rp_filter_effective", "effective ", eff);
		}
	}
	if (arp >= 0) {
		out_field_i64(t, "arp_filter", "arp_filter ", arp);
		if (r->arp_all >= 0) {
			out_field_i64(t, "arp_filter_all", NULL, r->arp_all);
			out_field_i64(t, "arp_filter_effective", "effective ", (arp || r->arp_all) ? 1 : 0);
		}
	}
	out_row_end(t);
}

/* Depth-first from i; prefix is what the row's ancestors draw. */
static void walk(struct links_run *r, size_t i, const char *lead, bool last, bool root, int depth)
{
	char prefix[256], next[256];

	if (r->done[i] || depth > 32)
		return;
	r->done[i] = true;
	snprintf(prefix, sizeof(prefix), "%s%s", lead, root ? "" : last ? "`- " : "|- ");
	print_link(r, i, prefix, depth);
	snprintf(next, sizeof(next), "%s%s", lead, root ? "" : last ? "   " : "|  ");
	size_t nkids = 0, seen = 0;
	for (size_t k = 0; k < r->ls.n; k++)
		if (r->sel[k] && r->parent[k] == (int)i && !r->done[k])
			nkids++;
	for (size_t k = 0; k < r->ls.n; k++)
		if (r->sel[k] && r->parent[k] == (int)i && !r->done[k])
			walk(r, k, next, ++seen == nkids, false, depth + 1);
}

static int show(struct links_run *r)
{
	size_t n = r->ls.n;

	r->parent = malloc((n + 1) * sizeof(*r->parent));
	r->done = calloc(n + 1, sizeof(*r->done));
	if (!r->parent || !r->done)
		return out_error("out of memory");
	for (size_t i = 0; i < n; i++) {
		const struct rtnl_link *l = &r->ls.v[i];
		int p = l->master ? index_of(r, l->master) : -1;
		if (p < 0)
			p = index_of(r, lower_of(l));
		r->parent[i] = p >= 0 && r->sel[p] && (size_t)p != i ? p : -1;
	}
	/* a loop of parents (only a corrupt dump could make one): cut it */
	for (size_t i = 0; i < n; i++) {
		int p = r->parent[i];
		for (size_t steps = 0; p >= 0 && steps <= n; steps++)
			p = r->parent[p];
		if (p >= 0)
			r->parent[i] = -1;
	}
	r->rp_all = read_num(r->h, "all", "rp_filter");
	r->arp_all = read_num(r->h, "all", "arp_filter");
	r->t = out_table_begin(cols, NCOLS);
	for (size_t i = 0; i < n; i++)
		if (r->sel[i] && r->parent[i] < 0)
			walk(r, i, "", true, true, 0);
	for (size_t i = 0; i < n; i++) /* anything a cut loop left out */
		if (r->sel[i] && !r->done[i])
			walk(r, i, "", true, true, 0);
	out_table_end(r->t);
	return EXIT_OK;
}

static int cmd_links(int argc, char **argv)
{
	const char *unmatched = NULL;
	struct state_src src = { 0 };
	struct links_run r = { 0 };
	struct opts p;
	int c, err, status;

	if (opts_begin(&p, "links", links_opts, argc, argv))
		return EXIT_USAGE;
	while ((c = opts_next(&p)) > 0)
		state_src_opt(&src, c, p.arg); /* the table holds nothing else */
	if (c < 0)
		return EXIT_USAGE;
	r.h = state_src_open(&src);
	if (!r.h)
		return EXIT_FAIL;
	err = rtnl_load_links(r.h, &r.ls);
	if (err) {
		status = out_error("listing interfaces over rtnetlink failed: %s", strerror(-err));
		goto out;
	}
	err = rtnl_load_addrs(r.h, &r.as);
	if (err) {
		status = out_error("listing addresses over rtnetlink failed: %s", strerror(-err));
		goto out;
	}
	r.sel = calloc(r.ls.n + 1, sizeof(*r.sel));
	if (!r.sel) {
		status = out_error("out of memory");
		goto out;
	}
	if (rtnl_select(&r.ls, argv + p.next, argc - p.next, r.sel, &unmatched)) {
		status = out_error(strpbrk(unmatched, "*?[") ? "no interface matches '%s': run "
							       "'netlens links' for the list"
							     : "no interface named '%s' in this namespace: run "
							       "'netlens links' for the list",
				   unmatched);
		goto out;
	}
	/* names for netnsids: the live namespaces only (a snapshot has none);
	 * without them the ids are shown, as `ip` does */
	if (host_is_live(r.h) && (err = netns_names_load(NULL, &r.nsn)))
		out_warn("naming namespaces by their netnsid failed (%s): showing the ids", strerror(-err));
	if (r.ls.interrupted)
		out_warn("the interface list changed while it was read: run again for a consistent view");
	status = show(&r);
out:
	free(r.sel);
	free(r.parent);
	free(r.done);
	rtnl_links_free(&r.ls);
	rtnl_addrs_free(&r.as);
	netns_names_free(&r.nsn);
	host_close(r.h);
	return status;
}

NETLENS_COMMAND(links, .name = "links", .run = cmd_links,
		.summary = "interfaces as a tree: kinds, masters, lower devices, peers, addresses, rp_filter",
		.synopsis = "[options] [IFACE|PATTERN]...", .about = links_about, .opts = links_opts,
		.notes = "Examples:\n"
			 "  netlens links            netlens links 'br*'          netlens -j links\n");
