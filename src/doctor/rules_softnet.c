/* Rules: the per-CPU receive path (/proc/net/softnet_stat). Backlog drops
 * over net.core.netdev_max_backlog, time squeeze (net_rx_action out of
 * netdev_budget or netdev_budget_usecs), and one CPU doing all receive work
 * while RPS is off. softnet_stat is host-wide: inside a network namespace
 * it still shows the whole machine, and the net.core sysctls that tune it
 * are not visible there (evidence says so rather than guessing). */
#include "doctor/doctor.h"
#include "sources/linkextra.h"

#include <errno.h>
#include <linux/if_arp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_CPU_LINES = 8 };

/* "net.core.X = V" evidence, or why it is not known. Returns the value. */
static long long sysctl_evidence(struct finding *f, const struct evidence *ev, const char *name)
{
	char path[96];
	long long v = ev_sysctl(ev, name);

	snprintf(path, sizeof(path), "/proc/sys/%s", name);
	for (char *p = path + 10; *p; p++)
		if (*p == '.')
			*p = '/';
	if (v >= 0)
		finding_evidence(f, path, "%s = %lld", name, v);
	else
		finding_evidence(f, path, "%s unreadable (host-wide: not visible inside a network "
					  "namespace)", name);
	return v;
}

/* ---- backlog drops ---- */

static const struct rule_threshold drops_thr[] = {
	{ "critical_per_s", 100, "backlog drops per second (all CPUs) that make it critical" },
	{ NULL, 0, NULL },
};

static void check_drops(struct report *r, const struct evidence *ev)
{
	if (!ev->have_softnet)
		return rule_skip(r, "no /proc/net/softnet_stat");
	size_t n;
	const struct ev_cpu *cpus = ev_softnet_deltas(ev, &n);
	unsigned long long total = 0, flow = 0;
	unsigned dropping = 0;

	for (size_t i = 0; i < n; i++) {
		total += cpus[i].dropped;
		flow += cpus[i].flow_limit;
		dropping += cpus[i].dropped > 0;
	}
	if (!total)
		return;
	double rate = (double)total / ev->interval;
	enum severity sev = rate >= rule_threshold(r, "critical_per_s") ? SEV_CRITICAL : SEV_WARNING;
	struct finding *f = finding_add(r, sev, "host", "the receive backlog dropped %llu packets in %.1f s "
				       "(%.1f/s) on %u CPU%s: input queues over "
				       "net.core.netdev_max_backlog", total, ev->interval, rate,
				       dropping, dropping == 1 ? "" : "s");
	unsigned shown = 0;
	for (size_t i = 0; i < n && shown < MAX_CPU_LINES; i++) {
		const struct ev_cpu *c = &cpus[i];
		if (!c->dropped)
			continue;
		shown++;
		finding_evidence(f, "/proc/net/softnet_stat", "cpu%u: dropped +%u (%.1f/s), processed "
				 "+%u, time_squeeze +%u%s", c->cpu, c->dropped,
				 (double)c->dropped / ev->interval, c->processed, c->squeeze,
				 c->flow_limit ? ", of which over the flow limit" : "");
	}
	if (dropping > shown)
		finding_evidence(f, "/proc/net/softnet_stat", "and %u more CPUs dropping", dropping - shown);
	if (flow)
		finding_evidence(f, "/proc/net/softnet_stat", "flow_limit_count +%llu (packets of "
				 "heavy flows dropped early, net.core.flow_limit_cpu_bitmap)", flow);
	long long max = sysctl_evidence(f, ev, "net.core.netdev_max_backlog");
	finding_value(f, "drops", (double)total);
	finding_value(f, "drops_per_s", rate);
	finding_value(f, "cpus_dropping", dropping);
	if (max >= 0)
		finding_value(f, "netdev_max_backlog", (double)max);
	long long want = max > 0 ? max * 2 : 2000;
	finding_fix(f, "sysctl -w net.core.netdev_max_backlog=%lld (persist in /etc/sysctl.d/); when "
		       "the drops sit on one or two CPUs, spread receive work with RPS (echo MASK > "
		       "/sys/class/net/IFACE/queues/rx-N/rps_cpus) and RFS (sysctl -w "
		       "net.core.rps_sock_flow_entries=32768, echo 2048 > "
		       "/sys/class/net/IFACE/queues/rx-N/rps_flow_cnt). A longer backlog holds more "
		       "memory and adds queueing delay; RPS costs inter-processor interrupts.",
		    want < 2000 ? 2000 : want);
}

DOCTOR_RULE(softnet_drops, .id = "softnet-drops", .area = "softnet",
	    .title = "per-CPU receive backlog drops (netdev_max_backlog)",
	    .explain =
		"Packets that are not handed to the stack straight from a driver's NAPI poll wait in\n"
		"a per-CPU input queue (the backlog): everything received through netif_rx() (loopback,\n"
		"veth, tunnels, drivers without NAPI) and every packet steered to another CPU by RPS.\n"
		"enqueue_to_backlog() drops the packet when that queue already holds more than\n"
		"net.core.netdev_max_backlog packets (default 1000) or when the flow limit\n"
		"(net.core.flow_limit_cpu_bitmap) picks it, and counts it in the second column of\n"
		"/proc/net/softnet_stat (hexadecimal, one line per CPU). Nothing else reports these\n"
		"drops: no ICMP, no socket error, the sender only sees loss.\n"
		"The finding is a warning when drops rise between the samples and critical from\n"
		"critical_per_s. Fix: raise netdev_max_backlog (memory and latency grow with it),\n"
		"and when one CPU takes the load, spread it with RPS/RFS or the NIC's RSS queues.",
	    .thresholds = drops_thr, .check = check_drops);

/* ---- time squeeze ---- */

static const struct rule_threshold squeeze_thr[] = {
	{ "info_per_s", 1, "time squeezes per second (all CPUs) worth an info" },
	{ "warning_per_s", 100, "time squeezes per second that make it a warning" },
	{ NULL, 0, NULL },
};

static void check_squeeze(struct report *r, const struct evidence *ev)
{
	if (!ev->have_softnet)
		return rule_skip(r, "no /proc/net/softnet_stat");
	size_t n;
	const struct ev_cpu *cpus = ev_softnet_deltas(ev, &n);
	unsigned long long total = 0, drops = 0;
	unsigned squeezing = 0;

	for (size_t i = 0; i < n; i++) {
		total += cpus[i].squeeze;
		squeezing += cpus[i].squeeze > 0;
		drops += cpus[i].squeeze ? cpus[i].dropped : 0;
	}
	double rate = n ? (double)total / ev->interval : 0;
	if (!total || rate < rule_threshold(r, "info_per_s"))
		return;
	enum severity sev = rate >= rule_threshold(r, "warning_per_s") || drops ? SEV_WARNING : SEV_INFO;
	struct finding *f = finding_add(r, sev, "host", "packet processing ran out of its budget %llu times "
				       "in %.1f s (%.1f/s) on %u CPU%s%s", total, ev->interval, rate,
				       squeezing, squeezing == 1 ? "" : "s",
				       drops ? ", and those CPUs drop packets" : "");
	unsigned shown = 0;
	for (size_t i = 0; i < n && shown < MAX_CPU_LINES; i++) {
		const struct ev_cpu *c = &cpus[i];
		if (!c->squeeze)
			continue;
		shown++;
		finding_evidence(f, "/proc/net/softnet_stat", "cpu%u: time_squeeze +%u (%.1f/s), "
				 "processed +%u, dropped +%u", c->cpu, c->squeeze,
				 (double)c->squeeze / ev->interval, c->processed, c->dropped);
	}
	long long budget = sysctl_evidence(f, ev, "net.core.netdev_budget");
	long long usecs = sysctl_evidence(f, ev, "net.core.netdev_budget_usecs");
	finding_value(f, "time_squeeze", (double)total);
	finding_value(f, "time_squeeze_per_s", rate);
	finding_value(f, "cpus_squeezed", squeezing);
	finding_fix(f, "sysctl -w net.core.netdev_budget=%lld net.core.netdev_budget_usecs=%lld "
		       "(persist in /etc/sysctl.d/): each softirq run may then process more packets "
		       "for longer. The trade-off is latency for whatever else runs on that CPU; work "
		       "left over goes to ksoftirqd, which competes with user tasks anyway. If one CPU "
		       "does all of it, spread the load (RSS queues, RPS) instead.",
		    budget > 0 ? budget * 2 : 600, usecs > 0 ? usecs * 2 : 4000);
}

DOCTOR_RULE(softnet_squeeze, .id = "softnet-time-squeeze", .area = "softnet",
	    .title = "receive processing out of budget (time_squeeze: netdev_budget, netdev_budget_usecs)",
	    .explain =
		"The NET_RX softirq (net_rx_action) polls devices until it has processed\n"
		"net.core.netdev_budget packets (default 300) or spent net.core.netdev_budget_usecs\n"
		"(default two jiffies: 2000 us at HZ=1000, 8000 us at HZ=250; checked in jiffies).\n"
		"When it stops with work left it counts a time squeeze (third column of\n"
		"/proc/net/softnet_stat) and leaves the rest for later or for ksoftirqd.\n"
		"A few squeezes are normal under load; many mean the CPU cannot keep up, packets\n"
		"wait in rings and backlogs, and the next step is drops (rx_missed_errors,\n"
		"softnet drops). Info from info_per_s, a warning from warning_per_s or when the\n"
		"squeezed CPUs also drop. Fix: raise both budgets, or spread the work over CPUs.",
	    .thresholds = squeeze_thr, .check = check_squeeze);

/* ---- one CPU doing the receive work, RPS off ---- */

static const struct rule_threshold onecpu_thr[] = {
	{ "share", 0.9, "fraction of all packets processed that one CPU must take" },
	{ "min_pps", 10000, "packets per second processed (all CPUs) before this matters" },
	{ NULL, 0, NULL },
};

static void check_one_cpu(struct report *r, const struct evidence *ev)
{
	char why[160] = "";

	if (!ev->have_softnet)
		return rule_skip(r, "no /proc/net/softnet_stat");
	size_t n;
	const struct ev_cpu *cpus = ev_softnet_deltas(ev, &n);
	if (n < 2 || !ev->have_links)
		return;
	unsigned long long total = 0;
	size_t top = 0;
	for (size_t i = 0; i < n; i++) {
		total += cpus[i].processed;
		if (cpus[i].processed > cpus[top].processed)
			top = i;
	}
	double pps = (double)total / ev->interval;
	double share = total ? (double)cpus[top].processed / (double)total : 0;
	if (pps < rule_threshold(r, "min_pps") || share < rule_threshold(r, "share"))
		return;

	/* RPS on the links that received: any non-zero mask means it is in use */
	const struct rtnl_links *la = &ev->links[0], *lb = &ev->links[ev->nsamples - 1];
	struct { const struct rtnl_link *l; uint64_t rx; struct link_rps rps; } *seen = NULL;
	size_t nseen = 0, cap_seen = 0, known = 0;
	for (size_t i = 0; i < lb->n; i++) {
		const struct rtnl_link *l = &lb->v[i], *p = rtnl_link_by_index(la, l->ifindex);
		if (l->type == ARPHRD_LOOPBACK || !p || !l->has_stats || !p->has_stats ||
		    l->stats.rx_packets <= p->stats.rx_packets)
			continue;
		struct link_rps rps;
		int err = ev_rps(ev, l, &rps);
		if (err == 0 && rps.enabled) {
			free(seen);
			return; /* RPS is in use: the concentration is something else */
		}
		if (err) {
			if (!why[0])
				snprintf(why, sizeof(why), "/sys/class/net/%s/queues/rx-*/rps_cpus %s",
					 l->name, err == -ESTALE ? "belongs to another namespace"
					 : ev->live ? "is unreadable" : "is not in the snapshot");
			continue;
		}
		if (!doctor_vec_room(&seen, nseen, &cap_seen, sizeof(*seen)))
			break;
		known++;
		seen[nseen++] = (typeof(seen[0])){ l, l->stats.rx_packets - p->stats.rx_packets, rps };
	}
	if (!known) {
		if (why[0])
			rule_skip(r, "one CPU did %.0f%% of the receive work, but RPS settings are unknown: %s",
				  share * 100, why);
		free(seen);
		return;
	}
	const struct ev_cpu *c = &cpus[top];
	bool hurting = c->dropped || c->squeeze;
	char cpu[24];
	snprintf(cpu, sizeof(cpu), "cpu%u", c->cpu);
	struct finding *f = finding_add(r, hurting ? SEV_WARNING : SEV_INFO, cpu,
					"cpu%u did %.0f%% of the receive work (%.0f packets/s) while "
					"RPS is off%s", c->cpu, share * 100, pps,
					hurting ? ", and it is dropping or out of budget" : "");
	finding_evidence(f, "/proc/net/softnet_stat", "cpu%u: processed +%u of +%llu on %zu CPUs, "
			 "dropped +%u, time_squeeze +%u, received_rps +%u", c->cpu, c->processed,
			 total, n, c->dropped, c->squeeze, c->rps);
	for (size_t i = 0; i < nseen; i++)
		finding_evidence(f, "/sys/class/net/IFACE/queues/rx-*/rps_cpus",
				 "%s: rx +%llu packets (%.0f/s), rps_cpus 0 on %u rx queue%s",
				 seen[i].l->name, (unsigned long long)seen[i].rx,
				 (double)seen[i].rx / ev->interval, seen[i].rps.nqueues,
				 seen[i].rps.nqueues == 1 ? "" : "s");
	finding_value(f, "share", share);
	finding_value(f, "packets_per_s", pps);
	finding_value(f, "cpu", c->cpu);
	const char *ifn = nseen ? seen[0].l->name : "IFACE";
	/* a 32-bit word per 32 CPUs: eight hex digits and a comma each */
	size_t mask_len = ((n + 31) / 32) * 9 + 16;
	char *mask = malloc(mask_len);
	if (!mask)
		abort();
	finding_fix(f, "with a multi-queue NIC, use RSS first: ethtool -L %s combined %zu and spread "
		       "its IRQs (irqbalance, /proc/irq/N/smp_affinity). Otherwise turn RPS on: echo %s "
		       "> /sys/class/net/%s/queues/rx-0/rps_cpus (each rx queue; CPUs on the NIC's NUMA "
		       "node), and RFS with net.core.rps_sock_flow_entries. RPS costs an "
		       "inter-processor interrupt per batch and some cache traffic.",
		    ifn, n, link_rps_mask_all((unsigned)n, mask, mask_len), ifn);
	free(mask);
	free(seen);
}

DOCTOR_RULE(softnet_one_cpu, .id = "softnet-one-cpu", .area = "softnet",
	    .title = "one CPU doing (almost) all receive processing while RPS is off",
	    .explain =
		"A NIC raises its interrupt on one CPU per receive queue, and that CPU runs the\n"
		"NET_RX softirq for everything the queue brings. A single-queue NIC (many virtual\n"
		"ones), or a multi-queue NIC whose IRQs all land on one CPU, makes that CPU the\n"
		"bottleneck long before the others are busy: time squeezes, then ring and backlog\n"
		"drops. RSS (several hardware queues, ethtool -L) spreads work in the NIC; RPS does\n"
		"it in software, hashing each packet to a CPU from /sys/class/net/IF/queues/rx-N/\n"
		"rps_cpus (all zero: off, the default); RFS then prefers the CPU where the reading\n"
		"application runs. The finding needs min_pps packets per second and one CPU taking\n"
		"share of them (from /proc/net/softnet_stat), and RPS off on every interface that\n"
		"received; it is a warning when that CPU also drops or squeezes. Snapshots that do\n"
		"not hold the rps_cpus files make the rule skip.",
	    .thresholds = onecpu_thr, .check = check_one_cpu);
