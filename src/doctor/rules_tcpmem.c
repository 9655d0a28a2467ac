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

static void check_tcpmem(struct report *r, const struct evidence *ev)
{
	const struct sockmem_pool_state *pool = ev_tcp_pool(ev);
	struct sockmem_pool_state st;

	if (!ev->have_protos && !ev->have_ctr)
		return rule_skip(r, "neither /proc/net/protocols nor the protocol counters are readable");
	if (pool)
		st = *pool;
	else
		memset(&st, 0, sizeof(st));

	long long pressures = ev_delta(ev, "TcpExtTCPMemoryPressures");
	long long chrono = ev_delta(ev, "TcpExtTCPMemoryPressuresChrono");
	long long rcvpruned = ev_delta(ev, "TcpExtRcvPruned");
	long long qdrop = ev_delta(ev, "TcpExtTCPRcvQDrop");
	long long abortmem = ev_delta(ev, "TcpExtTCPAbortOnMemory");
	long long abortfail = ev_delta(ev, "TcpExtTCPAbortFailed");
	bool zoned = st.have_usage && st.have_thr;
	bool above = zoned && st.zone == ZONE_ABOVE_HIGH;
	bool pressure = (st.have_press && st.in_pressure) ||
			(zoned && st.zone >= ZONE_PRESSURE_TO_HIGH) || pressures > 0 || chrono > 0;
	/* TCPAbortOnMemory is TCP's doing only above high; below, orphans (tcp-orphans) */
	bool dropping = rcvpruned > 0 || qdrop > 0 || abortfail > 0 ||
			(abortmem > 0 && (above || !zoned));
	bool near = zoned && st.zone == ZONE_LOW_TO_PRESSURE &&
		    (double)st.pages >= rule_threshold(r, "near_fraction") * (double)st.thr[1];
	double page = sysconf(_SC_PAGESIZE) > 0 ? (double)sysconf(_SC_PAGESIZE) : 4096;

	struct finding *f;
	if (pressure || above) {
		enum severity sev = above || dropping ? SEV_CRITICAL : SEV_WARNING;
		if (above)
			f = finding_add(r, sev, "TCP memory is above tcp_mem's hard limit: incoming data is "
					"dropped and connections are reset (\"TCP: out of memory\")");
		else if (dropping)
			f = finding_add(r, sev, "TCP memory pressure is dropping data and aborting "
					"connections");
		else
			f = finding_add(r, sev, "TCP is in memory pressure: socket buffers are capped and "
					"receive windows shrink");
	} else if (near) {
		f = finding_add(r, SEV_INFO, "TCP memory is at %.0f%% of tcp_mem's pressure threshold",
				100.0 * (double)st.pages / (double)st.thr[1]);
	} else if (rcvpruned > 0 || qdrop > 0) {
		/* Not the pool: single sockets ran out of receive buffer. */
		f = finding_add(r, SEV_WARNING, "TCP receive queues dropped data at their socket buffer "
				"limits (tcp_mem is not in pressure)");
	} else {
		return;
	}

	if (st.have_usage && st.have_press)
		finding_evidence(f, "/proc/net/protocols", "TCP memory %llu pages (%.1f MiB), press %s",
				 (unsigned long long)st.pages,
				 (double)st.pages * page / 1048576.0, st.in_pressure ? "yes" : "no");
	if (st.have_thr)
		finding_evidence(f, "/proc/sys/net/ipv4/tcp_mem",
				 "net.ipv4.tcp_mem = %llu %llu %llu (low, pressure, high in pages)",
				 (unsigned long long)st.thr[0], (unsigned long long)st.thr[1],
				 (unsigned long long)st.thr[2]);
	else
		finding_evidence(f, "/proc/sys/net/ipv4/tcp_mem", "net.ipv4.tcp_mem unreadable (only the "
				 "initial network namespace has it): zone unknown");
	if (zoned)
		finding_evidence(f, "tcp_mem zone", "%s", sockmem_zone_meaning(st.zone, st.in_pressure));
	static const char *const ctrs[][2] = {
		{ "TcpExtTCPMemoryPressuresChrono", "ms spent in pressure" },
		{ "TcpExtOfoPruned", "out-of-order data thrown away" },
		{ "TcpExtPruneCalled", "receive queues collapsed to free memory" },
		{ "TcpExtRcvPruned", "collapsing was not enough: data dropped" },
		{ "TcpExtTCPRcvQDrop", "incoming segments dropped for lack of memory" },
		{ "TcpExtTCPAbortOnMemory", "connections reset (out of memory or too many orphans)" },
		{ "TcpExtTCPAbortFailed", "a reset could not even be sent" },
	};
	counter_ev(f, ev, "TcpExtTCPMemoryPressures", "times TCP entered memory pressure");
	for (size_t i = 0; i < sizeof(ctrs) / sizeof(ctrs[0]); i++)
		if (ev_delta(ev, ctrs[i][0]) > 0)
			counter_ev(f, ev, ctrs[i][0], ctrs[i][1]);
	if (pressure || above || rcvpruned > 0 || qdrop > 0)
		top_queues(f, ev);
	if (st.have_usage)
		finding_value(f, "pages", (double)st.pages);
	for (int i = 0; i < 3 && st.have_thr; i++)
		finding_value(f, (const char *[]){ "low", "pressure", "high" }[i], (double)st.thr[i]);
	finding_value(f, "in_pressure", st.in_pressure);
	finding_value(f, "pressures", (double)pos(pressures));
	finding_value(f, "drops", (double)(pos(rcvpruned) + pos(qdrop)));
	finding_value(f, "aborts", (double)(pos(abortmem) + pos(abortfail)));

	if (!pressure && !above && !near) {
		finding_fix(f, "a few sockets receive faster than their applications read: find them "
			       "(ss -tmn: large Recv-Q, rb near its limit) and make them read faster, or "
			       "let them grow (net.ipv4.tcp_rmem max, no fixed SO_RCVBUF); the sender "
			       "retransmits what was dropped.");
		return;
	}
	char raise[128] = "raise net.ipv4.tcp_mem in the initial namespace (double it)";
	if (st.have_thr)
		snprintf(raise, sizeof(raise), "sysctl -w net.ipv4.tcp_mem=\"%llu %llu %llu\" (double it)",
			 (unsigned long long)st.thr[0] * 2, (unsigned long long)st.thr[1] * 2,
			 (unsigned long long)st.thr[2] * 2);
	finding_fix(f, "first find who holds the memory: ss -tmn shows each socket's queues (a large "
		       "Recv-Q is an application that stopped reading, a large Send-Q a slow peer); "
		       "fixing those frees it. If the load is legitimate, raise the pool: %s and persist "
		       "it in /etc/sysctl.d/, or lower the per-socket maxima in net.ipv4.tcp_rmem and "
		       "tcp_wmem. Trade-off: tcp_mem is unswappable kernel memory taken from everything "
		       "else.", raise);
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
		f = finding_add(r, sev, "orphaned TCP sockets are being reset (\"too many orphaned "
				"sockets\"): %lld aborts in %.1f s", abortmem, ev->interval);
	else
		f = finding_add(r, sev, "%lld orphaned TCP sockets, %.0f%% of net.ipv4.tcp_max_orphans: "
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
		f = finding_add(r, SEV_WARNING, "TIME-WAIT table full: %lld connections closed without "
				"TIME-WAIT in %.1f s (tcp_max_tw_buckets %lld)", ovf, ev->interval, max);
	else if (frac >= rule_threshold(r, "near_fraction"))
		f = finding_add(r, SEV_INFO, "TIME-WAIT sockets at %.0f%% of net.ipv4.tcp_max_tw_buckets: "
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

static void check_ephemeral(struct report *r, const struct evidence *ev)
{
	char buf[4096];
	unsigned lo, hi;

	if (!ev_sysctl_str(ev, "net.ipv4.ip_local_port_range", buf, sizeof(buf)) ||
	    sscanf(buf, "%u %u", &lo, &hi) != 2 || lo > hi || hi > 65535)
		return rule_skip(r, "net.ipv4.ip_local_port_range is unreadable");
	if (!ev->have_socks)
		return rule_skip(r, "no socket table (sock_diag)");
	uint8_t *map = calloc(8192, 1);
	if (!map)
		return rule_skip(r, "out of memory");
	if (ev_sysctl_str(ev, "net.ipv4.ip_local_reserved_ports", buf, sizeof(buf)))
		parse_ports(buf, map);
	unsigned reserved = 0, listening = 0;
	for (unsigned p = lo; p <= hi; p++)
		reserved += (map[p / 8] >> (p % 8)) & 1;
	/* a port a local listener holds is never picked for connect() */
	for (size_t i = 0; i < ev->nsocks; i++) {
		const struct ev_sock *s = &ev->socks[i];
		unsigned p = s->sport;
		if (s->kind == SK_TCP && s->state == SS_LISTEN && p >= lo && p <= hi &&
		    !((map[p / 8] >> (p % 8)) & 1)) {
			map[p / 8] |= (uint8_t)(1u << (p % 8));
			listening++;
		}
	}
	free(map);
	long long usable = (long long)(hi - lo + 1) - reserved - listening;
	if (usable <= 0)
		usable = 1;
	double warn = rule_threshold(r, "warn_fraction"), crit = rule_threshold(r, "critical_fraction");

	struct eph e = { .lo = lo, .hi = hi };
	for (size_t i = 0; i < ev->nsocks; i++) {
		const struct ev_sock *s = &ev->socks[i];
		if (s->kind == SK_TCP &&
		    !eph_add(&e, s->family, s->state, s->sport, s->dport, s->src, s->dst)) {
			free(e.v);
			return rule_skip(r, "out of memory");
		}
	}
	/* TIME-WAIT sockets: dumped only when they could lift a destination over the
	 * warning (the busiest one plus every TIME-WAIT in the namespace) */
	size_t most = 0;
	if (e.n) {
		qsort(e.v, e.n, sizeof(e.v[0]), key_cmp);
		for (size_t i = 0, j; i < e.n; i = j) {
			for (j = i; j < e.n && key_cmp(&e.v[i], &e.v[j]) == 0; j++)
				;
			most = j - i > most ? j - i : most;
		}
	}
	long long tw_total = ev->have_sockstat ? sockstat_get(&ev->sockstat, "TCP", "tw") : -1;
	bool tw_read = false;
	if (tw_total != 0 && (double)most + (double)(tw_total < 0 ? (long long)usable : tw_total) >=
				     warn * (double)usable) {
		size_t ntw;
		const struct ev_sock *tw = ev_timewait(ev, &ntw, NULL);
		for (size_t i = 0; i < ntw; i++)
			if (!eph_add(&e, tw[i].family, tw[i].state, tw[i].sport, tw[i].dport, tw[i].src,
				     tw[i].dst)) {
				free(e.v);
				return rule_skip(r, "out of memory");
			}
		tw_read = tw != NULL;
		qsort(e.v, e.n, sizeof(e.v[0]), key_cmp);
	}
	long long reuse = ev_sysctl(ev, "net.ipv4.tcp_tw_reuse");

	/* the groups at or above the warning (or reaching it only with TIME-WAIT) */
	struct eph_group g[5];
	size_t ng = 0, over = 0;
	enum severity worst = SEV_NONE;
	for (size_t i = 0, j; i < e.n; i = j) {
		struct eph_group cur = { &e.v[i], 0, 0, 0 };
		for (j = i; j < e.n && key_cmp(&e.v[i], &e.v[j]) == 0; j++)
			e.v[j].tw ? cur.tw++ : cur.active++;
		/* tcp_tw_reuse (1; 2: loopback only) lets connect() take over a TIME-WAIT */
		bool reusable = reuse == 1 || (reuse == 2 && cur.k->loop);
		cur.used = (double)cur.active + (reusable ? 0 : (double)cur.tw);
		double raw = (double)(cur.active + cur.tw);
		if (raw < warn * (double)usable)
			continue;
		enum severity sev = cur.used >= crit * (double)usable ? SEV_CRITICAL
				    : cur.used >= warn * (double)usable ? SEV_WARNING
									: SEV_INFO;
		worst = sev > worst ? sev : worst;
		over++;
		size_t k;
		if (ng < 5 || cur.used > g[4].used)
			k = ng < 5 ? ng++ : 4;
		else
			continue;
		g[k] = cur;
		for (; k > 0 && g[k].used > g[k - 1].used; k--) {
			struct eph_group t = g[k];
			g[k] = g[k - 1];
			g[k - 1] = t;
		}
	}
	if (!ng) {
		free(e.v);
		return;
	}
	char d[64], s[INET6_ADDRSTRLEN];
	struct ev_sock tmp = { .family = g[0].k->family, .dport = g[0].k->dport };
	memcpy(tmp.dst, g[0].k->dst, 16);
	ev_endpoint(&tmp, false, d, sizeof(d));
	struct finding *f;
	if (worst == SEV_INFO)
		f = finding_add(r, SEV_INFO, "%zu connections to %s would hold %.0f%% of the local port "
				"range, but their TIME-WAITs are reused (tcp_tw_reuse)",
				g[0].active + g[0].tw, d, 100.0 * (double)(g[0].active + g[0].tw) / (double)usable);
	else
		f = finding_add(r, worst, "%.0f connections to %s use %.0f%% of the %lld usable local "
				"ports: connect() to it fails with EADDRNOTAVAIL once they are used up", g[0].used, d,
				100.0 * g[0].used / (double)usable, usable);
	for (size_t k = 0; k < ng; k++) {
		tmp.family = g[k].k->family;
		tmp.dport = g[k].k->dport;
		memcpy(tmp.dst, g[k].k->dst, 16);
		ev_endpoint(&tmp, false, d, sizeof(d));
		inet_ntop(g[k].k->family, g[k].k->src, s, sizeof(s));
		bool reusable = reuse == 1 || (reuse == 2 && g[k].k->loop);
		finding_evidence(f, "sock_diag", "from %s to %s: %zu connected, %zu in TIME-WAIT%s (%.0f%% "
				 "of %lld ports)", s, d, g[k].active, g[k].tw,
				 reusable && g[k].tw ? " (reusable)" : "", 100.0 * g[k].used / (double)usable,
				 usable);
	}
	if (over > ng)
		finding_evidence(f, "sock_diag", "%zu more destinations above %.0f%%", over - ng, 100 * warn);
	finding_evidence(f, "/proc/sys/net/ipv4/ip_local_port_range",
			 "net.ipv4.ip_local_port_range = %u %u (%u ports)", lo, hi, hi - lo + 1);
	if (reserved || listening)
		finding_evidence(f, "/proc/sys/net/ipv4/ip_local_reserved_ports", "%u reserved "
				 "(net.ipv4.ip_local_reserved_ports), %u held by local listeners: %lld usable",
				 reserved, listening, usable);
	if (reuse >= 0)
		finding_evidence(f, "/proc/sys/net/ipv4/tcp_tw_reuse", "net.ipv4.tcp_tw_reuse = %lld%s",
				 reuse, reuse == 2 ? " (loopback only)" : "");
	if (!tw_read && tw_total != 0)
		finding_evidence(f, "sock_diag", "TIME-WAIT sockets not read");
	finding_value(f, "connections", g[0].used);
	finding_value(f, "timewait", (double)g[0].tw);
	finding_value(f, "usable_ports", (double)usable);
	finding_value(f, "fraction", g[0].used / (double)usable);
	finding_value(f, "destinations", (double)over);
	finding_fix(f, "each connection to one destination address and port needs its own local "
		       "port. Widen the range: sysctl -w net.ipv4.ip_local_port_range=\"1024 65000\" "
		       "(keep it clear of local services, or list them in ip_local_reserved_ports); "
		       "spread the load over more destination ports or source addresses (bind() "
		       "with IP_BIND_ADDRESS_NO_PORT); reuse connections (keep-alive, pools)%s.",
		    reuse == 1 ? "" : "; on clients sysctl -w net.ipv4.tcp_tw_reuse=1 lets new "
				      "connections take over TIME-WAIT ports (needs TCP timestamps)");
	free(e.v);
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
