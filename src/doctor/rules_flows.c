/* Rules: TCP flows and UDP datagrams. Retransmission rate and the flows that
 * retransmit (tcp-retrans); SACK, timestamps or window scaling turned off
 * (tcp-options-off); flows waiting on their own send buffer or the peer's
 * receive window (tcp-buffer-limited); UDP receive and send buffer errors
 * with the sockets that drop (udp-buffer-errors).
 *
 * Per-flow numbers come from tcp_info and skmeminfo at the last sample and
 * cover each socket's lifetime; host-wide rates come from the counters'
 * increase between the two samples. Owners of the named sockets come from
 * ev_owner(): a live host's /proc, walked only when a finding names sockets. */
#include "doctor/doctor.h"
#include "sources/sockdiag.h"

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

/* ---- helpers ---- */

/* ", owned by nginx (pid 12)" or "" when unknown. */
static const char *owned_by(const struct evidence *ev, uint64_t inode, char *buf, size_t n)
{
	char who[96];

	buf[0] = '\0';
	if (ev_owner(ev, inode, who, sizeof(who)))
		snprintf(buf, n, ", owned by %s", who);
	return buf;
}

static const char *human(unsigned long long b, char *buf, size_t n)
{
	if (b >= 1ull << 30)
		snprintf(buf, n, "%.1f GiB", (double)b / (1ull << 30));
	else if (b >= 1ull << 20)
		snprintf(buf, n, "%.1f MiB", (double)b / (1ull << 20));
	else if (b >= 1ull << 10)
		snprintf(buf, n, "%.1f KiB", (double)b / (1ull << 10));
	else
		snprintf(buf, n, "%llu B", b);
	return buf;
}

/* "10.0.0.1:40000 -> 10.0.0.2:5001" */
static const char *flow_name(const struct ev_sock *s, char *buf, size_t n)
{
	char a[64], b[64];

	snprintf(buf, n, "%s -> %s", ev_endpoint(s, true, a, sizeof(a)), ev_endpoint(s, false, b, sizeof(b)));
	return buf;
}

/* The largest few sockets by a key, largest first (ties: first seen). */
enum { TOP = 5 };
struct top {
	const struct ev_sock *s[TOP];
	unsigned long long k[TOP];
	size_t n, total;
};

static void top_add(struct top *t, const struct ev_sock *s, unsigned long long k)
{
	size_t i = t->n;

	t->total++;
	if (i == TOP) {
		if (k <= t->k[TOP - 1])
			return;
		i = TOP - 1;
	} else {
		t->n++;
	}
	for (; i > 0 && t->k[i - 1] < k; i--) {
		t->s[i] = t->s[i - 1];
		t->k[i] = t->k[i - 1];
	}
	t->s[i] = s;
	t->k[i] = k;
}

/* The TCP socket on this host at the other end of s, or NULL. */
static const struct ev_sock *local_peer(const struct evidence *ev, const struct ev_sock *s)
{
	for (size_t i = 0; i < ev->nsocks; i++) {
		const struct ev_sock *p = &ev->socks[i];
		if (p->kind == SK_TCP && p->family == s->family && p->sport == s->dport &&
		    p->dport == s->sport && !memcmp(p->src, s->dst, 16) && !memcmp(p->dst, s->src, 16))
			return p;
	}
	return NULL;
}

/* min, default, max of tcp_rmem / tcp_wmem; false when unreadable. */
static bool triple(const struct evidence *ev, const char *name, long long v[3], char *text, size_t n)
{
	return ev_sysctl_str(ev, name, text, n) && sscanf(text, "%lld %lld %lld", &v[0], &v[1], &v[2]) == 3;
}

/* ---- retransmissions ---- */

static const struct rule_threshold retrans_thr[] = {
	{ "warning_pct", 1, "retransmitted segments, % of segments sent, that make a warning" },
	{ "critical_pct", 5, "retransmitted segments, % of segments sent, that make it critical" },
	{ "min_out_segs", 1000, "segments sent in the interval below which the rate is not judged" },
	{ NULL, 0, NULL },
};

static void check_retrans(struct report *r, const struct evidence *ev)
{
	char fl[160], o[128], h1[32], h2[32];

	if (!ev->have_ctr)
		return rule_skip(r, "no protocol counters (/proc/net/snmp)");
	if (ev->nsamples < 2)
		return rule_skip(r, "needs two samples (-i above 0): the rate is over an interval");
	long long out = ev_delta(ev, "TcpOutSegs"), re = ev_delta(ev, "TcpRetransSegs");
	if (out < 0 || re < 0)
		return rule_skip(r, "TcpOutSegs or TcpRetransSegs missing from /proc/net/snmp");
	if (out < (long long)rule_threshold(r, "min_out_segs") || re <= 0)
		return;
	double pct = 100.0 * (double)re / (double)out;
	if (pct < rule_threshold(r, "warning_pct"))
		return;
	long long rto = ev_delta(ev, "TcpExtTCPTimeouts"), ss = ev_delta(ev, "TcpExtTCPSlowStartRetrans");
	long long fast = ev_delta(ev, "TcpExtTCPFastRetrans"), lost = ev_delta(ev, "TcpExtTCPLostRetransmit");
	long long tlp = ev_delta(ev, "TcpExtTCPLossProbes"), syn = ev_delta(ev, "TcpExtTCPSynRetrans");
	/* segments resent after a timeout: the one the timer sends, then slow start */
	bool by_timeouts = rto >= 2 && rto + (ss > 0 ? ss : 0) > (fast > 0 ? fast : 0);
	struct finding *f = finding_add(
		r, pct >= rule_threshold(r, "critical_pct") ? SEV_CRITICAL : SEV_WARNING, "host",
		"TCP retransmitted %.1f%% of the segments it sent in %.1f s%s", pct, ev->interval,
		by_timeouts ? ", mostly after timeouts (whole windows or tails lost)" : "");
	finding_evidence(f, "/proc/net/snmp", "TcpRetransSegs +%lld over TcpOutSegs +%lld (%.2f%%, %.0f/s)",
			 re, out, pct, (double)re / ev->interval);
	finding_evidence(f, "/proc/net/netstat",
			 "TcpExtTCPTimeouts +%lld, TcpExtTCPSlowStartRetrans +%lld (after timeouts) vs "
			 "TcpExtTCPFastRetrans +%lld (fast retransmits)",
			 rto > 0 ? rto : 0, ss > 0 ? ss : 0, fast > 0 ? fast : 0);
	finding_evidence(f, "/proc/net/netstat",
			 "TcpExtTCPLostRetransmit +%lld (retransmits lost again), TcpExtTCPLossProbes +%lld, "
			 "TcpExtTCPSynRetrans +%lld", lost > 0 ? lost : 0, tlp > 0 ? tlp : 0, syn > 0 ? syn : 0);
	finding_value(f, "retrans_pct", pct);
	finding_value(f, "retrans_segs", (double)re);
	finding_value(f, "out_segs", (double)out);
	finding_value(f, "timeouts", (double)(rto > 0 ? rto : 0));
	finding_value(f, "fast_retrans", (double)(fast > 0 ? fast : 0));

	struct top t = { 0 };
	for (size_t i = 0; i < ev->nsocks; i++)
		if (ev->socks[i].kind == SK_TCP && ev->socks[i].has_tcpi && ev->socks[i].total_retrans)
			top_add(&t, &ev->socks[i], ev->socks[i].total_retrans);
	finding_value(f, "flows_retransmitting", (double)t.total);
	for (size_t i = 0; i < t.n; i++) {
		const struct ev_sock *s = t.s[i];
		finding_evidence(f, "sock_diag tcp_info",
				 "flow %s (%s): %u retransmits, %s of %s resent (%.1f%%), rtt %.1f ms, "
				 "cwnd %u%s", flow_name(s, fl, sizeof(fl)), sock_state_name(s->state),
				 s->total_retrans, human(s->bytes_retrans, h1, sizeof(h1)),
				 human(s->bytes_sent, h2, sizeof(h2)),
				 s->bytes_sent ? 100.0 * (double)s->bytes_retrans / (double)s->bytes_sent : 0.0,
				 s->rtt_us / 1000.0, s->snd_cwnd, owned_by(ev, s->inode, o, sizeof(o)));
	}
	if (!t.n)
		finding_evidence(f, "sock_diag tcp_info",
				 "no open flow has retransmitted: the connections that did have closed");
	else if (t.total > t.n)
		finding_evidence(f, "sock_diag tcp_info", "and %zu more flows with retransmits",
				 t.total - t.n);
	finding_fix(f, "find where packets are lost on the path of the flows above: `netlens ss -ti "
		       "dst ADDR` for their RTT and loss, `ip -s link` and `ethtool -S IFACE` for NIC "
		       "drops, `tc -s qdisc` for queue drops, `mtr -rwc 100 ADDR` beyond this host; "
		       "policers and full queues drop bursts. %s Retransmissions cost throughput "
		       "(the congestion window shrinks at each loss) and, after timeouts, stalls of "
		       "200 ms or more.",
		    by_timeouts ? "Timeouts dominate: losses hit the tail or a whole window, so "
				  "nothing comes back to trigger a fast retransmit; keep SACK and "
				  "timestamps on (RACK and tail loss probes need them)."
				: "Fast retransmits dominate: isolated losses, recovered within a round "
				  "trip.");
}

DOCTOR_RULE(tcp_retrans, .id = "tcp-retrans", .area = "tcp-flows",
	    .title = "TCP retransmission rate (RetransSegs / OutSegs), timeouts, flows that retransmit",
	    .explain =
		"TCP resends a segment when it decides it was lost: a fast retransmit after three\n"
		"duplicate ACKs or a SACK/RACK hole (TcpExtTCPFastRetrans), or a retransmission\n"
		"timeout when nothing comes back at all (TcpExtTCPTimeouts, then the rest of the\n"
		"window in slow start, TcpExtTCPSlowStartRetrans). TcpRetransSegs counts every\n"
		"resent segment; TcpOutSegs every other one sent (pure ACKs included), so their\n"
		"ratio over an interval is the loss the senders saw. Healthy paths stay well below\n"
		"1%. Each loss episode cuts the congestion window (Reno halves it, CUBIC takes 30%;\n"
		"BBR reacts less), and a timeout stalls the flow for at least the RTO (200 ms\n"
		"minimum) and restarts it from one segment. Many timeouts against few fast\n"
		"retransmits means whole windows or their tails are lost (policers, full buffers,\n"
		"flapping links) or SACK is off. TcpExtTCPLostRetransmit counts retransmits lost\n"
		"again: persistent loss. The rate is judged only when at least min_out_segs were\n"
		"sent, so an idle host with one lost SYN does not alarm. The flows listed are the\n"
		"open sockets with the most retransmits in their lifetime (tcp_info total_retrans\n"
		"and bytes_retrans); find the lossy hop on their path.",
	    .thresholds = retrans_thr, .check = check_retrans);

/* ---- SACK, timestamps, window scaling ---- */

struct tcp_option {
	const char *sysctl, *path, *name, *summary, *fix;
	bool (*on)(const struct ev_sock *s);
};

static bool has_sack(const struct ev_sock *s) { return s->opt_sack; }
static bool has_ts(const struct ev_sock *s) { return s->opt_ts; }
static bool has_wscale(const struct ev_sock *s) { return s->opt_wscale; }

static const struct tcp_option tcp_options[] = {
	{ "net.ipv4.tcp_sack", "/proc/sys/net/ipv4/tcp_sack", "SACK",
	  "selective acknowledgements (SACK) are off: after a loss the sender cannot tell which "
	  "segments arrived and resends whole windows",
	  "sysctl -w net.ipv4.tcp_sack=1 (persist in /etc/sysctl.d/). Some turned it off in "
	  "2019 against CVE-2019-11477 (SACK Panic), fixed since 4.19.52, 5.1.11 and their stable "
	  "siblings: on a kernel that old, update it instead.",
	  has_sack },
	{ "net.ipv4.tcp_timestamps", "/proc/sys/net/ipv4/tcp_timestamps", "timestamps",
	  "TCP timestamps are off: RTT is sampled once per window instead of per ACK, PAWS cannot "
	  "reject old duplicates on fast links, and TIME-WAIT reuse needs them",
	  "sysctl -w net.ipv4.tcp_timestamps=1 (persist in /etc/sysctl.d/); it costs 12 bytes per "
	  "segment. Value 2 keeps timestamps without per-connection random offsets.",
	  has_ts },
	{ "net.ipv4.tcp_window_scaling", "/proc/sys/net/ipv4/tcp_window_scaling", "window scaling",
	  "TCP window scaling is off: windows are capped at 64 KiB, so a flow moves at most 64 KiB "
	  "per round trip (about 5 Mbit/s at 100 ms)",
	  "sysctl -w net.ipv4.tcp_window_scaling=1 (persist in /etc/sysctl.d/). If a middlebox "
	  "mangled scaled windows, fix or bypass the middlebox rather than turning scaling off.",
	  has_wscale },
};

static void check_options(struct report *r, const struct evidence *ev)
{
	for (size_t k = 0; k < sizeof(tcp_options) / sizeof(tcp_options[0]); k++) {
		const struct tcp_option *opt = &tcp_options[k];
		long long v = ev_sysctl(ev, opt->sysctl);
		if (v < 0) {
			rule_skip(r, "%s is unreadable", opt->sysctl);
			continue;
		}
		if (v != 0)
			continue;
		struct finding *f = finding_add(r, SEV_WARNING, opt->sysctl, "%s", opt->summary);
		finding_evidence(f, opt->path, "%s = 0", opt->sysctl);
		size_t est = 0, without = 0;
		for (size_t i = 0; i < ev->nsocks; i++) {
			const struct ev_sock *s = &ev->socks[i];
			if (s->kind != SK_TCP || s->state != SS_ESTABLISHED || !s->has_tcpi)
				continue;
			est++;
			without += !opt->on(s);
		}
		if (est)
			finding_evidence(f, "sock_diag tcp_info",
					 "%zu of %zu established TCP flows run without %s (the setting "
					 "applies to new connections)", without, est, opt->name);
		finding_value(f, "flows_without", (double)without);
		finding_fix(f, "%s", opt->fix);
	}
}

DOCTOR_RULE(tcp_options_off, .id = "tcp-options-off", .area = "tcp-flows",
	    .title = "TCP SACK, timestamps or window scaling turned off (per namespace)",
	    .explain =
		"Three TCP extensions are negotiated in the handshake and matter on any path with\n"
		"loss or distance. All are on by default and per network namespace.\n"
		"SACK (RFC 2018, net.ipv4.tcp_sack): the receiver reports which blocks arrived, so\n"
		"the sender resends only the holes; without it recovery from several losses in one\n"
		"window takes a round trip each, or a timeout and the whole window resent.\n"
		"Timestamps (RFC 7323, net.ipv4.tcp_timestamps): an RTT sample on every ACK for the\n"
		"RTO and RACK loss detection, PAWS protection against wrapped sequence numbers above\n"
		"1 Gbit/s, safe reuse of TIME-WAIT ports (tcp_tw_reuse), and SYN cookies that keep\n"
		"SACK and window scaling.\n"
		"Window scaling (RFC 7323, net.ipv4.tcp_window_scaling): the 16-bit window field is\n"
		"shifted up to 2^14; without it no window exceeds 64 KiB and throughput is capped at\n"
		"64 KiB per RTT whatever tcp_rmem allows.\n"
		"Each is a warning when 0; connections keep what they negotiated, so the fix helps\n"
		"new connections.",
	    .check = check_options);

/* ---- flows limited by buffers ---- */

static const struct rule_threshold buffer_thr[] = {
	{ "limited_pct", 30, "share of a flow's busy time spent rwnd- or sndbuf-limited" },
	{ "min_busy_ms", 100, "busy time below which a flow is not judged" },
	{ NULL, 0, NULL },
};

static unsigned long long limited_us(const struct ev_sock *s)
{
	return s->rwnd_limited_us > s->sndbuf_limited_us ? s->rwnd_limited_us : s->sndbuf_limited_us;
}

static void check_buffers(struct report *r, const struct evidence *ev)
{
	char fl[160], o[128], h1[32], h2[32], rtext[96], wtext[96], why[160];
	long long rmem[3], wmem[3];

	if (!ev->have_socks)
		return rule_skip(r, "no socket table (sock_diag)");
	double share = rule_threshold(r, "limited_pct") / 100.0;
	double min_busy = rule_threshold(r, "min_busy_ms") * 1000.0;
	struct top t = { 0 };
	bool local = false;
	for (size_t i = 0; i < ev->nsocks; i++) {
		const struct ev_sock *s = &ev->socks[i];
		if (s->kind != SK_TCP || !s->has_tcpi || !s->busy_us || (double)s->busy_us < min_busy ||
		    (double)limited_us(s) < share * (double)s->busy_us)
			continue;
		top_add(&t, s, limited_us(s));
	}
	if (!t.total)
		return;
	/* judged on the flows listed: a peer lookup per flow would be quadratic */
	for (size_t i = 0; i < t.n; i++)
		local |= t.s[i]->sndbuf_limited_us >= t.s[i]->rwnd_limited_us || local_peer(ev, t.s[i]);
	bool have_r = triple(ev, "net.ipv4.tcp_rmem", rmem, rtext, sizeof(rtext));
	bool have_w = triple(ev, "net.ipv4.tcp_wmem", wmem, wtext, sizeof(wtext));
	/* a remote receiver's window is fixed on the remote host: advice here */
	struct finding *f = finding_add(r, local ? SEV_WARNING : SEV_INFO, "host",
					"%zu TCP flow%s spent most of %s busy time waiting for buffer "
					"space (receive window or send buffer)", t.total,
					t.total == 1 ? "" : "s", t.total == 1 ? "its" : "their");
	bool locked = false;
	double worst = 0;
	for (size_t i = 0; i < t.n; i++) {
		const struct ev_sock *s = t.s[i], *p = local_peer(ev, s);
		bool rwnd = s->rwnd_limited_us > s->sndbuf_limited_us;
		double pct = 100.0 * (double)limited_us(s) / (double)s->busy_us;
		worst = pct > worst ? pct : worst;
		why[0] = '\0';
		if (rwnd && p && p->has_mem) {
			bool small = have_r && p->rcvbuf < rmem[1];
			locked |= small;
			snprintf(why, sizeof(why), "; receiver on this host: rcvbuf %s, %u B unread%s",
				 human(p->rcvbuf, h1, sizeof(h1)), p->rqueue,
				 small ? " (below tcp_rmem default: fixed by SO_RCVBUF)" : "");
		} else if (rwnd) {
			snprintf(why, sizeof(why), "; the remote receiver's window%s",
				 s->opt_wscale ? "" : " (no window scaling: 64 KiB at most)");
		} else if (s->has_mem) {
			bool small = have_w && s->sndbuf < wmem[1];
			locked |= small;
			snprintf(why, sizeof(why), "; sndbuf %s%s", human(s->sndbuf, h1, sizeof(h1)),
				 small ? " (below tcp_wmem default: fixed by SO_SNDBUF)"
				 : have_w && s->sndbuf >= wmem[2] ? " (at tcp_wmem max)" : "");
		}
		finding_evidence(f, "sock_diag tcp_info",
				 "flow %s: %s-limited %.0f ms of %.0f ms busy (%.0f%%), %s sent%s%s",
				 flow_name(s, fl, sizeof(fl)), rwnd ? "rwnd" : "sndbuf",
				 (double)limited_us(s) / 1000.0, (double)s->busy_us / 1000.0, pct,
				 human(s->bytes_sent, h2, sizeof(h2)), why,
				 owned_by(ev, s->inode, o, sizeof(o)));
	}
	if (t.total > t.n)
		finding_evidence(f, "sock_diag tcp_info", "and %zu more such flows", t.total - t.n);
	if (have_r)
		finding_evidence(f, "/proc/sys/net/ipv4/tcp_rmem", "net.ipv4.tcp_rmem = %s (max %s)",
				 rtext, human((unsigned long long)rmem[2], h1, sizeof(h1)));
	if (have_w)
		finding_evidence(f, "/proc/sys/net/ipv4/tcp_wmem", "net.ipv4.tcp_wmem = %s (max %s)",
				 wtext, human((unsigned long long)wmem[2], h1, sizeof(h1)));
	finding_value(f, "flows", (double)t.total);
	finding_value(f, "worst_limited_pct", worst);
	if (!have_r)
		rmem[0] = 4096, rmem[1] = 131072, rmem[2] = 6 << 20;
	if (!have_w)
		wmem[0] = 4096, wmem[1] = 16384, wmem[2] = 4 << 20;
	finding_fix(f, "%sto let autotuning grow windows to the bandwidth-delay product, raise the "
		       "maxima: sysctl -w net.ipv4.tcp_rmem='%lld %lld %lld' (receiver) and "
		       "net.ipv4.tcp_wmem='%lld %lld %lld' (sender). An rwnd-limited flow with a "
		       "large receive buffer has a slow reader: the application does not read fast "
		       "enough. Bigger buffers cost memory per flow under tcp_mem.",
		    locked ? "the application sets SO_RCVBUF/SO_SNDBUF, which turns autotuning off "
			     "for that socket: remove the setsockopt or raise its value; otherwise " : "",
		    rmem[0], rmem[1], rmem[2] * 2 > 16 << 20 ? rmem[2] * 2 : 16 << 20,
		    wmem[0], wmem[1], wmem[2] * 2 > 16 << 20 ? wmem[2] * 2 : 16 << 20);
}

DOCTOR_RULE(tcp_buffer_limited, .id = "tcp-buffer-limited", .area = "tcp-flows",
	    .title = "TCP flows limited by the receive window or their send buffer",
	    .explain =
		"tcp_info counts, per flow, the time it had data to send (busy), the time it could\n"
		"not send because the peer's advertised receive window was full (rwnd_limited) and\n"
		"because its own send buffer was full (sndbuf_limited); `ss -ti` shows them. A flow\n"
		"that spends a large share of its busy time so limited runs below what the path\n"
		"allows: a window must hold a bandwidth-delay product (1 Gbit/s x 50 ms = 6 MiB).\n"
		"The kernel autotunes each socket's buffers between the tcp_rmem and tcp_wmem\n"
		"minimum and maximum (memory permitting, tcp_mem); a socket whose application set\n"
		"SO_RCVBUF or SO_SNDBUF is fixed at that size (capped by net.core.rmem_max and\n"
		"wmem_max) and never grows. rwnd-limited also happens when the receiving application\n"
		"reads slowly: then the window is full of unread data (Recv-Q) whatever its size.\n"
		"The fix: raise the maxima, or drop or raise the application's SO_RCVBUF/SO_SNDBUF;\n"
		"for a slow reader, make it read faster. Warning when the limiting buffer is on this\n"
		"host, info when only remote receivers limit the flows.",
	    .thresholds = buffer_thr, .check = check_buffers);

/* ---- UDP buffer errors ---- */

static const struct rule_threshold udp_thr[] = {
	{ "critical_per_s", 100, "UDP datagrams dropped per second that make it critical" },
	{ NULL, 0, NULL },
};

static long long udp_delta(const struct evidence *ev, const char *field, long long *v4, long long *v6)
{
	char name[64];

	snprintf(name, sizeof(name), "Udp%s", field);
	*v4 = ev_delta(ev, name);
	snprintf(name, sizeof(name), "Udp6%s", field);
	*v6 = ev_delta(ev, name);
	*v4 = *v4 > 0 ? *v4 : 0;
	*v6 = *v6 > 0 ? *v6 : 0;
	return *v4 + *v6;
}

static void check_udp(struct report *r, const struct evidence *ev)
{
	char o[128], h1[32], a[64], text[64];
	long long r4, r6, s4, s6, i4, i6, m4, m6, c4, c6;

	if (!ev->have_ctr)
		return rule_skip(r, "no protocol counters (/proc/net/snmp)");
	long long rcv = udp_delta(ev, "RcvbufErrors", &r4, &r6);
	long long snd = udp_delta(ev, "SndbufErrors", &s4, &s6);
	long long in = udp_delta(ev, "InErrors", &i4, &i6);
	long long mem = udp_delta(ev, "MemErrors", &m4, &m6);
	long long csum = udp_delta(ev, "InCsumErrors", &c4, &c6);
	struct top t = { 0 };
	unsigned long long drops = 0;
	for (size_t i = 0; i < ev->nsocks; i++) {
		const struct ev_sock *s = &ev->socks[i];
		if (s->kind == SK_UDP && s->has_mem && s->drops) {
			top_add(&t, s, s->drops);
			drops += s->drops;
		}
	}
	/* InErrors includes receive buffer and memory errors */
	long long lost = (in > rcv + mem ? in : rcv + mem) + snd;
	if (lost <= 0 && !t.total)
		return;
	struct finding *f;
	if (lost > 0) {
		double rate = ev->interval > 0 ? (double)lost / ev->interval : 0;
		f = finding_add(r, rate >= rule_threshold(r, "critical_per_s") ? SEV_CRITICAL : SEV_WARNING, "host",
				"UDP dropped %lld datagrams in %.1f s: %s", lost, ev->interval,
				rcv > 0 ? "receive buffers full, the readers fall behind"
				: snd > 0 ? "send buffers full" : mem > 0 ? "UDP memory limit (udp_mem) reached"
				: "receive errors");
		finding_evidence(f, "/proc/net/snmp", "UdpRcvbufErrors +%lld, Udp6RcvbufErrors +%lld (%.0f/s)",
				 r4, r6, ev->interval > 0 ? (double)rcv / ev->interval : 0);
		finding_evidence(f, "/proc/net/snmp", "UdpSndbufErrors +%lld, Udp6SndbufErrors +%lld", s4, s6);
		finding_evidence(f, "/proc/net/snmp",
				 "UdpInErrors +%lld, Udp6InErrors +%lld (of which memory errors +%lld, "
				 "checksum errors +%lld)", i4, i6, mem, csum);
		finding_value(f, "dropped_per_s", rate);
	} else {
		f = finding_add(r, SEV_INFO, "host", "%zu UDP socket%s dropped datagrams earlier (%llu in %s "
				"lifetime), none in this interval", t.total, t.total == 1 ? "" : "s",
				drops, t.total == 1 ? "its" : "their");
	}
	finding_value(f, "rcvbuf_errors", (double)rcv);
	finding_value(f, "sndbuf_errors", (double)snd);
	finding_value(f, "in_errors", (double)in);
	finding_value(f, "sockets_dropping", (double)t.total);
	long long rmax = ev_sysctl(ev, "net.core.rmem_max"), rdef = ev_sysctl(ev, "net.core.rmem_default");
	bool small = false;
	for (size_t i = 0; i < t.n; i++) {
		const struct ev_sock *s = t.s[i];
		/* the kernel doubles SO_RCVBUF; rmem_default is what a socket gets unasked */
		bool set = rdef > 0 && s->rcvbuf < rdef;
		small |= set;
		finding_evidence(f, "sock_diag skmeminfo", "socket %s: %u drops, rcvbuf %s%s, %u B queued%s",
				 ev_endpoint(s, true, a, sizeof(a)), s->drops, human(s->rcvbuf, h1, sizeof(h1)),
				 set ? " (below rmem_default: set by SO_RCVBUF)" : "", s->rqueue,
				 owned_by(ev, s->inode, o, sizeof(o)));
	}
	if (t.total > t.n)
		finding_evidence(f, "sock_diag skmeminfo", "and %zu more sockets with drops", t.total - t.n);
	if (rmax >= 0 && rdef >= 0)
		finding_evidence(f, "/proc/sys/net/core/rmem_max", "net.core.rmem_max = %lld, "
				 "net.core.rmem_default = %lld", rmax, rdef);
	if (mem > 0 && ev_sysctl_str(ev, "net.ipv4.udp_mem", text, sizeof(text)))
		finding_evidence(f, "/proc/sys/net/ipv4/udp_mem", "net.ipv4.udp_mem = %s (pages)", text);
	long long want = rmax > 0 && rmax * 4 > 8 << 20 ? rmax * 4 : 8 << 20;
	finding_fix(f, "%sraise the receive buffer: sysctl -w net.core.rmem_max=%lld and have the "
		       "application set SO_RCVBUF up to it (or raise net.core.rmem_default for "
		       "applications that do not), and read faster (more reader threads with "
		       "SO_REUSEPORT, recvmmsg()). A bigger buffer absorbs bursts at the cost of "
		       "queueing delay; it cannot save a reader that is slower on average.%s",
		    small ? "the application asks for a small SO_RCVBUF: raise it in its configuration; "
			  : "", want, snd > 0 ? " Send errors: raise net.core.wmem_max and SO_SNDBUF, or pace "
				    "the sender." : "");
}

DOCTOR_RULE(udp_buffer_errors, .id = "udp-buffer-errors", .area = "udp",
	    .title = "UDP receive and send buffer errors, and the sockets that drop",
	    .explain =
		"UDP has no flow control: a datagram that arrives while the socket's receive buffer\n"
		"(SO_RCVBUF, default net.core.rmem_default, at most net.core.rmem_max) is full is\n"
		"dropped and counted in UdpRcvbufErrors and UdpInErrors (Udp6* for IPv6), and in\n"
		"the socket's own drop count (skmeminfo d, `ss -uam`). UdpMemErrors counts drops\n"
		"because all UDP sockets together reached net.ipv4.udp_mem. UdpSndbufErrors counts\n"
		"sends refused because the send buffer was full. Senders are not told: DNS, syslog,\n"
		"metrics and media lose data silently. The buffer is a burst absorber; if the\n"
		"reader is slower than the arrival rate on average, any buffer overflows. Fix:\n"
		"raise rmem_max and the application's SO_RCVBUF, and read faster (threads,\n"
		"SO_REUSEPORT, recvmmsg). Rising counters are a warning, critical above\n"
		"critical_per_s; sockets that dropped earlier but not in the interval are info.",
	    .thresholds = udp_thr, .check = check_udp);
