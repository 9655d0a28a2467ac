/* Doctor's rules on recorded evidence: a real snapshot of a namespace
 * (clean.nlsnap, listener.nlsnap in tests/fixtures/doctor, made by record.sh) replayed through the
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

#include "doctor/doctor.h"
#include "sources/host.h"
#include "sources/snapshot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct over {
	int sample; /* 0, 1, or -1 for both */
	const char *path, *text;
};

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
		for (int s = 0; s < 2; s++)
			if (ov[i].sample < 0 || ov[i].sample == s)
				assert_int_equal(snap_add(&w, SNAP_FILE, (uint32_t)s, ov[i].path,
							  strlen(ov[i].path), ov[i].text,
							  strlen(ov[i].text)), 0);
	for (size_t i = 0; i < base.nrecs; i++) {
		const struct snap_rec *r = &base.recs[i];
		assert_int_equal(snap_add(&w, r->kind, r->sample, r->key, r->key_len, r->data,
					  r->data_len), 0);
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
	assert_true(finding_get_value(f, "full_listeners") == 1);
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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
