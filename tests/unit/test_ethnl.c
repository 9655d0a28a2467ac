/* Driver-side parsers this kernel cannot feed end to end: fq_codel's and
 * fq's TCA_STATS_APP (the test kernel has neither qdisc), ethtool netlink
 * dumps built here with libmnl (compact bitsets, string sets, lying
 * lengths), ethtool -k's grouping, and the ETHTOOL_GDRVINFO reply. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "sources/ethnl.h"
#include "sources/ethtool.h"
#include "sources/rtnl.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/ethtool.h>
#include <linux/ethtool_netlink.h>
#include <linux/gen_stats.h>
#include <linux/genetlink.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>

static char buf[8192];

static struct nlmsghdr *qdisc_msg(const char *kind, const void *app, size_t applen)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct tcmsg *t;

	nlh->nlmsg_type = RTM_NEWQDISC;
	t = mnl_nlmsg_put_extra_header(nlh, sizeof(*t));
	t->tcm_ifindex = 3;
	mnl_attr_put_strz(nlh, TCA_KIND, kind);
	struct nlattr *st = mnl_attr_nest_start(nlh, TCA_STATS2);
	mnl_attr_put(nlh, TCA_STATS_APP, applen, app);
	mnl_attr_nest_end(nlh, st);
	return nlh;
}

static int64_t xstat(const struct rtnl_qdisc *q, const char *key)
{
	for (unsigned i = 0; i < q->nxstats; i++)
		if (strcmp(q->xstats[i].key, key) == 0)
			return q->xstats[i].v;
	return -12345;
}

static void test_fq_codel_xstats(void **state)
{
	(void)state;
	struct tc_fq_codel_xstats x = { .type = TCA_FQ_CODEL_XSTATS_QDISC };
	struct rtnl_qdisc q;

	x.qdisc_stats.maxpacket = 1514;
	x.qdisc_stats.drop_overlimit = 7;
	x.qdisc_stats.ecn_mark = 9;
	x.qdisc_stats.new_flow_count = 11;
	x.qdisc_stats.new_flows_len = 1;
	x.qdisc_stats.old_flows_len = 2;
	x.qdisc_stats.ce_mark = 3;
	x.qdisc_stats.memory_usage = 4096;
	x.qdisc_stats.drop_overmemory = 5;
	assert_int_equal(rtnl_parse_qdisc_msg(qdisc_msg("fq_codel", &x, sizeof(x)), &q), 0);
	assert_int_equal(q.nxstats, 9);
	assert_int_equal(xstat(&q, "maxpacket"), 1514);
	assert_int_equal(xstat(&q, "drop_overlimit"), 7);
	assert_int_equal(xstat(&q, "ecn_mark"), 9);
	assert_int_equal(xstat(&q, "new_flow_count"), 11);
	assert_int_equal(xstat(&q, "new_flows_len"), 1);
	assert_int_equal(xstat(&q, "old_flows_len"), 2);
	assert_int_equal(xstat(&q, "ce_mark"), 3);
	assert_int_equal(xstat(&q, "memory_used"), 4096);
	assert_int_equal(xstat(&q, "drop_overmemory"), 5);
	/* an older kernel's shorter structure: what it has, nothing past it */
	assert_int_equal(rtnl_parse_qdisc_msg(qdisc_msg("fq_codel", &x, 4 + 6 * 4), &q), 0);
	assert_int_equal(q.nxstats, 6);
	assert_int_equal(xstat(&q, "ce_mark"), -12345);
	/* class statistics are not the qdisc's */
	x.type = TCA_FQ_CODEL_XSTATS_CLASS;
	assert_int_equal(rtnl_parse_qdisc_msg(qdisc_msg("fq_codel", &x, sizeof(x)), &q), 0);
	assert_int_equal(q.nxstats, 0);
	/* another kind's bytes are not decoded */
	assert_int_equal(rtnl_parse_qdisc_msg(qdisc_msg("htb", &x, sizeof(x)), &q), 0);
	assert_int_equal(q.nxstats, 0);
}

static void test_fq_xstats(void **state)
{
	(void)state;
	/* 6.8's struct tc_fq_qd_stats: 6.1's headers stop at horizon_caps */
	uint8_t raw[152] = { 0 };
	uint64_t v64;
	uint32_t v32;
	int64_t delay = -5;
	struct rtnl_qdisc q;

#define PUT64(off, v) (v64 = (v), memcpy(raw + (off), &v64, 8))
#define PUT32(off, v) (v32 = (v), memcpy(raw + (off), &v32, 4))
	PUT64(0, 10);  /* gc_flows */
	PUT64(24, 4);  /* throttled */
	PUT64(32, 8);  /* flows_plimit */
	memcpy(raw + 56, &delay, 8);
	PUT32(64, 5);  /* flows */
	PUT32(68, 3);  /* inactive_flows */
	PUT32(72, 1);  /* throttled_flows */
	PUT64(96, 2);  /* horizon_caps */
	PUT64(104, 77); /* fastpath_packets */
	PUT64(128, 6); /* band_drops[2] */
	PUT32(144, 9); /* band_pkt_count[2] */
	assert_int_equal(rtnl_parse_qdisc_msg(qdisc_msg("fq", raw, sizeof(raw)), &q), 0);
	assert_int_equal(q.nxstats, 22);
	assert_int_equal(xstat(&q, "gc"), 10);
	assert_int_equal(xstat(&q, "throttled"), 4);
	assert_int_equal(xstat(&q, "flows_plimit"), 8);
	assert_int_equal(xstat(&q, "next_packet_delay"), -5);
	assert_int_equal(xstat(&q, "flows"), 5);
	assert_int_equal(xstat(&q, "inactive"), 3);
	assert_int_equal(xstat(&q, "throttled_flows"), 1);
	assert_int_equal(xstat(&q, "horizon_caps"), 2);
	assert_int_equal(xstat(&q, "fastpath_packets"), 77);
	assert_int_equal(xstat(&q, "band2_drops"), 6);
	assert_int_equal(xstat(&q, "band2_pkts"), 9);
	/* 6.1's size: up to horizon_caps */
	assert_int_equal(rtnl_parse_qdisc_msg(qdisc_msg("fq", raw, sizeof(struct tc_fq_qd_stats)), &q), 0);
	assert_int_equal(q.nxstats, 15);
	assert_int_equal(xstat(&q, "fastpath_packets"), -12345);
}

/* ---- ethtool netlink ---- */

static size_t put_done(char *at)
{
	struct nlmsghdr *d = mnl_nlmsg_put_header(at);
	int zero = 0;

	d->nlmsg_type = NLMSG_DONE;
	mnl_nlmsg_put_extra_header(d, sizeof(zero));
	memcpy(mnl_nlmsg_get_payload(d), &zero, sizeof(zero));
	return d->nlmsg_len;
}

static struct nlmsghdr *genl_msg(char *at, uint16_t type, uint8_t cmd)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(at);
	struct genlmsghdr *g;

	nlh->nlmsg_type = type;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	return nlh;
}

static void put_bitset(struct nlmsghdr *nlh, uint16_t type, uint32_t bits, uint32_t value)
{
	struct nlattr *n = mnl_attr_nest_start(nlh, type);
	mnl_attr_put_u32(nlh, ETHTOOL_A_BITSET_SIZE, bits);
	mnl_attr_put(nlh, ETHTOOL_A_BITSET_VALUE, sizeof(value), &value);
	mnl_attr_nest_end(nlh, n);
}

static const char *const names[] = { "rx-checksum", "tx-checksum-ipv4", "tx-checksum-sctp",
				      "rx-gro", "highdma", "" };
enum { NNAMES = 6 };

static void test_family_strset_features(void **state)
{
	(void)state;
	char *p = buf;
	uint16_t id = 0;

	/* the controller's list: another family first */
	struct nlmsghdr *nlh = genl_msg(p, GENL_ID_CTRL, CTRL_CMD_NEWFAMILY);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, "nlctrl");
	mnl_attr_put_u16(nlh, CTRL_ATTR_FAMILY_ID, GENL_ID_CTRL);
	p += nlh->nlmsg_len;
	nlh = genl_msg(p, GENL_ID_CTRL, CTRL_CMD_NEWFAMILY);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, "ethtool");
	mnl_attr_put_u16(nlh, CTRL_ATTR_FAMILY_ID, 21);
	p += nlh->nlmsg_len;
	p += put_done(p);
	assert_int_equal(ethnl_parse_family_id(buf, (size_t)(p - buf), "ethtool", &id), 0);
	assert_int_equal(id, 21);
	assert_int_equal(ethnl_parse_family_id(buf, (size_t)(p - buf), "nosuch", &id), -ENOENT);

	/* string set */
	p = buf;
	nlh = genl_msg(p, 21, ETHTOOL_MSG_STRSET_GET_REPLY);
	struct nlattr *sets = mnl_attr_nest_start(nlh, ETHTOOL_A_STRSET_STRINGSETS);
	struct nlattr *set = mnl_attr_nest_start(nlh, ETHTOOL_A_STRINGSETS_STRINGSET);
	mnl_attr_put_u32(nlh, ETHTOOL_A_STRINGSET_ID, ETH_SS_FEATURES);
	mnl_attr_put_u32(nlh, ETHTOOL_A_STRINGSET_COUNT, NNAMES);
	struct nlattr *strs = mnl_attr_nest_start(nlh, ETHTOOL_A_STRINGSET_STRINGS);
	for (uint32_t i = 0; i < NNAMES; i++) {
		struct nlattr *s = mnl_attr_nest_start(nlh, ETHTOOL_A_STRINGS_STRING);
		mnl_attr_put_u32(nlh, ETHTOOL_A_STRING_INDEX, i);
		mnl_attr_put_strz(nlh, ETHTOOL_A_STRING_VALUE, names[i]);
		mnl_attr_nest_end(nlh, s);
	}
	mnl_attr_nest_end(nlh, strs);
	mnl_attr_nest_end(nlh, set);
	mnl_attr_nest_end(nlh, sets);
	p += nlh->nlmsg_len;
	p += put_done(p);
	char (*nm)[ETH_FEAT_NAME_LEN] = NULL;
	size_t nn = 0;
	assert_int_equal(ethnl_parse_strset(buf, (size_t)(p - buf), &nm, &nn), 0);
	assert_int_equal(nn, NNAMES);
	assert_string_equal(nm[3], "rx-gro");

	/* features of one device: hw 0b01001 (rx-checksum, rx-gro changeable),
	 * wanted 0b01101, active 0b10101, nochange 0 */
	p = buf;
	nlh = genl_msg(p, 21, ETHTOOL_MSG_FEATURES_GET_REPLY);
	struct nlattr *hdr = mnl_attr_nest_start(nlh, ETHTOOL_A_FEATURES_HEADER);
	mnl_attr_put_u32(nlh, ETHTOOL_A_HEADER_DEV_INDEX, 7);
	mnl_attr_put_strz(nlh, ETHTOOL_A_HEADER_DEV_NAME, "veth0");
	mnl_attr_nest_end(nlh, hdr);
	put_bitset(nlh, ETHTOOL_A_FEATURES_HW, NNAMES, 0x09);
	put_bitset(nlh, ETHTOOL_A_FEATURES_WANTED, NNAMES, 0x0d);
	put_bitset(nlh, ETHTOOL_A_FEATURES_ACTIVE, NNAMES, 0x15);
	put_bitset(nlh, ETHTOOL_A_FEATURES_NOCHANGE, NNAMES, 0x00);
	p += nlh->nlmsg_len;
	p += put_done(p);
	struct eth_features_all all = { 0 };
	assert_int_equal(ethnl_parse_features(buf, (size_t)(p - buf), nm, nn, &all), 0);
	assert_int_equal(all.n, 1);
	const struct eth_features *f = eth_features_find(&all, 7, "veth0");
	assert_non_null(f);
	assert_int_equal(f->n, NNAMES);
	assert_true(f->v[0].hw && f->v[0].active && f->v[0].wanted);
	assert_true(!f->v[3].active && f->v[3].wanted && f->v[3].hw);

	/* ethtool -k's lines */
	struct eth_offload lines[NNAMES + 16];
	size_t n = ethtool_offloads(f, lines, NNAMES + 16);
	/* rx-checksumming (one feature: its line under the legacy name),
	 * tx-checksumming + 2 members, scatter-gather and tcp-segmentation-
	 * offload with none (off), generic-segmentation-offload (none: off),
	 * generic-receive-offload, large-receive-offload, ... then highdma */
	assert_string_equal(lines[0].name, "rx-checksumming");
	assert_string_equal(lines[0].kernel_name, "rx-checksum");
	assert_false(lines[0].fixed);
	assert_string_equal(lines[1].name, "tx-checksumming");
	assert_null(lines[1].kernel_name);
	assert_true(lines[1].active); /* tx-checksum-sctp is on */
	assert_string_equal(lines[2].name, "tx-checksum-ipv4");
	assert_string_equal(lines[2].group, "tx-checksumming");
	assert_true(lines[2].fixed);
	size_t gro = 0, hd = 0;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(lines[i].name, "generic-receive-offload") == 0)
			gro = i;
		if (strcmp(lines[i].name, "highdma") == 0)
			hd = i;
		assert_string_not_equal(lines[i].name, "udp-fragmentation-offload");
		assert_string_not_equal(lines[i].name, "");
	}
	assert_true(gro > 0 && hd == n - 1);
	/* requested on, not active: ethtool's "[requested on]" */
	assert_true(lines[gro].requested && !lines[gro].active && !lines[gro].fixed);

	/* a bitset whose size disagrees, and lying lengths */
	uint32_t *sz = NULL;
	for (char *q = buf; q + 8 <= p; q += 4) {
		uint32_t v;
		memcpy(&v, q, 4);
		if (v == NNAMES && q > buf + 40) {
			sz = (uint32_t *)q;
			break;
		}
	}
	assert_non_null(sz);
	uint32_t bad = NNAMES + 1;
	memcpy(sz, &bad, 4);
	eth_features_free(&all);
	assert_int_equal(ethnl_parse_features(buf, (size_t)(p - buf), nm, nn, &all), -EBADMSG);
	eth_features_free(&all);
	for (size_t cut = 1; cut < (size_t)(p - buf); cut++) {
		struct eth_features_all a2 = { 0 };
		(void)ethnl_parse_features(buf, cut, nm, nn, &a2);
		eth_features_free(&a2);
	}
	free(nm);
}

static void test_drvinfo(void **state)
{
	(void)state;
	struct ethtool_drvinfo d = { .cmd = ETHTOOL_GDRVINFO, .n_stats = 3, .regdump_len = 8 };
	struct eth_drvinfo out;

	memcpy(d.driver, "veth", 5);
	memset(d.version, 'v', sizeof(d.version)); /* no NUL: bounded */
	assert_int_equal(ethtool_parse_drvinfo(&d, sizeof(d), &out), 0);
	assert_string_equal(out.driver, "veth");
	assert_int_equal(strlen(out.version), ETH_DRVINFO_LEN - 1);
	assert_true(out.statistics && out.register_dump);
	assert_false(out.test || out.eeprom_access || out.priv_flags);
	assert_int_equal(ethtool_parse_drvinfo(&d, sizeof(d) - 1, &out), -EBADMSG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fq_codel_xstats),
		cmocka_unit_test(test_fq_xstats),
		cmocka_unit_test(test_family_strset_features),
		cmocka_unit_test(test_drvinfo),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
