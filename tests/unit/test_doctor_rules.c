/* Doctor's rules on recorded evidence: real snapshots of namespaces
 * (the .nlsnap files in tests/fixtures/doctor, made by record.sh, which says what each
 * holds: clean, listener, conns, traffic, multinic) replayed through the
 * real readers, with some files replaced to make a condition (a sysctl, a
 * counter between the samples, softnet_stat). Each rule runs alone (as
 * --only ID) on the evidence; the test reads the report back. Rules read
 * nothing themselves, so what a rule says depends on this evidence only.
 *
 * Replaced files come first in the rebuilt snapshot: snap_find() returns the
 * first record, so they hide the recorded ones. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "base/strbuf.h"
#include "doctor/doctor.h"
#include "sources/host.h"
#include "sources/snapshot.h"

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct over {
	int sample; /* 0, 1, or -1 for both */
	const char *path, *text;
	uint16_t cut_dump; /* path NULL: this rtnetlink dump (AF_INET) of the fixture
			    * is cut inside its second message, as a truncated read */
};

/* The record's data, or for a dump an override cuts, its first message and
 * 20 bytes of the next. */
static uint32_t kept_len(const struct snap_rec *r, const struct over *ov, size_t nov)
{
	unsigned char key[8];

	for (size_t i = 0; i < nov; i++) {
		size_t kl = snap_dump_key(key, NETLINK_ROUTE, ov[i].cut_dump, AF_INET, 0);
		if (ov[i].path || r->kind != SNAP_NLDUMP || r->key_len != kl || memcmp(r->key, key, kl) ||
		    (ov[i].sample >= 0 && (uint32_t)ov[i].sample != r->sample))
			continue;
		const struct nlmsghdr *h = r->data;
		assert_true(r->data_len > NLMSG_ALIGN(h->nlmsg_len) + 20);
		return NLMSG_ALIGN(h->nlmsg_len) + 20;
	}
	return r->data_len;
}

static struct host *open_fixture(const char *name, const struct over *ov, size_t nov)
{
	const char *dir = getenv("NETLENS_FIXTURES");
	char path[512], err[256];
	struct snapshot base;
	struct snap_writer w;
	char *buf = NULL;
	size_t len = 0;

	snprintf(path, sizeof(path), "%s/doctor/%s", dir ? dir : "tests/fixtures", name);
	if (snap_open(&base, path, err, sizeof(err)) != 0)
		fail_msg("%s: %s", path, err);
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	assert_int_equal(snap_begin(&w, f, base.created_ns), 0);
	for (size_t i = 0; i < nov; i++)
		for (int s = 0; s < 2 && ov[i].path; s++)
			if (ov[i].sample < 0 || ov[i].sample == s)
				assert_int_equal(snap_add(&w, SNAP_FILE, (uint32_t)s, ov[i].path,
							  strlen(ov[i].path), ov[i].text,
							  strlen(ov[i].text)), 0);
	for (size_t i = 0; i < base.nrecs; i++) {
		const struct snap_rec *r = &base.recs[i];
		assert_int_equal(snap_add(&w, r->kind, r->sample, r->key, r->key_len, r->data,
					  kept_len(r, ov, nov)), 0);
	}
	assert_int_equal(snap_finish(&w), 0);
	fclose(f);
	snap_close(&base);
	struct snapshot *snap = malloc(sizeof(*snap));
	assert_non_null(snap);
	assert_int_equal(snap_parse(snap, (unsigned char *)buf, len, err, sizeof(err)), 0);
	struct host *h = host_recorded(snap);
	assert_non_null(h);
	return h;
}

struct run {
	struct host *h;
	struct evidence ev;
	struct doctor_config cfg;
	const char *only[2];
	struct report *r;
};

/* Runs rule id alone on the fixture with the overrides; its first finding
 * (or NULL). */
static const struct finding *run_rule(struct run *x, const char *fixture, const char *id,
				      const struct over *ov, size_t nov)
{
	memset(x, 0, sizeof(*x));
	x->h = open_fixture(fixture, ov, nov);
	assert_int_equal(evidence_gather(&x->ev, x->h, 0), 0);
	assert_int_equal(x->ev.nsamples, 2);
	x->only[0] = id;
	x->cfg.only = x->only;
	x->r = report_new(&x->cfg);
	report_run(x->r, &x->ev);
	for (size_t i = 0; i < report_count(x->r); i++)
		assert_string_equal(finding_rule_id(report_finding(x->r, i)), id);
	return report_finding(x->r, 0);
}

static void run_free(struct run *x)
{
	report_free(x->r);
	evidence_free(&x->ev);
	host_close(x->h);
}

/* Some evidence line contains text. */
static bool has_evidence(const struct finding *f, const char *text)
{
	const char *e;
	for (int i = 0; (e = finding_evidence_text(f, i, NULL)); i++)
		if (strstr(e, text))
			return true;
	return false;
}

/* The finding whose summary starts with prefix (rules that report per
 * interface or address add several). */
static const struct finding *with_summary(const struct run *x, const char *prefix)
{
	for (size_t i = 0; i < report_count(x->r); i++) {
		const struct finding *f = report_finding(x->r, i);
		if (strncmp(finding_summary(f), prefix, strlen(prefix)) == 0)
			return f;
	}
	fail_msg("no finding starting '%s'", prefix);
	return NULL;
}

static void expect(const struct finding *f, enum severity sev)
{
	assert_non_null(f);
	assert_int_equal(finding_severity(f), sev);
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---- every rule is quiet on a clean namespace ---- */

static void test_clean_namespace_is_quiet(void **state)
{
	const struct doctor_rule *rule;
	(void)state;
	for_each_rule(rule) {
		struct run x;
		const struct finding *f = run_rule(&x, "clean.nlsnap", rule->id, NULL, 0);
		if (f)
			fail_msg("%s: %s", rule->id, finding_summary(f));
		run_free(&x);
	}
}

/* ---- hardening, syncookies ---- */

static void test_hardening(void **state)
{
	static const struct over bcast[] = {
		{ -1, "/proc/sys/net/ipv4/icmp_echo_ignore_broadcasts", "0\n" } };
	static const struct over bogus[] = {
		{ -1, "/proc/sys/net/ipv4/icmp_ignore_bogus_error_responses", "0\n" } };
	struct run x;
	(void)state;
	const struct finding *f = run_rule(&x, "clean.nlsnap", "icmp-echo-broadcast", bcast, 1);
	expect(f, SEV_INFO);
	assert_true(has_evidence(f, "net.ipv4.icmp_echo_ignore_broadcasts = 0 (recommended 1)"));
	run_free(&x);
	expect(run_rule(&x, "clean.nlsnap", "icmp-bogus-errors", bogus, 1), SEV_INFO);
	run_free(&x);
}

static void test_syncookies_off(void **state)
{
	static const struct over off[] = { { -1, "/proc/sys/net/ipv4/tcp_syncookies", "0\n" } };
	struct run x;
	(void)state;
	const struct finding *f = run_rule(&x, "clean.nlsnap", "syncookies-off", off, 1);
	expect(f, SEV_WARNING);
	assert_string_equal(finding_evidence_text(f, 0, NULL), "net.ipv4.tcp_syncookies = 0");
	assert_string_equal(finding_subject(f), "net.ipv4.tcp_syncookies");
	run_free(&x);
}

/* ---- listeners ---- */

#define SYN_HDR "TcpExt: SyncookiesSent TCPReqQFullDoCookies TCPReqQFullDrop SyncookiesFailed\n"

static void test_syn_flood(void **state)
{
	static const struct over cookies[] = {
		{ 0, "/proc/net/netstat", SYN_HDR "TcpExt: 5 5 0 0\n" },
		{ 1, "/proc/net/netstat", SYN_HDR "TcpExt: 45 45 0 0\n" },
	};
	static const struct over drops[] = {
		{ 0, "/proc/net/netstat", SYN_HDR "TcpExt: 0 0 0 0\n" },
		{ 1, "/proc/net/netstat", SYN_HDR "TcpExt: 0 0 7 0\n" },
		{ -1, "/proc/sys/net/ipv4/tcp_syncookies", "0\n" },
	};
	struct run x;
	(void)state;
	const struct finding *f = run_rule(&x, "clean.nlsnap", "syn-flood", cookies, N(cookies));
	expect(f, SEV_WARNING);
	assert_true(finding_get_value(f, "syncookies_sent") == 40);
	assert_true(has_evidence(f, "no listener held half-open connections"));
	run_free(&x);
	f = run_rule(&x, "clean.nlsnap", "syn-flood", drops, N(drops));
	expect(f, SEV_CRITICAL);
	assert_true(finding_get_value(f, "reqq_full_drops") == 7);
	assert_non_null(strstr(finding_fix_text(f), "sysctl -w net.ipv4.tcp_syncookies=1"));
	run_free(&x);
}

static void test_listen_overflow(void **state)
{
	static const struct over capped[] = { { -1, "/proc/sys/net/core/somaxconn", "4\n" } };
	struct run x;
	(void)state;
	/* backlog 4 under somaxconn 4096: the application's backlog is the limit */
	const struct finding *f = run_rule(&x, "listener.nlsnap", "listen-overflow", NULL, 0);
	expect(f, SEV_WARNING);
	assert_int_equal(report_count(x.r), 1);
	assert_string_equal(finding_subject(f), "127.0.0.1:40404");
	assert_true(finding_get_value(f, "full_listeners") == 1);
	assert_true(finding_get_value(f, "backlog") == 4);
	assert_true(has_evidence(f, "listener 127.0.0.1:40404: accept queue 5 of 4"));
	assert_non_null(strstr(finding_fix_text(f), "The application's listen() backlog is the limit "
						    "of 127.0.0.1:40404 backlog 4 (net.core.somaxconn "
						    "= 4096 allows more)"));
	assert_null(strstr(finding_fix_text(f), "net.core.somaxconn="));
	run_free(&x);
	/* somaxconn 4: it is the limit, doubled */
	f = run_rule(&x, "listener.nlsnap", "listen-overflow", capped, N(capped));
	expect(f, SEV_WARNING);
	assert_non_null(strstr(finding_fix_text(f), "net.core.somaxconn = 4 caps the backlog of "
						    "127.0.0.1:40404 backlog 4: sysctl -w "
						    "net.core.somaxconn=8 "));
	run_free(&x);
}

static void test_listen_somaxconn(void **state)
{
	static const struct over capped[] = { { -1, "/proc/sys/net/core/somaxconn", "4\n" } };
	struct run x;
	(void)state;
	assert_null(run_rule(&x, "listener.nlsnap", "listen-somaxconn", NULL, 0));
	run_free(&x);
	const struct finding *f = run_rule(&x, "listener.nlsnap", "listen-somaxconn", capped, 1);
	expect(f, SEV_WARNING); /* capped, and that queue is full */
	assert_true(finding_get_value(f, "somaxconn") == 4);
	assert_true(finding_get_value(f, "capped_listeners") == 1);
	run_free(&x);
}

/* ---- TCP memory and connections ---- */

static void test_tcp_mem_pressure(void **state)
{
	static const struct over pressure[] = {
		{ 0, "/proc/net/netstat", "TcpExt: TCPMemoryPressures RcvPruned\nTcpExt: 1 0\n" },
		{ 1, "/proc/net/netstat", "TcpExt: TCPMemoryPressures RcvPruned\nTcpExt: 4 0\n" },
	};
	static const struct over dropping[] = {
		{ 0, "/proc/net/netstat", "TcpExt: TCPMemoryPressures RcvPruned\nTcpExt: 1 0\n" },
		{ 1, "/proc/net/netstat", "TcpExt: TCPMemoryPressures RcvPruned\nTcpExt: 4 9\n" },
	};
	struct run x;
	(void)state;
	const struct finding *f = run_rule(&x, "clean.nlsnap", "tcp-mem-pressure", pressure, 2);
	expect(f, SEV_WARNING);
	assert_true(finding_get_value(f, "pressures") == 3);
	run_free(&x);
	f = run_rule(&x, "clean.nlsnap", "tcp-mem-pressure", dropping, 2);
	expect(f, SEV_CRITICAL);
	assert_true(finding_get_value(f, "drops") == 9);
	run_free(&x);
}

#define SOCKSTAT(orphan, tw) \
	"sockets: used 5\nTCP: inuse 1 orphan " #orphan " tw " #tw " alloc 1 mem 1\n" \
	"UDP: inuse 0 mem 0\nUDPLITE: inuse 0\nRAW: inuse 0\nFRAG: inuse 0 memory 0\n"

static void test_tcp_orphans(void **state)
{
	static const struct over many[] = {
		{ -1, "/proc/net/sockstat", SOCKSTAT(600, 0) },
		{ -1, "/proc/sys/net/ipv4/tcp_max_orphans", "1000\n" },
	};
	static const struct over few[] = {
		{ -1, "/proc/net/sockstat", SOCKSTAT(10, 0) },
		{ -1, "/proc/sys/net/ipv4/tcp_max_orphans", "1000\n" },
	};
	struct run x;
	(void)state;
	const struct finding *f = run_rule(&x, "clean.nlsnap", "tcp-orphans", many, 2);
	expect(f, SEV_CRITICAL);
	assert_true(finding_get_value(f, "orphans") == 600);
	assert_true(fabs(finding_get_value(f, "fraction") - 0.6) < 1e-9);
	assert_non_null(strstr(finding_fix_text(f), "net.ipv4.tcp_max_orphans=2000"));
	run_free(&x);
	assert_null(run_rule(&x, "clean.nlsnap", "tcp-orphans", few, 2));
	run_free(&x);
}

static void test_tcp_timewait(void **state)
{
	static const struct over near[] = {
		{ -1, "/proc/net/sockstat", SOCKSTAT(0, 95) },
		{ -1, "/proc/sys/net/ipv4/tcp_max_tw_buckets", "100\n" },
	};
	static const struct over overflow[] = {
		{ 0, "/proc/net/netstat", "TcpExt: TCPTimeWaitOverflow\nTcpExt: 0\n" },
		{ 1, "/proc/net/netstat", "TcpExt: TCPTimeWaitOverflow\nTcpExt: 12\n" },
	};
	struct run x;
	(void)state;
	const struct finding *f = run_rule(&x, "clean.nlsnap", "tcp-timewait", near, 2);
	expect(f, SEV_INFO);
	assert_true(finding_get_value(f, "timewait") == 95);
	run_free(&x);
	f = run_rule(&x, "clean.nlsnap", "tcp-timewait", overflow, 2);
	expect(f, SEV_WARNING);
	assert_true(finding_get_value(f, "overflows") == 12);
	run_free(&x);
}

/* ---- flows, UDP ---- */

static void test_tcp_retrans(void **state)
{
	static const struct over lossy[] = {
		{ 0, "/proc/net/snmp", "Tcp: OutSegs RetransSegs\nTcp: 1000 10\n" },
		{ 1, "/proc/net/snmp", "Tcp: OutSegs RetransSegs\nTcp: 11000 610\n" },
	};
	static const struct over healthy[] = {
		{ 0, "/proc/net/snmp", "Tcp: OutSegs RetransSegs\nTcp: 1000 10\n" },
		{ 1, "/proc/net/snmp", "Tcp: OutSegs RetransSegs\nTcp: 11000 15\n" },
	};
	struct run x;
	(void)state;
	const struct finding *f = run_rule(&x, "clean.nlsnap", "tcp-retrans", lossy, 2);
	expect(f, SEV_CRITICAL);
	assert_true(fabs(finding_get_value(f, "retrans_pct") - 6.0) < 1e-9);
	assert_true(has_evidence(f, "TcpRetransSegs +600 over TcpOutSegs +10000 (6.00%"));
	run_free(&x);
	assert_null(run_rule(&x, "clean.nlsnap", "tcp-retrans", healthy, 2));
	run_free(&x);
}

static void test_tcp_options_off(void **state)
{
	static const struct over nosack[] = { { -1, "/proc/sys/net/ipv4/tcp_sack", "0\n" } };
	struct run x;
	(void)state;
	const struct finding *f = run_rule(&x, "clean.nlsnap", "tcp-options-off", nosack, 1);
	expect(f, SEV_WARNING);
	assert_non_null(strstr(finding_summary(f), "selective acknowledgements (SACK) are off"));
	assert_true(report_count(x.r) == 1); /* timestamps and scaling stay on */
	run_free(&x);
}

static void test_udp_buffer_errors(void **state)
{
	static const struct over drops[] = {
		{ 0, "/proc/net/snmp", "Udp: InErrors RcvbufErrors\nUdp: 0 0\n" },
		{ 1, "/proc/net/snmp", "Udp: InErrors RcvbufErrors\nUdp: 250 250\n" },
	};
	static const struct over few[] = {
		{ 0, "/proc/net/snmp", "Udp: InErrors RcvbufErrors\nUdp: 0 0\n" },
		{ 1, "/proc/net/snmp", "Udp: InErrors RcvbufErrors\nUdp: 3 3\n" },
	};
	struct run x;
	(void)state;
	const struct finding *f = run_rule(&x, "clean.nlsnap", "udp-buffer-errors", drops, 2);
	expect(f, SEV_CRITICAL);
	assert_true(finding_get_value(f, "rcvbuf_errors") == 250);
	run_free(&x);
	f = run_rule(&x, "clean.nlsnap", "udp-buffer-errors", few, 2);
	expect(f, SEV_WARNING);
	assert_true(finding_get_value(f, "rcvbuf_errors") == 3);
	run_free(&x);
}

/* ---- softnet ---- */

/* Two CPUs: processed, dropped and squeezed of cpu0; cpu1 idle. */
#define SN(p, d, s)                                                                   \
	#p " " #d " " #s " 0 0 0 0 0 0 0 0 0 0 0 0\n"                                  \
	"00000010 00000000 00000000 0 0 0 0 0 0 0 0 0 00000001 0 0\n"

static void test_softnet(void **state)
{
	static const struct over drops[] = {
		{ 0, "/proc/net/softnet_stat", SN(00000100, 00000000, 00000000) },
		{ 1, "/proc/net/softnet_stat", SN(00000200, 000000c8, 00000000) },
	};
	static const struct over squeeze[] = {
		{ 0, "/proc/net/softnet_stat", SN(00000100, 00000000, 000003e8) },
		{ 1, "/proc/net/softnet_stat", SN(00000200, 00000000, 000003ed) },
		{ -1, "/proc/sys/net/core/netdev_budget", "300\n" },
		{ -1, "/proc/sys/net/core/netdev_budget_usecs", "2000\n" },
	};
	struct run x;
	(void)state;
	const struct finding *f = run_rule(&x, "clean.nlsnap", "softnet-drops", drops, 2);
	expect(f, SEV_CRITICAL); /* 200/s over critical_per_s 100 */
	assert_true(finding_get_value(f, "drops") == 200);
	assert_true(has_evidence(f, "cpu0: dropped +200"));
	run_free(&x);
	assert_null(run_rule(&x, "clean.nlsnap", "softnet-drops", squeeze, N(squeeze)));
	run_free(&x);
	/* 1000 squeezes since boot say nothing; 5 in the interval do */
	f = run_rule(&x, "clean.nlsnap", "softnet-time-squeeze", squeeze, N(squeeze));
	expect(f, SEV_INFO);
	assert_true(finding_get_value(f, "time_squeeze") == 5);
	assert_non_null(strstr(finding_fix_text(f), "net.core.netdev_budget=600 "
						    "net.core.netdev_budget_usecs=4000"));
	run_free(&x);
	assert_null(run_rule(&x, "clean.nlsnap", "softnet-time-squeeze", drops, 2));
	run_free(&x);
}

/* ---- tables ---- */

static void test_conntrack(void **state)
{
	static const struct over full[] = {
		{ -1, "/proc/sys/net/netfilter/nf_conntrack_count", "96\n" },
		{ -1, "/proc/sys/net/netfilter/nf_conntrack_max", "100\n" },
	};
	static const struct over dropping[] = {
		{ -1, "/proc/sys/net/netfilter/nf_conntrack_count", "10\n" },
		{ -1, "/proc/sys/net/netfilter/nf_conntrack_max", "100\n" },
		{ 0, "/proc/net/stat/nf_conntrack", "entries drop early_drop insert_failed\n"
						    "0000000a 00000000 00000000 00000000\n" },
		{ 1, "/proc/net/stat/nf_conntrack", "entries drop early_drop insert_failed\n"
						    "0000000a 00000011 00000000 00000000\n" },
	};
	static const struct over half[] = {
		{ -1, "/proc/sys/net/netfilter/nf_conntrack_count", "50\n" },
		{ -1, "/proc/sys/net/netfilter/nf_conntrack_max", "100\n" },
	};
	struct run x;
	(void)state;
	const struct finding *f = run_rule(&x, "clean.nlsnap", "conntrack-full", full, 2);
	expect(f, SEV_CRITICAL);
	assert_true(finding_get_value(f, "used_pct") == 96);
	assert_string_equal(finding_subject(f), "nf_conntrack");
	run_free(&x);
	f = run_rule(&x, "clean.nlsnap", "conntrack-full", dropping, N(dropping));
	expect(f, SEV_CRITICAL);
	assert_true(finding_get_value(f, "drops") == 17);
	assert_true(has_evidence(f, "drop +17, early_drop +0, insert_failed +0"));
	run_free(&x);
	assert_null(run_rule(&x, "clean.nlsnap", "conntrack-full", half, 2));
	run_free(&x);
}

static void test_neigh_table(void **state)
{
	static const struct over overflow[] = {
		{ -1, "/proc/sys/net/ipv4/neigh/default/gc_thresh1", "128\n" },
		{ -1, "/proc/sys/net/ipv4/neigh/default/gc_thresh2", "512\n" },
		{ -1, "/proc/sys/net/ipv4/neigh/default/gc_thresh3", "1024\n" },
		{ 0, "/proc/net/stat/arp_cache", "entries table_fulls\n00000003 00000000\n" },
		{ 1, "/proc/net/stat/arp_cache", "entries table_fulls\n00000003 00000004\n" },
	};
	struct run x;
	(void)state;
	const struct finding *f = run_rule(&x, "clean.nlsnap", "neigh-table-full", overflow, N(overflow));
	expect(f, SEV_CRITICAL);
	assert_true(finding_get_value(f, "table_fulls") == 4);
	assert_true(has_evidence(f, "entries 3 (every namespace, permanent included), table_fulls +4"));
	run_free(&x);
	/* the same limits without overflows: an empty table is fine */
	assert_null(run_rule(&x, "clean.nlsnap", "neigh-table-full", overflow, 3));
	run_free(&x);
}

/* ---- local ports and flows (conns.nlsnap) ---- */

static void test_ephemeral_ports(void **state)
{
	static const struct over reserved[] = {
		{ -1, "/proc/sys/net/ipv4/ip_local_reserved_ports", "40000-40002\n" } };
	static const struct over wide[] = {
		{ -1, "/proc/sys/net/ipv4/ip_local_port_range", "1024\t65000\n" } };
	struct run x;
	(void)state;
	/* 7 connections to one destination from a range of 10 ports */
	const struct finding *f = run_rule(&x, "conns.nlsnap", "ephemeral-ports", NULL, 0);
	expect(f, SEV_WARNING);
	assert_string_equal(finding_summary(f), "7 connections to 127.0.0.1:50505 use 70% of the 10 "
			    "usable local ports: connect() to it fails with EADDRNOTAVAIL once they are "
			    "used up");
	assert_true(has_evidence(f, "from 127.0.0.1 to 127.0.0.1:50505: 7 connected, 0 in TIME-WAIT "
				    "(70% of 10 ports)"));
	assert_true(has_evidence(f, "net.ipv4.ip_local_port_range = 40000 40009 (10 ports)"));
	assert_true(finding_get_value(f, "connections") == 7);
	assert_true(finding_get_value(f, "usable_ports") == 10);
	assert_true(finding_get_value(f, "destinations") == 1);
	assert_non_null(strstr(finding_fix_text(f), "ip_local_port_range=\"1024 65000\""));
	run_free(&x);
	/* three of them reserved: 7 of 7 usable is critical */
	f = run_rule(&x, "conns.nlsnap", "ephemeral-ports", reserved, 1);
	expect(f, SEV_CRITICAL);
	assert_true(has_evidence(f, "3 reserved (net.ipv4.ip_local_reserved_ports), 0 held by local "
				    "listeners: 7 usable"));
	assert_true(finding_get_value(f, "fraction") == 1);
	run_free(&x);
	/* a wide range has room */
	assert_null(run_rule(&x, "conns.nlsnap", "ephemeral-ports", wide, 1));
	run_free(&x);
}

static void test_tcp_buffer_limited(void **state)
{
	struct run x;
	(void)state;
	/* a receiver with SO_RCVBUF 4096 reading 1 KiB every 2 ms, on this host */
	const struct finding *f = run_rule(&x, "conns.nlsnap", "tcp-buffer-limited", NULL, 0);
	expect(f, SEV_WARNING);
	assert_true(finding_get_value(f, "flows") == 1);
	assert_true(finding_get_value(f, "worst_limited_pct") >= 30);
	assert_true(has_evidence(f, "-> 127.0.0.1:50506: rwnd-limited "));
	assert_true(has_evidence(f, "below tcp_rmem default: fixed by SO_RCVBUF"));
	assert_non_null(strstr(finding_fix_text(f), "SO_RCVBUF"));
	run_free(&x);
}

/* ---- interfaces, qdiscs, softnet (traffic.nlsnap) ---- */

static void test_nic_errors(void **state)
{
	struct run x;
	(void)state;
	/* d0's peer is down: the 50 datagrams sent through it are dropped */
	run_rule(&x, "traffic.nlsnap", "nic-errors", NULL, 0);
	assert_int_equal(report_count(x.r), 1);
	const struct finding *f = with_summary(&x, "d0 lost 50 packets in 1.0 s (50.0/s, 100.0% of "
					       "its traffic)");
	expect(f, SEV_WARNING);
	assert_true(has_evidence(f, "d0 tx_dropped +50 (50.0/s)"));
	assert_true(finding_get_value(f, "drops") == 50);
	assert_true(finding_get_value(f, "errors") == 0);
	assert_string_equal(finding_subject(f), "d0");
	assert_non_null(strstr(finding_fix_text(f), "the other end of veth d0 is down"));
	run_free(&x);
}

static void test_nic_carrier_flaps(void **state)
{
	struct run x;
	(void)state;
	/* d0's peer went down and up 10 times before the recording */
	run_rule(&x, "traffic.nlsnap", "nic-carrier-flaps", NULL, 0);
	assert_int_equal(report_count(x.r), 1);
	const struct finding *f = with_summary(&x, "d0 lost its carrier ");
	expect(f, SEV_INFO);
	assert_non_null(strstr(finding_summary(f), " times since it was created: the link flaps"));
	assert_true(finding_get_value(f, "carrier_down_count") >= 11);
	assert_true(has_evidence(f, "d0 operstate DOWN, kind veth"));
	assert_non_null(strstr(finding_fix_text(f), "its carrier follows the device behind it"));
	run_free(&x);
}

static void test_qdisc_drops(void **state)
{
	struct run x;
	(void)state;
	/* 2000 datagrams into a 1 Mbit/s tbf with a 3000-byte queue */
	run_rule(&x, "traffic.nlsnap", "qdisc-drops", NULL, 0);
	assert_int_equal(report_count(x.r), 1);
	const struct finding *f = with_summary(&x, "qdisc tbf on q0 dropped ");
	expect(f, SEV_CRITICAL);
	double drops = finding_get_value(f, "drops");
	assert_true(drops > 1000 && drops <= 2000);
	assert_true(finding_get_value(f, "drop_ratio") > 0.5);
	assert_true(has_evidence(f, "q0 qdisc tbf 10: parent root: dropped +"));
	assert_non_null(strstr(finding_fix_text(f), "tbf limits the rate on purpose"));
	run_free(&x);
}

static void test_qdisc_bufferbloat(void **state)
{
	struct run x;
	(void)state;
	/* 3000 packets a second through pfifo_fast and its 1000-packet FIFO */
	run_rule(&x, "traffic.nlsnap", "qdisc-bufferbloat", NULL, 0);
	assert_int_equal(report_count(x.r), 1);
	const struct finding *f = with_summary(&x, "f0 sends ");
	expect(f, SEV_INFO);
	assert_non_null(strstr(finding_summary(f), "through a pfifo_fast FIFO of 1000 packets"));
	assert_true(finding_get_value(f, "txqueuelen") == 1000);
	assert_true(finding_get_value(f, "tx_packets_per_s") >= 3000);
	assert_non_null(strstr(finding_fix_text(f), "tc qdisc replace dev f0 root fq_codel"));
	run_free(&x);
}

#define SN2(p0, p1)                                                                   \
	#p0 " 00000000 00000000 0 0 0 0 0 0 0 0 0 00000000 0 0\n"                      \
	#p1 " 00000000 00000000 0 0 0 0 0 0 0 0 0 00000001 0 0\n"

static void test_softnet_one_cpu(void **state)
{
	/* cpu0 processes 20000 packets in the second, cpu1 100 */
	static const struct over one[] = {
		{ 0, "/proc/net/softnet_stat", SN2(00010000, 00010000) },
		{ 1, "/proc/net/softnet_stat", SN2(00014e20, 00010064) },
	};
	static const struct over rps_on[] = {
		{ 0, "/proc/net/softnet_stat", SN2(00010000, 00010000) },
		{ 1, "/proc/net/softnet_stat", SN2(00014e20, 00010064) },
		{ -1, "/sys/class/net/f0/queues/rx-0/rps_cpus", "3\n" },
	};
	static const struct over spread[] = {
		{ 0, "/proc/net/softnet_stat", SN2(00010000, 00010000) },
		{ 1, "/proc/net/softnet_stat", SN2(00012710, 00012710) },
	};
	struct run x;
	(void)state;
	/* f0 and q0 received between the samples; their rps_cpus are 0 */
	const struct finding *f = run_rule(&x, "traffic.nlsnap", "softnet-one-cpu", one, N(one));
	expect(f, SEV_INFO);
	assert_string_equal(finding_summary(f), "cpu0 did 100% of the receive work (20100 packets/s) "
			    "while RPS is off");
	assert_true(finding_get_value(f, "cpu") == 0);
	assert_string_equal(finding_subject(f), "cpu0");
	assert_true(has_evidence(f, "cpu0: processed +20000 of +20100 on 2 CPUs"));
	assert_true(has_evidence(f, "f0: rx +"));
	assert_true(has_evidence(f, "rps_cpus 0 on 1 rx queue"));
	assert_non_null(strstr(finding_fix_text(f), "echo 3 > /sys/class/net/"));
	run_free(&x);
	/* RPS in use: the concentration is something else */
	assert_null(run_rule(&x, "traffic.nlsnap", "softnet-one-cpu", rps_on, N(rps_on)));
	run_free(&x);
	/* half and half */
	assert_null(run_rule(&x, "traffic.nlsnap", "softnet-one-cpu", spread, N(spread)));
	run_free(&x);
}

/* 400 CPUs, cpu0 doing all the work: the fix's RPS mask covers all 400
 * (13 words: "ffff" then twelve of ffffffff), however long it gets. */
static void test_softnet_one_cpu_many_cpus(void **state)
{
	struct strbuf before = STRBUF_INIT, after = STRBUF_INIT, want = STRBUF_INIT;
	struct run x;
	(void)state;
	for (unsigned cpu = 0; cpu < 400; cpu++) {
		sb_printf(&before, "00010000 0 0 0 0 0 0 0 0 0 0 0 %08x 0 0\n", cpu);
		sb_printf(&after, "%08x 0 0 0 0 0 0 0 0 0 0 0 %08x 0 0\n", cpu ? 0x10000 : 0x14e20, cpu);
	}
	const struct over many[] = { { 0, "/proc/net/softnet_stat", before.buf },
				     { 1, "/proc/net/softnet_stat", after.buf } };
	sb_puts(&want, "echo ffff");
	for (int w = 0; w < 12; w++)
		sb_puts(&want, ",ffffffff");
	sb_puts(&want, " > /sys/class/net/");
	const struct finding *f = run_rule(&x, "traffic.nlsnap", "softnet-one-cpu", many, N(many));
	expect(f, SEV_INFO);
	assert_non_null(strstr(finding_fix_text(f), "combined 400 "));
	if (!strstr(finding_fix_text(f), want.buf))
		fail_msg("no '%s' in %s", want.buf, finding_fix_text(f));
	run_free(&x);
	sb_free(&before);
	sb_free(&after);
	sb_free(&want);
}

/* ---- several NICs (multinic.nlsnap) ---- */

#define RPF(n) "TcpExt: IPReversePathFilter\nTcpExt: " #n "\n"

static void test_rp_filter_asymmetric(void **state)
{
	static const struct over dropping[] = {
		{ 0, "/proc/net/netstat", RPF(0) }, { 1, "/proc/net/netstat", RPF(40) } };
	static const struct over flood[] = {
		{ 0, "/proc/net/netstat", RPF(0) }, { 1, "/proc/net/netstat", RPF(500) } };
	static const struct over loose[] = {
		{ -1, "/proc/sys/net/ipv4/conf/uplink_a/rp_filter", "2\n" } };
	struct run x;
	(void)state;
	/* strict on uplink_a, whose default route loses to uplink_b's: info while idle */
	const struct finding *f = run_rule(&x, "multinic.nlsnap", "rp-filter-asymmetric", NULL, 0);
	expect(f, SEV_INFO);
	assert_string_equal(finding_summary(f), "strict rp_filter on uplink_a will drop traffic arriving "
			    "there from sources routed through another interface");
	assert_true(has_evidence(f, "uplink_a: net.ipv4.conf.all.rp_filter = 0, "
				    "net.ipv4.conf.uplink_a.rp_filter = 1 (in effect: 1)"));
	assert_true(has_evidence(f, "uplink_a: route default via 10.61.1.2 dev uplink_a metric 20 "
				    "loses to default via 10.61.2.2 dev uplink_b metric 10"));
	assert_true(finding_get_value(f, "asymmetric_routes") == 1);
	assert_non_null(strstr(finding_fix_text(f), "sysctl -w net.ipv4.conf.uplink_a.rp_filter=2 "));
	run_free(&x);
	f = run_rule(&x, "multinic.nlsnap", "rp-filter-asymmetric", dropping, N(dropping));
	expect(f, SEV_WARNING);
	assert_non_null(strstr(finding_summary(f), "(IPReversePathFilter +40 in 1.0 s)"));
	assert_true(has_evidence(f, "TcpExtIPReversePathFilter +40 (40.0/s)"));
	assert_true(finding_get_value(f, "rp_filter_drops") == 40);
	run_free(&x);
	expect(run_rule(&x, "multinic.nlsnap", "rp-filter-asymmetric", flood, N(flood)), SEV_CRITICAL);
	run_free(&x);
	/* loose mode passes */
	assert_null(run_rule(&x, "multinic.nlsnap", "rp-filter-asymmetric", loose, 1));
	run_free(&x);
}

static void test_arp_flux(void **state)
{
	static const struct over filter[] = {
		{ -1, "/proc/sys/net/ipv4/conf/all/arp_filter", "1\n" } };
	static const struct over ignore[] = {
		{ -1, "/proc/sys/net/ipv4/conf/all/arp_ignore", "1\n" } };
	struct run x;
	(void)state;
	/* nic0 10.62.0.1/24 and nic1 10.62.0.2/24, arp_filter off */
	const struct finding *f = run_rule(&x, "multinic.nlsnap", "arp-flux", NULL, 0);
	expect(f, SEV_WARNING);
	assert_non_null(strstr(finding_summary(f), "2 interfaces have addresses in 10.62.0.0/24 with "
						   "arp_filter off"));
	assert_true(has_evidence(f, "nic0: 10.62.0.1/24"));
	assert_true(has_evidence(f, "nic1: 10.62.0.2/24"));
	assert_true(has_evidence(f, "nic1: net.ipv4.conf.all.arp_filter = 0, "
				    "net.ipv4.conf.nic1.arp_filter = 0 (in effect: 0)"));
	assert_true(finding_get_value(f, "interfaces") == 2);
	assert_non_null(strstr(finding_fix_text(f), "net.ipv4.conf.nic0.arp_filter=1 "
						    "net.ipv4.conf.nic1.arp_filter=1"));
	run_free(&x);
	/* arp_filter on (all ORs with the interface), or arp_ignore 1: quiet */
	assert_null(run_rule(&x, "multinic.nlsnap", "arp-flux", filter, 1));
	run_free(&x);
	assert_null(run_rule(&x, "multinic.nlsnap", "arp-flux", ignore, 1));
	run_free(&x);
}

static void test_no_policy_routing(void **state)
{
	struct run x;
	(void)state;
	run_rule(&x, "multinic.nlsnap", "no-policy-routing", NULL, 0);
	assert_int_equal(report_count(x.r), 3); /* uplink_a, nic0, nic1 */
	/* uplink_a has a default route of its own the main table never uses */
	const struct finding *f = with_summary(&x, "replies from 10.61.1.1 (on uplink_a)");
	expect(f, SEV_WARNING);
	assert_true(has_evidence(f, "default route (main table): default via 10.61.2.2 dev uplink_b "
				    "metric 10"));
	assert_true(has_evidence(f, "uplink_a's own default route is not used: default via 10.61.1.2 "
				    "dev uplink_a metric 20"));
	assert_true(has_evidence(f, "only the built-in rules (local, main, default)"));
	assert_non_null(strstr(finding_fix_text(f), "ip route add default via 10.61.1.2 dev uplink_a "
						    "table "));
	assert_non_null(strstr(finding_fix_text(f), "ip rule add from 10.61.1.1 table "));
	/* nic0 has no gateway to offer: advice only */
	f = with_summary(&x, "replies from 10.62.0.1 (on nic0)");
	expect(f, SEV_INFO);
	assert_non_null(strstr(finding_fix_text(f), "ip route add default via GATEWAY dev nic0"));
	run_free(&x);
}

/* A route dump cut short: the rules that need routes say so, and the
 * routes parsed before the cut are freed (the ASan build checks). */
static void test_truncated_route_dump(void **state)
{
	static const struct over cut[] = { { .sample = -1, .cut_dump = RTM_GETROUTE } };
	struct run x;
	(void)state;
	assert_null(run_rule(&x, "multinic.nlsnap", "rp-filter-asymmetric", cut, 1));
	assert_string_equal(report_skip_reason(x.r, "rp-filter-asymmetric"),
			    "no IPv4 routes (RTM_GETROUTE: Bad message)");
	run_free(&x);
	assert_null(run_rule(&x, "multinic.nlsnap", "no-policy-routing", cut, 1));
	assert_non_null(report_skip_reason(x.r, "no-policy-routing"));
	run_free(&x);
}

/* ephemeral-ports with no connection at all but TIME-WAITs counted: the
 * empty list is not sorted (qsort of NULL is undefined; the UBSan build
 * checks). */
static void test_ephemeral_ports_nothing_to_sort(void **state)
{
	static const struct over tw[] = {
		{ -1, "/proc/net/sockstat", SOCKSTAT(0, 5) },
		{ -1, "/proc/sys/net/ipv4/ip_local_port_range", "40000\t40009\n" },
	};
	struct run x;
	(void)state;
	assert_null(run_rule(&x, "clean.nlsnap", "ephemeral-ports", tw, N(tw)));
	assert_null(report_skip_reason(x.r, "ephemeral-ports"));
	run_free(&x);
}

/* A snapshot holding nothing but its samples: everything doctor reads is
 * missing, and the report says all of it (the last item included). */
static void test_nothing_read_is_all_said(void **state)
{
	struct snap_writer w;
	struct snapshot *snap = malloc(sizeof(*snap));
	struct evidence ev;
	char *buf = NULL, err[256];
	size_t len = 0;
	(void)state;

	FILE *f = open_memstream(&buf, &len);
	assert_true(f && snap);
	assert_int_equal(snap_begin(&w, f, 0), 0);
	assert_int_equal(snap_add_host_meta(&w, 1000, 2), 0);
	assert_int_equal(snap_finish(&w), 0);
	fclose(f);
	assert_int_equal(snap_parse(snap, (unsigned char *)buf, len, err, sizeof(err)), 0);
	struct host *h = host_recorded(snap);
	assert_non_null(h);
	assert_int_equal(evidence_gather(&ev, h, 0), 0);
	assert_true(ev.missing.len > 512);
	assert_non_null(strstr(ev.missing.buf, "interfaces (RTM_GETLINK)"));
	const char *end = "; /proc/net/sockstat (No such file or directory)";
	assert_string_equal(ev.missing.buf + ev.missing.len - strlen(end), end);
	evidence_free(&ev);
	host_close(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clean_namespace_is_quiet),
		cmocka_unit_test(test_hardening),
		cmocka_unit_test(test_syncookies_off),
		cmocka_unit_test(test_syn_flood),
		cmocka_unit_test(test_listen_overflow),
		cmocka_unit_test(test_listen_somaxconn),
		cmocka_unit_test(test_tcp_mem_pressure),
		cmocka_unit_test(test_tcp_orphans),
		cmocka_unit_test(test_tcp_timewait),
		cmocka_unit_test(test_tcp_retrans),
		cmocka_unit_test(test_tcp_options_off),
		cmocka_unit_test(test_udp_buffer_errors),
		cmocka_unit_test(test_softnet),
		cmocka_unit_test(test_conntrack),
		cmocka_unit_test(test_neigh_table),
		cmocka_unit_test(test_ephemeral_ports),
		cmocka_unit_test(test_tcp_buffer_limited),
		cmocka_unit_test(test_nic_errors),
		cmocka_unit_test(test_nic_carrier_flaps),
		cmocka_unit_test(test_qdisc_drops),
		cmocka_unit_test(test_qdisc_bufferbloat),
		cmocka_unit_test(test_softnet_one_cpu),
		cmocka_unit_test(test_softnet_one_cpu_many_cpus),
		cmocka_unit_test(test_rp_filter_asymmetric),
		cmocka_unit_test(test_arp_flux),
		cmocka_unit_test(test_no_policy_routing),
		cmocka_unit_test(test_truncated_route_dump),
		cmocka_unit_test(test_ephemeral_ports_nothing_to_sort),
		cmocka_unit_test(test_nothing_read_is_all_said),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
