/* Rules: TCP memory and TCP connection resources.
 *
 *   tcp-mem-pressure  the TCP memory pool against net.ipv4.tcp_mem (the press
 *                     flag of /proc/net/protocols, usage in pages, and the
 *                     counters the kernel bumps in pressure and above high)
 *   tcp-orphans       orphaned sockets against net.ipv4.tcp_max_orphans
 *   tcp-timewait      TIME-WAIT sockets against net.ipv4.tcp_max_tw_buckets,
 *                     TcpExtTCPTimeWaitOverflow
 *   ephemeral-ports   connections to one destination against the usable
 *                     part of net.ipv4.ip_local_port_range
 *
 * tcp_mem, tcp_max_orphans and the orphan count are host-wide (only the
 * initial namespace has the two sysctls); tcp_max_tw_buckets, the TIME-WAIT
 * count and the port range are per network namespace (kernel 6.x).
 * ephemeral-ports asks the evidence for TIME-WAIT sockets (ev_timewait(),
 * a dump of their own) only when they could matter.
 */
#include "doctor/doctor.h"
#include "sources/sockdiag.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static long long pos(long long v) { return v > 0 ? v : 0; }

static void counter_ev(struct finding *f, const struct evidence *ev, const char *name,
		       const char *what)
{
	long long d = ev_delta(ev, name);
	double rate = ev_rate(ev, name);
	char r[32] = "";

	if (d < 0)
		return;
	if (rate > 0)
		snprintf(r, sizeof(r), " (%.1f/s)", rate);
	finding_evidence(f, "/proc/net/netstat", "%s +%lld%s: %s", name, d, r, what);
}

/* ---- tcp-mem-pressure ---- */

static const struct rule_threshold tcpmem_thr[] = {
	{ "near_fraction", 0.8, "usage as a share of the pressure threshold that gives an info" },
	{ NULL, 0, NULL },
};

/* The sockets with the most bytes queued: who holds TCP memory. */
static void top_queues(struct finding *f, const struct evidence *ev)
{
	const struct ev_sock *top[3] = { NULL, NULL, NULL };
	char a[64], b[64];

	for (size_t i = 0; i < ev->nsocks; i++) {
		const struct ev_sock *s = &ev->socks[i];
		uint64_t q = (uint64_t)s->rqueue + s->wqueue;
		if (s->kind != SK_TCP || s->state == SS_LISTEN || q == 0)
			continue;
		for (int k = 0; k < 3; k++) {
			if (!top[k] || q > (uint64_t)top[k]->rqueue + top[k]->wqueue) {
				memmove(&top[k + 1], &top[k], (size_t)(2 - k) * sizeof(top[0]));
				top[k] = s;
				break;
			}
		}
	}
	for (int k = 0; k < 3 && top[k]; k++)
		finding_evidence(f, "sock_diag", "%s -> %s: %u bytes unread (Recv-Q), %u unsent (Send-Q)",
				 ev_endpoint(top[k], true, a, sizeof(a)),
				 ev_endpoint(top[k], false, b, sizeof(b)), top[k]->rqueue, top[k]->wqueue);
}

/* What the pool and the counters say, judged once for the whole rule. */
struct tcpmem {
	struct sockmem_pool_state st; /* zeroed when unreadable */
	long long pressures, chrono, rcvpruned, qdrop, abortmem, abortfail; /* increases */
	bool zoned;    /* usage and thresholds known */
	bool above;    /* above tcp_mem's high */
	bool pressure; /* in pressure now or between the samples */
	bool dropping; /* data dropped or connections aborted for memory */
	bool near;     /* below pressure, but past near_fraction of it */
};

static void tcpmem_judge(struct tcpmem *m, const struct report *r, const struct evidence *ev)
{
	const struct sockmem_pool_state *pool = ev_tcp_pool(ev);
	const struct sockmem_pool_state *st = &m->st;

	if (pool)
		m->st = *pool;
	else
		memset(&m->st, 0, sizeof(m->st));
	m->pressures = ev_delta(ev, "TcpExtTCPMemoryPressures");
	m->chrono = ev_delta(ev, "TcpExtTCPMemoryPressuresChrono");
	m->rcvpruned = ev_delta(ev, "TcpExtRcvPruned");
	m->qdrop = ev_delta(ev, "TcpExtTCPRcvQDrop");
	m->abortmem = ev_delta(ev, "TcpExtTCPAbortOnMemory");
	m->abortfail = ev_delta(ev, "TcpExtTCPAbortFailed");
	m->zoned = st->have_usage && st->have_thr;
	m->above = m->zoned && st->zone == ZONE_ABOVE_HIGH;
	m->pressure = (st->have_press && st->in_pressure) ||
		      (m->zoned && st->zone >= ZONE_PRESSURE_TO_HIGH) || m->pressures > 0 ||
		      m->chrono > 0;
	/* TCPAbortOnMemory is TCP's doing only above high; below, orphans (tcp-orphans) */
	m->dropping = m->rcvpruned > 0 || m->qdrop > 0 || m->abortfail > 0 ||
		      (m->abortmem > 0 && (m->above || !m->zoned));
	m->near = m->zoned && st->zone == ZONE_LOW_TO_PRESSURE &&
		  (double)st->pages >= rule_threshold(r, "near_fraction") * (double)st->thr[1];
}

/* The finding's headline and severity; NULL when there is nothing to say. */
static struct finding *tcpmem_finding(struct report *r, const struct tcpmem *m)
{
	if (m->pressure || m->above) {
		enum severity sev = m->above || m->dropping ? SEV_CRITICAL : SEV_WARNING;
		if (m->above)
			return finding_add(r, sev, "net.ipv4.tcp_mem", "TCP memory is above tcp_mem's hard limit: incoming "
					   "data is dropped and connections are reset (\"TCP: out of "
					   "memory\")");
		if (m->dropping)
			return finding_add(r, sev, "net.ipv4.tcp_mem", "TCP memory pressure is dropping data and aborting "
					   "connections");
		return finding_add(r, sev, "net.ipv4.tcp_mem",
				   "TCP is in memory pressure: socket buffers are capped and "
				   "receive windows shrink");
	}
	if (m->near)
		return finding_add(r, SEV_INFO, "net.ipv4.tcp_mem",
				   "TCP memory is at %.0f%% of tcp_mem's pressure threshold",
				   100.0 * (double)m->st.pages / (double)m->st.thr[1]);
	if (m->rcvpruned > 0 || m->qdrop > 0) /* not the pool: single sockets ran out of buffer */
		return finding_add(r, SEV_WARNING, "net.ipv4.tcp_rmem",
				   "TCP receive queues dropped data at their socket "
				   "buffer limits (tcp_mem is not in pressure)");
	return NULL;
}

/* The pool, its thresholds and zone, the counters that moved, who holds
 * the memory, and the numbers to export. */
static void tcpmem_evidence(struct finding *f, const struct tcpmem *m, const struct evidence *ev)
{
	static const char *const ctrs[][2] = {
		{ "TcpExtTCPMemoryPressuresChrono", "ms spent in pressure" },
		{ "TcpExtOfoPruned", "out-of-order data thrown away" },
		{ "TcpExtPruneCalled", "receive queues collapsed to free memory" },
		{ "TcpExtRcvPruned", "collapsing was not enough: data dropped" },
		{ "TcpExtTCPRcvQDrop", "incoming segments dropped for lack of memory" },
		{ "TcpExtTCPAbortOnMemory", "connections reset (out of memory or too many orphans)" },
		{ "TcpExtTCPAbortFailed", "a reset could not even be sent" },
	};
	const struct sockmem_pool_state *st = &m->st;
	double page = sysconf(_SC_PAGESIZE) > 0 ? (double)sysconf(_SC_PAGESIZE) : 4096;

	if (st->have_usage && st->have_press)
		finding_evidence(f, "/proc/net/protocols", "TCP memory %llu pages (%.1f MiB), press %s",
				 (unsigned long long)st->pages,
				 (double)st->pages * page / 1048576.0, st->in_pressure ? "yes" : "no");
	if (st->have_thr)
		finding_evidence(f, "/proc/sys/net/ipv4/tcp_mem",
				 "net.ipv4.tcp_mem = %llu %llu %llu (low, pressure, high in pages)",
				 (unsigned long long)st->thr[0], (unsigned long long)st->thr[1],
				 (unsigned long long)st->thr[2]);
	else
		finding_evidence(f, "/proc/sys/net/ipv4/tcp_mem", "net.ipv4.tcp_mem unreadable (only the "
				 "initial network namespace has it): zone unknown");
	if (m->zoned)
		finding_evidence(f, "tcp_mem zone", "%s", sockmem_zone_meaning(st->zone, st->in_pressure));
	counter_ev(f, ev, "TcpExtTCPMemoryPressures", "times TCP entered memory pressure");
	for (size_t i = 0; i < sizeof(ctrs) / sizeof(ctrs[0]); i++)
		if (ev_delta(ev, ctrs[i][0]) > 0)
			counter_ev(f, ev, ctrs[i][0], ctrs[i][1]);
	if (m->pressure || m->above || m->rcvpruned > 0 || m->qdrop > 0)
		top_queues(f, ev);
	if (st->have_usage)
		finding_value(f, "pages", (double)st->pages);
	for (int i = 0; i < 3 && st->have_thr; i++)
		finding_value(f, (const char *[]){ "low", "pressure", "high" }[i], (double)st->thr[i]);
	finding_value(f, "in_pressure", st->in_pressure);
	finding_value(f, "pressures", (double)pos(m->pressures));
	finding_value(f, "drops", (double)(pos(m->rcvpruned) + pos(m->qdrop)));
	finding_value(f, "aborts", (double)(pos(m->abortmem) + pos(m->abortfail)));
}

static void tcpmem_fix(struct finding *f, const struct tcpmem *m)
{
	const struct sockmem_pool_state *st = &m->st;

	if (!m->pressure && !m->above && !m->near) {
		finding_fix(f, "a few sockets receive faster than their applications read: find them "
			       "(ss -tmn: large Recv-Q, rb near its limit) and make them read faster, or "
			       "let them grow (net.ipv4.tcp_rmem max, no fixed SO_RCVBUF); the sender "
			       "retransmits what was dropped.");
		return;
	}
	char raise[128] = "raise net.ipv4.tcp_mem in the initial namespace (double it)";
	if (st->have_thr)
		snprintf(raise, sizeof(raise), "sysctl -w net.ipv4.tcp_mem=\"%llu %llu %llu\" (double it)",
			 (unsigned long long)st->thr[0] * 2, (unsigned long long)st->thr[1] * 2,
			 (unsigned long long)st->thr[2] * 2);
	finding_fix(f, "first find who holds the memory: ss -tmn shows each socket's queues (a large "
		       "Recv-Q is an application that stopped reading, a large Send-Q a slow peer); "
		       "fixing those frees it. If the load is legitimate, raise the pool: %s and persist "
		       "it in /etc/sysctl.d/, or lower the per-socket maxima in net.ipv4.tcp_rmem and "
		       "tcp_wmem. Trade-off: tcp_mem is unswappable kernel memory taken from everything "
		       "else.", raise);
}

static void check_tcpmem(struct report *r, const struct evidence *ev)
{
	struct tcpmem m;

	if (!ev->have_protos && !ev->have_ctr)
		return rule_skip(r, "neither /proc/net/protocols nor the protocol counters are readable");
	tcpmem_judge(&m, r, ev);
	struct finding *f = tcpmem_finding(r, &m);
	if (!f)
		return;
	tcpmem_evidence(f, &m, ev);
	tcpmem_fix(f, &m);
}

DOCTOR_RULE(tcp_mem_pressure, .id = "tcp-mem-pressure", .area = "tcp-memory",
	    .title = "TCP memory pool against net.ipv4.tcp_mem: pressure, hard limit, prunes, drops",
	    .explain =
		"All TCP sockets draw buffer memory from one host-wide pool, counted in pages\n"
		"(/proc/net/protocols, column memory; sockstat 'TCP mem'). net.ipv4.tcp_mem holds three\n"
		"thresholds, low pressure high (pages; by default about 4.7%, 6.25% and 9.4% of\n"
		"memory). Above pressure TCP enters memory pressure (press yes,\n"
		"TcpExtTCPMemoryPressures +1, ms in TcpExtTCPMemoryPressuresChrono): it caps socket\n"
		"buffers, shrinks advertised receive windows (down to zero), collapses receive queues\n"
		"(TcpExtPruneCalled) and throws away out-of-order data (TcpExtOfoPruned), so\n"
		"throughput collapses. It stays in pressure until usage falls to low.\n"
		"Above high is the hard limit: new segments are dropped (TcpExtTCPRcvQDrop,\n"
		"TcpExtRcvPruned), senders block waiting for memory, and a socket closed with data\n"
		"still queued, or an orphan retransmitting, is reset: the kernel logs \"TCP: out of\n"
		"memory -- consider tuning tcp_mem\" and counts TcpExtTCPAbortOnMemory\n"
		"(TcpExtTCPAbortFailed when even the reset cannot be allocated).\n"
		"Usually a few applications stop reading (large Recv-Q) or peers stop acknowledging\n"
		"(large Send-Q); find them with `ss -tmn` first. Raising tcp_mem gives TCP more\n"
		"unswappable memory at the expense of the rest of the system.\n"
		"Without pool pressure, TcpExtRcvPruned/TcpExtTCPRcvQDrop mean single sockets hit\n"
		"their own receive buffer (a warning of its own).",
	    .thresholds = tcpmem_thr, .check = check_tcpmem);

/* ---- tcp-orphans ---- */

static const struct rule_threshold orphan_thr[] = {
	{ "warn_fraction", 0.25, "orphans / tcp_max_orphans that gives a warning" },
	{ "critical_fraction", 0.5, "orphans / tcp_max_orphans that makes it critical" },
	{ NULL, 0, NULL },
};

/* FIN-WAIT-2 is left out: after close() it is a TIME-WAIT bucket, not an orphan
 * (unless tcp_fin_timeout exceeds 60 s) */
static bool orphan_state(uint8_t st)
{
	return st == SS_FIN_WAIT1 || st == SS_CLOSING || st == SS_LAST_ACK;
}

static int peer_cmp(const void *a, const void *b)
{
	const struct ev_sock *x = a, *y = b;
	return x->family != y->family ? (int)x->family - (int)y->family : memcmp(x->dst, y->dst, 16);
}

static void check_orphans(struct report *r, const struct evidence *ev)
{
	long long max = ev_sysctl(ev, "net.ipv4.tcp_max_orphans");
	long long orphans = ev->have_sockstat ? sockstat_get(&ev->sockstat, "TCP", "orphan") : -1;
	long long abortmem = ev_delta(ev, "TcpExtTCPAbortOnMemory");

	if (orphans < 0 && abortmem <= 0)
		return rule_skip(r, "no orphan count (/proc/net/sockstat)");
	if (max <= 0 && abortmem <= 0)
		return rule_skip(r, "net.ipv4.tcp_max_orphans is unreadable (only the initial network "
				    "namespace has it)");
	/* aborts are out-of-memory ones above tcp_mem's high (tcp-mem-pressure says
	 * so); with tcp_mem unknown, pressure makes that a possibility too */
	const struct sockmem_pool_state *st = ev_tcp_pool(ev);
	bool mem = st && (st->have_usage && st->have_thr ? st->zone == ZONE_ABOVE_HIGH
							 : st->have_press && st->in_pressure);
	double frac = max > 0 && orphans >= 0 ? (double)orphans / (double)max : 0;
	bool aborting = abortmem > 0 && !mem;
	enum severity sev = aborting || frac >= rule_threshold(r, "critical_fraction") ? SEV_CRITICAL
			    : frac >= rule_threshold(r, "warn_fraction")                 ? SEV_WARNING
											 : SEV_NONE;
	if (sev == SEV_NONE)
		return;
	struct finding *f;
	if (aborting)
		f = finding_add(r, sev, "net.ipv4.tcp_max_orphans",
				"orphaned TCP sockets are being reset (\"too many orphaned "
				"sockets\"): %lld aborts in %.1f s", abortmem, ev->interval);
	else
		f = finding_add(r, sev, "net.ipv4.tcp_max_orphans",
				"%lld orphaned TCP sockets, %.0f%% of net.ipv4.tcp_max_orphans: "
				"the kernel resets orphans early from 25%%", orphans, 100 * frac);
	if (orphans >= 0)
		finding_evidence(f, "/proc/net/sockstat", "TCP orphan %lld (host-wide)", orphans);
	if (max > 0)
		finding_evidence(f, "/proc/sys/net/ipv4/tcp_max_orphans",
				 "net.ipv4.tcp_max_orphans = %lld (%.1f%% used)", max, 100 * frac);
	else
		finding_evidence(f, "/proc/sys/net/ipv4/tcp_max_orphans", "net.ipv4.tcp_max_orphans "
				 "unreadable (only the initial network namespace has it)");
	counter_ev(f, ev, "TcpExtTCPAbortOnMemory", "connections reset for too many orphans or "
		   "out of memory");
	/* orphans visible here: closing sockets no process owns (inode 0), by peer */
	size_t n[SS_STATE_MAX] = { 0 }, total = 0, peer_n = 0;
	struct ev_sock *o = NULL;
	for (size_t i = 0; i < ev->nsocks; i++) {
		const struct ev_sock *s = &ev->socks[i];
		if (s->kind != SK_TCP || s->inode || !orphan_state(s->state))
			continue;
		n[s->state]++;
		if (!o && !(o = malloc(ev->nsocks * sizeof(*o))))
			break;
		o[total++] = *s;
	}
	if (total) {
		qsort(o, total, sizeof(*o), peer_cmp);
		size_t best = 0;
		for (size_t i = 0, j; i < total; i = j) {
			for (j = i; j < total && peer_cmp(&o[i], &o[j]) == 0; j++)
				;
			if (j - i > peer_n) {
				peer_n = j - i;
				best = i;
			}
		}
		char a[INET6_ADDRSTRLEN] = "?";
		inet_ntop(o[best].family, o[best].dst, a, sizeof(a));
		finding_evidence(f, "sock_diag", "in this namespace: %zu without a process: FIN-WAIT-1 "
				 "%zu, CLOSING %zu, LAST-ACK %zu; most to %s (%zu)", total, n[SS_FIN_WAIT1],
				 n[SS_CLOSING], n[SS_LAST_ACK], a, peer_n);
	}
	free(o);
	finding_value(f, "orphans", (double)pos(orphans));
	finding_value(f, "max_orphans", (double)pos(max));
	finding_value(f, "fraction", frac);
	finding_value(f, "aborts", (double)pos(abortmem));
	finding_fix(f, "orphans are connections the application closed whose data or FIN the peer "
		       "has not acknowledged: find the peers (ss -tn state fin-wait-1 state last-ack "
		       "state closing) and why they stop reading. Retire them sooner with "
		       "sysctl -w net.ipv4.tcp_orphan_retries=2 (0 means 8 retries); raise the limit "
		       "with sysctl -w net.ipv4.tcp_max_orphans=%lld only if memory allows: each orphan "
		       "may hold up to about 64 KiB of unswappable memory.",
		    max > 0 ? max * 2 : 131072);
}

DOCTOR_RULE(tcp_orphans, .id = "tcp-orphans", .area = "tcp-conns",
	    .title = "orphaned TCP sockets near net.ipv4.tcp_max_orphans",
	    .explain =
		"An orphan is a TCP socket the application has closed while the kernel still\n"
		"delivers its last data and FIN (FIN-WAIT-1, CLOSING, LAST-ACK with no process).\n"
		"Their number is host-wide (sockstat 'TCP orphan'); net.ipv4.tcp_max_orphans bounds\n"
		"it (initial namespace only). When an orphan's retransmission or window-probe timer\n"
		"fires, the kernel compares the count with the limit, counting double for an orphan that\n"
		"sent nothing for over 4 minutes (or timed out), again double after an ICMP error\n"
		"came in: so some orphans are reset from a quarter of the limit, all beyond it; and\n"
		"close() resets a socket at once when the limit is exceeded. Each reset counts\n"
		"TcpExtTCPAbortOnMemory (shared with the out-of-memory aborts above tcp_mem's high,\n"
		"see tcp-mem-pressure) and logs \"too many orphaned sockets\"; the peer sees a RST and\n"
		"may lose the tail of a response. Thresholds follow that: warning at 25%, critical\n"
		"at 50%, or when the aborts rise while TCP memory is not above high.\n"
		"Fix the cause (peers that stop reading, a flood of short connections closed with\n"
		"unsent data); tcp_orphan_retries retires them sooner; raising tcp_max_orphans costs\n"
		"up to about 64 KiB of kernel memory per orphan.",
	    .thresholds = orphan_thr, .check = check_orphans);

/* ---- tcp-timewait ---- */

static const struct rule_threshold tw_thr[] = {
	{ "near_fraction", 0.9, "TIME-WAIT / tcp_max_tw_buckets that gives an info" },
	{ NULL, 0, NULL },
};

static void check_timewait(struct report *r, const struct evidence *ev)
{
	long long max = ev_sysctl(ev, "net.ipv4.tcp_max_tw_buckets");
	long long tw = ev->have_sockstat ? sockstat_get(&ev->sockstat, "TCP", "tw") : -1;
	long long ovf = ev_delta(ev, "TcpExtTCPTimeWaitOverflow");

	if (max < 0)
		return rule_skip(r, "net.ipv4.tcp_max_tw_buckets is unreadable");
	if (tw < 0 && ovf < 0)
		return rule_skip(r, "neither /proc/net/sockstat nor TcpExtTCPTimeWaitOverflow is readable");
	double frac = max > 0 && tw >= 0 ? (double)tw / (double)max : (max == 0 ? 1 : 0);
	struct finding *f;
	if (ovf > 0)
		f = finding_add(r, SEV_WARNING, "net.ipv4.tcp_max_tw_buckets",
				"TIME-WAIT table full: %lld connections closed without "
				"TIME-WAIT in %.1f s (tcp_max_tw_buckets %lld)", ovf, ev->interval, max);
	else if (frac >= rule_threshold(r, "near_fraction"))
		f = finding_add(r, SEV_INFO, "net.ipv4.tcp_max_tw_buckets",
				"TIME-WAIT sockets at %.0f%% of net.ipv4.tcp_max_tw_buckets: "
				"further closes will skip TIME-WAIT", 100 * frac);
	else
		return;
	if (tw >= 0)
		finding_evidence(f, "/proc/net/sockstat", "TCP tw %lld (this network namespace)", tw);
	finding_evidence(f, "/proc/sys/net/ipv4/tcp_max_tw_buckets", "net.ipv4.tcp_max_tw_buckets = %lld",
			 max);
	counter_ev(f, ev, "TcpExtTCPTimeWaitOverflow", "closes that found no TIME-WAIT bucket");
	finding_value(f, "timewait", (double)pos(tw));
	finding_value(f, "max_tw_buckets", (double)max);
	finding_value(f, "overflows", (double)pos(ovf));
	long long reuse = ev_sysctl(ev, "net.ipv4.tcp_tw_reuse");
	finding_fix(f, "if the limit was lowered on purpose this is the intended effect; otherwise "
		       "raise it: sysctl -w net.ipv4.tcp_max_tw_buckets=%lld (a bucket costs a few hundred "
		       "bytes). Fewer TIME-WAITs: keep connections alive and reuse them; let the client "
		       "close first so the TIME-WAIT stays with it%s. Skipping TIME-WAIT risks a lost "
		       "final ACK (the peer gets a RST) and old segments reaching a new connection on "
		       "the same ports.",
		    max < 65536 ? 262144 : max * 2,
		    reuse == 1 ? "" : "; on clients sysctl -w net.ipv4.tcp_tw_reuse=1 reuses them safely "
				      "for new outgoing connections (needs timestamps)");
}

DOCTOR_RULE(tcp_timewait, .id = "tcp-timewait", .area = "tcp-conns",
	    .title = "TIME-WAIT near net.ipv4.tcp_max_tw_buckets, TcpExtTCPTimeWaitOverflow",
	    .explain =
		"The side that closes a TCP connection first keeps it in TIME-WAIT for 60 s, so that\n"
		"a lost final ACK can be repeated and late segments cannot reach a new connection on\n"
		"the same four-tuple. A TIME-WAIT bucket is small (no buffers), but their number is\n"
		"bounded by net.ipv4.tcp_max_tw_buckets, per network namespace (sockstat 'TCP tw').\n"
		"When it is reached the kernel closes the socket without TIME-WAIT and counts\n"
		"TcpExtTCPTimeWaitOverflow: harmless mostly, but the peer may get a RST for its FIN\n"
		"retransmission, and a quickly reused port can take an old segment (timestamps and\n"
		"PAWS make that unlikely). Some operators lower the limit on purpose; then this is\n"
		"the expected effect. Fewer TIME-WAITs come from connection reuse (keep-alive,\n"
		"pools); tcp_tw_reuse=1 lets clients reuse them for new outgoing connections.",
	    .thresholds = tw_thr, .check = check_timewait);

/* ---- ephemeral-ports ---- */

static const struct rule_threshold eph_thr[] = {
	{ "warn_fraction", 0.5, "connections to one destination / usable ports: warning" },
	{ "critical_fraction", 0.9, "connections to one destination / usable ports: critical" },
	{ NULL, 0, NULL },
};

struct eph_key {
	uint8_t family, tw, loop;
	uint16_t dport;
	uint8_t src[16], dst[16];
};

struct eph {
	struct eph_key *v;
	size_t n, cap;
	unsigned lo, hi;
	int err;
};

static bool is_loopback(int family, const uint8_t *a)
{
	static const uint8_t v6lo[16] = { [15] = 1 }, mapped[12] = { [10] = 0xff, [11] = 0xff };
	if (family == AF_INET)
		return a[0] == 127;
	return memcmp(a, v6lo, 16) == 0 || (memcmp(a, mapped, 12) == 0 && a[12] == 127);
}

static bool eph_add(struct eph *e, int family, uint8_t state, uint16_t sport, uint16_t dport,
		    const uint8_t *src, const uint8_t *dst)
{
	if (sport < e->lo || sport > e->hi || !dport || state == SS_LISTEN || state == SS_CLOSE)
		return true;
	if (e->n == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 256;
		struct eph_key *v = realloc(e->v, cap * sizeof(*v));
		if (!v)
			return false;
		e->v = v;
		e->cap = cap;
	}
	struct eph_key *k = &e->v[e->n++];
	memset(k, 0, sizeof(*k));
	k->family = (uint8_t)family;
	k->tw = state == SS_TIME_WAIT;
	k->loop = is_loopback(family, src) || is_loopback(family, dst);
	k->dport = dport;
	memcpy(k->src, src, 16);
	memcpy(k->dst, dst, 16);
	return true;
}

static int key_cmp(const void *a, const void *b)
{
	const struct eph_key *x = a, *y = b;
	int c = (int)x->family - (int)y->family;
	if (!c)
		c = memcmp(x->dst, y->dst, 16);
	if (!c)
		c = (int)x->dport - (int)y->dport;
	if (!c)
		c = memcmp(x->src, y->src, 16);
	return c;
}

/* Sorted by key_cmp; an empty list (v may be NULL) is left alone: qsort()
 * of a null pointer is undefined even for no elements. */
static void eph_sort(struct eph *e)
{
	if (e->n)
		qsort(e->v, e->n, sizeof(e->v[0]), key_cmp);
}

/* "8080,9000-9010" into a bitmap of reserved ports. */
static void parse_ports(const char *s, uint8_t *map)
{
	while (*s) {
		char *end;
		unsigned long a = strtoul(s, &end, 10), b = a;
		if (end == s)
			break;
		if (*end == '-')
			b = strtoul(end + 1, &end, 10);
		for (unsigned long p = a; p <= b && p < 65536; p++)
			map[p / 8] |= (uint8_t)(1u << (p % 8));
		s = end;
		while (*s == ',' || *s == ' ')
			s++;
	}
}

struct eph_group {
	const struct eph_key *k;
	size_t active, tw;
	double used; /* counted against the range */
};

/* What check_ephemeral() learns, step by step. */
struct eph_scan {
	unsigned lo, hi;          /* net.ipv4.ip_local_port_range */
	unsigned reserved;        /* of them in ip_local_reserved_ports */
	unsigned listening;       /* of them held by local listeners */
	long long usable;         /* what connect() can pick from, at least 1 */
	double warn, crit;        /* thresholds, fractions of usable */
	long long reuse;          /* net.ipv4.tcp_tw_reuse, -1 unreadable */
	long long tw_total;       /* TIME-WAIT sockets by sockstat, -1 unknown */
	bool tw_read;             /* the TIME-WAIT sockets were dumped */
	struct eph e;             /* connections in the range, sorted by key_cmp */
	struct eph_group g[5];    /* the busiest destinations over the warning */
	size_t ng, over;          /* kept, and how many were over in all */
	enum severity worst;
};

/* Ports of the range connect() cannot pick: reserved, or held by a local
 * listener; sets x->reserved, x->listening and x->usable. false: no memory. */
static bool eph_usable(const struct evidence *ev, struct eph_scan *x)
{
	char buf[4096];
	uint8_t *map = calloc(8192, 1);

	if (!map)
		return false;
	if (ev_sysctl_str(ev, "net.ipv4.ip_local_reserved_ports", buf, sizeof(buf)))
		parse_ports(buf, map);
	for (unsigned p = x->lo; p <= x->hi; p++)
		x->reserved += (map[p / 8] >> (p % 8)) & 1;
	/* a port a local listener holds is never picked for connect() */
	for (size_t i = 0; i < ev->nsocks; i++) {
		const struct ev_sock *s = &ev->socks[i];
		unsigned p = s->sport;
		if (s->kind == SK_TCP && s->state == SS_LISTEN && p >= x->lo && p <= x->hi &&
		    !((map[p / 8] >> (p % 8)) & 1)) {
			map[p / 8] |= (uint8_t)(1u << (p % 8));
			x->listening++;
		}
	}
	free(map);
	x->usable = (long long)(x->hi - x->lo + 1) - x->reserved - x->listening;
	if (x->usable <= 0)
		x->usable = 1;
	return true;
}

/* The most connections from one source to one destination, in a sorted e. */
static size_t eph_busiest(const struct eph *e)
{
	size_t most = 0;
	for (size_t i = 0, j; i < e->n; i = j) {
		for (j = i; j < e->n && key_cmp(&e->v[i], &e->v[j]) == 0; j++)
			;
		most = j - i > most ? j - i : most;
	}
	return most;
}

/* The TCP connections of the range, sorted; TIME-WAIT sockets are dumped
 * only when they could lift a destination over the warning (the busiest one
 * plus every TIME-WAIT in the namespace). false: no memory. */
static bool eph_collect(const struct evidence *ev, struct eph_scan *x)
{
	struct eph *e = &x->e;

	e->lo = x->lo;
	e->hi = x->hi;
	for (size_t i = 0; i < ev->nsocks; i++) {
		const struct ev_sock *s = &ev->socks[i];
		if (s->kind == SK_TCP &&
		    !eph_add(e, s->family, s->state, s->sport, s->dport, s->src, s->dst))
			return false;
	}
	eph_sort(e);
	size_t most = eph_busiest(e);
	x->tw_total = ev->have_sockstat ? sockstat_get(&ev->sockstat, "TCP", "tw") : -1;
	if (x->tw_total != 0 &&
	    (double)most + (double)(x->tw_total < 0 ? x->usable : x->tw_total) >=
		    x->warn * (double)x->usable) {
		size_t ntw;
		const struct ev_sock *tw = ev_timewait(ev, &ntw, NULL);
		for (size_t i = 0; i < ntw; i++)
			if (!eph_add(e, tw[i].family, tw[i].state, tw[i].sport, tw[i].dport, tw[i].src,
				     tw[i].dst))
				return false;
		x->tw_read = tw != NULL;
		eph_sort(e);
	}
	return true;
}

/* tcp_tw_reuse (1; 2: loopback only) lets connect() take over a TIME-WAIT. */
static bool eph_reusable(const struct eph_scan *x, const struct eph_key *k)
{
	return x->reuse == 1 || (x->reuse == 2 && k->loop);
}

/* The groups at or above the warning (or reaching it only with TIME-WAIT):
 * the five that use most in x->g, busiest first; the count in x->over. */
static void eph_rank(struct eph_scan *x)
{
	const struct eph *e = &x->e;
	double usable = (double)x->usable;

	for (size_t i = 0, j; i < e->n; i = j) {
		struct eph_group cur = { &e->v[i], 0, 0, 0 };
		for (j = i; j < e->n && key_cmp(&e->v[i], &e->v[j]) == 0; j++)
			e->v[j].tw ? cur.tw++ : cur.active++;
		cur.used = (double)cur.active + (eph_reusable(x, cur.k) ? 0 : (double)cur.tw);
		double raw = (double)(cur.active + cur.tw);
		if (raw < x->warn * usable)
			continue;
		enum severity sev = cur.used >= x->crit * usable   ? SEV_CRITICAL
				    : cur.used >= x->warn * usable ? SEV_WARNING
								   : SEV_INFO;
		x->worst = sev > x->worst ? sev : x->worst;
		x->over++;
		size_t k;
		if (x->ng < 5 || cur.used > x->g[4].used)
			k = x->ng < 5 ? x->ng++ : 4;
		else
			continue;
		x->g[k] = cur;
		for (; k > 0 && x->g[k].used > x->g[k - 1].used; k--) {
			struct eph_group t = x->g[k];
			x->g[k] = x->g[k - 1];
			x->g[k - 1] = t;
		}
	}
}

/* "10.0.0.1:80": a group's destination. */
static const char *eph_dest(const struct eph_group *g, char *buf, size_t size)
{
	struct ev_sock tmp = { .family = g->k->family, .dport = g->k->dport };
	memcpy(tmp.dst, g->k->dst, 16);
	return ev_endpoint(&tmp, false, buf, size);
}

static void eph_report(struct report *r, const struct eph_scan *x)
{
	const struct eph_group *g = x->g;
	long long usable = x->usable;
	char d[64], s[INET6_ADDRSTRLEN];
	struct finding *f;

	eph_dest(&g[0], d, sizeof(d));
	if (x->worst == SEV_INFO)
		f = finding_add(r, SEV_INFO, d, "%zu connections to %s would hold %.0f%% of the local port "
				"range, but their TIME-WAITs are reused (tcp_tw_reuse)",
				g[0].active + g[0].tw, d, 100.0 * (double)(g[0].active + g[0].tw) / (double)usable);
	else
		f = finding_add(r, x->worst, d, "%.0f connections to %s use %.0f%% of the %lld usable local "
				"ports: connect() to it fails with EADDRNOTAVAIL once they are used up", g[0].used, d,
				100.0 * g[0].used / (double)usable, usable);
	for (size_t k = 0; k < x->ng; k++) {
		eph_dest(&g[k], d, sizeof(d));
		inet_ntop(g[k].k->family, g[k].k->src, s, sizeof(s));
		finding_evidence(f, "sock_diag", "from %s to %s: %zu connected, %zu in TIME-WAIT%s (%.0f%% "
				 "of %lld ports)", s, d, g[k].active, g[k].tw,
				 eph_reusable(x, g[k].k) && g[k].tw ? " (reusable)" : "",
				 100.0 * g[k].used / (double)usable, usable);
	}
	if (x->over > x->ng)
		finding_evidence(f, "sock_diag", "%zu more destinations above %.0f%%", x->over - x->ng,
				 100 * x->warn);
	finding_evidence(f, "/proc/sys/net/ipv4/ip_local_port_range",
			 "net.ipv4.ip_local_port_range = %u %u (%u ports)", x->lo, x->hi, x->hi - x->lo + 1);
	if (x->reserved || x->listening)
		finding_evidence(f, "/proc/sys/net/ipv4/ip_local_reserved_ports", "%u reserved "
				 "(net.ipv4.ip_local_reserved_ports), %u held by local listeners: %lld usable",
				 x->reserved, x->listening, usable);
	if (x->reuse >= 0)
		finding_evidence(f, "/proc/sys/net/ipv4/tcp_tw_reuse", "net.ipv4.tcp_tw_reuse = %lld%s",
				 x->reuse, x->reuse == 2 ? " (loopback only)" : "");
	if (!x->tw_read && x->tw_total != 0)
		finding_evidence(f, "sock_diag", "TIME-WAIT sockets not read");
	finding_value(f, "connections", g[0].used);
	finding_value(f, "timewait", (double)g[0].tw);
	finding_value(f, "usable_ports", (double)usable);
	finding_value(f, "fraction", g[0].used / (double)usable);
	finding_value(f, "destinations", (double)x->over);
	finding_fix(f, "each connection to one destination address and port needs its own local "
		       "port. Widen the range: sysctl -w net.ipv4.ip_local_port_range=\"1024 65000\" "
		       "(keep it clear of local services, or list them in ip_local_reserved_ports); "
		       "spread the load over more destination ports or source addresses (bind() "
		       "with IP_BIND_ADDRESS_NO_PORT); reuse connections (keep-alive, pools)%s.",
		    x->reuse == 1 ? "" : "; on clients sysctl -w net.ipv4.tcp_tw_reuse=1 lets new "
					 "connections take over TIME-WAIT ports (needs TCP timestamps)");
}

static void check_ephemeral(struct report *r, const struct evidence *ev)
{
	struct eph_scan x = { .worst = SEV_NONE };
	char buf[64];

	if (!ev_sysctl_str(ev, "net.ipv4.ip_local_port_range", buf, sizeof(buf)) ||
	    sscanf(buf, "%u %u", &x.lo, &x.hi) != 2 || x.lo > x.hi || x.hi > 65535)
		return rule_skip(r, "net.ipv4.ip_local_port_range is unreadable");
	if (!ev->have_socks)
		return rule_skip(r, "no socket table (sock_diag)");
	if (!eph_usable(ev, &x))
		return rule_skip(r, "out of memory");
	x.warn = rule_threshold(r, "warn_fraction");
	x.crit = rule_threshold(r, "critical_fraction");
	if (!eph_collect(ev, &x)) {
		free(x.e.v);
		return rule_skip(r, "out of memory");
	}
	x.reuse = ev_sysctl(ev, "net.ipv4.tcp_tw_reuse");
	eph_rank(&x);
	if (x.ng)
		eph_report(r, &x);
	free(x.e.v);
}

DOCTOR_RULE(ephemeral_ports, .id = "ephemeral-ports", .area = "tcp-conns",
	    .title = "local (ephemeral) ports to one destination running out",
	    .explain =
		"connect() without bind() picks a local port from net.ipv4.ip_local_port_range\n"
		"(default 32768-60999, 28232 ports), skipping ip_local_reserved_ports and ports held\n"
		"by bind()/listen(). A port can serve many destinations, but towards one\n"
		"destination address and port (from one source address) each connection, including\n"
		"those in TIME-WAIT for 60 s after an active close, needs its own. A client that\n"
		"opens and closes connections to one server at a few hundred per second exhausts\n"
		"the range: connect() fails with EADDRNOTAVAIL, and the search for a free port gets\n"
		"slower before that. net.ipv4.tcp_tw_reuse=1 (2, the default, for loopback only)\n"
		"lets connect() take over a TIME-WAIT port older than tcp_tw_reuse_delay (1 s) when\n"
		"timestamps are on, so those are not counted. The fix: a wider range, more source\n"
		"addresses or destination ports, connection reuse.",
	    .thresholds = eph_thr, .check = check_ephemeral);
