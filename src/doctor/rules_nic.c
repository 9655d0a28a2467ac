/* Rules: network interfaces. Errors, drops, FIFO overruns and missed
 * packets rising between the samples (IFLA_STATS64, what `ip -s link`
 * shows), and carrier flaps: the link state changing between the samples,
 * carrier errors while sending, and links whose carrier went down often
 * since they were created (IFLA_CARRIER_DOWN_COUNT). Queueing disciplines
 * are in rules_qdisc.c. */
#include "doctor/doctor.h"
#include "sources/linkextra.h"

#include <linux/if.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

static uint64_t d64(uint64_t b, uint64_t a) { return b >= a ? b - a : 0; }

/* The link as it was at the first sample, when it existed then. */
static const struct rtnl_link *before(const struct evidence *ev, const struct rtnl_link *l)
{
	const struct rtnl_link *p = rtnl_link_by_index(&ev->links[0], l->ifindex);
	return p && strcmp(p->name, l->name) == 0 ? p : NULL;
}

/* ---- errors and drops ---- */

static const struct rule_threshold err_thr[] = {
	{ "drops_warning_per_s", 10, "drops per second on one interface that make a warning (fewer: info)" },
	{ "critical_per_s", 100, "errors and drops per second on one interface that make it critical" },
	{ NULL, 0, NULL },
};

struct ctr { const char *name; size_t off; };
#define C(f) { #f, offsetof(struct rtnl_link_stats64, f) }
static const struct ctr shown[] = {
	C(rx_errors), C(rx_missed_errors), C(rx_fifo_errors), C(rx_over_errors), C(rx_crc_errors),
	C(rx_frame_errors), C(rx_length_errors), C(rx_dropped), C(tx_errors), C(tx_fifo_errors),
	C(tx_aborted_errors), C(tx_carrier_errors), C(tx_dropped),
};
#undef C

static uint64_t field(const struct rtnl_link_stats64 *s, size_t off)
{
	uint64_t v;
	memcpy(&v, (const char *)s + off, sizeof(v));
	return v;
}

static void check_one_link(struct report *r, const struct evidence *ev, const struct rtnl_link *l,
			   const struct rtnl_link *p)
{
	const struct rtnl_link_stats64 *b = &l->stats, *a = &p->stats;
#define D(f) d64(b->f, a->f)
	uint64_t rx_err = D(rx_errors), tx_err = D(tx_errors), missed = D(rx_missed_errors);
	uint64_t fifo = D(rx_fifo_errors) + D(rx_over_errors), txfifo = D(tx_fifo_errors);
	uint64_t wire = D(rx_crc_errors) + D(rx_frame_errors) + D(rx_length_errors);
	/* rx_errors usually includes fifo, crc, frame and length errors, but not
	 * rx_missed_errors; a driver that only fills the details still counts */
	uint64_t errs = rx_err + tx_err + missed + (rx_err ? 0 : fifo + wire) + (tx_err ? 0 : txfifo);
	uint64_t drops = D(rx_dropped) + D(tx_dropped);
	uint64_t pkts = D(rx_packets) + D(tx_packets);
	if (!errs && !drops)
		return;
	/* an inactive bond slave drops what arrives on it by design */
	bool backup = !strcmp(l->slave_kind, "bond") && !errs && !D(tx_dropped);
	double rate = (double)(errs + drops) / ev->interval;
	double lost = (double)(errs + drops) / (double)(pkts + errs + drops);
	enum severity sev = rate >= rule_threshold(r, "critical_per_s") ? SEV_CRITICAL
			    : errs || (double)drops / ev->interval >= rule_threshold(r, "drops_warning_per_s")
				    ? SEV_WARNING
				    : SEV_INFO;
	if (backup)
		sev = SEV_INFO;
	const char *what = missed || fifo ? "receive ring overruns (packets the NIC had no buffer for)"
			   : wire ? "damaged frames (cable, optics, duplex)"
			   : errs ? (rx_err || missed ? "receive errors" : "transmit errors")
			   : D(tx_dropped) && !D(rx_dropped) ? "transmit drops" : "drops";
#undef D
	struct finding *f = finding_add(r, sev, l->name, "%s lost %llu packets in %.1f s (%.1f/s, %.1f%% of its "
				       "traffic): %s", l->name, (unsigned long long)(errs + drops),
				       ev->interval, rate, lost * 100, what);
	for (size_t i = 0; i < sizeof(shown) / sizeof(shown[0]); i++) {
		uint64_t d = d64(field(b, shown[i].off), field(a, shown[i].off));
		if (d)
			finding_evidence(f, "RTM_GETLINK IFLA_STATS64 (ip -s link)", "%s %s +%llu (%.1f/s)",
					 l->name, shown[i].name, (unsigned long long)d,
					 (double)d / ev->interval);
	}
	finding_evidence(f, "RTM_GETLINK IFLA_STATS64 (ip -s link)", "%s rx_packets +%llu, tx_packets "
			 "+%llu, operstate %s%s%s", l->name,
			 (unsigned long long)d64(b->rx_packets, a->rx_packets),
			 (unsigned long long)d64(b->tx_packets, a->tx_packets),
			 rtnl_operstate_name(l->operstate), l->kind[0] ? ", kind " : "", l->kind);
	finding_value(f, "errors", (double)errs);
	finding_value(f, "drops", (double)drops);
	finding_value(f, "lost_per_s", rate);
	finding_value(f, "lost_ratio", lost);
	finding_value(f, "rx_missed_errors", (double)missed);
	finding_value(f, "rx_fifo_errors", (double)fifo);

	bool no_carrier = !(l->flags & IFF_LOWER_UP) || l->operstate == IF_OPER_LOWERLAYERDOWN;
	if (backup)
		finding_fix(f, "%s is a bond slave: an inactive (backup) slave drops the frames that reach "
			       "it and counts them in rx_dropped; nothing to fix unless it is the active one "
			       "(cat /proc/net/bonding/BOND).", l->name);
	else if (strcmp(l->kind, "veth") == 0 && drops && no_carrier)
		finding_fix(f, "the other end of veth %s is down, so everything sent here is dropped: "
			       "bring the peer up (ip link set PEER up; `ip -d link show %s` names it) or "
			       "stop routing through %s.", l->name, l->name, l->name);
	else if (missed || fifo)
		finding_fix(f, "the receive ring fills before the kernel empties it: see `ethtool -g %s` "
			       "and raise the ring to its maximum (ethtool -G %s rx N); spread the "
			       "interrupts over CPUs (ethtool -L %s combined N, irqbalance) and check "
			       "softnet time squeezes. Bigger rings cost memory and some latency.",
			    l->name, l->name, l->name);
	else if (wire)
		finding_fix(f, "frames arrive damaged: check the cable or optics and the switch port "
			       "(`ethtool %s` for speed and duplex: a duplex mismatch causes frame and CRC "
			       "errors), and `ethtool -S %s` for the driver's detail.", l->name, l->name);
	else if (errs)
		finding_fix(f, "`ethtool -S %s` names the driver's error counters; check the link "
			       "(cable, speed/duplex with `ethtool %s`) and the driver's messages (dmesg).",
			    l->name, l->name);
	else
		finding_fix(f, "drops are packets the kernel or driver discarded: on receive, no buffer "
			       "or an unwanted frame (`ethtool -S %s`, `ip -s -s link show %s`); on "
			       "transmit, a full or down device. Check the qdisc (tc -s qdisc show dev %s) "
			       "and the link state.", l->name, l->name, l->name);
}

static void check_errors(struct report *r, const struct evidence *ev)
{
	if (!ev->have_links)
		return rule_skip(r, "no interface list (RTM_GETLINK)");
	if (ev->nsamples < 2)
		return;
	const struct rtnl_links *ls = &ev->links[1];
	for (size_t i = 0; i < ls->n; i++) {
		const struct rtnl_link *l = &ls->v[i], *p = before(ev, l);
		if (p && l->has_stats && p->has_stats)
			check_one_link(r, ev, l, p);
	}
}

DOCTOR_RULE(nic_errors, .id = "nic-errors", .area = "nic",
	    .title = "interface errors, drops, FIFO overruns and missed packets rising",
	    .explain =
		"Every interface counts what it could not deliver (ip -s link, IFLA_STATS64):\n"
		"rx_missed_errors and rx_fifo_errors/rx_over_errors are frames the NIC had to discard\n"
		"because its receive ring was full (the host did not empty it in time: ring too\n"
		"small, interrupts on one busy CPU, softirq out of budget); rx_crc_errors,\n"
		"rx_frame_errors and rx_length_errors are frames damaged on the wire (cabling,\n"
		"optics, duplex mismatch); rx_dropped and tx_dropped are packets the driver or the\n"
		"core discarded (no buffer, a veth whose peer is down, a device that is not\n"
		"running); tx_errors and tx_carrier_errors come from the transmitter.\n"
		"Counted between the two samples, per interface: info for a trickle of drops, a\n"
		"warning for any error or drops from drops_warning_per_s, critical from\n"
		"critical_per_s. Fix depends on the counter: ethtool -G for rings, the cable and\n"
		"`ethtool IF` for wire errors, the peer or qdisc for drops.",
	    .thresholds = err_thr, .check = check_errors);

/* ---- carrier flaps ---- */

static const struct rule_threshold flap_thr[] = {
	{ "downs_info", 10, "carrier losses since the link was created worth an info" },
	{ NULL, 0, NULL },
};

static void check_flaps(struct report *r, const struct evidence *ev)
{
	if (!ev->have_links)
		return rule_skip(r, "no interface list (RTM_GETLINK)");
	/* the counts are read from the last sample's dump (live: now) */
	const struct link_carriers *lc = ev_carriers(ev);
	const struct rtnl_links *ls = &ev->links[ev->nsamples - 1];
	for (size_t i = 0; i < ls->n; i++) {
		const struct rtnl_link *l = &ls->v[i], *p = ev->nsamples == 2 ? before(ev, l) : NULL;
		const struct link_carrier *c = lc ? link_carrier_find(lc, l->ifindex) : NULL;
		uint64_t carrier = p && l->has_stats && p->has_stats
					   ? d64(l->stats.tx_carrier_errors, p->stats.tx_carrier_errors) : 0;
		bool changed = p && (l->flags & IFF_UP) && (p->flags & IFF_UP) &&
			       (l->flags & IFF_LOWER_UP) != (p->flags & IFF_LOWER_UP);
		bool many = c && c->has_updown && c->down >= rule_threshold(r, "downs_info");
		if (!carrier && !changed && !many)
			continue;
		struct finding *f;
		if (changed || carrier)
			f = finding_add(r, SEV_WARNING, l->name, "%s %s", l->name,
					changed ? (l->flags & IFF_LOWER_UP ? "got its carrier back between the samples"
									   : "lost its carrier between the samples")
						: "lost its carrier while sending");
		else
			f = finding_add(r, SEV_INFO, l->name, "%s lost its carrier %u times since it was created: "
					"the link flaps", l->name, c->down);
		if (changed)
			finding_evidence(f, "RTM_GETLINK (ip link)", "%s: %s, then %s", l->name,
					 p->flags & IFF_LOWER_UP ? "LOWER_UP" : "NO-CARRIER",
					 l->flags & IFF_LOWER_UP ? "LOWER_UP" : "NO-CARRIER");
		if (carrier)
			finding_evidence(f, "RTM_GETLINK IFLA_STATS64 (ip -s link)", "%s tx_carrier_errors +%llu",
					 l->name, (unsigned long long)carrier);
		if (c && c->has_updown)
			finding_evidence(f, "RTM_GETLINK IFLA_CARRIER_UP_COUNT/DOWN_COUNT",
					 "%s: carrier up %u, down %u times since created (%u changes)",
					 l->name, c->up, c->down, c->changes);
		else if (c && c->has_changes)
			finding_evidence(f, "RTM_GETLINK IFLA_CARRIER_CHANGES", "%s: %u carrier changes "
					 "since created", l->name, c->changes);
		finding_evidence(f, "RTM_GETLINK (ip link)", "%s operstate %s%s%s", l->name,
				 rtnl_operstate_name(l->operstate), l->kind[0] ? ", kind " : "", l->kind);
		finding_value(f, "tx_carrier_errors", (double)carrier);
		if (c && c->has_updown)
			finding_value(f, "carrier_down_count", c->down);
		if (l->kind[0])
			finding_fix(f, "%s is a %s: its carrier follows the device behind it (a veth's peer, a "
				       "bond's slaves, a VLAN's parent); look there: ip -d link show %s.",
				    l->name, l->kind, l->name);
		else
			finding_fix(f, "a physical link that flaps: check the cable or optics and the switch "
				       "port (its log and error counters), `ethtool %s` for autonegotiation, "
				       "and `dmesg | grep %s` for link up/down messages. Each flap drops "
				       "traffic and may reset routing or bonding.", l->name, l->name);
	}
}

DOCTOR_RULE(nic_carrier, .id = "nic-carrier-flaps", .area = "nic",
	    .title = "links losing their carrier (flaps)",
	    .explain =
		"An interface's carrier is the physical (or virtual) link being up. Each loss drops\n"
		"everything in flight and may trigger route, bond and ARP churn. The rule warns when\n"
		"an administratively up link gains or loses its carrier between the two samples, or\n"
		"when tx_carrier_errors rise (the transmitter lost the carrier while sending), and\n"
		"gives an info when IFLA_CARRIER_DOWN_COUNT (what `ip -s -d link` and\n"
		"/sys/class/net/IF/carrier_down_count show) reached downs_info since the link was\n"
		"created; that count is read from the last sample. A physical link that flaps has a\n"
		"bad cable, optic or switch port, or autonegotiation trouble.",
	    .thresholds = flap_thr, .check = check_flaps);
