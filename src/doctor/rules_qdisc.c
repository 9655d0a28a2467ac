/* Rules: queueing disciplines (RTM_GETQDISC, what `tc -s qdisc` shows).
 * Drops rising and a standing backlog (packets queued at both samples),
 * per interface, with the kind of qdisc; and long FIFO queues on busy
 * interfaces (bufferbloat) with the fq_codel / fq advice. */
#include "doctor/doctor.h"

#include <linux/pkt_sched.h>
#include <stdio.h>
#include <string.h>

static bool is_top(const struct rtnl_qdisc *q) { return q->parent == TC_H_ROOT || q->parent == TC_H_INGRESS; }

static const struct rtnl_qdisc *find_q(const struct rtnl_qdiscs *qs, const struct rtnl_qdisc *q)
{
	for (size_t i = 0; i < qs->n; i++)
		if (qs->v[i].ifindex == q->ifindex && qs->v[i].handle == q->handle &&
		    qs->v[i].parent == q->parent && strcmp(qs->v[i].kind, q->kind) == 0)
			return &qs->v[i];
	return NULL;
}

/* Increases of q since the first sample; a qdisc created since starts at 0. */
struct qd { uint32_t drops, overlimits; uint64_t packets, bytes; };

static struct qd qdelta(const struct evidence *ev, const struct rtnl_qdisc *q)
{
	const struct rtnl_qdisc *p = find_q(&ev->qdiscs[0], q);
	struct qd d = { q->drops, q->overlimits, q->packets, q->bytes };
	if (p) {
		d.drops = q->drops - p->drops; /* 32-bit counters: wrap-safe */
		d.overlimits = q->overlimits - p->overlimits;
		d.packets = q->packets >= p->packets ? q->packets - p->packets : 0;
		d.bytes = q->bytes >= p->bytes ? q->bytes - p->bytes : 0;
	}
	return d;
}

static const char *ifname(const struct evidence *ev, int ifindex, char *buf, size_t n)
{
	const struct rtnl_link *l = rtnl_link_by_index(&ev->links[ev->nsamples - 1], ifindex);
	if (l)
		return l->name;
	snprintf(buf, n, "if%d", ifindex);
	return buf;
}

static bool is_aqm(const char *k)
{
	static const char *const aqm[] = { "fq_codel", "codel", "cake", "pie", "fq_pie", "red", "choke", "sfb" };
	for (size_t i = 0; i < sizeof(aqm) / sizeof(aqm[0]); i++)
		if (strcmp(k, aqm[i]) == 0)
			return true;
	return false;
}

static bool is_fifo(const char *k)
{
	return !strcmp(k, "pfifo_fast") || !strcmp(k, "pfifo") || !strcmp(k, "bfifo") ||
	       !strcmp(k, "pfifo_head_drop");
}

static bool is_multiq(const char *k)
{
	return !strcmp(k, "mq") || !strcmp(k, "mqprio") || !strcmp(k, "multiq") || !strcmp(k, "taprio");
}

static bool is_shaper(const char *k)
{
	return !strcmp(k, "tbf") || !strcmp(k, "htb") || !strcmp(k, "hfsc") || !strcmp(k, "cbq");
}

/* ---- drops and standing backlog ---- */

static const struct rule_threshold drop_thr[] = {
	{ "critical_per_s", 1000, "drops per second on one interface that make it critical" },
	{ "critical_ratio", 0.1, "share of packets dropped (at least 100) that makes it critical" },
	{ "aqm_info_ratio", 0.01, "AQM qdiscs (fq_codel, cake, ...) dropping less than this: info" },
	{ "delay_info_ms", 10, "standing queue, in ms of the interface's send rate, worth an info" },
	{ "delay_warning_ms", 100, "standing queue delay that makes a warning" },
	{ NULL, 0, NULL },
};

/* One interface's qdiscs between the samples. */
struct qiface {
	int ifindex;
	const char *name;
	char namebuf[24];
	const struct rtnl_qdisc *root, *ing, *leaf; /* leaf: the child that dropped most */
	const struct rtnl_qdisc *r0;                /* root at the first sample */
	uint64_t drops, sent;                       /* increases, packets */
	bool standing;                              /* backlog at both samples */
	double bps;                                 /* root's bytes sent per second */
	double delay_ms;                            /* standing backlog / bps; 1e9: not draining */
	bool multi;                                 /* mq & co. with per-queue children */
	const char *lk;                             /* the kind that does the queueing */
	char kinds[64];                             /* "mq (fq_codel per queue)" */
	double rate, ratio;                         /* drops per second, share of packets */
	enum severity sev, qsev;                    /* the finding's; the standing queue's */
};

/* Drops of the tree (the root's, or its children's sum if larger) and of
 * ingress, packets sent, and the standing queue. */
static void qi_gather(struct qiface *x, const struct evidence *ev, int ifindex)
{
	const struct rtnl_qdiscs *qs = &ev->qdiscs[1];
	uint32_t leaf_drops = 0;
	uint64_t tree = 0, kids = 0, ingress = 0, sent_bytes = 0;

	memset(x, 0, sizeof(*x));
	x->ifindex = ifindex;
	for (size_t i = 0; i < qs->n; i++) {
		const struct rtnl_qdisc *q = &qs->v[i];
		if (q->ifindex != ifindex || !q->has_stats)
			continue;
		struct qd d = qdelta(ev, q);
		if (q->parent == TC_H_ROOT) {
			x->root = q;
			tree = d.drops;
			x->sent = d.packets;
			sent_bytes = d.bytes;
		} else if (q->parent == TC_H_INGRESS) {
			x->ing = q;
			ingress += d.drops;
		} else {
			kids += d.drops; /* classful parents usually count their children's drops too */
			if (!x->leaf || d.drops > leaf_drops)
				x->leaf = q, leaf_drops = d.drops;
		}
	}
	if (kids > tree)
		tree = kids;
	x->drops = tree + ingress;
	x->r0 = x->root ? find_q(&ev->qdiscs[0], x->root) : NULL;
	x->standing = x->root && x->r0 && x->root->qlen && x->r0->qlen && x->root->backlog &&
		      x->r0->backlog;
	x->bps = (double)sent_bytes / ev->interval;
	x->delay_ms = x->standing ? (x->bps > 0 ? x->root->backlog / x->bps * 1000 : 1e9) : 0;
}

/* Names, kinds and severities, once the interface is worth a finding. */
static void qi_judge(struct qiface *x, const struct report *r, const struct evidence *ev)
{
	x->name = ifname(ev, x->ifindex, x->namebuf, sizeof(x->namebuf));
	const char *kind = x->root ? x->root->kind : x->ing ? x->ing->kind : "?";
	x->multi = x->root && is_multiq(x->root->kind) && x->leaf;
	snprintf(x->kinds, sizeof(x->kinds), x->multi ? "%s (%s per queue)" : "%s", kind,
		 x->leaf ? x->leaf->kind : "");
	x->lk = x->multi ? x->leaf->kind : kind;
	x->rate = (double)x->drops / ev->interval;
	x->ratio = (double)x->drops / (double)(x->drops + x->sent);
	x->sev = SEV_NONE;
	if (x->drops) {
		x->sev = x->rate >= rule_threshold(r, "critical_per_s") ||
				 (x->ratio >= rule_threshold(r, "critical_ratio") && x->drops >= 100)
			 ? SEV_CRITICAL : SEV_WARNING;
		if (x->sev == SEV_WARNING && is_aqm(x->lk) && x->ratio < rule_threshold(r, "aqm_info_ratio"))
			x->sev = SEV_INFO;
	}
	x->qsev = x->delay_ms >= rule_threshold(r, "delay_warning_ms") ? SEV_WARNING
		  : x->delay_ms >= rule_threshold(r, "delay_info_ms")  ? SEV_INFO : SEV_NONE;
	if (x->qsev > x->sev)
		x->sev = x->qsev;
}

static struct finding *qi_finding(struct report *r, const struct qiface *x, const struct evidence *ev)
{
	char queue[160] = "", delay[48] = "";

	if (x->qsev)
		snprintf(queue, sizeof(queue), "%sa standing queue of %u bytes (%u packets)%s",
			 x->drops ? "; " : "", x->root->backlog, x->root->qlen,
			 x->bps > 0 ? "" : " that is not draining");
	if (x->qsev && x->bps > 0)
		snprintf(delay, sizeof(delay), x->delay_ms < 1000 ? ", about %.0f ms of sending"
				 : ", about %.1f s of sending",
			 x->delay_ms < 1000 ? x->delay_ms : x->delay_ms / 1000);
	if (x->drops)
		return finding_add(r, x->sev, x->name, "qdisc %s on %s dropped %llu packets in %.1f s (%.1f/s, "
				   "%.1f%% of what it was given)%s", x->kinds, x->name,
				   (unsigned long long)x->drops, ev->interval, x->rate, x->ratio * 100,
				   queue);
	return finding_add(r, x->sev, x->name, "qdisc %s on %s holds %s%s", x->kinds, x->name, queue, delay);
}

/* Every qdisc of the interface that dropped or sent, the standing queue at
 * both samples, and the numbers to export. */
static void qi_evidence(struct finding *f, const struct qiface *x, const struct evidence *ev)
{
	const struct rtnl_qdiscs *qs = &ev->qdiscs[1];
	const struct rtnl_qdisc *root = x->root;
	char hb[16], pb[16];

	for (size_t i = 0; i < qs->n; i++) {
		const struct rtnl_qdisc *q = &qs->v[i];
		if (q->ifindex != x->ifindex || !q->has_stats)
			continue;
		struct qd d = qdelta(ev, q);
		if (!d.drops && !(is_top(q) && (d.packets || q->qlen)))
			continue;
		finding_evidence(f, "RTM_GETQDISC (tc -s qdisc)", "%s qdisc %s %s parent %s: dropped +%u "
				 "(%.1f/s), sent +%llu packets, overlimits +%u, backlog %ub %up", x->name,
				 q->kind, rtnl_tc_handle(q->handle, hb, sizeof(hb)),
				 rtnl_tc_handle(q->parent, pb, sizeof(pb)), d.drops,
				 (double)d.drops / ev->interval, (unsigned long long)d.packets,
				 d.overlimits, q->backlog, q->qlen);
	}
	if (x->standing)
		finding_evidence(f, "RTM_GETQDISC (tc -s qdisc)", "%s backlog %ub %up, then %ub %up; "
				 "sent %.0f bytes/s", x->name, x->r0->backlog, x->r0->qlen, root->backlog,
				 root->qlen, x->bps);
	finding_value(f, "drops", (double)x->drops);
	finding_value(f, "drops_per_s", x->rate);
	finding_value(f, "drop_ratio", x->drops ? x->ratio : 0);
	finding_value(f, "backlog_bytes", root ? root->backlog : 0);
	finding_value(f, "qlen", root ? root->qlen : 0);
	if (x->qsev)
		finding_value(f, "queue_delay_ms", x->delay_ms < 1e9 ? x->delay_ms : -1);
}

/* The fix depends on what queues: a shaper, an AQM, per-queue FIFOs, a FIFO. */
static void qi_fix(struct finding *f, const struct qiface *x)
{
	const char *lk = x->lk, *name = x->name;

	if (is_shaper(lk))
		finding_fix(f, "%s limits the rate on purpose: packets beyond its rate and queue limit "
			       "are dropped or wait. Raise the rate if it is wrong (tc qdisc change dev %s "
			       "root %s rate R ...), or slow the senders; a longer limit only trades "
			       "drops for delay (put fq_codel under the shaper's classes to keep it short).",
			    lk, name, lk);
	else if (is_aqm(lk) || !strcmp(lk, "fq"))
		finding_fix(f, "%s drops to keep queues short when %s is saturated (fq also drops flows "
			       "over its flow_limit): the senders want more than the link carries. Find "
			       "the heavy flows (netlens ss), pace or slow them; raise limits (tc qdisc "
			       "change dev %s root %s limit N / flow_limit N) only if drops hit short bursts.",
			    lk, name, name, lk);
	else if (x->multi)
		finding_fix(f, "%s cannot send as fast as packets arrive and its per-queue FIFOs overflow "
			       "or stand full. Use an AQM that keeps delay low and drops fairly: sysctl -w "
			       "net.core.default_qdisc=fq_codel, then tc qdisc replace dev %s root %s (it "
			       "re-creates one default qdisc per queue; fq for a host that mostly sends "
			       "TCP). A longer queue (ip link set dev %s txqueuelen N) only adds delay.",
			    name, name, x->root->kind, name);
	else
		finding_fix(f, "%s cannot send as fast as packets arrive and its FIFO overflows or stands "
			       "full. Replace it with an AQM that keeps delay low and drops fairly: tc "
			       "qdisc replace dev %s root fq_codel (fq for a host that mostly sends TCP). "
			       "A longer queue (ip link set dev %s txqueuelen N) only adds delay.",
			    name, name, name);
}

static void check_iface(struct report *r, const struct evidence *ev, int ifindex)
{
	struct qiface x;

	qi_gather(&x, ev, ifindex);
	if (!x.drops && x.delay_ms < rule_threshold(r, "delay_info_ms"))
		return;
	qi_judge(&x, r, ev);
	struct finding *f = qi_finding(r, &x, ev);
	qi_evidence(f, &x, ev);
	qi_fix(f, &x);
}

static void check_drops(struct report *r, const struct evidence *ev)
{
	if (!ev->have_qdiscs)
		return rule_skip(r, "no qdisc list (RTM_GETQDISC)");
	if (ev->nsamples < 2)
		return;
	const struct rtnl_qdiscs *qs = &ev->qdiscs[1];
	for (size_t i = 0; i < qs->n; i++) {
		bool first = true; /* each interface once, at its first qdisc */
		for (size_t j = 0; j < i && first; j++)
			first = qs->v[j].ifindex != qs->v[i].ifindex;
		if (first)
			check_iface(r, ev, qs->v[i].ifindex);
	}
}

DOCTOR_RULE(qdisc_drops, .id = "qdisc-drops", .area = "qdisc",
	    .title = "qdisc drops rising, and standing queues",
	    .explain =
		"Packets an interface cannot send at once wait in its queueing discipline (tc qdisc).\n"
		"When that queue is at its limit (a FIFO's limit is the interface's txqueuelen), a\n"
		"shaper's rate is exceeded (tbf, htb) or an AQM decides a flow has queued too long\n"
		"(fq_codel, cake), the qdisc drops the packet and counts it (tc -s qdisc: dropped).\n"
		"Local TCP senders see this as loss and slow down; UDP senders usually do not notice\n"
		"(UdpSndbufErrors at most). A backlog present at both samples is a standing queue:\n"
		"every packet waits behind it, about backlog / send rate.\n"
		"Per interface: a warning when drops rise, critical from critical_per_s or\n"
		"critical_ratio of the packets; an AQM dropping under aqm_info_ratio is doing its\n"
		"job (info). Standing queues: info from delay_info_ms, warning from delay_warning_ms\n"
		"or when the queue does not drain. Classful qdiscs count their children's drops, so\n"
		"the root's count (or the children's sum, if larger) is used.",
	    .thresholds = drop_thr, .check = check_drops);

/* ---- long FIFO queues on busy interfaces ---- */

static const struct rule_threshold bloat_thr[] = {
	{ "min_txqlen", 1000, "txqueuelen from which a FIFO counts as long" },
	{ "busy_pps", 1000, "packets sent per second that make an interface busy" },
	{ NULL, 0, NULL },
};

static void check_bloat(struct report *r, const struct evidence *ev)
{
	char hb[16];

	if (!ev->have_qdiscs || !ev->have_links)
		return rule_skip(r, "no qdisc or interface list (RTM_GETQDISC, RTM_GETLINK)");
	if (ev->nsamples < 2)
		return;
	const struct rtnl_qdiscs *qs = &ev->qdiscs[1];
	const struct rtnl_links *ls = &ev->links[1];
	for (size_t i = 0; i < ls->n; i++) {
		const struct rtnl_link *l = &ls->v[i];
		const struct rtnl_link *p = rtnl_link_by_index(&ev->links[0], l->ifindex);
		if (!p || !l->has_stats || !p->has_stats || l->txqlen < rule_threshold(r, "min_txqlen"))
			continue;
		double pps = (double)(l->stats.tx_packets >= p->stats.tx_packets
					      ? l->stats.tx_packets - p->stats.tx_packets : 0) / ev->interval;
		if (pps < rule_threshold(r, "busy_pps"))
			continue;
		/* the root FIFO, or a FIFO under a multiqueue root (mq: one per tx queue) */
		const struct rtnl_qdisc *root = NULL, *fifo = NULL;
		unsigned nfifo = 0;
		for (size_t j = 0; j < qs->n; j++)
			if (qs->v[j].ifindex == l->ifindex && qs->v[j].parent == TC_H_ROOT)
				root = &qs->v[j];
		if (!root)
			continue;
		bool multi = is_multiq(root->kind);
		for (size_t j = 0; j < qs->n; j++) {
			const struct rtnl_qdisc *q = &qs->v[j];
			if (q->ifindex != l->ifindex || !is_fifo(q->kind))
				continue;
			if (q == root || (multi && TC_H_MAJ(q->parent) == TC_H_MAJ(root->handle))) {
				fifo = fifo ? fifo : q;
				nfifo++;
			}
		}
		if (!fifo)
			continue;
		struct finding *f = finding_add(r, SEV_INFO, l->name, "%s sends %.0f packets/s through a %s FIFO of "
						"%u packets: a full queue adds delay for every flow "
						"(bufferbloat)", l->name, pps, fifo->kind, l->txqlen);
		finding_evidence(f, "RTM_GETQDISC (tc qdisc)", "%s root qdisc %s %s%s%s (x%u)", l->name,
				 root->kind, rtnl_tc_handle(root->handle, hb, sizeof(hb)),
				 multi ? ", per tx queue " : "", multi ? fifo->kind : "", nfifo);
		finding_evidence(f, "RTM_GETLINK (ip link)", "%s txqueuelen %u, tx +%llu packets "
				 "(%.0f/s)", l->name, l->txqlen,
				 (unsigned long long)(l->stats.tx_packets - p->stats.tx_packets), pps);
		char dq[32];
		if (ev_sysctl_str(ev, "net.core.default_qdisc", dq, sizeof(dq)))
			finding_evidence(f, "/proc/sys/net/core/default_qdisc", "net.core.default_qdisc = %s", dq);
		else
			finding_evidence(f, "/proc/sys/net/core/default_qdisc", "net.core.default_qdisc "
					 "unreadable (host-wide: not visible inside a network namespace)");
		finding_value(f, "tx_packets_per_s", pps);
		finding_value(f, "txqueuelen", l->txqlen);
		if (multi)
			finding_fix(f, "sysctl -w net.core.default_qdisc=fq_codel (persist in /etc/sysctl.d/), "
				       "then tc qdisc replace dev %s root %s: it re-creates one default qdisc "
				       "per tx queue (fq_codel: per-flow queues, each kept near 5 ms of delay; "
				       "or fq on a host that mostly sends TCP: per-flow pacing, needed by BBR). "
				       "fq_codel drops or ECN-marks packets of flows that build a queue "
				       "instead of delaying everyone.", l->name, root->kind);
		else
			finding_fix(f, "tc qdisc replace dev %s root fq_codel (per-flow queues, each kept near "
				       "5 ms of delay; or fq on a host that mostly sends TCP: per-flow pacing, "
				       "needed by BBR); make it the default for new interfaces with sysctl -w "
				       "net.core.default_qdisc=fq_codel in /etc/sysctl.d/ (existing interfaces "
				       "keep theirs until their root qdisc is replaced). fq_codel drops or "
				       "ECN-marks packets of flows that build a queue instead of delaying "
				       "everyone.", l->name);
	}
}

DOCTOR_RULE(qdisc_bloat, .id = "qdisc-bufferbloat", .area = "qdisc",
	    .title = "long FIFO queues (pfifo_fast, pfifo) on busy interfaces",
	    .explain =
		"A FIFO qdisc (pfifo_fast, the kernel's built-in default, or pfifo/bfifo) holds up\n"
		"to txqueuelen packets (1000 by default) in arrival order. When the link is the\n"
		"bottleneck the queue fills, and every packet of every flow waits behind it: a\n"
		"bulk transfer adds its queue to the latency of DNS, SSH or VoIP (bufferbloat),\n"
		"and TCP's congestion control sees the delay late. AQM qdiscs fix it: fq_codel\n"
		"keeps a queue per flow and drops (or ECN-marks) when a packet waited more than\n"
		"5 ms; fq paces each flow and suits hosts that send TCP (BBR needs it or internal\n"
		"pacing); cake also shapes. net.core.default_qdisc picks the default for new\n"
		"interfaces (many distributions set fq_codel). Byte Queue Limits and TCP Small\n"
		"Queues already bound the queues below the qdisc. An info for interfaces sending\n"
		"at least busy_pps packets per second with txqueuelen from min_txqlen.",
	    .thresholds = bloat_thr, .check = check_bloat);
