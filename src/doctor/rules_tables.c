/* Rules: kernel tables with a hard size limit, where the entry that does
 * not fit is a packet dropped. The connection tracking table against
 * nf_conntrack_max with its drop counters (conntrack-full), and the ARP
 * and NDISC neighbour caches against gc_thresh3 (neigh-table-full).
 *
 * The evidence holds the tables' per-CPU columns, summed, as counters
 * "TABLE:COLUMN" of both samples (procstat_counters()), and the last sample's
 * tables themselves for the "entries" level (ev_stat_table()); the
 * neighbour counts come from ev_neigh().
 */
#include "doctor/doctor.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

/* Increase of a column between the samples; 0 with one sample, -1 absent. */
static long long stat_delta(const struct evidence *ev, const char *table, const char *col)
{
	char name[96];

	snprintf(name, sizeof(name), "%s:%s", table, col);
	return ev_delta(ev, name);
}

/* Whether the increase was measured: two samples that both hold the table. */
static bool have_deltas(const struct evidence *ev, const char *table, const char *col)
{
	char name[96];

	snprintf(name, sizeof(name), "%s:%s", table, col);
	return ev->nsamples > 1 && ev_counter(ev, name) >= 0 &&
	       counters_find((struct counter_set *)&ev->ctr[0], name);
}

/* ---- conntrack-full ---- */

static const struct rule_threshold ct_thr[] = {
	{ "warning_pct", 80, "table use (% of nf_conntrack_max) that makes it a warning" },
	{ "critical_pct", 95, "table use (% of nf_conntrack_max) that makes it critical" },
	{ NULL, 0, NULL },
};

static void check_conntrack(struct report *r, const struct evidence *ev)
{
	static const char stat_path[] = "/proc/net/stat/nf_conntrack";
	long long count = ev_sysctl(ev, "net.netfilter.nf_conntrack_count");
	long long max = ev_sysctl(ev, "net.netfilter.nf_conntrack_max");

	if (count < 0 || max < 0)
		return; /* nf_conntrack is not loaded: nothing is tracked, nothing to check */
	const struct procstat *ps = ev_stat_table(ev, "nf_conntrack");
	long long drop = stat_delta(ev, "nf_conntrack", "drop");
	long long early = stat_delta(ev, "nf_conntrack", "early_drop");
	long long failed = stat_delta(ev, "nf_conntrack", "insert_failed");
	double pct = max > 0 ? 100.0 * (double)count / (double)max : 0;
	bool full = max > 0 && pct >= rule_threshold(r, "critical_pct");
	bool high = max > 0 && pct >= rule_threshold(r, "warning_pct");

	if (!high && drop <= 0 && early <= 0 && failed <= 0)
		return;
	enum severity sev = full || drop > 0 ? SEV_CRITICAL : SEV_WARNING;
	struct finding *f;
	if (drop > 0)
		f = finding_add(r, sev, "nf_conntrack",
				"the conntrack table is full: %lld new connections dropped in %.1f s "
				"(%lld of %lld entries)", drop, ev->interval, count, max);
	else if (high || early > 0)
		f = finding_add(r, sev, "nf_conntrack",
				"the conntrack table is %.0f%% full (%lld of %lld entries)%s", pct,
				count, max, early > 0 ? ": entries are evicted early to make room" : "");
	else
		f = finding_add(r, sev, "nf_conntrack", "conntrack insertions failed %lld times in %.1f s (clashing "
				"entries, often parallel UDP queries such as DNS A and AAAA)", failed,
				ev->interval);
	finding_evidence(f, "/proc/sys/net/netfilter/nf_conntrack_count",
			 "net.netfilter.nf_conntrack_count = %lld", count);
	finding_evidence(f, "/proc/sys/net/netfilter/nf_conntrack_max",
			 "net.netfilter.nf_conntrack_max = %lld (%.1f%% used)", max, pct);
	long long buckets = ev_sysctl(ev, "net.netfilter.nf_conntrack_buckets");
	if (buckets > 0)
		finding_evidence(f, "/proc/sys/net/netfilter/nf_conntrack_buckets",
				 "net.netfilter.nf_conntrack_buckets = %lld", buckets);
	if (ps && have_deltas(ev, "nf_conntrack", "drop"))
		finding_evidence(f, stat_path, "drop +%lld, early_drop +%lld, insert_failed +%lld in %.1f s "
				 "(summed over CPUs)", drop > 0 ? drop : 0, early > 0 ? early : 0,
				 failed > 0 ? failed : 0, ev->interval);
	else if (ps)
		finding_evidence(f, stat_path, "drop %lld, early_drop %lld, insert_failed %lld since the "
				 "namespace was created (summed over CPUs; no increase measured)",
				 procstat_sum(ps, "drop"), procstat_sum(ps, "early_drop"),
				 procstat_sum(ps, "insert_failed"));
	long long est = ev_sysctl(ev, "net.netfilter.nf_conntrack_tcp_timeout_established");
	if (est >= 0)
		finding_evidence(f, "/proc/sys/net/netfilter/nf_conntrack_tcp_timeout_established",
				 "net.netfilter.nf_conntrack_tcp_timeout_established = %lld s", est);
	finding_value(f, "count", (double)count);
	finding_value(f, "max", (double)max);
	finding_value(f, "used_pct", pct);
	finding_value(f, "drops", (double)(drop > 0 ? drop : 0));
	finding_value(f, "early_drops", (double)(early > 0 ? early : 0));
	finding_value(f, "insert_failed", (double)(failed > 0 ? failed : 0));
	if (high || drop > 0 || early > 0) {
		long long want = max > 0 ? max * 2 : 262144;
		finding_fix(f, "sysctl -w net.netfilter.nf_conntrack_max=%lld "
			       "net.netfilter.nf_conntrack_buckets=%lld (in the initial namespace: the limit "
			       "is host-wide; persist in /etc/sysctl.d/). Each entry costs about 320 bytes "
			       "of unswappable memory. Shorter timeouts free entries sooner: "
			       "net.netfilter.nf_conntrack_tcp_timeout_established=%s (default 5 days); or "
			       "exempt heavy stateless traffic from tracking (nftables `notrack`).",
			    want, want, est > 86400 || est < 0 ? "86400" : "3600");
	} else {
		finding_fix(f, "clashes are races between packets of one new flow on several CPUs; for "
			       "DNS, `options single-request-reopen` in resolv.conf avoids them. Kernels "
			       "5.x and later resolve most UDP clashes themselves (clashres).");
	}
}

DOCTOR_RULE(conntrack_full, .id = "conntrack-full", .area = "tables",
	    .title = "connection tracking table near nf_conntrack_max, or conntrack drops",
	    .explain =
		"With nf_conntrack loaded (any stateful firewall or NAT rule loads it), every flow\n"
		"through the host takes an entry in the connection tracking table. When the count\n"
		"reaches net.netfilter.nf_conntrack_max, the kernel first evicts an entry not yet\n"
		"confirmed as a connection (early_drop) and, failing that, drops the packet that\n"
		"would create a new one (\"nf_conntrack: table full, dropping packet\"; the drop\n"
		"column of /proc/net/stat/nf_conntrack). New connections then time out while old\n"
		"ones work. Each namespace counts its own entries against the host-wide maximum.\n"
		"insert_failed counts races where two packets of one new flow raced to insert it.\n"
		"The rule warns at warning_pct of the maximum or when early drops or insert failures\n"
		"rise, and is critical at critical_pct or when packets are dropped.\n"
		"Fix: raise nf_conntrack_max (and nf_conntrack_buckets, the hash size, to keep chains\n"
		"short) at some memory cost, shorten timeouts (tcp_timeout_established is 5 days by\n"
		"default), or exempt traffic that needs no state from tracking (notrack).",
	    .thresholds = ct_thr, .check = check_conntrack);

/* ---- neigh-table-full ---- */

static const struct rule_threshold neigh_thr[] = {
	{ "warning_pct", 80, "entries (% of gc_thresh3) that make it a warning" },
	{ "critical_pct", 95, "entries (% of gc_thresh3) that make it critical" },
	{ NULL, 0, NULL },
};

static void check_neigh(struct report *r, const struct evidence *ev)
{
	static const struct {
		int family;
		const char *name, *proto, *table, *stat, *sysctl;
	} tbls[] = {
		{ AF_INET, "ARP", "ipv4", "arp_cache", "/proc/net/stat/arp_cache", "net.ipv4.neigh.default" },
		{ AF_INET6, "NDISC", "ipv6", "ndisc_cache", "/proc/net/stat/ndisc_cache",
		  "net.ipv6.neigh.default" },
	};
	int looked = 0;

	for (size_t t = 0; t < sizeof(tbls) / sizeof(tbls[0]); t++) {
		char name[96];
		long long th[3];
		for (int i = 0; i < 3; i++) {
			snprintf(name, sizeof(name), "%s.gc_thresh%d", tbls[t].sysctl, i + 1);
			th[i] = ev_sysctl(ev, name);
		}
		if (th[2] <= 0)
			continue; /* not this namespace's to see */
		const struct neigh_counts *nc = ev_neigh(ev, tbls[t].family);
		if (!nc)
			continue;
		const struct neigh_counts c = *nc;
		looked++;
		const struct procstat *ps = ev_stat_table(ev, tbls[t].table);
		long long fulls = stat_delta(ev, tbls[t].table, "table_fulls");
		long long host_entries = ps ? procstat_first(ps, "entries") : -1;
		double pct = 100.0 * (double)c.gc_counted / (double)th[2];
		bool crit = pct >= rule_threshold(r, "critical_pct") || fulls > 0;
		if (!crit && pct < rule_threshold(r, "warning_pct"))
			continue;
		struct finding *f;
		if (fulls > 0)
			f = finding_add(r, SEV_CRITICAL, tbls[t].table, "the %s neighbour table overflowed %lld times in "
					"%.1f s: new neighbours cannot be resolved (%zu entries, gc_thresh3 %lld)",
					tbls[t].name, fulls, ev->interval, c.gc_counted, th[2]);
		else
			f = finding_add(r, crit ? SEV_CRITICAL : SEV_WARNING, tbls[t].table,
					"the %s neighbour table is "
					"%.0f%% full: %zu entries against gc_thresh3 %lld", tbls[t].name, pct,
					c.gc_counted, th[2]);
		finding_evidence(f, "RTM_GETNEIGH", "%s: %zu entries counted against the limit (%zu "
				 "in all: %zu permanent, %zu reachable, %zu stale/delay/probe, %zu "
				 "incomplete, %zu failed, %zu noarp)", tbls[t].proto, c.gc_counted, c.total,
				 c.permanent, c.reachable, c.stale, c.incomplete, c.failed, c.noarp);
		for (int i = 0; i < 3; i++) {
			char path[128];
			snprintf(path, sizeof(path), "/proc/sys/net/%s/neigh/default/gc_thresh%d",
				 tbls[t].proto, i + 1);
			finding_evidence(f, path, "%s.gc_thresh%d = %lld", tbls[t].sysctl, i + 1, th[i]);
		}
		if (host_entries >= 0 && have_deltas(ev, tbls[t].table, "table_fulls"))
			finding_evidence(f, tbls[t].stat, "entries %lld (every namespace, permanent "
					 "included), table_fulls +%lld in %.1f s", host_entries,
					 fulls > 0 ? fulls : 0, ev->interval);
		else if (host_entries >= 0)
			finding_evidence(f, tbls[t].stat, "entries %lld (every namespace, permanent "
					 "included), table_fulls %lld since boot (no increase measured)",
					 host_entries, procstat_sum(ps, "table_fulls"));
		finding_value(f, "entries", (double)c.gc_counted);
		finding_value(f, "gc_thresh3", (double)th[2]);
		finding_value(f, "used_pct", pct);
		finding_value(f, "table_fulls", (double)(fulls > 0 ? fulls : 0));
		long long want = th[2] * 4;
		if ((long long)c.gc_counted * 2 > want)
			want = (long long)c.gc_counted * 2;
		finding_fix(f, "sysctl -w %s.gc_thresh1=%lld %s.gc_thresh2=%lld %s.gc_thresh3=%lld "
			       "(persist in /etc/sysctl.d/). gc_thresh3 is the hard limit, gc_thresh2 the "
			       "level above which entries older than 5 s are collected, gc_thresh1 the level "
			       "below which nothing is. Bigger tables cost a little memory; a flat network "
			       "with thousands of hosts is better split into routed subnets.",
			    tbls[t].sysctl, want / 8, tbls[t].sysctl, want / 2, tbls[t].sysctl, want);
	}
	if (!looked)
		rule_skip(r, "net.ipv4.neigh.default.gc_thresh3 is not visible: the neighbour tables and "
			     "their limits belong to the initial network namespace");
}

DOCTOR_RULE(neigh_table_full, .id = "neigh-table-full", .area = "tables",
	    .title = "ARP/NDISC neighbour tables near gc_thresh3 (neighbour table overflow)",
	    .explain =
		"The neighbour tables (ARP for IPv4, NDISC for IPv6) map next-hop addresses to MAC\n"
		"addresses. net.ipv4.neigh.default.gc_thresh3 (and the ipv6 one) is their hard\n"
		"limit: once it is reached and forced garbage collection finds nothing to free\n"
		"(entries in use or updated in the last 5 s are kept), a new neighbour cannot be\n"
		"created, the kernel logs \"arp_cache: neighbor table overflow!\" and counts\n"
		"table_fulls in /proc/net/stat/arp_cache (ndisc_cache for IPv6);\n"
		"packets to hosts not yet in the table are dropped. Hosts on big flat networks, and\n"
		"container hosts, reach the default of 1024 quickly. Permanent entries and those\n"
		"learned externally do not count against it. The tables and their limits are\n"
		"host-wide, shared by every network namespace, and only visible from the initial\n"
		"one. The rule warns at warning_pct of gc_thresh3 and is critical at critical_pct or\n"
		"when table_fulls rises.\n"
		"Fix: raise gc_thresh1/2/3 together (for example 1024/4096/8192).",
	    .thresholds = neigh_thr, .check = check_neigh);
