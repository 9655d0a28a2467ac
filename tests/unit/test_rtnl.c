/* rtnetlink and softnet parsers: recorded dumps (tests/fixtures/rtnl, made by
 * make_ns.sh + record.py on a 6.18 kernel), every prefix and byte-flipped
 * copies of them, and RTM_NEWLINK messages built here with libmnl for the
 * kinds this kernel cannot create (bond, team, vlan, ipvlan, dummy,
 * wireguard, geneve) and for lying lengths. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "sources/linkextra.h"
#include "sources/nl.h"
#include "sources/nlattr.h"
#include "sources/nldump.h"
#include "sources/rtnl.h"
#include "sources/softnet.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct blob {
	unsigned char *data;
	size_t len;
};

static struct blob load(const char *name)
{
	const char *dir = getenv("NETLENS_FIXTURES");
	char path[512];
	struct blob b = { 0 };
	FILE *f;

	snprintf(path, sizeof(path), "%s/rtnl/%s", dir ? dir : "tests/fixtures", name);
	f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	b.len = (size_t)ftell(f);
	fseek(f, 0, SEEK_SET);
	b.data = malloc(b.len + 1);
	assert_non_null(b.data);
	assert_int_equal(fread(b.data, 1, b.len, f), b.len);
	fclose(f);
	return b;
}

static const struct rtnl_kv *kv(const struct rtnl_kv *v, unsigned n, const char *key)
{
	for (unsigned i = 0; i < n; i++)
		if (strcmp(v[i].key, key) == 0)
			return &v[i];
	return NULL;
}

static void test_recorded_links(void **state)
{
	(void)state;
	struct blob b = load("links.nl");
	struct rtnl_links ls = { 0 };

	assert_int_equal(rtnl_parse_links(b.data, b.len, &ls), 0);
	assert_int_equal(ls.n, 7);
	const struct rtnl_link *lo = rtnl_link_by_name(&ls, "lo"), *br = rtnl_link_by_name(&ls, "br0");
	const struct rtnl_link *va = rtnl_link_by_name(&ls, "va"), *vb = rtnl_link_by_name(&ls, "vb");
	const struct rtnl_link *mv = rtnl_link_by_name(&ls, "mv0"), *vx = rtnl_link_by_name(&ls, "vx0");
	const struct rtnl_link *tap = rtnl_link_by_name(&ls, "tap0");
	assert_true(lo && br && va && vb && mv && vx && tap);
	/* lo carried the 3 datagrams and their 3 ICMP errors, both ways */
	assert_true(lo->has_stats && !lo->stats32);
	assert_int_equal(lo->stats.rx_packets, 6);
	assert_int_equal(lo->stats.tx_packets, 6);
	assert_int_equal(lo->stats.rx_bytes, lo->stats.tx_bytes);
	assert_string_equal(lo->kind, "");
	assert_string_equal(br->kind, "bridge");
	assert_int_equal(rtnl_info_get(br, "stp_state")->u, 0);
	assert_string_equal(va->kind, "veth");
	assert_int_equal(va->master, br->ifindex);
	assert_string_equal(va->slave_kind, "bridge");
	assert_non_null(kv(va->slave_info, va->nslave_info, "state"));
	assert_int_equal(va->link, vb->ifindex);
	assert_false(va->has_link_netnsid);
	assert_int_equal(vb->mtu, 1400);
	assert_string_equal(vb->qdisc, "tbf");
	assert_string_equal(mv->kind, "macvlan");
	assert_int_equal(mv->link, br->ifindex);
	assert_string_equal(rtnl_info_get(mv, "mode")->s, "bridge");
	assert_string_equal(vx->kind, "vxlan");
	assert_int_equal(rtnl_info_get(vx, "id")->u, 42);
	assert_int_equal(rtnl_info_get(vx, "port")->u, 4789);
	assert_string_equal(rtnl_info_get(vx, "local")->s, "10.0.0.1");
	assert_string_equal(rtnl_info_get(vx, "remote")->s, "10.0.0.2");
	assert_int_equal(rtnl_info_get(vx, "link")->type, RV_IFINDEX);
	assert_int_equal(rtnl_info_get(vx, "link")->u, (uint64_t)br->ifindex);
	assert_string_equal(tap->kind, "tun");
	assert_string_equal(rtnl_info_get(tap, "type")->s, "tap");
	assert_int_equal(tap->master, br->ifindex);
	rtnl_links_free(&ls);
	free(b.data);
}

static void test_recorded_addrs_qdiscs(void **state)
{
	(void)state;
	struct blob a = load("addrs.nl"), q = load("qdiscs.nl"), l = load("links.nl");
	struct rtnl_addrs as = { 0 };
	struct rtnl_qdiscs qs = { 0 };
	struct rtnl_links ls = { 0 };
	char hb[16];

	assert_int_equal(rtnl_parse_links(l.data, l.len, &ls), 0);
	int br = rtnl_link_by_name(&ls, "br0")->ifindex, vb = rtnl_link_by_name(&ls, "vb")->ifindex;
	assert_int_equal(rtnl_parse_addrs(a.data, a.len, &as), 0);
	bool v4 = false, v6 = false;
	for (size_t i = 0; i < as.n; i++) {
		if (as.v[i].ifindex == br && !strcmp(as.v[i].text, "10.1.1.1"))
			v4 = as.v[i].prefixlen == 24;
		if (as.v[i].ifindex == br && !strcmp(as.v[i].text, "2001:db8::1"))
			v6 = as.v[i].prefixlen == 64;
	}
	assert_true(v4 && v6);
	assert_int_equal(rtnl_parse_qdiscs(q.data, q.len, &qs), 0);
	const struct rtnl_qdisc *tbf = NULL;
	for (size_t i = 0; i < qs.n; i++)
		if (qs.v[i].ifindex == vb)
			tbf = &qs.v[i];
	assert_non_null(tbf);
	assert_string_equal(tbf->kind, "tbf");
	assert_true(tbf->has_stats);
	assert_string_equal(rtnl_tc_handle(tbf->parent, hb, sizeof(hb)), "root");
	assert_int_equal(tbf->handle & 0xffff, 0);
	assert_true(tbf->packets >= 1 && tbf->bytes >= 1);
	rtnl_links_free(&ls);
	rtnl_addrs_free(&as);
	rtnl_qdiscs_free(&qs);
	free(a.data);
	free(q.data);
	free(l.data);
}

typedef void (*parse_fn)(const unsigned char *, size_t);

static void parse_all(const unsigned char *d, size_t n)
{
	struct rtnl_links ls = { 0 };
	struct rtnl_addrs as = { 0 };
	struct rtnl_qdiscs qs = { 0 };
	int r1 = rtnl_parse_links(d, n, &ls), r2 = rtnl_parse_addrs(d, n, &as);
	int r3 = rtnl_parse_qdiscs(d, n, &qs);
	assert_true(r1 == 0 || r1 == -EBADMSG || r1 < 0);
	assert_true(r2 <= 0 && r3 <= 0);
	for (size_t i = 0; i < ls.n; i++)
		assert_true(strlen(ls.v[i].name) < IFNAMSIZ && strlen(ls.v[i].kind) < 24);
	rtnl_links_free(&ls);
	rtnl_addrs_free(&as);
	rtnl_qdiscs_free(&qs);
}

/* Every prefix, then flipped bytes: an error or a parse, never a bad read. */
static void test_truncated_and_corrupted(void **state)
{
	(void)state;
	const char *files[] = { "links.nl", "addrs.nl", "qdiscs.nl" };
	static const unsigned char masks[] = { 0xff, 0x01, 0x80 };

	for (size_t f = 0; f < 3; f++) {
		struct blob b = load(files[f]);
		for (size_t cut = 0; cut < b.len; cut += 1) {
			unsigned char *copy = malloc(cut ? cut : 1);
			memcpy(copy, b.data, cut);
			parse_all(copy, cut);
			free(copy);
		}
		unsigned char *copy = malloc(b.len);
		for (size_t i = 0; i < b.len && i < 4096; i++) {
			for (size_t m = 0; m < 3; m++) {
				memcpy(copy, b.data, b.len);
				copy[i] ^= masks[m];
				parse_all(copy, b.len);
			}
		}
		free(copy);
		free(b.data);
	}
}

/* ---- messages built here ---- */

struct msg {
	char buf[4096];
	struct nlmsghdr *nlh;
	struct nlattr *li, *data;
};

static void msg_begin(struct msg *m, int ifindex, const char *name)
{
	memset(m->buf, 0, sizeof(m->buf));
	m->nlh = mnl_nlmsg_put_header(m->buf);
	m->nlh->nlmsg_type = RTM_NEWLINK;
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(m->nlh, sizeof(*ifi));
	ifi->ifi_index = ifindex;
	mnl_attr_put_strz(m->nlh, IFLA_IFNAME, name);
	mnl_attr_put_u32(m->nlh, IFLA_MTU, 1500);
}

static void info_begin(struct msg *m, const char *kind)
{
	m->li = mnl_attr_nest_start(m->nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(m->nlh, IFLA_INFO_KIND, kind);
	m->data = mnl_attr_nest_start(m->nlh, IFLA_INFO_DATA);
}

static void info_end(struct msg *m)
{
	mnl_attr_nest_end(m->nlh, m->data);
	mnl_attr_nest_end(m->nlh, m->li);
}

static void parse_ok(struct msg *m, struct rtnl_link *l)
{
	assert_int_equal(rtnl_parse_link_msg(m->nlh, l), 0);
}

static void test_bond_and_slave(void **state)
{
	(void)state;
	struct msg m;
	struct rtnl_link l;

	msg_begin(&m, 10, "bond0");
	info_begin(&m, "bond");
	mnl_attr_put_u8(m.nlh, IFLA_BOND_MODE, 4);
	mnl_attr_put_u32(m.nlh, IFLA_BOND_ACTIVE_SLAVE, 11);
	mnl_attr_put_u32(m.nlh, IFLA_BOND_MIIMON, 100);
	mnl_attr_put_u8(m.nlh, IFLA_BOND_XMIT_HASH_POLICY, 1);
	mnl_attr_put_u8(m.nlh, IFLA_BOND_AD_LACP_RATE, 1);
	info_end(&m);
	parse_ok(&m, &l);
	assert_string_equal(l.kind, "bond");
	assert_string_equal(rtnl_info_get(&l, "mode")->s, "802.3ad");
	assert_int_equal(rtnl_info_get(&l, "miimon")->u, 100);
	assert_int_equal(rtnl_info_get(&l, "active_slave")->type, RV_IFINDEX);
	assert_int_equal(rtnl_info_get(&l, "active_slave")->u, 11);
	assert_string_equal(rtnl_info_get(&l, "xmit_hash_policy")->s, "layer3+4");
	assert_string_equal(rtnl_info_get(&l, "ad_lacp_rate")->s, "fast");

	/* a slave: the master's kind and data in IFLA_INFO_SLAVE_* */
	msg_begin(&m, 11, "eth1");
	mnl_attr_put_u32(m.nlh, IFLA_MASTER, 10);
	m.li = mnl_attr_nest_start(m.nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(m.nlh, IFLA_INFO_SLAVE_KIND, "bond");
	m.data = mnl_attr_nest_start(m.nlh, IFLA_INFO_SLAVE_DATA);
	mnl_attr_put_u8(m.nlh, IFLA_BOND_SLAVE_STATE, 1);
	mnl_attr_put_u8(m.nlh, IFLA_BOND_SLAVE_MII_STATUS, 0);
	mnl_attr_put_u32(m.nlh, IFLA_BOND_SLAVE_LINK_FAILURE_COUNT, 3);
	info_end(&m);
	parse_ok(&m, &l);
	assert_int_equal(l.master, 10);
	assert_string_equal(l.kind, "");
	assert_string_equal(l.slave_kind, "bond");
	assert_string_equal(kv(l.slave_info, l.nslave_info, "state")->s, "BACKUP");
	assert_string_equal(kv(l.slave_info, l.nslave_info, "mii_status")->s, "UP");
	assert_int_equal(kv(l.slave_info, l.nslave_info, "link_failure_count")->u, 3);

	/* an unknown mode number stays a number */
	msg_begin(&m, 12, "bond1");
	info_begin(&m, "bond");
	mnl_attr_put_u8(m.nlh, IFLA_BOND_MODE, 77);
	info_end(&m);
	parse_ok(&m, &l);
	assert_int_equal(rtnl_info_get(&l, "mode")->type, RV_U64);
	assert_int_equal(rtnl_info_get(&l, "mode")->u, 77);
}

static void test_vlan_ipvlan_team_dummy_wg(void **state)
{
	(void)state;
	struct msg m;
	struct rtnl_link l;

	msg_begin(&m, 20, "eth0.100");
	mnl_attr_put_u32(m.nlh, IFLA_LINK, 2);
	info_begin(&m, "vlan");
	mnl_attr_put_u16(m.nlh, IFLA_VLAN_ID, 100);
	mnl_attr_put_u16(m.nlh, IFLA_VLAN_PROTOCOL, htons(0x88a8));
	info_end(&m);
	parse_ok(&m, &l);
	assert_int_equal(l.link, 2);
	assert_int_equal(rtnl_info_get(&l, "id")->u, 100);
	assert_string_equal(rtnl_info_get(&l, "protocol")->s, "802.1ad");

	msg_begin(&m, 21, "ipvl0");
	mnl_attr_put_u32(m.nlh, IFLA_LINK, 2);
	info_begin(&m, "ipvlan");
	mnl_attr_put_u16(m.nlh, IFLA_IPVLAN_MODE, 1);
	mnl_attr_put_u16(m.nlh, IFLA_IPVLAN_FLAGS, 1);
	info_end(&m);
	parse_ok(&m, &l);
	assert_string_equal(rtnl_info_get(&l, "mode")->s, "l3");
	assert_string_equal(rtnl_info_get(&l, "flags")->s, "private");

	const char *plain[] = { "team", "dummy", "wireguard" };
	for (int i = 0; i < 3; i++) {
		msg_begin(&m, 30 + i, plain[i]);
		info_begin(&m, plain[i]);
		info_end(&m);
		parse_ok(&m, &l);
		assert_string_equal(l.kind, plain[i]);
		assert_int_equal(l.ninfo, 0);
	}

	msg_begin(&m, 40, "gnv0");
	info_begin(&m, "geneve");
	mnl_attr_put_u32(m.nlh, IFLA_GENEVE_ID, 7);
	struct in6_addr a6;
	inet_pton(AF_INET6, "2001:db8::9", &a6);
	mnl_attr_put(m.nlh, IFLA_GENEVE_REMOTE6, sizeof(a6), &a6);
	mnl_attr_put_u16(m.nlh, IFLA_GENEVE_PORT, htons(6081));
	info_end(&m);
	parse_ok(&m, &l);
	assert_string_equal(rtnl_info_get(&l, "remote")->s, "2001:db8::9");
	assert_int_equal(rtnl_info_get(&l, "port")->u, 6081);
}

static void test_veth_peer_in_other_netns(void **state)
{
	(void)state;
	struct msg m;
	struct rtnl_link l;

	msg_begin(&m, 5, "veth0");
	mnl_attr_put_u32(m.nlh, IFLA_LINK, 17);
	mnl_attr_put_u32(m.nlh, IFLA_LINK_NETNSID, 3);
	info_begin(&m, "veth");
	info_end(&m);
	parse_ok(&m, &l);
	assert_int_equal(l.link, 17);
	assert_true(l.has_link_netnsid);
	assert_int_equal(l.link_netnsid, 3);
}

/* ttl 0 is "auto" and an inherited ttl "inherit" in text (as iproute2
 * words them); JSON keeps the number, and no number when inherited. geneve
 * here: this kernel cannot create one for the e2e test. */
static void test_tunnel_ttl_words(void **state)
{
	(void)state;
	struct msg m;
	struct rtnl_link l;
	const struct rtnl_kv *t;

	msg_begin(&m, 41, "gnv1");
	info_begin(&m, "geneve");
	mnl_attr_put_u8(m.nlh, IFLA_GENEVE_TTL, 0);
	info_end(&m);
	parse_ok(&m, &l);
	t = rtnl_info_get(&l, "ttl");
	assert_non_null(t);
	assert_int_equal(t->type, RV_U64);
	assert_int_equal(t->u, 0);
	assert_string_equal(t->text, "auto");
	assert_null(t->label);

	msg_begin(&m, 42, "gnv2");
	info_begin(&m, "geneve");
	mnl_attr_put_u8(m.nlh, IFLA_GENEVE_TTL, 64);
	info_end(&m);
	parse_ok(&m, &l);
	assert_int_equal(rtnl_info_get(&l, "ttl")->u, 64);
	assert_null(rtnl_info_get(&l, "ttl")->text);

	msg_begin(&m, 43, "vx3");
	info_begin(&m, "vxlan");
	mnl_attr_put_u32(m.nlh, IFLA_VXLAN_ID, 3);
	mnl_attr_put_u8(m.nlh, IFLA_VXLAN_TTL, 0);
	mnl_attr_put_u8(m.nlh, IFLA_VXLAN_TTL_INHERIT, 1);
	mnl_attr_put_u8(m.nlh, IFLA_VXLAN_LEARNING, 1);
	info_end(&m);
	parse_ok(&m, &l);
	assert_null(rtnl_info_get(&l, "ttl"));
	t = rtnl_info_get(&l, "ttl_inherit");
	assert_non_null(t);
	assert_int_equal(t->type, RV_BOOL);
	assert_string_equal(t->label, "ttl");
	assert_string_equal(t->text, "inherit");
	assert_int_equal(rtnl_info_get(&l, "learning")->u, 1);
	assert_null(rtnl_info_get(&l, "learning")->text); /* slots reused are clean */
	assert_int_equal(l.ninfo, 3);
}

/* Appends m's message to a dump buffer d (as the kernel sends them). */
static size_t dump_add(char *d, size_t off, const struct msg *m)
{
	memcpy(d + off, m->buf, m->nlh->nlmsg_len);
	return off + NLMSG_ALIGN(m->nlh->nlmsg_len);
}

static size_t dump_done(char *d, size_t off)
{
	struct nlmsghdr *done = mnl_nlmsg_put_header(d + off);
	done->nlmsg_type = NLMSG_DONE;
	mnl_nlmsg_put_extra_header(done, sizeof(int));
	return off + done->nlmsg_len;
}

/* Carrier counts are parsed once, by rtnl.c: struct rtnl_link has them
 * and linkextra's link_carriers_parse() gives the same numbers. */
static void test_carrier_counts_one_parser(void **state)
{
	(void)state;
	static char d[8192];
	struct msg m;
	size_t off = 0;

	msg_begin(&m, 2, "eth0");
	mnl_attr_put_u32(m.nlh, IFLA_CARRIER_CHANGES, 9);
	mnl_attr_put_u32(m.nlh, IFLA_CARRIER_UP_COUNT, 5);
	mnl_attr_put_u32(m.nlh, IFLA_CARRIER_DOWN_COUNT, 4);
	off = dump_add(d, off, &m);
	msg_begin(&m, 3, "old0"); /* a kernel before 4.16: changes only */
	mnl_attr_put_u32(m.nlh, IFLA_CARRIER_CHANGES, 2);
	off = dump_add(d, off, &m);
	off = dump_done(d, off);

	struct rtnl_links ls = { 0 };
	assert_int_equal(rtnl_parse_links(d, off, &ls), 0);
	assert_int_equal(ls.n, 2);
	assert_true(ls.v[0].has_carrier_changes && ls.v[0].has_carrier_updown);
	assert_int_equal(ls.v[0].carrier_changes, 9);
	assert_int_equal(ls.v[0].carrier_up, 5);
	assert_int_equal(ls.v[0].carrier_down, 4);
	assert_true(ls.v[1].has_carrier_changes && !ls.v[1].has_carrier_updown);
	rtnl_links_free(&ls);

	struct link_carriers c = { 0 };
	assert_int_equal(link_carriers_parse(d, off, &c), 0);
	assert_int_equal(c.n, 2);
	const struct link_carrier *e = link_carrier_find(&c, 2);
	assert_non_null(e);
	assert_string_equal(e->name, "eth0");
	assert_true(e->has_changes && e->has_updown);
	assert_int_equal(e->changes, 9);
	assert_int_equal(e->up + e->down, 9);
	assert_false(link_carrier_find(&c, 3)->has_updown);
	link_carriers_free(&c);

	/* a message whose attribute lies fails the whole parse, freed */
	msg_begin(&m, 4, "bad0");
	struct nlattr *last = (struct nlattr *)((char *)m.nlh + m.nlh->nlmsg_len);
	mnl_attr_put_u32(m.nlh, IFLA_CARRIER_CHANGES, 1);
	last->nla_len = 200;
	off = dump_done(d, dump_add(d, 0, &m));
	assert_int_equal(link_carriers_parse(d, off, &c), -EBADMSG);
	assert_null(c.v);
	assert_int_equal(c.n, 0);
}

/* nl_parse_vec(): kept (0), skipped (1) and failed (<0) messages. */
struct small {
	int ifindex;
};
struct smalls {
	struct small *v;
	size_t n, cap;
};

static int parse_small(const struct nlmsghdr *nlh, void *rec)
{
	struct ifinfomsg ifi;
	struct nlattr_tb tb;
	int err;

	if (nlattr_msg_type(nlh) != RTM_NEWLINK)
		return 1;
	if ((err = nlattr_tb_msg(nlh, sizeof(ifi), &tb)))
		return err;
	nlattr_msg_hdr(nlh, &ifi, sizeof(ifi));
	if (ifi.ifi_index % 2)
		return 1; /* odd ones skipped */
	((struct small *)rec)->ifindex = ifi.ifi_index;
	return 0;
}

static void test_parse_into_vector(void **state)
{
	(void)state;
	static char d[65536];
	struct smalls v = { 0 };
	struct msg m;
	size_t off = 0;

	for (int i = 1; i <= 200; i++) { /* past the first growth (64) */
		msg_begin(&m, i, "x");
		off = dump_add(d, off, &m);
	}
	off = dump_done(d, off);
	assert_int_equal(nl_parse_vec(d, off, parse_small, NL_VEC(&v), NULL), 0);
	assert_int_equal(v.n, 100);
	for (size_t i = 0; i < v.n; i++)
		assert_int_equal(v.v[i].ifindex, (int)(2 * i + 2));
	/* appends; an error stops, keeping what came before for the owner */
	msg_begin(&m, 1000, "y");
	off = dump_add(d, 0, &m);
	msg_begin(&m, 1002, "z");
	struct nlattr *last = (struct nlattr *)((char *)m.nlh + m.nlh->nlmsg_len);
	mnl_attr_put_u32(m.nlh, IFLA_MTU, 1);
	last->nla_len = 300;
	off = dump_done(d, dump_add(d, off, &m));
	assert_int_equal(nl_parse_vec(d, off, parse_small, NL_VEC(&v), NULL), -EBADMSG);
	assert_int_equal(v.n, 101);
	assert_int_equal(v.v[100].ifindex, 1000);
	free(v.v);
}

static void test_stats_sizes(void **state)
{
	(void)state;
	struct msg m;
	struct rtnl_link l;

	/* 32-bit stats only: widened */
	struct rtnl_link_stats s32 = { .rx_packets = 5, .tx_bytes = 700, .rx_nohandler = 2 };
	msg_begin(&m, 1, "old0");
	mnl_attr_put(m.nlh, IFLA_STATS, sizeof(s32), &s32);
	parse_ok(&m, &l);
	assert_true(l.has_stats && l.stats32);
	assert_int_equal(l.stats.rx_packets, 5);
	assert_int_equal(l.stats.tx_bytes, 700);
	assert_int_equal(l.stats.rx_nohandler, 2);

	/* an older kernel's shorter stats64: the missing tail reads as 0 */
	struct rtnl_link_stats64 s64 = { .rx_bytes = 1ULL << 40, .rx_nohandler = 9 };
	msg_begin(&m, 1, "short0");
	mnl_attr_put(m.nlh, IFLA_STATS64, offsetof(struct rtnl_link_stats64, rx_nohandler), &s64);
	parse_ok(&m, &l);
	assert_int_equal(l.stats.rx_bytes, 1ULL << 40);
	assert_int_equal(l.stats.rx_nohandler, 0);

	/* a u32 attribute too short for its type is ignored */
	msg_begin(&m, 1, "short1");
	mnl_attr_put_u8(m.nlh, IFLA_MASTER, 9);
	parse_ok(&m, &l);
	assert_int_equal(l.master, 0);
}

static void test_lying_lengths(void **state)
{
	(void)state;
	struct msg m;
	struct rtnl_link l;

	msg_begin(&m, 1, "x");
	struct nlattr *a = mnl_nlmsg_get_payload_tail(m.nlh);
	mnl_attr_put_u32(m.nlh, IFLA_MTU, 9000);
	a->nla_len = 400; /* past the message */
	assert_int_equal(rtnl_parse_link_msg(m.nlh, &l), -EBADMSG);

	/* nested data claiming more than its parent holds */
	msg_begin(&m, 1, "y");
	info_begin(&m, "vxlan");
	struct nlattr *in = mnl_nlmsg_get_payload_tail(m.nlh);
	mnl_attr_put_u32(m.nlh, IFLA_VXLAN_ID, 1);
	info_end(&m);
	in->nla_len = 200;
	assert_int_equal(rtnl_parse_link_msg(m.nlh, &l), -EBADMSG);

	/* a message shorter than struct ifinfomsg */
	struct nlmsghdr h = { .nlmsg_len = NLMSG_HDRLEN + 4, .nlmsg_type = RTM_NEWLINK };
	unsigned char buf[64] = { 0 };
	memcpy(buf, &h, sizeof(h));
	assert_int_equal(rtnl_parse_link_msg((struct nlmsghdr *)buf, &l), -EBADMSG);

	/* a name without its NUL is cut, not overrun */
	msg_begin(&m, 1, "z");
	char longname[40];
	memset(longname, 'n', sizeof(longname));
	mnl_attr_put(m.nlh, IFLA_IFNAME, sizeof(longname), longname);
	parse_ok(&m, &l);
	assert_int_equal(strlen(l.name), IFNAMSIZ - 1);
}

static void test_select(void **state)
{
	(void)state;
	struct rtnl_link v[3] = { { .ifindex = 1, .name = "lo" }, { .ifindex = 2, .name = "veth0" },
				  { .ifindex = 3, .name = "veth1" } };
	struct rtnl_links ls = { .v = v, .n = 3 };
	bool sel[3];
	const char *um = NULL;
	char *p1[] = { "veth*" }, *p2[] = { "lo", "eth9" };

	assert_int_equal(rtnl_select(&ls, p1, 1, sel, &um), 0);
	assert_true(!sel[0] && sel[1] && sel[2]);
	assert_int_equal(rtnl_select(&ls, p2, 2, sel, &um), -ENODEV);
	assert_string_equal(um, "eth9");
	assert_int_equal(rtnl_select(&ls, NULL, 0, sel, &um), 0);
	assert_true(sel[0] && sel[1] && sel[2]);
}

static void test_tc_handles(void **state)
{
	(void)state;
	char b[16];
	assert_string_equal(rtnl_tc_handle(0xffffffff, b, sizeof(b)), "root");
	assert_string_equal(rtnl_tc_handle(0xfffffff1, b, sizeof(b)), "ingress");
	assert_string_equal(rtnl_tc_handle(0x80010000, b, sizeof(b)), "8001:");
	assert_string_equal(rtnl_tc_handle(0x00010002, b, sizeof(b)), "1:2");
	assert_string_equal(rtnl_tc_handle(0, b, sizeof(b)), "0:");
}

static void test_softnet_versions(void **state)
{
	(void)state;
	struct softnet s;
	/* 6.x: 15 columns, CPU number in column 12 (CPU 1 offline here) */
	const char *v6 = "0050e5c3 00000002 00000003 00000000 00000000 00000000 00000000 00000000 "
			 "00000000 00000004 00000005 00000006 00000000 00000000 00000000\n"
			 "006c212f 00000000 00000000 00000000 00000000 00000000 00000000 00000000 "
			 "00000000 00000000 00000000 00000000 00000002 00000000 00000000\n";
	assert_int_equal(softnet_parse(v6, strlen(v6), &s), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.ncols, 15);
	assert_true(s.cpu_from_file);
	assert_int_equal(s.cpu[0].processed, 0x50e5c3);
	assert_int_equal(s.cpu[0].dropped, 2);
	assert_int_equal(s.cpu[0].time_squeeze, 3);
	assert_int_equal(s.cpu[0].received_rps, 4);
	assert_int_equal(s.cpu[0].flow_limit, 5);
	assert_int_equal(s.cpu[0].backlog, 6);
	assert_int_equal(s.cpu[1].cpu, 2);
	softnet_free(&s);

	/* 4.x: 11 columns, no CPU column: the line number stands in */
	const char *v4 = "00000010 00000001 00000002 00000000 00000000 00000000 00000000 00000000 "
			 "00000000 00000007 00000008\n"
			 "00000011 00000000 00000000 00000000 00000000 00000000 00000000 00000000 "
			 "00000000 00000000 00000000\n";
	assert_int_equal(softnet_parse(v4, strlen(v4), &s), 0);
	assert_false(s.cpu_from_file);
	assert_int_equal(s.cpu[1].cpu, 1);
	assert_true(s.cpu[0].has_flow_limit && !s.cpu[0].has_backlog);
	assert_int_equal(s.cpu[0].flow_limit, 8);
	softnet_free(&s);

	/* 2.6: 9 columns, no rps */
	const char *old = "00000010 00000001 00000002 00000000 00000000 00000000 00000000 00000000 00000000";
	assert_int_equal(softnet_parse(old, strlen(old), &s), 0);
	assert_false(s.cpu[0].has_rps);
	softnet_free(&s);

	const char *bad[] = { "0000001g 0 0\n", "00000010 00000001\n", "123456789 0 0\n" };
	for (int i = 0; i < 3; i++)
		assert_int_equal(softnet_parse(bad[i], strlen(bad[i]), &s), -EBADMSG);
	assert_int_equal(softnet_parse("", 0, &s), 0);
	assert_int_equal(s.n, 0);
}

static int count_msg(const struct nlmsghdr *nlh, void *arg)
{
	(void)nlh;
	(*(int *)arg)++;
	return 0;
}

/* A recorded reply's error or DONE status is any int: what is not an
 * errno (INT_MIN, whose negation is undefined; positive; beyond 4095)
 * comes out as -EPROTO, an errno as itself. */
static void test_reply_errors_are_errnos(void **state)
{
	static const int in[] = { INT_MIN, -4096, 7, -EACCES, -1 };
	static const int want[] = { -EPROTO, -EPROTO, -EPROTO, -EACCES, -EPERM };
	(void)state;
	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		for (int type = NLMSG_ERROR; type <= NLMSG_DONE; type++) {
			uint64_t buf[8] = { 0 };
			struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
			int n = 0;
			nlh->nlmsg_type = (uint16_t)type;
			nlh->nlmsg_len = NLMSG_LENGTH(sizeof(struct nlmsgerr));
			memcpy(NLMSG_DATA(nlh), &in[i], sizeof(int));
			int r = nl_parse_dump(buf, nlh->nlmsg_len, 0, 0, count_msg, &n, NULL);
			if (type == NLMSG_DONE && in[i] > 0)
				assert_int_equal(r, 0); /* a positive DONE status is no error */
			else
				assert_int_equal(r, want[i]);
			assert_int_equal(n, 0);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_recorded_links),
		cmocka_unit_test(test_recorded_addrs_qdiscs),
		cmocka_unit_test(test_truncated_and_corrupted),
		cmocka_unit_test(test_bond_and_slave),
		cmocka_unit_test(test_vlan_ipvlan_team_dummy_wg),
		cmocka_unit_test(test_veth_peer_in_other_netns),
		cmocka_unit_test(test_tunnel_ttl_words),
		cmocka_unit_test(test_carrier_counts_one_parser),
		cmocka_unit_test(test_parse_into_vector),
		cmocka_unit_test(test_stats_sizes),
		cmocka_unit_test(test_lying_lengths),
		cmocka_unit_test(test_select),
		cmocka_unit_test(test_tc_handles),
		cmocka_unit_test(test_softnet_versions),
		cmocka_unit_test(test_reply_errors_are_errnos),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
