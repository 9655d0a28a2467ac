/* Rules: hosts with several NICs (IPv4). Strict reverse-path filtering on
 * an interface the routes make asymmetric (rp-filter-asymmetric), several
 * NICs in one subnet answering each other's ARP (arp-flux), and addresses
 * on a non-default NIC whose replies leave through the default gateway for
 * want of policy routing (no-policy-routing).
 *
 * Besides the samples, these look at the routes and policy rules
 * (ev_routes4(), ev_rules4()) and the per-interface conf sysctls, all read
 * by the evidence, so a snapshot gives the same report as the live host.
 */
#include "base/strbuf.h"
#include "doctor/doctor.h"
#include "sources/route.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* ---- shared: interfaces, their IPv4 addresses, conf sysctls ---- */

static const struct rtnl_links *cur_links(const struct evidence *ev)
{
	return &ev->links[ev->nsamples - 1];
}

static const char *ifname(const struct evidence *ev, int ifindex, char *buf, size_t n)
{
	const struct rtnl_link *l = rtnl_link_by_index(cur_links(ev), ifindex);

	if (l)
		snprintf(buf, n, "%s", l->name);
	else
		snprintf(buf, n, "if%d", ifindex);
	return buf;
}

/* Up, not loopback, not enslaved (bridge, bond or VRF ports answer for
 * their master). */
static const struct rtnl_link *usable_link(const struct evidence *ev, int ifindex)
{
	const struct rtnl_link *l = rtnl_link_by_index(cur_links(ev), ifindex);

	if (!l || !(l->flags & IFF_UP) || (l->flags & IFF_LOOPBACK) || l->master)
		return NULL;
	return l;
}

struct v4addr {
	int ifindex;
	uint8_t a[4], plen, scope;
	const char *text;
};

/* Global-scope IPv4 addresses on usable links; caller frees. */
static size_t v4_addrs(const struct evidence *ev, struct v4addr **out)
{
	struct v4addr *v = calloc(ev->addrs.n ? ev->addrs.n : 1, sizeof(*v));
	size_t n = 0;

	*out = v;
	if (!v)
		return 0;
	for (size_t i = 0; i < ev->addrs.n; i++) {
		const struct rtnl_addr *a = &ev->addrs.v[i];
		if (a->family != AF_INET || a->scope >= RT_SCOPE_HOST || !usable_link(ev, a->ifindex))
			continue;
		if (inet_pton(AF_INET, a->text, v[n].a) != 1)
			continue;
		v[n].ifindex = a->ifindex;
		v[n].plen = a->prefixlen;
		v[n].scope = a->scope;
		v[n].text = a->text;
		n++;
	}
	return n;
}

/* net.ipv4.conf.IF.KEY (a '.' in the name is written '/'); -1 unreadable. */
static long long conf(const struct evidence *ev, const char *ifn, const char *key)
{
	char name[128], dev[IFNAMSIZ];
	size_t i;

	for (i = 0; ifn[i] && i + 1 < sizeof(dev); i++)
		dev[i] = ifn[i] == '.' ? '/' : ifn[i];
	dev[i] = '\0';
	snprintf(name, sizeof(name), "net.ipv4.conf.%s.%s", dev, key);
	return ev_sysctl(ev, name);
}

/* all and IF, combined the way the kernel does (IN_DEV_MAXCONF / ORCONF). */
struct confpair {
	long long all, dev, eff;
};

static struct confpair conf_eff(const struct evidence *ev, const char *ifn, const char *key, bool or)
{
	struct confpair c = { conf(ev, "all", key), conf(ev, ifn, key), -1 };

	if (c.all < 0 || c.dev < 0)
		return c;
	c.eff = or ? (c.all || c.dev) : (c.all > c.dev ? c.all : c.dev);
	return c;
}

static void conf_evidence(struct finding *f, const char *ifn, const char *key, struct confpair c)
{
	char src[96];

	snprintf(src, sizeof(src), "/proc/sys/net/ipv4/conf/{all,%s}/%s", ifn, key);
	finding_evidence(f, src, "%s: net.ipv4.conf.all.%s = %lld, net.ipv4.conf.%s.%s = %lld "
			 "(in effect: %lld)", ifn, key, c.all, ifn, key, c.dev, c.eff);
}

/* "10.0.0.0/24 via 10.0.0.1 dev eth0 metric 10" (every nexthop) into sb. */
static const char *route_text(const struct evidence *ev, const struct rt_route *r, struct strbuf *sb)
{
	char dst[64], gw[INET_ADDRSTRLEN], dev[IFNAMSIZ + 8];

	sb_reset(sb);
	sb_puts(sb, route_dst_text(r, dst, sizeof(dst)));
	for (unsigned i = 0; i < r->nnh; i++) {
		const struct rt_nexthop *h = &r->nh[i];
		if (h->has_gw && inet_ntop(AF_INET, h->gw, gw, sizeof(gw)))
			sb_printf(sb, " via %s", gw);
		sb_printf(sb, " dev %s", ifname(ev, h->oif, dev, sizeof(dev)));
	}
	if (r->priority)
		sb_printf(sb, " metric %u", r->priority);
	return sb->buf;
}

/* Unicast routes of the tables plain lookups reach (main, default). */
static bool main_unicast(const struct rt_route *r)
{
	return r->family == AF_INET && r->type == RTN_UNICAST &&
	       (r->table == RT_TABLE_MAIN || r->table == RT_TABLE_DEFAULT);
}

/* The route plain lookups pick among those to dst/len: the lowest metric. */
static const struct rt_route *best_route(const struct rt_routes *rs, const struct rt_route *like)
{
	const struct rt_route *best = NULL;

	for (size_t i = 0; i < rs->n; i++) {
		const struct rt_route *r = &rs->v[i];
		if (!main_unicast(r) || r->dst_len != like->dst_len || r->tos != like->tos ||
		    memcmp(r->dst, like->dst, 4) != 0)
			continue;
		if (!best || r->priority < best->priority)
			best = r;
	}
	return best;
}

/* A non-built-in rule sending traffic from addr to a table of its own;
 * with via_if, that table must also route through that interface. */
static const struct route_rule *policy_rule_for(const struct route_rules *rules, const struct rt_routes *rs,
					     const uint8_t *addr, int via_if)
{
	for (size_t i = 0; i < rules->n; i++) {
		const struct route_rule *u = &rules->v[i];
		if (u->family != AF_INET || route_rule_is_builtin(u) || u->action != FR_ACT_TO_TBL ||
		    u->invert || u->has_fwmark || u->iifname[0] || !u->src_len ||
		    u->table == RT_TABLE_MAIN || u->table == RT_TABLE_LOCAL || u->table == RT_TABLE_DEFAULT ||
		    !prefix_contains(AF_INET, u->src, u->src_len, addr))
			continue;
		if (!via_if)
			return u;
		for (size_t j = 0; j < rs->n; j++)
			if (rs->v[j].table == u->table && route_uses_oif(&rs->v[j], via_if))
				return u;
	}
	return NULL;
}

/* ---- rp-filter-asymmetric ---- */

static const struct rule_threshold rpf_thr[] = {
	{ "critical_per_s", 100, "IPReversePathFilter drops per second that make it critical" },
	{ NULL, 0, NULL },
};

/* What check_rpf() finds: strict interfaces, and the routes through them
 * that lose to a route through another interface. */
struct rpf {
	long long drops;  /* TcpExtIPReversePathFilter increase (-1 absent) */
	double rate;
	struct asym { int ifindex; const struct rt_route *mine, *best; } *asy;
	size_t nasy, cap_asy;
	int *strict;      /* interfaces with rp_filter 1 in effect */
	size_t nstrict, cap_strict;
	int *done;        /* the interfaces of asy[], once each */
	size_t ndone, cap_done;
};

/* Policy routing from one of the interface's addresses back out of it
 * makes the reverse lookup pass. */
static bool rpf_policy_fixed(const struct route_rules *rules, const struct rt_routes *rs,
			     const struct v4addr *as, size_t nas, int ifindex)
{
	for (size_t k = 0; k < nas; k++)
		if (as[k].ifindex == ifindex && policy_rule_for(rules, rs, as[k].a, ifindex))
			return true;
	return false;
}

/* Strict interfaces, and each main-table route through one that loses to a
 * route through another interface (unless policy routing fixes it); false
 * when out of memory. */
static bool rpf_scan(struct rpf *x, const struct evidence *ev, const struct rt_routes *rs,
		     const struct route_rules *rules, const struct v4addr *as, size_t nas)
{
	const struct rtnl_links *ls = cur_links(ev);

	for (size_t i = 0; i < ls->n; i++) {
		const struct rtnl_link *l = &ls->v[i];
		if (!usable_link(ev, l->ifindex))
			continue;
		struct confpair c = conf_eff(ev, l->name, "rp_filter", false);
		if (c.eff != 1)
			continue;
		if (!doctor_vec_room(&x->strict, x->nstrict, &x->cap_strict, sizeof(*x->strict)))
			return false;
		x->strict[x->nstrict++] = l->ifindex;
		for (size_t j = 0; j < rs->n; j++) {
			const struct rt_route *mine = &rs->v[j];
			if (!main_unicast(mine) || !route_uses_oif(mine, l->ifindex))
				continue;
			const struct rt_route *best = best_route(rs, mine);
			if (!best || route_uses_oif(best, l->ifindex))
				continue;
			if (rpf_policy_fixed(rules, rs, as, nas, l->ifindex))
				continue;
			if (!doctor_vec_room(&x->asy, x->nasy, &x->cap_asy, sizeof(*x->asy)))
				return false;
			x->asy[x->nasy++] = (struct asym){ l->ifindex, mine, best };
		}
	}
	return true;
}

static struct finding *rpf_finding(struct report *r, const struct evidence *ev, const struct rpf *x)
{
	char ifn[IFNAMSIZ + 8];

	if (!x->nasy)
		return finding_add(r, SEV_INFO, "host", "%lld packets failed the strict reverse-path check in "
				   "%.1f s (spoofed sources, or routes arriving on the wrong interface)",
				   x->drops, ev->interval);
	enum severity sev = x->drops <= 0 ? SEV_INFO
			    : x->rate >= rule_threshold(r, "critical_per_s") ? SEV_CRITICAL : SEV_WARNING;
	ifname(ev, x->asy[0].ifindex, ifn, sizeof(ifn));
	if (x->drops > 0)
		return finding_add(r, sev, ifn, "strict rp_filter on %s drops packets whose source is routed "
				   "through another interface (IPReversePathFilter +%lld in %.1f s)",
				   ifn, x->drops, ev->interval);
	return finding_add(r, sev, ifn, "strict rp_filter on %s will drop traffic arriving there "
			   "from sources routed through another interface", ifn);
}

/* The drop counter, each losing route with its interface's rp_filter
 * (x->done: those interfaces), or every strict interface when no route
 * explains the drops. */
static void rpf_evidence(struct finding *f, const struct evidence *ev, struct rpf *x)
{
	char ifn[IFNAMSIZ + 8];
	struct strbuf t1 = STRBUF_INIT, t2 = STRBUF_INIT;

	if (x->drops >= 0 && ev->nsamples > 1)
		finding_evidence(f, "/proc/net/netstat", "TcpExtIPReversePathFilter +%lld (%.1f/s)",
				 x->drops, x->rate > 0 ? x->rate : 0);
	else if (x->drops >= 0)
		finding_evidence(f, "/proc/net/netstat", "TcpExtIPReversePathFilter = %lld since boot "
				 "(one sample: no rate)", ev_counter(ev, "TcpExtIPReversePathFilter"));
	finding_value(f, "rp_filter_drops", (double)(x->drops > 0 ? x->drops : 0));
	finding_value(f, "rp_filter_drops_per_s", x->rate > 0 ? x->rate : 0);
	finding_value(f, "asymmetric_routes", (double)x->nasy);
	for (size_t i = 0; i < x->nasy; i++) {
		bool seen = false;
		for (size_t k = 0; k < x->ndone; k++)
			seen |= x->done[k] == x->asy[i].ifindex;
		ifname(ev, x->asy[i].ifindex, ifn, sizeof(ifn));
		if (!seen && doctor_vec_room(&x->done, x->ndone, &x->cap_done, sizeof(*x->done))) {
			x->done[x->ndone++] = x->asy[i].ifindex;
			conf_evidence(f, ifn, "rp_filter", conf_eff(ev, ifn, "rp_filter", false));
		}
		finding_evidence(f, "RTM_GETROUTE", "%s: route %s loses to %s, so packets from there "
				 "arriving on %s fail the check", ifn,
				 route_text(ev, x->asy[i].mine, &t1), route_text(ev, x->asy[i].best, &t2), ifn);
	}
	sb_free(&t1);
	sb_free(&t2);
	if (!x->nasy)
		for (size_t i = 0; i < x->nstrict; i++) {
			ifname(ev, x->strict[i], ifn, sizeof(ifn));
			conf_evidence(f, ifn, "rp_filter", conf_eff(ev, ifn, "rp_filter", false));
		}
}

static void rpf_fix(struct finding *f, const struct evidence *ev, const struct rpf *x)
{
	struct strbuf cmd = STRBUF_INIT;
	char ifn[IFNAMSIZ + 8];

	for (size_t i = 0; i < x->ndone; i++)
		sb_printf(&cmd, "%snet.ipv4.conf.%s.rp_filter=2", i ? " " : "",
			  ifname(ev, x->done[i], ifn, sizeof(ifn)));
	if (x->nasy)
		finding_fix(f, "loose mode on those interfaces: sysctl -w %s (max(all, IF) is what "
			       "counts, so all may stay 1; persist in /etc/sysctl.d/). Loose mode only "
			       "checks that the source is routable at all, so it stops less spoofing; "
			       "the alternative is policy routing, so that traffic from each interface's "
			       "address goes back out of it (ip rule add from ADDR table N; ip route add "
			       "default via GW dev IF table N), which keeps strict mode passing.",
			    cmd.buf ? cmd.buf : "");
	else
		finding_fix(f, "if these are legitimate packets, find the interface they arrive on "
			       "(the kernel logs martians with net.ipv4.conf.all.log_martians=1) and "
			       "route their sources through it, or set rp_filter=2 (loose) there.");
	sb_free(&cmd);
}

static void rpf_free(struct rpf *x)
{
	free(x->asy);
	free(x->strict);
	free(x->done);
}

static void check_rpf(struct report *r, const struct evidence *ev)
{
	static const struct route_rules none;
	const struct rt_routes *rs;
	struct v4addr *as = NULL;
	struct rpf x = { 0 };
	int err;

	if (!ev->have_links || !ev->have_addrs)
		return rule_skip(r, "no interfaces or addresses (RTM_GETLINK, RTM_GETADDR)");
	if (!(rs = ev_routes4(ev, &err)))
		return rule_skip(r, "no IPv4 routes (RTM_GETROUTE: %s)", strerror(-err));
	const struct route_rules *rules = ev_rules4(ev, NULL);
	if (!rules)
		rules = &none; /* no policy routing to look at */
	x.drops = ev_delta(ev, "TcpExtIPReversePathFilter");
	x.rate = ev_rate(ev, "TcpExtIPReversePathFilter");
	size_t nas = v4_addrs(ev, &as);
	bool ok = rpf_scan(&x, ev, rs, rules, as, nas);
	free(as);
	if (!ok)
		rule_skip(r, "out of memory");
	else if (x.nasy || (x.drops > 0 && x.nstrict)) {
		struct finding *f = rpf_finding(r, ev, &x);
		rpf_evidence(f, ev, &x);
		rpf_fix(f, ev, &x);
	}
	rpf_free(&x);
}

DOCTOR_RULE(rp_filter_asymmetric, .id = "rp-filter-asymmetric", .area = "multi-nic",
	    .title = "strict rp_filter on interfaces that asymmetric routes bypass (IPReversePathFilter)",
	    .explain =
		"Reverse-path filtering (net.ipv4.conf.*.rp_filter) checks each packet received on an\n"
		"interface by looking up the route back to its source. In strict mode (1) that route\n"
		"must leave through the interface the packet came in on; in loose mode (2) any route\n"
		"will do; 0 turns it off. The value in effect is max(conf.all, conf.IF). A failing\n"
		"packet is dropped silently and counted in TcpExtIPReversePathFilter.\n"
		"On a host with several NICs, strict mode drops legitimate traffic whenever the\n"
		"routes are asymmetric: two uplinks with a default route each, or one prefix routed\n"
		"through two interfaces with different metrics. Traffic that arrives on the losing\n"
		"interface fails the check, since the route back prefers the other one.\n"
		"The rule lists strict interfaces whose routes lose to a route through another\n"
		"interface (main table, lowest metric wins; policy rules from the interface's address\n"
		"to a table routing through it count as a fix). It is info while nothing is dropped,\n"
		"a warning once IPReversePathFilter rises, and critical above critical_per_s.\n"
		"Fix: rp_filter=2 on those interfaces (weaker anti-spoofing), or policy routing so the\n"
		"reverse route uses the interface the traffic came in on.",
	    .thresholds = rpf_thr, .check = check_rpf);

/* ---- arp-flux ---- */

static bool same_subnet(const struct v4addr *x, const struct v4addr *y)
{
	unsigned plen = x->plen < y->plen ? x->plen : y->plen;
	return plen > 0 && plen < 32 && prefix_contains(AF_INET, x->a, plen, y->a);
}

/* One interface of a subnet shared by several, with its ARP settings. */
struct arp_if {
	int ifindex;
	struct confpair flt, ign, ann;
};

/* The interfaces holding addresses in as[i]'s subnet (as[i..n)), once
 * each, into v; their count. members: the addresses. */
static size_t arp_group(const struct evidence *ev, const struct v4addr *as, size_t n, size_t i,
			struct arp_if *v, size_t *members)
{
	char ifn[IFNAMSIZ + 8];
	size_t ifs = 0;

	*members = 0;
	for (size_t j = i; j < n; j++) {
		if (j != i && !same_subnet(&as[i], &as[j]))
			continue;
		++*members;
		bool dup = false;
		for (size_t k = 0; k < ifs; k++)
			dup |= v[k].ifindex == as[j].ifindex;
		if (!dup)
			v[ifs++].ifindex = as[j].ifindex;
	}
	for (size_t k = 0; k < ifs && ifs >= 2; k++) {
		ifname(ev, v[k].ifindex, ifn, sizeof(ifn));
		v[k].flt = conf_eff(ev, ifn, "arp_filter", true);
		v[k].ign = conf_eff(ev, ifn, "arp_ignore", false);
		v[k].ann = conf_eff(ev, ifn, "arp_announce", false);
	}
	return ifs;
}

/* The finding for the subnet of as[i], shared by the interfaces v[0..ifs). */
static void arp_finding(struct report *r, const struct evidence *ev, const struct v4addr *as, size_t n,
			size_t i, const struct arp_if *v, size_t ifs, size_t members)
{
	char ifn[IFNAMSIZ + 8], net[INET_ADDRSTRLEN];
	uint8_t pfx[4] = { 0 };
	unsigned plen = as[i].plen;

	for (size_t j = i + 1; j < n; j++)
		if (same_subnet(&as[i], &as[j]) && as[j].plen < plen)
			plen = as[j].plen;
	for (unsigned b = 0; b < plen; b++)
		pfx[b / 8] |= (uint8_t)(as[i].a[b / 8] & (0x80 >> (b % 8)));
	inet_ntop(AF_INET, pfx, net, sizeof(net));
	char subnet[INET_ADDRSTRLEN + 4];
	snprintf(subnet, sizeof(subnet), "%s/%u", net, plen);
	struct finding *f = finding_add(r, SEV_WARNING, subnet, "%zu interfaces have addresses in %s/%u "
					"with arp_filter off: any of them may answer ARP for the "
					"others' addresses (ARP flux)", ifs, net, plen);
	for (size_t j = i; j < n; j++)
		if (j == i || same_subnet(&as[i], &as[j]))
			finding_evidence(f, "RTM_GETADDR", "%s: %s/%u",
					 ifname(ev, as[j].ifindex, ifn, sizeof(ifn)), as[j].text, as[j].plen);
	struct strbuf cmd = STRBUF_INIT;
	for (size_t k = 0; k < ifs; k++) {
		ifname(ev, v[k].ifindex, ifn, sizeof(ifn));
		conf_evidence(f, ifn, "arp_filter", v[k].flt);
		conf_evidence(f, ifn, "arp_ignore", v[k].ign);
		conf_evidence(f, ifn, "arp_announce", v[k].ann);
		sb_printf(&cmd, "%snet.ipv4.conf.%s.arp_filter=1", k ? " " : "", ifn);
	}
	finding_value(f, "interfaces", (double)ifs);
	finding_value(f, "addresses", (double)members);
	finding_fix(f, "sysctl -w %s, so each interface answers only for addresses the kernel "
		       "would route out of it (pair it with policy routing per address, since "
		       "arp_filter consults the routes); or sysctl -w net.ipv4.conf.all.arp_ignore=1 "
		       "net.ipv4.conf.all.arp_announce=2, so an interface answers only for its own "
		       "addresses and announces only them. Persist in /etc/sysctl.d/. Bonding the "
		       "NICs is the cleaner design when they share one segment.", cmd.buf);
	sb_free(&cmd);
}

static void check_arp_flux(struct report *r, const struct evidence *ev)
{
	struct v4addr *as = NULL;

	if (!ev->have_links || !ev->have_addrs)
		return rule_skip(r, "no interfaces or addresses (RTM_GETLINK, RTM_GETADDR)");
	size_t n = v4_addrs(ev, &as);
	bool *used = calloc(n ? n : 1, sizeof(*used));
	struct arp_if *v = calloc(n ? n : 1, sizeof(*v)); /* an interface per address at most */
	if (!used || !v) {
		free(used);
		free(v);
		free(as);
		return rule_skip(r, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		if (used[i])
			continue;
		size_t members, ifs = arp_group(ev, as, n, i, v, &members), flux = 0;
		for (size_t j = i; j < n; j++)
			if (j == i || same_subnet(&as[i], &as[j]))
				used[j] = true;
		for (size_t k = 0; k < ifs && ifs >= 2; k++)
			flux += v[k].flt.eff == 0 && v[k].ign.eff == 0;
		if (flux)
			arp_finding(r, ev, as, n, i, v, ifs, members);
	}
	free(v);
	free(used);
	free(as);
}

DOCTOR_RULE(arp_flux, .id = "arp-flux", .area = "multi-nic",
	    .title = "several NICs in one IPv4 subnet with arp_filter off (ARP flux)",
	    .explain =
		"Linux treats addresses as belonging to the host, not to an interface: with the\n"
		"defaults (arp_filter=0, arp_ignore=0) an ARP request for any local address is\n"
		"answered on whichever interface received it, with that interface's MAC. When two\n"
		"NICs sit in one subnet, both hear the request and both may answer, so neighbours\n"
		"learn the wrong MAC for an address and its traffic lands on the other NIC (or\n"
		"flaps between them); arp_announce=0 adds to it by using any local address as the\n"
		"source of ARP requests.\n"
		"arp_filter=1 (in effect when conf.all or conf.IF is 1) answers only when the route\n"
		"back to the asker leaves through the receiving interface; arp_ignore=1 answers only\n"
		"for addresses configured on the receiving interface and arp_announce=2 uses the best\n"
		"local address of the outgoing interface (the larger of all and IF counts). The rule\n"
		"warns when at least two up interfaces hold addresses in one subnet and one of them\n"
		"has arp_filter and arp_ignore both 0.",
	    .check = check_arp_flux);

/* ---- no-policy-routing ---- */

static bool nic_kind(const struct rtnl_link *l)
{
	static const char *const kinds[] = { "", "veth", "vlan", "macvlan", "ipvlan", "bond", "team", NULL };
	for (size_t i = 0; kinds[i]; i++)
		if (strcmp(l->kind, kinds[i]) == 0)
			return true;
	return false;
}

static void check_policy_routing(struct report *r, const struct evidence *ev)
{
	const struct rt_routes *rs;
	const struct route_rules *rules;
	struct v4addr *as = NULL;
	char ifn[IFNAMSIZ + 8], dev[IFNAMSIZ + 8], gw[INET_ADDRSTRLEN];
	struct strbuf t = STRBUF_INIT;
	int err;

	if (!ev->have_links || !ev->have_addrs)
		return rule_skip(r, "no interfaces or addresses (RTM_GETLINK, RTM_GETADDR)");
	if (!(rs = ev_routes4(ev, &err)))
		return rule_skip(r, "no IPv4 routes (RTM_GETROUTE: %s)", strerror(-err));
	if (!(rules = ev_rules4(ev, &err)))
		return rule_skip(r, "no policy rules (RTM_GETRULE: %s)", strerror(-err));
	const struct rt_route *def = NULL;
	for (size_t i = 0; i < rs->n; i++)
		if (main_unicast(&rs->v[i]) && route_is_default(&rs->v[i]) && rs->v[i].nnh &&
		    (!def || rs->v[i].priority < def->priority))
			def = &rs->v[i];
	size_t n = v4_addrs(ev, &as);
	for (size_t i = 0; def && i < n; i++) {
		const struct v4addr *a = &as[i];
		const struct rtnl_link *l = usable_link(ev, a->ifindex);
		if (!l || !nic_kind(l) || route_uses_oif(def, a->ifindex) || a->plen >= 32 ||
		    a->scope != RT_SCOPE_UNIVERSE)
			continue;
		/* in a subnet of the default route's interface: replies leave right */
		bool same = false;
		for (size_t j = 0; j < n && !same; j++)
			same = route_uses_oif(def, as[j].ifindex) &&
			       prefix_contains(AF_INET, as[j].a, as[j].plen < a->plen ? as[j].plen : a->plen, a->a);
		if (same || policy_rule_for(rules, rs, a->a, 0))
			continue;
		/* its own gateway: a default route (or any gateway route) through it */
		const struct rt_route *own_def = NULL, *own_gw = NULL;
		for (size_t j = 0; j < rs->n; j++) {
			const struct rt_route *x = &rs->v[j];
			if (!main_unicast(x) || x->nnh != 1 || x->nh[0].oif != a->ifindex || !x->nh[0].has_gw)
				continue;
			if (route_is_default(x) && !own_def)
				own_def = x;
			if (!own_gw)
				own_gw = x;
		}
		ifname(ev, a->ifindex, ifn, sizeof(ifn));
		struct finding *f = finding_add(r, own_def ? SEV_WARNING : SEV_INFO, ifn,
						"replies from %s (on %s) to hosts outside %s/%u leave through "
						"the default route, not %s: no policy routing", a->text, ifn,
						a->text, a->plen, ifn);
		finding_evidence(f, "RTM_GETADDR", "%s: %s/%u", ifn, a->text, a->plen);
		finding_evidence(f, "RTM_GETROUTE", "default route (main table): %s",
				 route_text(ev, def, &t));
		if (own_def)
			finding_evidence(f, "RTM_GETROUTE", "%s's own default route is not used: %s", ifn,
					 route_text(ev, own_def, &t));
		size_t extra = 0;
		for (size_t j = 0; j < rules->n; j++)
			extra += rules->v[j].family == AF_INET && !route_rule_is_builtin(&rules->v[j]);
		if (extra)
			finding_evidence(f, "RTM_GETRULE", "%zu policy rule%s beyond local/main/default, "
					 "none from %s", extra, extra == 1 ? "" : "s", a->text);
		else
			finding_evidence(f, "RTM_GETRULE", "only the built-in rules (local, main, default)");
		finding_value(f, "own_default_route", own_def ? 1 : 0);
		const char *g = own_gw && inet_ntop(AF_INET, own_gw->nh[0].gw, gw, sizeof(gw)) ? gw : "GATEWAY";
		unsigned table = 100 + (unsigned)a->ifindex;
		finding_fix(f, "ip route add default via %s dev %s table %u; ip rule add from %s table %u "
			       "priority %u (persist both in the network configuration). Replies from "
			       "%s then leave through %s, whatever the main table says; without it, "
			       "the upstream of %s must route them back, and strict rp_filter or "
			       "stateful firewalls there drop them.", g, ifn, table, a->text, table,
			    1000 + (unsigned)a->ifindex, a->text, ifn, ifname(ev, def->nh[0].oif, dev, sizeof(dev)));
	}
	sb_free(&t);
	free(as);
}

DOCTOR_RULE(no_policy_routing, .id = "no-policy-routing", .area = "multi-nic",
	    .title = "addresses on a non-default NIC without policy routing (replies via the default gateway)",
	    .explain =
		"The kernel picks the route of an outgoing packet by its destination alone (the main\n"
		"table), not by the interface its connection came in on. When a host has a second NIC\n"
		"in another subnet, a client outside that subnet reaching the second NIC's address is\n"
		"answered through the default route, out of the first NIC: the reply's source is the\n"
		"second address, so upstream anti-spoofing, strict rp_filter or a stateful firewall\n"
		"drops it, or the client never sees it. Inside the second NIC's own subnet (and any\n"
		"prefix routed through it) all is well.\n"
		"Policy routing fixes it: `ip rule add from ADDR table N` with a default route through\n"
		"the second NIC's gateway in table N. The rule reports every global IPv4 address on an\n"
		"up NIC (physical, veth, vlan, macvlan, ipvlan, bond) that is not the default route's,\n"
		"outside the default route's subnets, with no rule from that address to a table of its\n"
		"own. Info by default; a warning when that NIC has a default route of its own that the\n"
		"main table never uses (an uplink whose replies leave by the other one).",
	    .check = check_policy_routing);
