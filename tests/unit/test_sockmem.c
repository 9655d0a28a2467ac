/* Protocol memory: /proc/net/protocols from the source notes (TCP under
 * pressure, memory 36 pages, press yes) in tests/fixtures/sockmem_pressure,
 * the zone logic at every boundary, the pool state read through a fake /proc,
 * sysctl name handling, and the explanations the source notes call for. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "sources/explain.h"
#include "sources/host.h"
#include "sources/sockmem.h"
#include "sources/sysctl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char root[512];

static int setup(void **state)
{
	const char *d = getenv("NETLENS_FIXTURES");
	(void)state;
	snprintf(root, sizeof(root), "%s/sockmem_pressure", d ? d : "tests/fixtures");
	return 0;
}

static void test_protocols_notes(void **state)
{
	struct proto_list l = { 0 };
	(void)state;
	struct host *h = host_live(root);

	assert_int_equal(sockmem_read_protocols(h, &l), 0);
	assert_int_equal(l.n, 14);
	const struct proto_rec *tcp = sockmem_proto(&l, "TCP");
	assert_non_null(tcp);
	assert_int_equal(tcp->memory, 36);
	assert_int_equal(tcp->sockets, 28);
	assert_int_equal(tcp->press, PRESS_YES);
	assert_int_equal(tcp->size, 2144);
	assert_int_equal(tcp->maxhdr, 304);
	assert_true(tcp->slab);
	const struct proto_rec *unix_ = sockmem_proto(&l, "UNIX");
	assert_int_equal(unix_->memory, -1);
	assert_int_equal(unix_->press, PRESS_NI);
	assert_false(sockmem_proto(&l, "NETLINK")->slab);
	host_close(h);
	sockmem_free(&l);
}

static void test_zones(void **state)
{
	const uint64_t thr[3] = { 24, 32, 48 };
	(void)state;

	assert_int_equal(sockmem_zone(0, thr), ZONE_BELOW_LOW);
	assert_int_equal(sockmem_zone(24, thr), ZONE_BELOW_LOW);      /* <= low */
	assert_int_equal(sockmem_zone(25, thr), ZONE_LOW_TO_PRESSURE);
	assert_int_equal(sockmem_zone(32, thr), ZONE_LOW_TO_PRESSURE); /* <= pressure */
	assert_int_equal(sockmem_zone(33, thr), ZONE_PRESSURE_TO_HIGH);
	assert_int_equal(sockmem_zone(36, thr), ZONE_PRESSURE_TO_HIGH); /* the notes */
	assert_int_equal(sockmem_zone(48, thr), ZONE_PRESSURE_TO_HIGH);
	assert_int_equal(sockmem_zone(49, thr), ZONE_ABOVE_HIGH);
	assert_string_equal(sockmem_zone_name(ZONE_PRESSURE_TO_HIGH), "pressure-to-high");
	/* hysteresis: between low and pressure the press flag decides */
	assert_non_null(strstr(sockmem_zone_meaning(ZONE_LOW_TO_PRESSURE, true), "still in pressure"));
	assert_null(strstr(sockmem_zone_meaning(ZONE_LOW_TO_PRESSURE, false), "still in pressure"));
	/* the notes' real thresholds put 36 pages far below low */
	const uint64_t notes[3] = { 383457, 511277, 766914 };
	assert_int_equal(sockmem_zone(36, notes), ZONE_BELOW_LOW);
	assert_int_equal(sockmem_zone(600000, notes), ZONE_PRESSURE_TO_HIGH);
}

static void test_pool_state(void **state)
{
	struct proto_list l = { 0 };
	struct sockmem_pool_state st;
	(void)state;
	struct host *h = host_live(root);

	assert_int_equal(sockmem_read_protocols(h, &l), 0);
	assert_int_equal(sockmem_pool_state(h, &sockmem_pools[0], &l, &st), 0); /* tcp */
	assert_true(st.have_usage && st.have_thr && st.have_press);
	assert_true(st.pages == 36);
	assert_true(st.thr[0] == 24 && st.thr[1] == 32 && st.thr[2] == 48);
	assert_true(st.in_pressure);
	assert_int_equal(st.zone, ZONE_PRESSURE_TO_HIGH);
	assert_int_equal(sockmem_pool_state(h, &sockmem_pools[1], &l, &st), 0); /* udp */
	assert_int_equal(st.zone, ZONE_BELOW_LOW);
	assert_false(st.have_press);
	/* sctp: neither a protocol row nor a sysctl in the fixture */
	assert_int_equal(sockmem_pool_state(h, &sockmem_pools[2], &l, &st), -ENOENT);
	host_close(h);
	sockmem_free(&l);
}

static void test_protocols_malformed(void **state)
{
	struct proto_list l = { 0 };
	(void)state;
	const char *bad[] = {
		"protocol size\nTCP 1 2\n",
		"protocol size\nTCP 1 2 3 maybe 5 yes kernel\n",
		"protocol size\nTCP x 2 3 yes 5 yes kernel\n",
		"TCP 1 2 3 yes 5 yes kernel\n", /* no header */
		"protocol size\nAVERYLONGPROTOCOLNAMETHATDOESNOTFIT_IN_32 1 2 3 yes 5 yes k\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(sockmem_parse_protocols(&l, bad[i], strlen(bad[i])), -EBADMSG);
		sockmem_free(&l);
	}
}

static void test_sysctl_names(void **state)
{
	char p[256];
	(void)state;

	assert_int_equal(sysctl_path("net.core.somaxconn", p, sizeof(p)), 0);
	assert_string_equal(p, "/proc/sys/net/core/somaxconn");
	assert_int_equal(sysctl_path("net.ipv4.conf.eth0/100.rp_filter", p, sizeof(p)), 0);
	assert_string_equal(p, "/proc/sys/net/ipv4/conf/eth0.100/rp_filter");
	assert_int_equal(sysctl_path("net..x", p, sizeof(p)), -EINVAL);
	assert_int_equal(sysctl_path("", p, sizeof(p)), -EINVAL);
	assert_int_equal(sysctl_path("net.core.x", p, 10), -EINVAL);
	const struct sysctl_def *d = sysctl_def_find("net.ipv4.conf.eth0.rp_filter");
	assert_non_null(d);
	assert_string_equal(d->name, "net.ipv4.conf.all.rp_filter");
	assert_null(sysctl_def_find("net.ipv4.conf.eth0.nonexistent"));
	struct host *h = host_live(root);
	uint64_t v[3];
	size_t n;
	assert_int_equal(sysctl_read_u64s(h, "net.ipv4.tcp_mem", v, 3, &n), 0);
	assert_int_equal(n, 3);
	char val[64];
	assert_int_equal(sysctl_read(h, "net.ipv4.tcp_rmem", val, sizeof(val)), 0);
	assert_string_equal(val, "4096 131072 6291456"); /* tabs and newline normalised */
	assert_int_equal(sysctl_read(h, "net.core.somaxconn", val, sizeof(val)), -ENOENT);
	host_close(h);
	/* every setting the issue names is in the table with a meaning */
	const char *want[] = {
		"net.core.somaxconn", "net.ipv4.tcp_max_syn_backlog", "net.ipv4.tcp_syncookies",
		"net.core.netdev_max_backlog", "net.core.netdev_budget", "net.core.netdev_budget_usecs",
		"net.ipv4.tcp_mem", "net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem", "net.ipv4.udp_mem",
		"net.core.rmem_default", "net.core.rmem_max", "net.core.wmem_default",
		"net.core.wmem_max", "net.ipv4.tcp_max_orphans", "net.ipv4.tcp_max_tw_buckets",
		"net.ipv4.ip_local_port_range", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_tw_reuse",
		"net.ipv4.tcp_sack", "net.ipv4.tcp_timestamps", "net.ipv4.tcp_window_scaling",
		"net.ipv4.tcp_congestion_control", "net.core.default_qdisc",
		"net.ipv4.conf.all.rp_filter", "net.ipv4.conf.default.arp_filter",
		"net.ipv4.conf.lo.rp_filter", "net.ipv4.icmp_echo_ignore_broadcasts",
		"net.ipv4.icmp_ignore_bogus_error_responses", "net.ipv4.ip_forward",
		"net.ipv4.tcp_slow_start_after_idle", "net.ipv4.tcp_notsent_lowat",
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct explain e;
		if (explain_sysctl(want[i], &e) != 0 || !e.meaning || !*e.meaning)
			fail_msg("no meaning for %s", want[i]);
	}
}

static void test_explain_notes(void **state)
{
	/* every counter the source notes and the issue discuss */
	const char *want[] = {
		"TcpExtListenOverflows", "TcpExtListenDrops", "TcpExtTCPMemoryPressures",
		"TcpExtTCPMemoryPressuresChrono", "TcpExtOfoPruned", "TcpExtPruneCalled",
		"TcpExtRcvPruned", "TcpExtTCPRcvQDrop", "TcpExtTCPAbortOnMemory",
		"TcpExtTCPAbortFailed", "TcpExtSyncookiesSent", "TcpExtSyncookiesRecv",
		"TcpExtSyncookiesFailed", "TcpExtTCPReqQFullDrop", "TcpExtTCPReqQFullDoCookies",
		"TcpRetransSegs", "TcpExtTCPTimeouts", "TcpExtTCPLostRetransmit",
		"TcpExtTCPTimeWaitOverflow", "TcpExtIPReversePathFilter", "UdpRcvbufErrors",
		"UdpSndbufErrors", "UdpInErrors", "Udp6RcvbufErrors", "UdpLite6InErrors",
		"Ip6InDiscards", "Ip6InOctets", "Icmp6InMsgs",
	};
	struct explain e;
	char buf[200];
	(void)state;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (explain_counter(want[i], &e, buf, sizeof(buf)) != 0 || !e.meaning[0])
			fail_msg("no explanation for %s", want[i]);
	assert_int_equal(explain_counter("IcmpMsgInType3", &e, buf, sizeof(buf)), 0);
	assert_non_null(strstr(e.meaning, "destination unreachable"));
	assert_non_null(strstr(e.meaning, "received"));
	assert_int_equal(explain_counter("Icmp6OutType135", &e, buf, sizeof(buf)), 0);
	assert_non_null(strstr(e.meaning, "neighbor solicitation"));
	assert_int_equal(explain_counter("IcmpMsgInType999", &e, buf, sizeof(buf)), -ENOENT);
	assert_int_equal(explain_counter("NoSuchCounter", &e, buf, sizeof(buf)), -ENOENT);
	assert_int_equal(explain_counter("Ip6", &e, buf, sizeof(buf)), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_protocols_notes),   cmocka_unit_test(test_zones),
		cmocka_unit_test(test_pool_state),        cmocka_unit_test(test_protocols_malformed),
		cmocka_unit_test(test_sysctl_names),      cmocka_unit_test(test_explain_notes),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
