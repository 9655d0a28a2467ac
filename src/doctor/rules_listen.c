/* Rules: listening sockets, their accept queues, SYN floods. The fixes
 * are computed from what the host has: the listener's own backlog and
 * net.core.somaxconn decide whether the application or the sysctl is the
 * limit to raise. */
#include "base/strbuf.h"
#include "doctor/doctor.h"
#include "sources/sockdiag.h"

#include <stdio.h>
#include <string.h>

static const char *owner(const struct evidence *ev, const struct ev_sock *s, char *buf, size_t n)
{
	char who[64];

	buf[0] = '\0';
	if (ev_owner(ev, s->inode, who, sizeof(who)))
		snprintf(buf, n, ", owned by %s", who);
	return buf;
}

static bool is_listener(const struct ev_sock *s) { return s->kind == SK_TCP && s->state == SS_LISTEN; }

static bool is_full(const struct ev_sock *s) { return is_listener(s) && s->wqueue && s->rqueue >= s->wqueue; }

/* "127.0.0.1:8080 (nginx (pid 12))" or "127.0.0.1:8080" */
static const char *listener_name(const struct evidence *ev, const struct ev_sock *s, char *buf, size_t n)
{
	char a[64], who[64];

	ev_endpoint(s, true, a, sizeof(a));
	if (ev_owner(ev, s->inode, who, sizeof(who)))
		snprintf(buf, n, "%s (%s)", a, who);
	else
		snprintf(buf, n, "%s", a);
	return buf;
}

/* Up to three full listeners whose limit is their own backlog (app) or
 * somaxconn (capped), by name, into two lists. */
struct full_lists {
	struct strbuf app, capped;
	size_t napp, ncapped;
	unsigned app_backlog; /* the largest of the app-limited backlogs */
};

static void full_lists(const struct evidence *ev, long long somax, const struct ev_sock *only,
		       struct full_lists *fl)
{
	char name[160];

	memset(fl, 0, sizeof(*fl));
	for (size_t i = 0; i < ev->nsocks; i++) {
		const struct ev_sock *s = &ev->socks[i];
		if (!is_full(s) || (only && s != only))
			continue;
		bool capped = somax >= 0 && (long long)s->wqueue >= somax;
		struct strbuf *list = capped ? &fl->capped : &fl->app;
		size_t *n = capped ? &fl->ncapped : &fl->napp;
		if (!capped && s->wqueue > fl->app_backlog)
			fl->app_backlog = s->wqueue;
		if ((*n)++ < 3)
			sb_printf(list, "%s%s backlog %u", list->len ? ", " : "",
				  listener_name(ev, s, name, sizeof(name)), s->wqueue);
	}
}

/* The fix for overflowing accept queues, from the backlogs and somaxconn:
 * of the full listener s, or (s NULL) of every full listener. */
static void overflow_fix(struct finding *f, const struct evidence *ev, const struct ev_sock *s)
{
	long long somax = ev_sysctl(ev, "net.core.somaxconn");
	struct full_lists fl;
	struct strbuf fix = STRBUF_INIT;

	full_lists(ev, somax, s, &fl);
	sb_puts(&fix, "the application does not accept() fast enough: find out why (a slow or "
		      "blocked accept loop is the usual cause).");
	if (fl.napp)
		sb_printf(&fix, " The application's listen() backlog is the limit of %s%s "
			  "(net.core.somaxconn = %lld allows more): raise the backlog the application "
			  "passes to listen(), up to %lld, and restart it; somaxconn need not change.",
			  fl.app.buf, fl.napp > 3 ? " and more" : "", somax, somax);
	if (fl.ncapped)
		sb_printf(&fix, " net.core.somaxconn = %lld caps the backlog of %s%s: "
			  "sysctl -w net.core.somaxconn=%lld (persist in /etc/sysctl.d/), raise the "
			  "application's listen() backlog with it and restart the listener (the limit is "
			  "taken at listen() time).", somax, fl.capped.buf, fl.ncapped > 3 ? " and more" : "",
			  somax * 2);
	if (!fl.napp && !fl.ncapped && somax >= 0)
		sb_printf(&fix, " To absorb bursts, raise the listener's listen() backlog "
			  "(up to net.core.somaxconn = %lld); if it already asks for that much, sysctl -w "
			  "net.core.somaxconn=%lld and restart it.", somax, somax * 2);
	sb_puts(&fix, " A longer queue trades fast failures for longer waits.");
	finding_fix(f, "%s", fix.buf);
	sb_free(&fix);
	sb_free(&fl.app);
	sb_free(&fl.capped);
}

/* ---- accept queue overflow ---- */

static const struct rule_threshold overflow_thr[] = {
	{ "critical_per_s", 10, "overflows per second that make it critical" },
	{ NULL, 0, NULL },
};

struct overflow {
	long long ovf, drops; /* increases of TcpExtListenOverflows, TcpExtListenDrops */
	double rate;          /* overflows per second */
	size_t full;          /* listeners whose accept queue is full */
	enum severity sev;
};

/* A finding about the full listener s, or (s NULL: none is full at the
 * last sample) about the namespace's counters. */
static void overflow_finding(struct report *r, const struct evidence *ev, const struct overflow *x,
			     const struct ev_sock *s)
{
	char a[64], o[96];
	struct finding *f;

	if (s)
		ev_endpoint(s, true, a, sizeof(a));
	if (s && x->ovf > 0)
		f = finding_add(r, x->sev, a, "the accept queue of %s is full, and accept queues "
				"overflowed %lld times in %.1f s: connections are being dropped", a,
				x->ovf, ev->interval);
	else if (s)
		f = finding_add(r, x->sev, a, "the accept queue of %s is full (%u of %u)", a, s->rqueue,
				s->wqueue);
	else if (x->ovf > 0)
		f = finding_add(r, x->sev, "host", "accept queues overflowed %lld times in %.1f s: "
				"connections are being dropped", x->ovf, ev->interval);
	else
		f = finding_add(r, x->sev, "host", "SYNs to listening sockets were dropped %lld times "
				"in %.1f s", x->drops, ev->interval);
	if (x->ovf >= 0)
		finding_evidence(f, "/proc/net/netstat", "TcpExtListenOverflows +%lld (%.1f/s)", x->ovf,
				 x->rate > 0 ? x->rate : 0);
	if (x->drops >= 0)
		finding_evidence(f, "/proc/net/netstat", "TcpExtListenDrops +%lld", x->drops);
	finding_value(f, "overflows", (double)(x->ovf > 0 ? x->ovf : 0));
	finding_value(f, "overflows_per_s", x->rate > 0 ? x->rate : 0);
	finding_value(f, "full_listeners", (double)x->full);
	if (s) {
		finding_evidence(f, "sock_diag", "listener %s: accept queue %u of %u%s", a, s->rqueue,
				 s->wqueue, owner(ev, s, o, sizeof(o)));
		if (s->has_mem)
			finding_evidence(f, "sock_diag skmem", "listener %s: %u SYNs or handshakes dropped since "
					 "it started listening", a, s->drops);
		finding_value(f, "accept_queue", s->rqueue);
		finding_value(f, "backlog", s->wqueue);
		if (s->has_mem)
			finding_value(f, "listener_drops", s->drops);
	}
	long long somax = ev_sysctl(ev, "net.core.somaxconn");
	if (somax >= 0)
		finding_evidence(f, "/proc/sys/net/core/somaxconn", "net.core.somaxconn = %lld", somax);
	overflow_fix(f, ev, s);
}

static void check_overflow(struct report *r, const struct evidence *ev)
{
	struct overflow x = { 0 };

	if (!ev->have_ctr)
		return rule_skip(r, "no protocol counters (/proc/net/netstat)");
	x.ovf = ev_delta(ev, "TcpExtListenOverflows");
	x.drops = ev_delta(ev, "TcpExtListenDrops");
	for (size_t i = 0; i < ev->nsocks; i++)
		x.full += is_full(&ev->socks[i]);
	if (x.ovf <= 0 && x.drops <= 0 && !x.full)
		return;
	x.rate = ev_rate(ev, "TcpExtListenOverflows");
	x.sev = x.ovf <= 0 ? SEV_WARNING
		: x.rate >= rule_threshold(r, "critical_per_s") ? SEV_CRITICAL : SEV_WARNING;
	/* one finding per full listener: each is its own series in Prometheus */
	for (size_t i = 0; i < ev->nsocks; i++)
		if (is_full(&ev->socks[i]))
			overflow_finding(r, ev, &x, &ev->socks[i]);
	if (!x.full)
		overflow_finding(r, ev, &x, NULL);
}

DOCTOR_RULE(listen_overflow, .id = "listen-overflow", .area = "tcp-listen",
	    .title = "accept queues overflowing (ListenOverflows, ListenDrops), and full listeners",
	    .explain =
		"A listening TCP socket keeps completed connections in its accept queue until the\n"
		"application calls accept(). The queue holds the listen() backlog plus one; when it is\n"
		"full, the final ACK of a handshake is dropped (TcpExtListenOverflows and\n"
		"TcpExtListenDrops rise) and the client retransmits after a timeout, or gives up.\n"
		"`ss -lnt` shows the queue in Recv-Q and its limit in Send-Q.\n"
		"The cause is almost always an application that accepts too slowly; a bigger backlog\n"
		"(listen() argument, capped by net.core.somaxconn) only absorbs bursts. The fix names\n"
		"what limits each full listener: its own listen() backlog when that is below\n"
		"somaxconn (raise it in the application), or somaxconn when the backlog reached it\n"
		"(double somaxconn, and the backlog with it).\n"
		"Each full listener is a finding of its own (its subject is the listener's address\n"
		"and port, and the evidence includes what sock_diag counts as dropped at that\n"
		"socket); overflows counted while no queue is full at the last sample make one\n"
		"finding about the host.",
	    .thresholds = overflow_thr, .check = check_overflow);

/* ---- backlog capped by somaxconn ---- */

static void check_somaxconn(struct report *r, const struct evidence *ev)
{
	char a[64], o[96];
	long long somax = ev_sysctl(ev, "net.core.somaxconn");

	if (somax < 0)
		return rule_skip(r, "net.core.somaxconn is unreadable");
	if (!ev->have_socks)
		return rule_skip(r, "no socket table (sock_diag)");
	long long ovf = ev_delta(ev, "TcpExtListenOverflows");
	size_t capped = 0, full = 0;
	for (size_t i = 0; i < ev->nsocks; i++) {
		const struct ev_sock *s = &ev->socks[i];
		if (is_listener(s) && (long long)s->wqueue == somax) {
			capped++;
			full += s->rqueue >= s->wqueue;
		}
	}
	if (!capped)
		return;
	bool hurting = ovf > 0 || full;
	struct finding *f = finding_add(r, hurting ? SEV_WARNING : SEV_INFO, "net.core.somaxconn",
					"listen backlogs capped by net.core.somaxconn (%lld)%s", somax,
					hurting ? " while accept queues overflow" : "");
	for (size_t i = 0; i < ev->nsocks; i++) {
		const struct ev_sock *s = &ev->socks[i];
		if (is_listener(s) && (long long)s->wqueue == somax)
			finding_evidence(f, "sock_diag", "listener %s: backlog limit %u = somaxconn, queue %u%s",
					 ev_endpoint(s, true, a, sizeof(a)), s->wqueue, s->rqueue,
					 owner(ev, s, o, sizeof(o)));
	}
	finding_evidence(f, "/proc/sys/net/core/somaxconn", "net.core.somaxconn = %lld", somax);
	if (ovf >= 0)
		finding_evidence(f, "/proc/net/netstat", "TcpExtListenOverflows +%lld", ovf);
	finding_value(f, "somaxconn", (double)somax);
	finding_value(f, "capped_listeners", (double)capped);
	finding_fix(f, "sysctl -w net.core.somaxconn=%lld (and persist it in /etc/sysctl.d/), then "
		       "restart the listeners: the limit is taken at listen() time. The application "
		       "must also ask for the bigger backlog.", somax < 4096 ? 4096 : somax * 4);
}

DOCTOR_RULE(listen_somaxconn, .id = "listen-somaxconn", .area = "tcp-listen",
	    .title = "listen backlogs silently capped by net.core.somaxconn",
	    .explain =
		"listen(fd, backlog) gets min(backlog, net.core.somaxconn) without any error, so a\n"
		"server configured for a large backlog may run with a small one. On current kernels\n"
		"(since 4.4, when the listener lock was removed) that one number bounds both queues:\n"
		"the accept queue holds it plus one completed connection, and half-open request\n"
		"sockets (SYN-RECV) are refused once their count reaches it. There is no separate\n"
		"power-of-two sized SYN table any more. net.ipv4.tcp_max_syn_backlog matters only\n"
		"when syncookies are off: then new SYNs from unverified peers are dropped once fewer\n"
		"than a quarter of it remains free. With tcp_syncookies=1 (the default), a full\n"
		"queue answers with cookies instead (TcpExtTCPReqQFullDoCookies).\n"
		"A listener whose limit equals somaxconn probably asked for more; the finding is a\n"
		"warning when its accept queue is full or overflows are counted.",
	    .check = check_somaxconn);

/* ---- SYN floods ---- */

/* Listeners whose SYN queue is full (half-open requests at the backlog), or
 * failing that those holding requests; the first three names into list. */
static size_t syn_listeners(struct finding *f, const struct evidence *ev, struct strbuf *list)
{
	char name[160];
	size_t full = 0, shown = 0;

	for (size_t i = 0; i < ev->nsocks; i++)
		full += is_listener(&ev->socks[i]) && ev->socks[i].wqueue &&
			ev->socks[i].synq >= ev->socks[i].wqueue;
	for (size_t i = 0; i < ev->nsocks; i++) {
		const struct ev_sock *s = &ev->socks[i];
		bool is_full_q = s->wqueue && s->synq >= s->wqueue;
		if (!is_listener(s) || !s->synq || (full && !is_full_q))
			continue;
		listener_name(ev, s, name, sizeof(name));
		finding_evidence(f, "sock_diag", "listener %s: SYN queue %u of %u%s", name, s->synq,
				 s->wqueue, is_full_q ? " (full)" : "");
		if (shown++ < 3)
			sb_printf(list, "%s%s (backlog %u)", list->len ? ", " : "", name, s->wqueue);
	}
	if (!shown)
		finding_evidence(f, "sock_diag", "no listener held half-open connections at the last "
				 "sample: the flood had passed");
	return full;
}

static void check_synflood(struct report *r, const struct evidence *ev)
{
	struct strbuf list = STRBUF_INIT;

	if (!ev->have_ctr)
		return rule_skip(r, "no protocol counters (/proc/net/netstat)");
	long long sent = ev_delta(ev, "TcpExtSyncookiesSent");
	long long cookies = ev_delta(ev, "TcpExtTCPReqQFullDoCookies");
	long long drop = ev_delta(ev, "TcpExtTCPReqQFullDrop");
	long long failed = ev_delta(ev, "TcpExtSyncookiesFailed");

	if (sent <= 0 && cookies <= 0 && drop <= 0)
		return;
	struct finding *f = finding_add(r, drop > 0 ? SEV_CRITICAL : SEV_WARNING, "host",
					"SYN queues are full: %s", drop > 0
						? "new connections are being dropped"
						: "the kernel answers with SYN cookies");
	size_t full = syn_listeners(f, ev, &list);
	finding_evidence(f, "/proc/net/netstat", "TcpExtSyncookiesSent +%lld", sent > 0 ? sent : 0);
	finding_evidence(f, "/proc/net/netstat", "TcpExtTCPReqQFullDoCookies +%lld",
			 cookies > 0 ? cookies : 0);
	finding_evidence(f, "/proc/net/netstat", "TcpExtTCPReqQFullDrop +%lld", drop > 0 ? drop : 0);
	if (failed > 0)
		finding_evidence(f, "/proc/net/netstat", "TcpExtSyncookiesFailed +%lld (invalid cookies)",
				 failed);
	finding_value(f, "syncookies_sent", (double)(sent > 0 ? sent : 0));
	finding_value(f, "reqq_full_drops", (double)(drop > 0 ? drop : 0));
	finding_value(f, "full_listeners", (double)full);
	long long sc = ev_sysctl(ev, "net.ipv4.tcp_syncookies");
	long long somax = ev_sysctl(ev, "net.core.somaxconn");
	if (sc >= 0)
		finding_evidence(f, "/proc/sys/net/ipv4/tcp_syncookies", "net.ipv4.tcp_syncookies = %lld", sc);
	char cap[96] = "";
	if (somax >= 0)
		snprintf(cap, sizeof(cap), " (capped by net.core.somaxconn = %lld)", somax);
	finding_fix(f, "%s; if the SYNs are legitimate load, raise %s%s%s, which bounds the SYN queue "
		       "too; if it is a flood, filter it upstream. Cookies lose TCP options such as "
		       "window scaling when timestamps are off.",
		    sc == 0 ? "turn SYN cookies on: sysctl -w net.ipv4.tcp_syncookies=1"
			    : "SYN cookies keep the host reachable meanwhile",
		    list.len ? "the listen() backlog of " : "the listener's backlog",
		    list.len ? list.buf : "", cap);
	sb_free(&list);
}

DOCTOR_RULE(syn_flood, .id = "syn-flood", .area = "tcp-listen",
	    .title = "SYN queue full: SYN cookies sent, or SYNs dropped",
	    .explain =
		"Half-open connections wait in the listener's request queue, bounded by its backlog.\n"
		"When it is full the kernel either answers with a SYN cookie (tcp_syncookies=1:\n"
		"TcpExtSyncookiesSent and TcpExtTCPReqQFullDoCookies rise) or drops the SYN\n"
		"(TcpExtTCPReqQFullDrop). Cookies keep the service reachable under a flood, at the\n"
		"cost of some TCP options. A rising count means a SYN flood or a listener whose\n"
		"backlog is too small for its connection rate. The finding names the listeners whose\n"
		"queue of half-open requests (NEW_SYN_RECV sockets, counted per listener) reached\n"
		"their backlog at the last sample.",
	    .check = check_synflood);

static void check_syncookies_off(struct report *r, const struct evidence *ev)
{
	long long sc = ev_sysctl(ev, "net.ipv4.tcp_syncookies");

	if (sc < 0)
		return rule_skip(r, "net.ipv4.tcp_syncookies is unreadable");
	if (sc != 0)
		return;
	struct finding *f = finding_add(r, SEV_WARNING, "net.ipv4.tcp_syncookies",
					"SYN cookies are off: a SYN flood fills the SYN queue and "
					"legitimate connections are dropped");
	finding_evidence(f, "/proc/sys/net/ipv4/tcp_syncookies", "net.ipv4.tcp_syncookies = 0");
	finding_fix(f, "sysctl -w net.ipv4.tcp_syncookies=1 (persist in /etc/sysctl.d/): cookies are "
		       "sent only when a SYN queue is full, so normal traffic is unaffected.");
}

DOCTOR_RULE(syncookies_off, .id = "syncookies-off", .area = "tcp-listen",
	    .title = "net.ipv4.tcp_syncookies turned off",
	    .explain =
		"With tcp_syncookies=0 a full SYN queue drops new SYNs, so a flood of spoofed SYNs\n"
		"locks legitimate clients out. With 1 (the default) the kernel encodes the\n"
		"connection in the SYN-ACK's sequence number once the queue is full, and keeps no\n"
		"state until the client's ACK comes back.",
	    .check = check_syncookies_off);
