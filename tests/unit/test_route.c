/* Routes, policy rules and neighbours (sources/route.h, sources/neigh.h)
 * from messages built here with libmnl: plain and multipath routes, the
 * built-in rules and policy ones, neighbour states; lying lengths, short
 * headers and every prefix of a dump. And the /proc/net/stat tables
 * (sources/procstat.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "sources/counters.h"
#include "sources/host.h"
#include "sources/neigh.h"
#include "sources/procstat.h"
#include "sources/route.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A dump under construction: messages back to back, then NLMSG_DONE. */
struct dump {
	char buf[8192];
	size_t len;
};

static struct nlmsghdr *begin(struct dump *d, uint16_t type, const void *hdr, size_t hdrlen)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(d->buf + d->len);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_MULTI;
	memcpy(mnl_nlmsg_put_extra_header(nlh, hdrlen), hdr, hdrlen);
	return nlh;
}

static void end(struct dump *d, struct nlmsghdr *nlh) { d->len += NLMSG_ALIGN(nlh->nlmsg_len); }

static void done(struct dump *d)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(d->buf + d->len);
	nlh->nlmsg_type = NLMSG_DONE;
	int zero = 0;
	mnl_nlmsg_put_extra_header(nlh, sizeof(zero));
	memcpy(mnl_nlmsg_get_payload(nlh), &zero, sizeof(zero));
	end(d, nlh);
}

static uint32_t ip4(const char *s)
{
	uint32_t a;
	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a;
}

static void assert_ip4(const uint8_t *got, const char *want)
{
	uint32_t w = ip4(want);
	assert_memory_equal(got, &w, 4);
}

static struct nlmsghdr *route(struct dump *d, const char *dst, uint8_t len, int oif, const char *gw,
			      uint32_t metric, uint32_t table)
{
	struct rtmsg rtm = { .rtm_family = AF_INET, .rtm_dst_len = len, .rtm_table = RT_TABLE_MAIN,
			     .rtm_protocol = RTPROT_STATIC, .rtm_scope = RT_SCOPE_UNIVERSE,
			     .rtm_type = RTN_UNICAST };
	struct nlmsghdr *nlh = begin(d, RTM_NEWROUTE, &rtm, sizeof(rtm));
	mnl_attr_put_u32(nlh, RTA_TABLE, table);
	if (len)
		mnl_attr_put_u32(nlh, RTA_DST, ip4(dst));
	if (metric)
		mnl_attr_put_u32(nlh, RTA_PRIORITY, metric);
	if (gw)
		mnl_attr_put_u32(nlh, RTA_GATEWAY, ip4(gw));
	if (oif)
		mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)oif);
	return nlh;
}

static void test_routes(void **state)
{
	(void)state;
	struct dump d = { 0 };
	struct rt_routes rs = { 0 };
	char buf[64];

	end(&d, route(&d, NULL, 0, 3, "10.61.2.2", 10, RT_TABLE_MAIN));
	end(&d, route(&d, "10.61.1.0", 24, 2, NULL, 0, RT_TABLE_MAIN));
	end(&d, route(&d, NULL, 0, 2, "10.61.1.2", 0, 101));
	/* multipath: two hops, the second with a gateway */
	struct nlmsghdr *nlh = route(&d, "192.0.2.0", 24, 0, NULL, 5, RT_TABLE_MAIN);
	struct nlattr *mp = mnl_attr_nest_start(nlh, RTA_MULTIPATH);
	struct rtnexthop *h1 = mnl_nlmsg_get_payload_tail(nlh);
	nlh->nlmsg_len += RTNH_ALIGN(sizeof(*h1));
	h1->rtnh_len = sizeof(*h1);
	h1->rtnh_ifindex = 2;
	h1->rtnh_hops = 2; /* weight 3 */
	h1->rtnh_flags = RTNH_F_LINKDOWN;
	struct rtnexthop *h2 = mnl_nlmsg_get_payload_tail(nlh);
	nlh->nlmsg_len += RTNH_ALIGN(sizeof(*h2));
	h2->rtnh_ifindex = 3;
	mnl_attr_put_u32(nlh, RTA_GATEWAY, ip4("10.61.2.9"));
	h2->rtnh_len = (unsigned short)((char *)mnl_nlmsg_get_payload_tail(nlh) - (char *)h2);
	mnl_attr_nest_end(nlh, mp);
	end(&d, nlh);
	/* something else in the dump is skipped */
	struct ifaddrmsg ifa = { .ifa_family = AF_INET };
	end(&d, begin(&d, RTM_NEWADDR, &ifa, sizeof(ifa)));
	done(&d);

	assert_int_equal(route_parse(d.buf, d.len, &rs), 0);
	assert_int_equal(rs.n, 4);
	assert_true(route_is_default(&rs.v[0]));
	assert_int_equal(rs.v[0].priority, 10);
	assert_int_equal(rs.v[0].table, RT_TABLE_MAIN);
	assert_int_equal(rs.v[0].nnh, 1);
	assert_int_equal(rs.v[0].nh[0].oif, 3);
	assert_true(rs.v[0].nh[0].has_gw);
	assert_ip4(rs.v[0].nh[0].gw, "10.61.2.2");
	assert_string_equal(route_dst_text(&rs.v[0], buf, sizeof(buf)), "default");
	assert_string_equal(route_dst_text(&rs.v[1], buf, sizeof(buf)), "10.61.1.0/24");
	assert_false(rs.v[1].nh[0].has_gw);
	assert_int_equal(rs.v[2].table, 101); /* RTA_TABLE over rtm_table */
	assert_int_equal(rs.v[3].nnh, 2);
	assert_true(route_uses_oif(&rs.v[3], 2) && route_uses_oif(&rs.v[3], 3));
	assert_false(route_uses_oif(&rs.v[3], 4));
	assert_false(rs.v[3].nh[0].has_gw);
	assert_true(rs.v[3].nh[1].has_gw);
	assert_ip4(rs.v[3].nh[1].gw, "10.61.2.9");
	/* what routes prints: hop weights and flags, whether a metric was given */
	assert_int_equal(rs.v[3].nh[0].weight, 3);
	assert_int_equal(rs.v[3].nh[0].flags, RTNH_F_LINKDOWN);
	assert_int_equal(rs.v[3].nh[1].weight, 1);
	assert_true(rs.v[0].has_priority);
	assert_false(rs.v[1].has_priority);
	assert_int_equal(rs.v[0].pref, -1);
	assert_false(route_is_clone(&rs.v[0]));

	/* every prefix of the dump: a parse or an error, never a bad read */
	for (size_t cut = 0; cut < d.len; cut++) {
		struct rt_routes part = { 0 };
		char *copy = malloc(cut ? cut : 1);
		memcpy(copy, d.buf, cut);
		int r = route_parse(copy, cut, &part);
		assert_true(r <= 0);
		assert_true(part.n <= 4);
		route_free(&part);
		free(copy);
	}
	/* flipped bytes too */
	for (size_t i = 0; i < d.len; i++) {
		struct rt_routes part = { 0 };
		char copy[sizeof(d.buf)];
		memcpy(copy, d.buf, d.len);
		copy[i] ^= 0xff;
		assert_true(route_parse(copy, d.len, &part) <= 0);
		route_free(&part);
	}
	route_free(&rs);
}

static void test_route_lies(void **state)
{
	(void)state;
	struct dump d = { 0 };
	struct rt_route r;

	/* an attribute claiming more than the message holds */
	struct nlmsghdr *nlh = route(&d, "10.0.0.0", 8, 2, NULL, 0, RT_TABLE_MAIN);
	struct nlattr *a = mnl_nlmsg_get_payload_tail(nlh);
	mnl_attr_put_u32(nlh, RTA_PRIORITY, 1);
	a->nla_len = 300;
	assert_int_equal(route_parse_msg(nlh, &r), -EBADMSG);

	/* a multipath hop longer than its attribute */
	memset(&d, 0, sizeof(d));
	nlh = route(&d, "10.0.0.0", 8, 0, NULL, 0, RT_TABLE_MAIN);
	struct nlattr *mp = mnl_attr_nest_start(nlh, RTA_MULTIPATH);
	struct rtnexthop *h = mnl_nlmsg_get_payload_tail(nlh);
	nlh->nlmsg_len += RTNH_ALIGN(sizeof(*h));
	h->rtnh_len = 200;
	mnl_attr_nest_end(nlh, mp);
	assert_int_equal(route_parse_msg(nlh, &r), -EBADMSG);

	/* a prefix length the family cannot have */
	memset(&d, 0, sizeof(d));
	nlh = route(&d, "10.0.0.0", 8, 2, NULL, 0, RT_TABLE_MAIN);
	((struct rtmsg *)mnl_nlmsg_get_payload(nlh))->rtm_dst_len = 33;
	assert_int_equal(route_parse_msg(nlh, &r), -EBADMSG);

	/* a short address is ignored, not over-read */
	memset(&d, 0, sizeof(d));
	nlh = route(&d, NULL, 0, 2, NULL, 0, RT_TABLE_MAIN);
	mnl_attr_put_u16(nlh, RTA_GATEWAY, 7);
	assert_int_equal(route_parse_msg(nlh, &r), 0);
	assert_false(r.nh[0].has_gw);

	/* a message shorter than struct rtmsg */
	unsigned char buf[64] = { 0 };
	struct nlmsghdr small = { .nlmsg_len = NLMSG_HDRLEN + 4, .nlmsg_type = RTM_NEWROUTE };
	memcpy(buf, &small, sizeof(small));
	assert_int_equal(route_parse_msg((struct nlmsghdr *)buf, &r), -EBADMSG);
	assert_int_equal(route_rule_parse_msg((struct nlmsghdr *)buf, &(struct route_rule){ 0 }), 1);
}

static void test_prefix_contains(void **state)
{
	(void)state;
	uint8_t net[4] = { 10, 62, 0, 0 }, in[4] = { 10, 62, 0, 200 }, out[4] = { 10, 62, 1, 1 };
	uint8_t odd[4] = { 10, 62, 0, 129 };

	assert_true(prefix_contains(AF_INET, net, 24, in));
	assert_false(prefix_contains(AF_INET, net, 24, out));
	assert_true(prefix_contains(AF_INET, net, 0, out));
	assert_true(prefix_contains(AF_INET, net, 23, out));
	assert_false(prefix_contains(AF_INET, in, 25, net) == prefix_contains(AF_INET, in, 25, odd));
	assert_false(prefix_contains(AF_INET, net, 33, in));
	assert_false(prefix_contains(AF_UNSPEC, net, 8, in));
}

static struct nlmsghdr *rule(struct dump *d, uint32_t prio, uint32_t table, const char *src,
			     uint8_t src_len)
{
	struct fib_rule_hdr frh = { .family = AF_INET, .src_len = src_len, .action = FR_ACT_TO_TBL,
				    .table = table < 256 ? (uint8_t)table : RT_TABLE_COMPAT };
	struct nlmsghdr *nlh = begin(d, RTM_NEWRULE, &frh, sizeof(frh));
	mnl_attr_put_u32(nlh, FRA_TABLE, table);
	if (prio)
		mnl_attr_put_u32(nlh, FRA_PRIORITY, prio);
	if (src)
		mnl_attr_put_u32(nlh, FRA_SRC, ip4(src));
	return nlh;
}

static void test_rules(void **state)
{
	(void)state;
	struct dump d = { 0 };
	struct route_rules rs = { 0 };

	end(&d, rule(&d, 0, RT_TABLE_LOCAL, NULL, 0));
	struct nlmsghdr *nlh = rule(&d, 1000, 1001, "10.63.2.1", 32);
	mnl_attr_put_strz(nlh, FRA_IIFNAME, "lan1");
	mnl_attr_put_u32(nlh, FRA_FWMARK, 0x10);
	end(&d, nlh);
	end(&d, rule(&d, 32766, RT_TABLE_MAIN, NULL, 0));
	end(&d, rule(&d, 32767, RT_TABLE_DEFAULT, NULL, 0));
	done(&d);

	assert_int_equal(route_rule_parse(d.buf, d.len, &rs), 0);
	assert_int_equal(rs.n, 4);
	assert_true(route_rule_is_builtin(&rs.v[0]) && route_rule_is_builtin(&rs.v[2]) && route_rule_is_builtin(&rs.v[3]));
	assert_false(route_rule_is_builtin(&rs.v[1]));
	assert_int_equal(rs.v[1].table, 1001); /* FRA_TABLE over the 8-bit header field */
	assert_int_equal(rs.v[1].priority, 1000);
	assert_int_equal(rs.v[1].src_len, 32);
	assert_ip4(rs.v[1].src, "10.63.2.1");
	assert_string_equal(rs.v[1].iifname, "lan1");
	assert_true(rs.v[1].has_fwmark);
	assert_int_equal(rs.v[1].fwmask, 0xffffffffu);
	for (size_t cut = 0; cut < d.len; cut++) {
		struct route_rules part = { 0 };
		char *copy = malloc(cut ? cut : 1);
		memcpy(copy, d.buf, cut);
		assert_true(route_rule_parse(copy, cut, &part) <= 0);
		route_rule_free(&part);
		free(copy);
	}
	route_rule_free(&rs);

	/* a rule at main's priority but with a selector is not built in */
	memset(&d, 0, sizeof(d));
	struct route_rule r;
	assert_int_equal(route_rule_parse_msg(rule(&d, 32766, RT_TABLE_MAIN, "10.0.0.0", 8), &r), 0);
	assert_false(route_rule_is_builtin(&r));
	/* an interface name without its NUL is cut, not overrun */
	memset(&d, 0, sizeof(d));
	nlh = rule(&d, 5, 7, NULL, 0);
	char longname[40];
	memset(longname, 'n', sizeof(longname));
	mnl_attr_put(nlh, FRA_IIFNAME, sizeof(longname), longname);
	assert_int_equal(route_rule_parse_msg(nlh, &r), 0);
	assert_int_equal(strlen(r.iifname), IFNAMSIZ - 1);
}

static void neigh(struct dump *d, const char *dst, uint16_t state, uint8_t flags)
{
	static const uint8_t mac[6] = { 2, 0, 0, 0, 0, 0x99 };
	struct ndmsg ndm = { .ndm_family = AF_INET, .ndm_ifindex = 2, .ndm_state = state,
			     .ndm_flags = flags };
	struct nlmsghdr *nlh = begin(d, RTM_NEWNEIGH, &ndm, sizeof(ndm));
	mnl_attr_put_u32(nlh, NDA_DST, ip4(dst));
	mnl_attr_put(nlh, NDA_LLADDR, sizeof(mac), mac);
	end(d, nlh);
}

static void test_neigh_counts(void **state)
{
	(void)state;
	struct dump d = { 0 };
	struct neigh_counts c = { 0 };

	neigh(&d, "10.0.0.1", NUD_REACHABLE, 0);
	neigh(&d, "10.0.0.2", NUD_STALE, 0);
	neigh(&d, "10.0.0.3", NUD_PERMANENT, 0);
	neigh(&d, "10.0.0.4", NUD_INCOMPLETE, 0);
	neigh(&d, "10.0.0.5", NUD_FAILED, 0);
	neigh(&d, "10.0.0.6", NUD_REACHABLE, NTF_EXT_LEARNED);
	neigh(&d, "10.0.0.7", NUD_NOARP, 0);
	done(&d);
	assert_int_equal(neigh_count_parse(d.buf, d.len, &c), 0);
	assert_int_equal(c.total, 7);
	assert_int_equal(c.gc_counted, 5); /* permanent and externally learned are exempt */
	assert_int_equal(c.permanent, 1);
	assert_int_equal(c.reachable, 2);
	assert_int_equal(c.stale, 1);
	assert_int_equal(c.incomplete, 1);
	assert_int_equal(c.failed, 1);
	assert_int_equal(c.noarp, 1);

	assert_int_equal(c.state[1], 2); /* NUD_REACHABLE is bit 1 */
	assert_int_equal(c.state[7], 1); /* NUD_PERMANENT */
	assert_string_equal(neigh_state_name(2), "STALE");

	/* the list view counts to the same numbers: one counting for both */
	struct rt_neighs all = { 0 };
	struct neigh_counts c2 = { 0 };
	assert_int_equal(neigh_parse(d.buf, d.len, &all), 0);
	assert_int_equal(all.n, 7);
	for (size_t i = 0; i < all.n; i++)
		neigh_count(&c2, &all.v[i]);
	assert_memory_equal(&c, &c2, sizeof(c));
	assert_int_equal(all.v[0].lladdr_len, 6);
	assert_int_equal(all.v[0].lladdr[5], 0x99);
	neigh_free(&all);

	struct rt_neigh n;
	assert_int_equal(neigh_parse_msg((const struct nlmsghdr *)d.buf, &n), 0);
	assert_true(n.has_dst);
	assert_ip4(n.dst, "10.0.0.1");
	for (size_t cut = 0; cut < d.len; cut++) {
		struct neigh_counts part = { 0 };
		char *copy = malloc(cut ? cut : 1);
		memcpy(copy, d.buf, cut);
		assert_true(neigh_count_parse(copy, cut, &part) <= 0);
		assert_true(part.total <= 7);
		free(copy);
	}
	/* shorter than struct ndmsg */
	unsigned char buf[64] = { 0 };
	struct nlmsghdr small = { .nlmsg_len = NLMSG_HDRLEN + 6, .nlmsg_type = RTM_NEWNEIGH };
	memcpy(buf, &small, sizeof(small));
	assert_int_equal(neigh_parse_msg((struct nlmsghdr *)buf, &n), -EBADMSG);
}

static void test_procstat(void **state)
{
	(void)state;
	const char *a = "entries  clashres found new invalid ignore delete chainlength insert insert_failed "
			"drop early_drop icmp_error  expect_new expect_create expect_delete search_restart\n"
			"0000000a  00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 "
			"00000001 00000002 00000000 00000000  00000000 00000000 00000000 00000000\n"
			"0000000a  00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 "
			"00000000 fffffffe 00000000 00000000  00000000 00000000 00000000 00000000\n";
	const char *b = "entries  clashres found new invalid ignore delete chainlength insert insert_failed "
			"drop early_drop icmp_error  expect_new expect_create expect_delete search_restart\n"
			"0000000c  00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 "
			"00000004 00000005 00000000 00000000  00000000 00000000 00000000 00000000\n"
			"0000000c  00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 "
			"00000000 00000001 00000000 00000000  00000000 00000000 00000000 00000000\n";
	struct procstat pa, pb;

	assert_int_equal(procstat_parse(a, strlen(a), &pa), 0);
	assert_int_equal(procstat_parse(b, strlen(b), &pb), 0);
	assert_int_equal(pa.ncols, 17);
	assert_int_equal(pa.nrows, 2);
	assert_int_equal(procstat_first(&pa, "entries"), 10);
	assert_int_equal(procstat_sum(&pa, "insert_failed"), 1);
	assert_int_equal(procstat_delta(&pa, &pb, "insert_failed"), 3);
	assert_int_equal(procstat_delta(&pa, &pb, "drop"), 3 + 3); /* 2->5, and 0xfffffffe wraps to 1 */
	assert_int_equal(procstat_sum(&pa, "nope"), -1);
	assert_int_equal(procstat_first(&pa, "nope"), -1);

	procstat_free(&pb);
	/* bad input: a row too short, not hex, no header */
	const char *bad[] = { "entries drop\n00000001\n", "entries drop\n0000000g 00000001\n", "",
			      "00000001 00000002\n", "entries drop\n1 2 3\n" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct procstat p;
		assert_int_equal(procstat_parse(bad[i], strlen(bad[i]), &p), -EBADMSG);
		assert_null(p.v);
	}
	/* every prefix parses or fails cleanly */
	for (size_t cut = 0; cut <= strlen(a); cut++) {
		struct procstat p;
		int r = procstat_parse(a, cut, &p);
		assert_true(r == 0 || r == -EBADMSG);
		procstat_free(&p);
	}
	/* a header line alone: no rows */
	assert_int_equal(procstat_parse("entries drop\n", 13, &pb), 0);
	assert_int_equal(pb.nrows, 0);
	assert_int_equal(procstat_first(&pb, "entries"), -1);
	procstat_free(&pb);
	procstat_free(&pa);

	/* procstat_counters: the tables of a (fake) /proc, summed per column */
	char root[] = "/tmp/netlens-procstat-XXXXXX", path[256];
	assert_non_null(mkdtemp(root));
	snprintf(path, sizeof(path), "%s/proc", root);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/proc/net", root);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/proc/net/stat", root);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/proc/net/stat/nf_conntrack", root);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(b, f);
	fclose(f);
	struct host *h = host_live(root);
	struct counter_set cs;
	counters_init(&cs);
	assert_int_equal(procstat_counters(h, &cs), 1); /* no arp_cache, ndisc_cache here */
	const struct counter *c = counters_find(&cs, "nf_conntrack:drop");
	assert_non_null(c);
	assert_int_equal(c->value, 6);
	assert_null(counters_find(&cs, "nf_conntrack:entries"));
	assert_int_equal(counters_find(&cs, "nf_conntrack:insert_failed")->value, 4);
	counters_free(&cs);
	host_close(h);
	unlink(path);
	snprintf(path, sizeof(path), "%s/proc/net/stat", root);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/proc/net", root);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/proc", root);
	rmdir(path);
	rmdir(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_routes),       cmocka_unit_test(test_route_lies),
		cmocka_unit_test(test_prefix_contains), cmocka_unit_test(test_rules),
		cmocka_unit_test(test_neigh_counts), cmocka_unit_test(test_procstat),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
