/* netlens routes: the routing state as ip shows it, from one reader
 * (sources/route.c, sources/neigh.c) that the doctor's multi-NIC and
 * neighbour-table rules read too:
 *   routes [show]  every route of every table (ip route show table all)
 *   routes rules   policy rules of both families (ip rule; ip -6 rule)
 *   routes neigh   neighbours (ip neigh) and, per family, the counts and
 *                  gc_thresh limits the doctor's neigh-table rule uses
 *   routes get     one lookup through RTM_GETROUTE (ip route get), live only
 * Reads go through the host (snapshots record every dump used here); this
 * file only parses the command line, filters and prints. */
#include "base/opts.h"
#include "base/output.h"
#include "cmd/state_src.h"
#include "command.h"
#include "sources/host.h"
#include "sources/neigh.h"
#include "sources/route.h"
#include "sources/rtnl.h"
#include "sources/sysctl.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <linux/fib_rules.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
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

/* ---- names, as iproute2 gives them ---- */

struct tname {
	uint32_t id;
	char name[64];
};

struct names {
	struct tname *v;
	size_t n, cap;
};

static void names_add(struct names *ns, uint32_t id, const char *name)
{
	for (size_t i = 0; i < ns->n; i++)
		if (ns->v[i].id == id) {
			snprintf(ns->v[i].name, sizeof(ns->v[i].name), "%s", name);
			return;
		}
	if (ns->n == ns->cap) {
		size_t cap = ns->cap ? ns->cap * 2 : 16;
		struct tname *v = realloc(ns->v, cap * sizeof(*v));
		if (!v)
			return; /* a name less: the number is shown */
		ns->v = v;
		ns->cap = cap;
	}
	ns->v[ns->n].id = id;
	snprintf(ns->v[ns->n++].name, sizeof(ns->v[0].name), "%s", name);
}

/* "ID NAME" lines, '#' comments, as iproute2's rtnl_tab_initialize reads them */
static void names_read(struct names *ns, const char *path)
{
	FILE *f = fopen(path, "re");
	char line[256];

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *p = line, *end, name[64];
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '#' || !*p)
			continue;
		errno = 0;
		unsigned long id = strtoul(p, &end, 0);
		if (end == p || errno || id > 0xffffffffUL || sscanf(end, " %63[^ \t\n#]", name) != 1)
			continue;
		names_add(ns, (uint32_t)id, name);
	}
	fclose(f);
}

static void names_load(struct names *ns)
{
	const char *dir = getenv("NETLENS_IPROUTE2_DIR");
	char path[4096];

	if (!dir || !*dir)
		dir = "/etc/iproute2";
	names_add(ns, RT_TABLE_UNSPEC, "unspec");
	names_add(ns, RT_TABLE_DEFAULT, "default");
	names_add(ns, RT_TABLE_MAIN, "main");
	names_add(ns, RT_TABLE_LOCAL, "local");
	snprintf(path, sizeof(path), "%s/rt_tables", dir);
	names_read(ns, path);
	snprintf(path, sizeof(path), "%s/rt_tables.d", dir);
	DIR *d = opendir(path);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		size_t l = strlen(e->d_name);
		if (e->d_name[0] == '.' || l < 6 || strcmp(e->d_name + l - 5, ".conf"))
			continue;
		snprintf(path, sizeof(path), "%s/rt_tables.d/%s", dir, e->d_name);
		names_read(ns, path);
	}
	if (d)
		closedir(d);
}

static const char *table_name(const struct names *ns, uint32_t id, char *buf, size_t len)
{
	for (size_t i = 0; i < ns->n; i++)
		if (ns->v[i].id == id)
			return ns->v[i].name;
	snprintf(buf, len, "%u", id);
	return buf;
}

/* n[v], or the number when the table has no name for it */
static const char *tab_name(const char *const *n, size_t count, unsigned v, char *buf, size_t len)
{
	if (v < count && n[v])
		return n[v];
	snprintf(buf, len, "%u", v);
	return buf;
}

static const char *proto_name(unsigned p, char *buf, size_t len)
{
	static const char *const n[] = {
		[RTPROT_UNSPEC] = "unspec", [RTPROT_REDIRECT] = "redirect", [RTPROT_KERNEL] = "kernel",
		[RTPROT_BOOT] = "boot", [RTPROT_STATIC] = "static", [RTPROT_GATED] = "gated",
		[RTPROT_RA] = "ra", [RTPROT_MRT] = "mrt", [RTPROT_ZEBRA] = "zebra",
		[RTPROT_BIRD] = "bird", [RTPROT_DNROUTED] = "dnrouted", [RTPROT_XORP] = "xorp",
		[RTPROT_NTK] = "ntk", [RTPROT_DHCP] = "dhcp", [RTPROT_MROUTED] = "mrouted",
		[RTPROT_KEEPALIVED] = "keepalived", [RTPROT_BABEL] = "babel", [RTPROT_OPENR] = "openr",
		[RTPROT_BGP] = "bgp", [RTPROT_ISIS] = "isis", [RTPROT_OSPF] = "ospf",
		[RTPROT_RIP] = "rip", [RTPROT_EIGRP] = "eigrp",
	};
	return tab_name(n, sizeof(n) / sizeof(n[0]), p, buf, len);
}

static const char *scope_name(unsigned s, char *buf, size_t len)
{
	switch (s) {
	case RT_SCOPE_UNIVERSE: return "global";
	case RT_SCOPE_SITE: return "site";
	case RT_SCOPE_LINK: return "link";
	case RT_SCOPE_HOST: return "host";
	case RT_SCOPE_NOWHERE: return "nowhere";
	}
	snprintf(buf, len, "%u", s);
	return buf;
}

static const char *type_name(unsigned t, char *buf, size_t len)
{
	static const char *const n[] = {
		[RTN_UNSPEC] = "none", [RTN_UNICAST] = "unicast", [RTN_LOCAL] = "local",
		[RTN_BROADCAST] = "broadcast", [RTN_ANYCAST] = "anycast", [RTN_MULTICAST] = "multicast",
		[RTN_BLACKHOLE] = "blackhole", [RTN_UNREACHABLE] = "unreachable",
		[RTN_PROHIBIT] = "prohibit", [RTN_THROW] = "throw", [RTN_NAT] = "nat",
		[RTN_XRESOLVE] = "xresolve",
	};
	return tab_name(n, sizeof(n) / sizeof(n[0]), t, buf, len);
}

static const char *family_name(int f) { return f == AF_INET6 ? "inet6" : "inet"; }
static size_t alen(int f) { return f == AF_INET6 ? 16 : 4; }

/* ---- the run ---- */

struct routes_run {
	struct host *h;
	struct rtnl_links ls;
	struct names names;
	int family;           /* 0: both */
	bool has_table, all;
	uint32_t table;
	const char *dev;
	int dev_index;
	bool has_to;
	int to_family;
	unsigned to_len;
	uint8_t to[16];
};

static const char *dev_name(const struct routes_run *r, int ifindex, char *buf, size_t len)
{
	const struct rtnl_link *l = rtnl_link_by_index(&r->ls, ifindex);

	if (l)
		return l->name;
	snprintf(buf, len, "if%d", ifindex);
	return buf;
}

static int dev_index(const struct routes_run *r, const char *name)
{
	for (size_t i = 0; i < r->ls.n; i++)
		if (strcmp(r->ls.v[i].name, name) == 0)
			return r->ls.v[i].ifindex;
	return 0;
}

/* ADDR or ADDR/LEN of either family: 0, or -1 when it is not one */
static int parse_prefix(const char *s, int *family, uint8_t *addr, unsigned *plen)
{
	char buf[INET6_ADDRSTRLEN + 8];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);

	if (n >= sizeof(buf) - 1)
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, buf, addr) == 1)
		*family = AF_INET;
	else if (inet_pton(AF_INET6, buf, addr) == 1)
		*family = AF_INET6;
	else
		return -1;
	*plen = (unsigned)alen(*family) * 8;
	if (slash) {
		char *end;
		const char *d = slash + 1;
		if (!isdigit((unsigned char)*d))
			return -1;
		errno = 0;
		unsigned long l = strtoul(d, &end, 10);
		if (*end || errno || l > *plen || end - d > 3)
			return -1;
		*plen = (unsigned)l;
	}
	return 0;
}

static const char *addr_text(int family, const uint8_t *a, char *buf, size_t len)
{
	if (!inet_ntop(family, a, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

/* "default", an address alone at full length (as ip prints it), else ADDR/LEN */
static const char *prefix_text(int family, const uint8_t *a, unsigned plen, char *buf, size_t len)
{
	char t[INET6_ADDRSTRLEN];

	if (plen == 0)
		snprintf(buf, len, "default");
	else if (plen == alen(family) * 8)
		snprintf(buf, len, "%s", addr_text(family, a, t, sizeof(t)));
	else
		snprintf(buf, len, "%s/%u", addr_text(family, a, t, sizeof(t)), plen);
	return buf;
}

/* A text cell that JSON leaves out: what is absent is "-" in a table. */
static void cell_opt(struct table *t, int col, const char *s)
{
	if (s)
		out_cell_str(t, col, s);
	else
		out_cell_fmt(t, col, "-");
}

/* RTNH_F_* and RTM_F_* as ip's print_rt_flags() words */
static void flag_words(struct table *t, uint32_t flags)
{
	static const struct { uint32_t bit; const char *word; } w[] = {
		{ RTNH_F_DEAD, "dead" },         { RTNH_F_ONLINK, "onlink" },
		{ RTNH_F_PERVASIVE, "pervasive" }, { RTNH_F_OFFLOAD, "offload" },
		{ RTNH_F_TRAP, "trap" },         { RTM_F_NOTIFY, "notify" },
		{ RTNH_F_LINKDOWN, "linkdown" }, { RTNH_F_UNRESOLVED, "unresolved" },
		{ RTM_F_OFFLOAD, "rt_offload" }, { RTM_F_TRAP, "rt_trap" },
		{ RTM_F_OFFLOAD_FAILED, "rt_offload_failed" },
	};
	bool any = false;

	for (size_t i = 0; i < sizeof(w) / sizeof(w[0]); i++)
		any |= (flags & w[i].bit) != 0;
	out_arr_begin(t, "flags", any ? "flags" : NULL);
	for (size_t i = 0; i < sizeof(w) / sizeof(w[0]); i++)
		if (flags & w[i].bit)
			out_field_str(t, "flag", "", w[i].word);
	out_arr_end(t);
}

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
	out_cell_str(t, R_TABLE, table_name(&r->names, rt->table, b1, sizeof(b1)));
	out_cell_str(t, R_TYPE, type_name(rt->type, b2, sizeof(b2)));
	out_cell_str(t, R_DST, prefix_text(rt->family, rt->dst, rt->dst_len, b3, sizeof(b3)));
	cell_opt(t, R_GW, !multi && nh->has_gw ? addr_text(nh->gw_family, nh->gw, b4, sizeof(b4)) : NULL);
	cell_opt(t, R_DEV, !multi && nh->oif ? dev_name(r, nh->oif, num, sizeof(num)) : NULL);
	out_cell_str(t, R_PROTO, proto_name(rt->protocol, b1, sizeof(b1)));
	out_cell_str(t, R_SCOPE, scope_name(rt->scope, b2, sizeof(b2)));
	cell_opt(t, R_SRC, rt->has_prefsrc ? addr_text(rt->family, rt->prefsrc, b4, sizeof(b4)) : NULL);
	if (rt->has_priority)
		out_cell_u64(t, R_METRIC, rt->priority);
	else
		out_cell_fmt(t, R_METRIC, "-");
	out_field_str(t, "family", NULL, family_name(rt->family));
	if (rt->src_len) {
		out_field_str(t, "from", "from ", addr_text(rt->family, rt->src, b4, sizeof(b4)));
		out_field_u64(t, "srclen", NULL, rt->src_len);
	}
	if (rt->tos)
		out_field_u64(t, "tos", "tos ", rt->tos);
	if (rt->nhid)
		out_field_u64(t, "nhid", "nhid ", rt->nhid);
	flag_words(t, rt->flags);
	if (multi) {
		/* text: "nexthop via GW dev DEV weight N" per hop, as ip prints them */
		for (unsigned i = 0; i < rt->nnh; i++) {
			const struct rt_nexthop *h = &rt->nh[i];
			out_field_text(t, "nexthop%s%s%s%s weight %u", h->has_gw ? " via " : "",
				       h->has_gw ? addr_text(h->gw_family, h->gw, b4, sizeof(b4)) : "",
				       h->oif ? " dev " : "", h->oif ? dev_name(r, h->oif, num, sizeof(num)) : "",
				       h->weight);
		}
		out_arr_begin(t, "nexthops", NULL);
		for (unsigned i = 0; i < rt->nnh; i++) {
			const struct rt_nexthop *h = &rt->nh[i];
			out_obj_begin(t, "nexthop", NULL);
			if (h->has_gw)
				out_field_str(t, "gateway", NULL, addr_text(h->gw_family, h->gw, b4, sizeof(b4)));
			if (h->oif)
				out_field_str(t, "dev", NULL, dev_name(r, h->oif, num, sizeof(num)));
			out_field_u64(t, "weight", NULL, h->weight);
			flag_words(t, h->flags);
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
	unsigned full = (unsigned)alen(u->family) * 8;

#define MATCH(...) (ml += (size_t)snprintf(match + ml, ml < sizeof(match) ? sizeof(match) - ml : 0, __VA_ARGS__))
	out_row_begin(t);
	out_cell_u64(t, U_PRIO, u->priority);
	out_cell_str(t, U_FAMILY, family_name(u->family));
	if (u->invert)
		out_field_flag(t, "not", NULL, true);
	/* src "all" when there is none, as ip -j rule */
	out_cell_str(t, U_FROM, u->src_len ? prefix_text(u->family, u->src, u->src_len == full ? full : u->src_len,
							 pfx, sizeof(pfx)) : "all");
	out_field_str(t, "src", NULL, u->src_len ? addr_text(u->family, u->src, a, sizeof(a)) : "all");
	if (u->src_len && u->src_len != full)
		out_field_u64(t, "srclen", NULL, u->src_len);
	cell_opt(t, U_TO, u->dst_len ? prefix_text(u->family, u->dst, u->dst_len, pfx, sizeof(pfx)) : NULL);
	if (u->dst_len) {
		out_field_str(t, "dst", NULL, addr_text(u->family, u->dst, a, sizeof(a)));
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
		const char *tn = table_name(&r->names, u->table, b, sizeof(b));
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
		snprintf(act, sizeof(act), "%s", type_name(u->action, b, sizeof(b)));
	}
	out_field_str(t, "action", NULL, u->action == FR_ACT_TO_TBL ? "lookup" : act);
	out_cell_str(t, U_ACTION, act);
	if (u->protocol)
		out_field_str(t, "protocol", NULL, proto_name(u->protocol, b, sizeof(b)));
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
	cell_opt(t, N_DST, n->has_dst ? addr_text(n->family, n->dst, a, sizeof(a)) : NULL);
	cell_opt(t, N_DEV, n->ifindex ? dev_name(r, n->ifindex, num, sizeof(num)) : NULL);
	for (unsigned i = 0; i < n->lladdr_len; i++)
		snprintf(ll + (i ? 3 * i - 1 : 0), sizeof(ll) - (i ? 3 * i - 1 : 0), "%s%02x", i ? ":" : "",
			 n->lladdr[i]);
	cell_opt(t, N_LLADDR, n->lladdr_len ? ll : NULL);
	out_field_str(t, "family", NULL, family_name(n->family));
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
	out_cell_str(t, S_FAMILY, family_name(family));
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
		addr_text(family, a, t, sizeof(t));
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

static int route_get_cmd(struct routes_run *r, struct opts *p, char **av, int ac)
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
			if (parse_prefix(v, &fam, q.dst, &plen) || plen != alen(fam) * 8)
				return opts_fail_cmd(p, "get: '%s' is not an IPv4 or IPv6 address", v);
			dst = v;
			q.family = fam;
		} else if (!strcmp(k, "from")) {
			if (parse_prefix(v, &fam, q.src, &plen) || plen != alen(fam) * 8)
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
	if (iif && !(q.iif = dev_index(r, iif)))
		return out_error("no interface named '%s' in this namespace: run 'netlens links' for the list", iif);
	if (oif && !(q.oif = dev_index(r, oif)))
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
	const char *gw = nh->has_gw ? addr_text(nh->gw_family, nh->gw, b2, sizeof(b2)) : NULL;
	const char *dev = nh->oif ? dev_name(r, nh->oif, num, sizeof(num)) : NULL;
	const char *from = rt.has_prefsrc ? addr_text(rt.family, rt.prefsrc, b3, sizeof(b3)) : src;
	/* table 0: the kernel chose without a table (oif given) */
	const char *table = rt.table ? table_name(&r->names, rt.table, tn, sizeof(tn)) : NULL;
	struct table *t = out_table_begin(get_cols, G_NCOLS);

	out_row_begin(t);
	out_cell_str(t, G_DST, dst);
	cell_opt(t, G_VIA, gw);
	cell_opt(t, G_DEV, dev);
	cell_opt(t, G_SRC, rt.has_prefsrc ? from : NULL);
	cell_opt(t, G_TABLE, table);
	out_field_str(t, "family", NULL, family_name(rt.family));
	out_field_str(t, "type", "type ", type_name(rt.type, b1, sizeof(b1)));
	if (src)
		out_field_str(t, "from", "from ", src);
	if (iif)
		out_field_str(t, "iif", "iif ", iif);
	if (rt.has_mark)
		out_field_u64(t, "mark", "mark ", rt.mark);
	if (rt.has_uid)
		out_field_u64(t, "uid", NULL, rt.uid);
	flag_words(t, rt.flags & ~(uint32_t)(RTM_F_CLONED | RTM_F_LOOKUP_TABLE));
	out_row_end(t);
	out_table_end(t);
	if (!out_is_json()) {
		if (rt.type == RTN_LOCAL)
			printf("%s is an address of this host: packets to it are delivered locally%s%s%s\n", dst,
			       dev ? " (dev " : "", dev ? dev : "", dev ? ")" : "");
		else if (q.iif)
			printf("packets from %s arriving on %s for %s are forwarded by %s%s%s%s%s%s\n",
			       src ? src : "any address", iif, dst, dev ? dev : "?", gw ? " via " : "",
			       gw ? gw : "", table ? " (table " : "", table ? table : "", table ? ")" : "");
		else
			printf("replies to %s leave by %s%s%s%s%s%s%s%s\n", dst, dev ? dev : "?",
			       gw ? " via " : "", gw ? gw : "", from ? " from " : "", from ? from : "",
			       table ? " (table " : "", table ? table : "", table ? ")" : "");
	}
	return EXIT_OK;
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
			if (parse_prefix(to, &r.to_family, r.to, &r.to_len))
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

	names_load(&r.names);
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
	if (r.dev && !(r.dev_index = dev_index(&r, r.dev))) {
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
