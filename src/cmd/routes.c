/* netlens routes: the routing state as ip shows it, from one reader
 * (sources/route.c, sources/neigh.c) that the doctor's multi-NIC and
 * neighbour-table rules read too:
 *   routes [show]  every route of every table (ip route show table all)
 *   routes rules   policy rules of both families (ip rule; ip -6 rule)
 *   routes neigh   neighbours (ip neigh) and, per family, the counts and
 *                  gc_thresh limits the doctor's neigh-table rule uses
 *   routes get     one lookup through RTM_GETROUTE (ip route get), live only
 * Reads go through the host (snapshots record every dump used here); this
 * file only parses the command line, filters and prints. The lookup is in
 * routes_get.c; the names and text both print with in routes_text.c. */
#include "base/opts.h"
#include "base/output.h"
#include "cmd/routes.h"
#include "cmd/state_src.h"
#include "command.h"
#include "sources/host.h"
#include "sources/neigh.h"
#include "sources/route.h"
#include "sources/rtnl.h"
#include "sources/sysctl.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <linux/fib_rules.h>
#include <linux/neighbour.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static const char routes_about[] =
	"The routing state, as ip shows it, in aligned tables or JSON (-j):\n"
	"  show (default)  every route of every table, local and broadcast ones\n"
	"                  included, IPv4 and IPv6 (ip route show table all)\n"
	"  rules           the policy rules of both families (ip rule, ip -6 rule)\n"
	"  neigh           the neighbours (ip neigh), then per family the entries by\n"
	"                  state, those counted against gc_thresh3 and the gc_thresh\n"
	"                  limits (as doctor's neigh-table rule counts them)\n"
	"  get ADDR [from ADDR] [iif DEV] [oif DEV] [mark N]\n"
	"                  the route the kernel chooses (ip route get), and in words\n"
	"                  which interface the reply leaves by; iif asks about a\n"
	"                  packet arriving on DEV from the 'from' address. Live only.\n"
	"Table names come from /etc/iproute2/rt_tables (and rt_tables.d/*.conf) besides\n"
	"local, main and default.\n";

enum { OPT_TABLE = OPT_LONG, OPT_DEV, OPT_TO };

static const struct opt routes_rows[] = {
	{ '4', "ipv4", NULL, "IPv4 only" },
	{ '6', "ipv6", NULL, "IPv6 only" },
	{ OPT_TABLE, "table", "ID|NAME", "routes of table ID or NAME, rules that look it up" },
	{ OPT_DEV, "dev", "NAME", "routes through NAME, rules on iif/oif NAME, neighbours on NAME" },
	{ OPT_TO, "to", "PREFIX", "routes inside PREFIX (ip route show root PREFIX), neighbours in it" },
	{ 'a', "all", NULL, "neigh: also NOARP and NONE entries (ip neigh show nud all)" },
	OPT_END,
};

static const struct opt_group routes_opts[] = {
	{ NULL, routes_rows },
	{ "Source", state_src_rows },
	OPT_GROUPS_END,
};

/* ---- routes [show] ---- */

enum { R_TABLE, R_TYPE, R_DST, R_GW, R_DEV, R_PROTO, R_SCOPE, R_SRC, R_METRIC, R_NCOLS };

static const struct out_col route_cols[R_NCOLS] = {
	{ "Table", "table", 0, 0 },        { "Type", "type", 0, 0 },
	{ "Destination", "dst", 0, 0 },    { "Gateway", "gateway", 0, 0 },
	{ "Dev", "dev", 0, 0 },            { "Proto", "protocol", 0, 0 },
	{ "Scope", "scope", 0, 0 },        { "Src", "prefsrc", 0, 0 },
	{ "Metric", "metric", OUT_RIGHT, 0 },
};

static bool route_wanted(const struct routes_run *r, const struct rt_route *rt)
{
	if (route_is_clone(rt))
		return false; /* IPv6 exceptions: ip route show leaves them out too */
	if (r->has_table && rt->table != r->table)
		return false;
	if (r->dev && !route_uses_oif(rt, r->dev_index))
		return false;
	if (r->has_to && (rt->family != r->to_family || rt->dst_len < r->to_len ||
			  !prefix_contains(rt->family, r->to, r->to_len, rt->dst)))
		return false;
	return true;
}

static void route_row(struct routes_run *r, struct table *t, const struct rt_route *rt)
{
	char b1[64], b2[64], b3[INET6_ADDRSTRLEN + 8], b4[INET6_ADDRSTRLEN], num[24];
	const struct rt_nexthop *nh = &rt->nh[0];
	bool multi = rt->nnh > 1 || (rt->nnh == 1 && nh->weight);

	out_row_begin(t);
	out_cell_str(t, R_TABLE, routes_table_name(&r->names, rt->table, b1, sizeof(b1)));
	out_cell_str(t, R_TYPE, routes_type_name(rt->type, b2, sizeof(b2)));
	out_cell_str(t, R_DST, routes_prefix_text(rt->family, rt->dst, rt->dst_len, b3, sizeof(b3)));
	routes_cell_opt(t, R_GW, !multi && nh->has_gw ? routes_addr_text(nh->gw_family, nh->gw, b4, sizeof(b4)) : NULL);
	routes_cell_opt(t, R_DEV, !multi && nh->oif ? routes_dev_name(r, nh->oif, num, sizeof(num)) : NULL);
	out_cell_str(t, R_PROTO, routes_proto_name(rt->protocol, b1, sizeof(b1)));
	out_cell_str(t, R_SCOPE, routes_scope_name(rt->scope, b2, sizeof(b2)));
	routes_cell_opt(t, R_SRC, rt->has_prefsrc ? routes_addr_text(rt->family, rt->prefsrc, b4, sizeof(b4)) : NULL);
	if (rt->has_priority)
		out_cell_u64(t, R_METRIC, rt->priority);
	else
		out_cell_fmt(t, R_METRIC, "-");
	out_field_str(t, "family", NULL, routes_family_name(rt->family));
	if (rt->src_len) {
		out_field_str(t, "from", "from ", routes_addr_text(rt->family, rt->src, b4, sizeof(b4)));
		out_field_u64(t, "srclen", NULL, rt->src_len);
	}
	if (rt->tos)
		out_field_u64(t, "tos", "tos ", rt->tos);
	if (rt->nhid)
		out_field_u64(t, "nhid", "nhid ", rt->nhid);
	routes_flag_words(t, rt->flags);
	if (multi) {
		/* text: "nexthop via GW dev DEV weight N" per hop, as ip prints them */
		for (unsigned i = 0; i < rt->nnh; i++) {
			const struct rt_nexthop *h = &rt->nh[i];
			out_field_text(t, "nexthop%s%s%s%s weight %u", h->has_gw ? " via " : "",
				       h->has_gw ? routes_addr_text(h->gw_family, h->gw, b4, sizeof(b4)) : "",
				       h->oif ? " dev " : "", h->oif ? routes_dev_name(r, h->oif, num, sizeof(num)) : "",
				       h->weight);
		}
		out_arr_begin(t, "nexthops", NULL);
		for (unsigned i = 0; i < rt->nnh; i++) {
			const struct rt_nexthop *h = &rt->nh[i];
			out_obj_begin(t, "nexthop", NULL);
			if (h->has_gw)
				out_field_str(t, "gateway", NULL, routes_addr_text(h->gw_family, h->gw, b4, sizeof(b4)));
			if (h->oif)
				out_field_str(t, "dev", NULL, routes_dev_name(r, h->oif, num, sizeof(num)));
			out_field_u64(t, "weight", NULL, h->weight);
			routes_flag_words(t, h->flags);
			out_obj_end(t);
		}
		out_arr_end(t);
	}
	if (rt->pref >= 0) {
		static const char *const p[] = { "medium", "high", "?", "low" };
		out_field_str(t, "pref", "pref ", rt->pref < 4 ? p[rt->pref] : "?");
	}
	out_row_end(t);
}

static int load_routes(struct routes_run *r, int family, struct rt_routes *rs)
{
	int err = route_load(r->h, family, rs);

	if (err == -EAFNOSUPPORT && family == AF_INET6)
		return 0; /* a kernel without IPv6 */
	if (err)
		return out_error("listing %s routes over rtnetlink failed: %s",
				 family == AF_INET6 ? "IPv6" : "IPv4", strerror(-err));
	return 0;
}

static int show_routes(struct routes_run *r)
{
	struct rt_routes rs = { 0 };
	static const int fams[] = { AF_INET, AF_INET6 };
	int status = EXIT_OK;

	for (int i = 0; i < 2 && status == EXIT_OK; i++)
		if (!r->family || r->family == fams[i])
			status = load_routes(r, fams[i], &rs);
	if (status == EXIT_OK) {
		struct table *t = out_table_begin(route_cols, R_NCOLS);
		for (size_t i = 0; i < rs.n; i++)
			if (route_wanted(r, &rs.v[i]))
				route_row(r, t, &rs.v[i]);
		out_table_end(t);
	}
	route_free(&rs);
	return status;
}

/* ---- routes rules ---- */

enum { U_PRIO, U_FAMILY, U_FROM, U_TO, U_MATCH, U_ACTION, U_NCOLS };

static const struct out_col rule_cols[U_NCOLS] = {
	{ "Priority", "priority", OUT_RIGHT, 0 }, { "Family", "family", 0, 0 },
	{ "From", NULL, 0, 0 },                   { "To", NULL, 0, 0 },
	{ "Match", NULL, 0, 0 },                  { "Action", NULL, OUT_LAST, 0 },
};

static bool rule_wanted(const struct routes_run *r, const struct route_rule *u)
{
	if (r->has_table && (u->action != FR_ACT_TO_TBL || u->table != r->table))
		return false;
	if (r->dev && strcmp(u->iifname, r->dev) && strcmp(u->oifname, r->dev))
		return false;
	return true;
}

static void rule_row(struct routes_run *r, struct table *t, const struct route_rule *u)
{
	char a[INET6_ADDRSTRLEN], pfx[INET6_ADDRSTRLEN + 8], match[256] = "", act[96], b[64];
	size_t ml = 0;
	unsigned full = (unsigned)routes_addr_len(u->family) * 8;

#define MATCH(...) (ml += (size_t)snprintf(match + ml, ml < sizeof(match) ? sizeof(match) - ml : 0, __VA_ARGS__))
	out_row_begin(t);
	out_cell_u64(t, U_PRIO, u->priority);
	out_cell_str(t, U_FAMILY, routes_family_name(u->family));
	if (u->invert)
		out_field_flag(t, "not", NULL, true);
	/* src "all" when there is none, as ip -j rule */
	out_cell_str(t, U_FROM, u->src_len ? routes_prefix_text(u->family, u->src, u->src_len, pfx, sizeof(pfx))
					   : "all");
	out_field_str(t, "src", NULL, u->src_len ? routes_addr_text(u->family, u->src, a, sizeof(a)) : "all");
	if (u->src_len && u->src_len != full)
		out_field_u64(t, "srclen", NULL, u->src_len);
	routes_cell_opt(t, U_TO,
			u->dst_len ? routes_prefix_text(u->family, u->dst, u->dst_len, pfx, sizeof(pfx)) : NULL);
	if (u->dst_len) {
		out_field_str(t, "dst", NULL, routes_addr_text(u->family, u->dst, a, sizeof(a)));
		if (u->dst_len != full)
			out_field_u64(t, "dstlen", NULL, u->dst_len);
	}
	if (u->tos) {
		MATCH("%stos 0x%x", ml ? " " : "", u->tos);
		out_field_u64(t, "tos", NULL, u->tos);
	}
	if (u->has_fwmark) {
		MATCH("%sfwmark 0x%x", ml ? " " : "", u->fwmark);
		if (u->fwmask != 0xffffffffu)
			MATCH("/0x%x", u->fwmask);
		snprintf(b, sizeof(b), "0x%x", u->fwmark);
		out_field_str(t, "fwmark", NULL, b);
		if (u->fwmask != 0xffffffffu) {
			snprintf(b, sizeof(b), "0x%x", u->fwmask);
			out_field_str(t, "fwmask", NULL, b);
		}
	}
	if (u->iifname[0]) {
		MATCH("%siif %s%s", ml ? " " : "", u->iifname, u->iif_detached ? " [detached]" : "");
		out_field_str(t, "iif", NULL, u->iifname);
		if (u->iif_detached)
			out_field_bool(t, "iif_detached", NULL, true);
	}
	if (u->oifname[0]) {
		MATCH("%soif %s%s", ml ? " " : "", u->oifname, u->oif_detached ? " [detached]" : "");
		out_field_str(t, "oif", NULL, u->oifname);
		if (u->oif_detached)
			out_field_bool(t, "oif_detached", NULL, true);
	}
	if (u->l3mdev) {
		MATCH("%sl3mdev", ml ? " " : "");
		out_field_bool(t, "l3mdev", NULL, true);
	}
	if (u->invert)
		MATCH("%s(not)", ml ? " " : "");
#undef MATCH
	out_cell_str(t, U_MATCH, match[0] ? match : "-");
	if (u->action == FR_ACT_TO_TBL) {
		const char *tn = routes_table_name(&r->names, u->table, b, sizeof(b));
		snprintf(act, sizeof(act), "lookup %s", tn);
		out_field_str(t, "table", NULL, tn);
		if (u->has_suppress_prefixlen) {
			size_t l = strlen(act);
			snprintf(act + l, sizeof(act) - l, " suppress_prefixlength %u", u->suppress_prefixlen);
			out_field_u64(t, "suppress_prefixlen", NULL, u->suppress_prefixlen);
		}
	} else if (u->action == FR_ACT_GOTO) {
		snprintf(act, sizeof(act), "goto %u", u->goto_target);
		out_field_u64(t, "goto", NULL, u->goto_target);
	} else if (u->action == FR_ACT_NOP) {
		snprintf(act, sizeof(act), "nop");
	} else {
		/* blackhole, unreachable, prohibit: ip names them as route types */
		snprintf(act, sizeof(act), "%s", routes_type_name(u->action, b, sizeof(b)));
	}
	out_field_str(t, "action", NULL, u->action == FR_ACT_TO_TBL ? "lookup" : act);
	out_cell_str(t, U_ACTION, act);
	if (u->protocol)
		out_field_str(t, "protocol", NULL, routes_proto_name(u->protocol, b, sizeof(b)));
	out_row_end(t);
}

static int show_rules(struct routes_run *r)
{
	struct route_rules us = { 0 };
	static const int fams[] = { AF_INET, AF_INET6 };
	int err = 0;

	for (int i = 0; i < 2 && !err; i++) {
		if (r->family && r->family != fams[i])
			continue;
		err = route_rule_load(r->h, fams[i], &us);
		if (err == -EAFNOSUPPORT && fams[i] == AF_INET6)
			err = 0;
	}
	if (err) {
		route_rule_free(&us);
		return out_error("listing policy rules over rtnetlink failed: %s", strerror(-err));
	}
	struct table *t = out_table_begin(rule_cols, U_NCOLS);
	for (size_t i = 0; i < us.n; i++)
		if (rule_wanted(r, &us.v[i]))
			rule_row(r, t, &us.v[i]);
	out_table_end(t);
	route_rule_free(&us);
	return EXIT_OK;
}

/* ---- routes neigh ---- */

enum { N_DST, N_DEV, N_LLADDR, N_STATE, N_NCOLS };

static const struct out_col neigh_cols[N_NCOLS] = {
	{ "Address", "dst", 0, 0 }, { "Dev", "dev", 0, 0 },
	{ "Lladdr", "lladdr", 0, 0 }, { "State", NULL, OUT_LAST, 0 },
};

enum { S_FAMILY, S_ENTRIES, S_COUNTED, S_T1, S_T2, S_T3, S_FULL, S_NCOLS };

static const struct out_col summary_cols[S_NCOLS] = {
	{ "Family", "family", 0, 0 },           { "Entries", "entries", OUT_RIGHT, 0 },
	{ "Counted", "gc_counted", OUT_RIGHT, 0 }, { "gc_thresh1", "gc_thresh1", OUT_RIGHT, 0 },
	{ "gc_thresh2", "gc_thresh2", OUT_RIGHT, 0 }, { "gc_thresh3", "gc_thresh3", OUT_RIGHT, 0 },
	{ "Full", NULL, OUT_RIGHT | OUT_LAST, 0 },
};

static bool neigh_wanted(const struct routes_run *r, const struct rt_neigh *n)
{
	/* ip neigh show: NOARP-only and NONE entries only with nud all */
	if (!r->all && !(n->state & (0xff & ~NUD_NOARP)) && !(n->flags & (NTF_PROXY | NTF_EXT_LEARNED)))
		return false;
	if (r->dev && n->ifindex != r->dev_index)
		return false;
	if (r->has_to && (n->family != r->to_family || !n->has_dst ||
			  !prefix_contains(n->family, r->to, r->to_len, n->dst)))
		return false;
	return true;
}

static void neigh_row(struct routes_run *r, struct table *t, const struct rt_neigh *n)
{
	char a[INET6_ADDRSTRLEN], num[24], ll[3 * NEIGH_LLADDR_MAX + 1] = "", st[128] = "";
	size_t sl = 0;

	out_row_begin(t);
	routes_cell_opt(t, N_DST, n->has_dst ? routes_addr_text(n->family, n->dst, a, sizeof(a)) : NULL);
	routes_cell_opt(t, N_DEV, n->ifindex ? routes_dev_name(r, n->ifindex, num, sizeof(num)) : NULL);
	for (unsigned i = 0; i < n->lladdr_len; i++)
		snprintf(ll + (i ? 3 * i - 1 : 0), sizeof(ll) - (i ? 3 * i - 1 : 0), "%s%02x", i ? ":" : "",
			 n->lladdr[i]);
	routes_cell_opt(t, N_LLADDR, n->lladdr_len ? ll : NULL);
	out_field_str(t, "family", NULL, routes_family_name(n->family));
	out_arr_begin(t, "state", NULL);
	for (unsigned i = 0; i < NEIGH_NSTATES; i++)
		if (n->state & (1u << i)) {
			out_field_str(t, "state", NULL, neigh_state_name(i));
			sl += (size_t)snprintf(st + sl, sl < sizeof(st) ? sizeof(st) - sl : 0, "%s%s",
					       sl ? "," : "", neigh_state_name(i));
		}
	out_arr_end(t);
	if (!n->state)
		snprintf(st, sizeof(st), "NONE");
	if (n->flags & NTF_ROUTER)
		out_field_flag(t, "router", "router", true);
	if (n->flags & NTF_PROXY)
		out_field_flag(t, "proxy", "proxy", true);
	if (n->flags & NTF_EXT_LEARNED)
		out_field_flag(t, "extern_learn", "extern_learn", true);
	if (n->has_probes && n->probes)
		out_field_u64(t, "probes", "probes ", n->probes);
	out_cell_str(t, N_STATE, st);
	out_row_end(t);
}

/* One row per family: the table as the kernel counts it (every entry, the
 * filters aside), against the limits that are shared by every namespace. */
static void summary_row(struct routes_run *r, struct table *t, int family, const struct neigh_counts *c)
{
	const char *proto = family == AF_INET6 ? "ipv6" : "ipv4";
	long long th[3];
	char name[80];

	out_row_begin(t);
	out_field_str(t, "record", NULL, "summary");
	out_cell_str(t, S_FAMILY, routes_family_name(family));
	out_cell_u64(t, S_ENTRIES, c->total);
	out_cell_u64(t, S_COUNTED, c->gc_counted);
	for (int i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "net.%s.neigh.default.gc_thresh%d", proto, i + 1);
		th[i] = sysctl_read_ll(r->h, name);
		if (th[i] >= 0)
			out_cell_u64(t, S_T1 + i, (uint64_t)th[i]);
		else
			out_cell_fmt(t, S_T1 + i, "-");
	}
	if (th[2] > 0) {
		double pct = 100.0 * (double)c->gc_counted / (double)th[2];
		out_cell_fmt(t, S_FULL, "%.1f%%", pct);
		out_field_double(t, "full_pct", NULL, pct, 1);
	} else {
		out_cell_fmt(t, S_FULL, "-");
	}
	out_obj_begin(t, "states", "");
	for (unsigned i = 0; i < NEIGH_NSTATES; i++) {
		char key[16], label[24];
		size_t k;
		for (k = 0; neigh_state_name(i)[k] && k < sizeof(key) - 1; k++)
			key[k] = (char)tolower((unsigned char)neigh_state_name(i)[k]);
		key[k] = '\0';
		snprintf(label, sizeof(label), "%s ", neigh_state_name(i));
		out_field_u64(t, key, label, c->state[i]);
	}
	out_field_u64(t, "none", "NONE ", c->none);
	out_obj_end(t);
	out_row_end(t);
}

static int show_neigh(struct routes_run *r)
{
	static const int fams[] = { AF_INET, AF_INET6 };
	struct rt_neighs ns[2] = { { 0 } };
	bool have[2] = { false, false };
	int status = EXIT_OK;

	for (int i = 0; i < 2; i++) {
		if (r->family && r->family != fams[i])
			continue;
		int err = neigh_load(r->h, fams[i], &ns[i]);
		if (err == -EAFNOSUPPORT && fams[i] == AF_INET6)
			continue;
		if (err) {
			status = out_error("listing %s neighbours over rtnetlink failed: %s",
					   fams[i] == AF_INET6 ? "IPv6" : "IPv4", strerror(-err));
			goto out;
		}
		have[i] = true;
		if (ns[i].interrupted)
			out_warn("the neighbour table changed while it was read: run again for a consistent view");
	}
	struct table *t = out_table_begin(neigh_cols, N_NCOLS);
	for (int i = 0; i < 2; i++)
		for (size_t k = 0; k < ns[i].n; k++)
			if (neigh_wanted(r, &ns[i].v[k]))
				neigh_row(r, t, &ns[i].v[k]);
	out_table_end(t);
	if (!out_is_json())
		fputc('\n', stdout);
	t = out_table_begin(summary_cols, S_NCOLS);
	for (int i = 0; i < 2; i++) {
		struct neigh_counts c = { 0 };
		if (!have[i])
			continue;
		for (size_t k = 0; k < ns[i].n; k++)
			neigh_count(&c, &ns[i].v[k]);
		summary_row(r, t, fams[i], &c);
	}
	out_table_end(t);
out:
	neigh_free(&ns[0]);
	neigh_free(&ns[1]);
	return status;
}

/* ---- the command ---- */

static int cmd_routes(int argc, char **argv)
{
	struct state_src src = { 0 };
	struct routes_run r = { 0 };
	const char *table = NULL, *to = NULL;
	struct opts p;
	int c, status;
	bool v4 = false, v6 = false;

	if (opts_begin(&p, "routes", routes_opts, argc, argv))
		return EXIT_USAGE;
	while ((c = opts_next(&p)) > 0) {
		switch (c) {
		case '4': v4 = true; break;
		case '6': v6 = true; break;
		case 'a': r.all = true; break;
		case OPT_TABLE: table = p.arg; break;
		case OPT_DEV: r.dev = p.arg; break;
		case OPT_TO:
			to = p.arg;
			if (routes_parse_prefix(to, &r.to_family, r.to, &r.to_len))
				return opts_fail(&p, "'%s' is not a prefix (ADDR or ADDR/LEN, IPv4 or IPv6)", to);
			r.has_to = true;
			break;
		default: state_src_opt(&src, c, p.arg);
		}
	}
	if (c < 0)
		return EXIT_USAGE;
	if (v4 && v6)
		return opts_fail_cmd(&p, "-4 and -6 contradict each other: give one, or neither for both");
	r.family = v4 ? AF_INET : v6 ? AF_INET6 : 0;
	if (r.has_to && r.family && r.family != r.to_family)
		return opts_fail_cmd(&p, "--to %s is not an %s prefix", to, v4 ? "IPv4" : "IPv6");

	char **ops = argv + p.next;
	int nops = argc - p.next;
	const char *sub = nops ? ops[0] : "show";
	enum { SHOW, RULES, NEIGH, GET } what;
	if (!strcmp(sub, "show") || !strcmp(sub, "list"))
		what = SHOW;
	else if (!strcmp(sub, "rules") || !strcmp(sub, "rule"))
		what = RULES;
	else if (!strcmp(sub, "neigh") || !strcmp(sub, "neighbours") || !strcmp(sub, "neighbors"))
		what = NEIGH;
	else if (!strcmp(sub, "get"))
		what = GET;
	else
		return opts_fail_cmd(&p, "unknown subcommand '%s': show, rules, neigh or get", sub);
	if (what != GET && nops > 1)
		return opts_fail_cmd(&p, "unexpected argument '%s': filter with --table, --dev and --to", ops[1]);
	if (what == RULES && r.has_to)
		return opts_fail_cmd(&p, "--to selects routes and neighbours, not rules");
	if (what == NEIGH && table)
		return opts_fail_cmd(&p, "--table selects routes and rules, not neighbours");
	if (what != NEIGH && r.all)
		return opts_fail_cmd(&p, "-a shows NOARP neighbours: use it with 'neigh'");

	routes_names_load(&r.names);
	if (table) {
		char *end;
		errno = 0;
		unsigned long id = isdigit((unsigned char)table[0]) ? strtoul(table, &end, 10) : 0;
		if (isdigit((unsigned char)table[0]) && (*end || errno || id > 0xffffffffUL)) {
			free(r.names.v);
			return opts_fail_cmd(&p, "--table: '%s' is not a table number (0-4294967295) or name", table);
		}
		if (!isdigit((unsigned char)table[0])) {
			bool found = false;
			if (!strcmp(table, "all") || !strcmp(table, "unspec")) {
				free(r.names.v);
				return opts_fail_cmd(&p, "--table %s: every table is the default; leave --table out",
						     table);
			}
			for (size_t i = 0; i < r.names.n && !found; i++)
				if (!strcmp(r.names.v[i].name, table)) {
					id = r.names.v[i].id;
					found = true;
				}
			if (!found) {
				free(r.names.v);
				return opts_fail_cmd(&p, "--table: no table named '%s' (local, main, default, or a name "
						     "from /etc/iproute2/rt_tables; or give its number)", table);
			}
		}
		r.has_table = true;
		r.table = (uint32_t)id;
	}

	r.h = state_src_open(&src);
	if (!r.h) {
		free(r.names.v);
		return EXIT_FAIL;
	}
	int err = rtnl_load_links(r.h, &r.ls);
	if (err) {
		status = out_error("listing interfaces over rtnetlink failed: %s", strerror(-err));
		goto out;
	}
	if (r.dev && !(r.dev_index = routes_dev_index(&r, r.dev))) {
		status = out_error("no interface named '%s' %s: run 'netlens links%s' for the list", r.dev,
				   host_is_live(r.h) ? "in this namespace" : "in the snapshot",
				   host_is_live(r.h) ? "" : " --from FILE");
		goto out;
	}
	switch (what) {
	case SHOW: status = show_routes(&r); break;
	case RULES: status = show_rules(&r); break;
	case NEIGH: status = show_neigh(&r); break;
	default: status = route_get_cmd(&r, &p, ops + 1, nops - 1); break;
	}
out:
	rtnl_links_free(&r.ls);
	free(r.names.v);
	host_close(r.h);
	return status;
}

NETLENS_COMMAND(routes, .name = "routes", .run = cmd_routes,
		.summary = "routes of every table, policy rules, neighbours; route lookups (ip route get)",
		.synopsis = "[options] [show | rules | neigh | get ADDR [from ADDR] [iif DEV] [oif DEV] [mark N]]",
		.about = routes_about, .opts = routes_opts,
		.notes = "Examples:\n"
			 "  netlens routes                      netlens routes --table 100 -4\n"
			 "  netlens routes rules                netlens routes neigh --dev eth0\n"
			 "  netlens routes get 8.8.8.8          netlens routes get 10.1.0.5 from 10.2.0.7 iif eth1\n"
			 "  netlens -j routes --from snap.nl\n");
