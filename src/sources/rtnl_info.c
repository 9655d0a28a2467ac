/* IFLA_INFO_DATA and IFLA_INFO_SLAVE_DATA decoding, one table per link
 * kind. Keys follow `ip -d -j link` where ip has a name for the value, so a
 * reader can compare the two. Every read goes through the bounded getters
 * of nlattr.h; an attribute too short for its type is skipped. */
#include "sources/nlattr.h"
#include "sources/rtnl_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_link.h>
#include <linux/if_tunnel.h>
#include <stdio.h>
#include <string.h>

enum dec {
	D_U8, D_U16, D_U32, D_BE16, D_ADDR, D_VX_GROUP, D_IFINDEX, D_MAC, D_BE16_HEX,
	D_MACVLAN_MODE, D_IPVLAN_MODE, D_IPVLAN_FLAGS, D_BOND_MODE, D_BOND_HASH, D_LACP_RATE,
	D_TUN_TYPE, D_BRPORT_STATE, D_BOND_SLAVE_STATE, D_MII_STATUS, D_VLAN_PROTO,
	D_TTL_AUTO, D_TTL_INHERIT,
};

struct spec {
	uint16_t attr;
	uint8_t dec;
	const char *key;
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct spec bridge[] = {
	{ IFLA_BR_STP_STATE, D_U32, "stp_state" },
	{ IFLA_BR_PRIORITY, D_U16, "priority" },
	{ IFLA_BR_VLAN_FILTERING, D_U8, "vlan_filtering" },
	{ IFLA_BR_VLAN_PROTOCOL, D_VLAN_PROTO, "vlan_protocol" },
	{ IFLA_BR_FORWARD_DELAY, D_U32, "forward_delay" },
	{ IFLA_BR_HELLO_TIME, D_U32, "hello_time" },
	{ IFLA_BR_MAX_AGE, D_U32, "max_age" },
	{ IFLA_BR_AGEING_TIME, D_U32, "ageing_time" },
	{ IFLA_BR_MCAST_SNOOPING, D_U8, "mcast_snooping" },
};
static const struct spec bridge_slave[] = {
	{ IFLA_BRPORT_STATE, D_BRPORT_STATE, "state" },
	{ IFLA_BRPORT_PRIORITY, D_U16, "priority" },
	{ IFLA_BRPORT_COST, D_U32, "cost" },
	{ IFLA_BRPORT_MODE, D_U8, "hairpin" },
	{ IFLA_BRPORT_LEARNING, D_U8, "learning" },
	{ IFLA_BRPORT_UNICAST_FLOOD, D_U8, "flood" },
};
static const struct spec bond[] = {
	{ IFLA_BOND_MODE, D_BOND_MODE, "mode" },
	{ IFLA_BOND_ACTIVE_SLAVE, D_IFINDEX, "active_slave" },
	{ IFLA_BOND_MIIMON, D_U32, "miimon" },
	{ IFLA_BOND_UPDELAY, D_U32, "updelay" },
	{ IFLA_BOND_DOWNDELAY, D_U32, "downdelay" },
	{ IFLA_BOND_XMIT_HASH_POLICY, D_BOND_HASH, "xmit_hash_policy" },
	{ IFLA_BOND_MIN_LINKS, D_U32, "min_links" },
	{ IFLA_BOND_AD_LACP_RATE, D_LACP_RATE, "ad_lacp_rate" },
};
static const struct spec bond_slave[] = {
	{ IFLA_BOND_SLAVE_STATE, D_BOND_SLAVE_STATE, "state" },
	{ IFLA_BOND_SLAVE_MII_STATUS, D_MII_STATUS, "mii_status" },
	{ IFLA_BOND_SLAVE_LINK_FAILURE_COUNT, D_U32, "link_failure_count" },
	{ IFLA_BOND_SLAVE_PERM_HWADDR, D_MAC, "perm_hwaddr" },
	{ IFLA_BOND_SLAVE_QUEUE_ID, D_U16, "queue_id" },
	{ IFLA_BOND_SLAVE_AD_AGGREGATOR_ID, D_U16, "ad_aggregator_id" },
};
static const struct spec vlan[] = {
	{ IFLA_VLAN_PROTOCOL, D_VLAN_PROTO, "protocol" },
	{ IFLA_VLAN_ID, D_U16, "id" },
};
static const struct spec vxlan[] = {
	{ IFLA_VXLAN_ID, D_U32, "id" },
	{ IFLA_VXLAN_GROUP, D_VX_GROUP, NULL },
	{ IFLA_VXLAN_GROUP6, D_VX_GROUP, NULL },
	{ IFLA_VXLAN_LOCAL, D_ADDR, "local" },
	{ IFLA_VXLAN_LOCAL6, D_ADDR, "local" },
	{ IFLA_VXLAN_LINK, D_IFINDEX, "link" },
	{ IFLA_VXLAN_PORT, D_BE16, "port" },
	{ IFLA_VXLAN_TTL, D_TTL_AUTO, "ttl" },
	{ IFLA_VXLAN_TTL_INHERIT, D_TTL_INHERIT, "ttl_inherit" },
	{ IFLA_VXLAN_LEARNING, D_U8, "learning" },
};
static const struct spec geneve[] = {
	{ IFLA_GENEVE_ID, D_U32, "id" },
	{ IFLA_GENEVE_REMOTE, D_ADDR, "remote" },
	{ IFLA_GENEVE_REMOTE6, D_ADDR, "remote" },
	{ IFLA_GENEVE_PORT, D_BE16, "port" },
	{ IFLA_GENEVE_TTL, D_TTL_AUTO, "ttl" },
	{ IFLA_GENEVE_TTL_INHERIT, D_TTL_INHERIT, "ttl_inherit" },
};
static const struct spec macvlan[] = {
	{ IFLA_MACVLAN_MODE, D_MACVLAN_MODE, "mode" },
};
static const struct spec ipvlan[] = {
	{ IFLA_IPVLAN_MODE, D_IPVLAN_MODE, "mode" },
	{ IFLA_IPVLAN_FLAGS, D_IPVLAN_FLAGS, "flags" },
};
static const struct spec tun[] = {
	{ IFLA_TUN_TYPE, D_TUN_TYPE, "type" },
	{ IFLA_TUN_OWNER, D_U32, "owner" },
	{ IFLA_TUN_GROUP, D_U32, "group" },
	{ IFLA_TUN_PI, D_U8, "pi" },
	{ IFLA_TUN_VNET_HDR, D_U8, "vnet_hdr" },
	{ IFLA_TUN_PERSIST, D_U8, "persist" },
	{ IFLA_TUN_MULTI_QUEUE, D_U8, "multi_queue" },
	{ IFLA_TUN_NUM_QUEUES, D_U32, "numqueues" },
};
static const struct spec vrf[] = {
	{ IFLA_VRF_TABLE, D_U32, "table" },
};
static const struct spec iptun[] = {
	{ IFLA_IPTUN_LINK, D_IFINDEX, "link" },
	{ IFLA_IPTUN_LOCAL, D_ADDR, "local" },
	{ IFLA_IPTUN_REMOTE, D_ADDR, "remote" },
	{ IFLA_IPTUN_TTL, D_U8, "ttl" },
};
static const struct spec gre[] = {
	{ IFLA_GRE_LINK, D_IFINDEX, "link" },
	{ IFLA_GRE_LOCAL, D_ADDR, "local" },
	{ IFLA_GRE_REMOTE, D_ADDR, "remote" },
	{ IFLA_GRE_TTL, D_U8, "ttl" },
};

struct kind {
	const char *name;
	bool slave;
	const struct spec *s;
	size_t n;
};

/* veth, team, wireguard, dummy, ifb report no data over rtnetlink: the kind
 * (and IFLA_LINK for the veth peer) is all there is. */
static const struct kind kinds[] = {
	{ "bridge", false, bridge, N(bridge) },       { "bridge", true, bridge_slave, N(bridge_slave) },
	{ "bond", false, bond, N(bond) },             { "bond", true, bond_slave, N(bond_slave) },
	{ "vlan", false, vlan, N(vlan) },             { "vxlan", false, vxlan, N(vxlan) },
	{ "geneve", false, geneve, N(geneve) },       { "macvlan", false, macvlan, N(macvlan) },
	{ "macvtap", false, macvlan, N(macvlan) },    { "ipvlan", false, ipvlan, N(ipvlan) },
	{ "ipvtap", false, ipvlan, N(ipvlan) },       { "tun", false, tun, N(tun) },
	{ "vrf", false, vrf, N(vrf) },                { "ipip", false, iptun, N(iptun) },
	{ "sit", false, iptun, N(iptun) },            { "ip6tnl", false, iptun, N(iptun) },
	{ "gre", false, gre, N(gre) },                { "gretap", false, gre, N(gre) },
	{ "ip6gre", false, gre, N(gre) },             { "ip6gretap", false, gre, N(gre) },
};

static const char *pick(const char *const *names, size_t n, unsigned v)
{
	return v < n && names[v] ? names[v] : NULL;
}

static void set_str(struct rtnl_kv *kv, const char *key, const char *s)
{
	kv->key = key;
	kv->type = RV_STR;
	snprintf(kv->s, sizeof(kv->s), "%s", s);
}

static void set_num(struct rtnl_kv *kv, const char *key, uint64_t v)
{
	kv->key = key;
	kv->type = RV_U64;
	kv->u = v;
}

/* Named value, or the number when the name table does not know it. */
static void set_enum(struct rtnl_kv *kv, const char *key, const char *name, uint64_t v)
{
	if (name)
		set_str(kv, key, name);
	else
		set_num(kv, key, v);
}

static bool addr_text(const struct nlattr *a, char *buf, size_t cap, bool *multicast)
{
	uint8_t raw[16];
	size_t n = nlattr_len(a) >= 16 ? 16 : nlattr_len(a) >= 4 ? 4 : 0;

	if (!n)
		return false;
	memcpy(raw, nlattr_data(a), n);
	if (!inet_ntop(n == 4 ? AF_INET : AF_INET6, raw, buf, (socklen_t)cap))
		return false;
	*multicast = n == 4 ? raw[0] >= 224 && raw[0] <= 239 : raw[0] == 0xff;
	/* an unset address is all zeros: not worth showing */
	for (size_t i = 0; i < n; i++)
		if (raw[i])
			return true;
	return false;
}

static bool decode(const struct spec *sp, const struct nlattr *a, struct rtnl_kv *kv)
{
	static const char *const macvlan_modes[] = { [1] = "private", [2] = "vepa", [4] = "bridge",
						     [8] = "passthru", [16] = "source" };
	static const char *const ipvlan_modes[] = { "l2", "l3", "l3s" };
	static const char *const ipvlan_flags[] = { "bridge", "private", "vepa" };
	static const char *const bond_modes[] = { "balance-rr", "active-backup", "balance-xor",
						  "broadcast", "802.3ad", "balance-tlb", "balance-alb" };
	static const char *const bond_hash[] = { "layer2", "layer3+4", "layer2+3", "encap2+3",
						 "encap3+4", "vlan+srcmac" };
	static const char *const lacp[] = { "slow", "fast" };
	static const char *const tun_types[] = { [1] = "tun", [2] = "tap" };
	static const char *const brport[] = { "disabled", "listening", "learning", "forwarding",
					      "blocking" };
	static const char *const slave_state[] = { "ACTIVE", "BACKUP" };
	static const char *const mii[] = { "UP", "GOING_DOWN", "DOWN", "GOING_BACK" };
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	bool mc;

	switch (sp->dec) {
	case D_U8:
		return nlattr_u8(a, &u8) ? set_num(kv, sp->key, u8), true : false;
	case D_TTL_AUTO:
		/* 0: the route's hop limit decides; iproute2 prints "ttl auto" */
		if (!nlattr_u8(a, &u8))
			return false;
		set_num(kv, sp->key, u8);
		kv->text = u8 ? NULL : "auto";
		return true;
	case D_TTL_INHERIT:
		/* copied from the inner packet; "ttl inherit" in iproute2's text */
		if (!nlattr_u8(a, &u8) || !u8)
			return false;
		kv->key = sp->key;
		kv->type = RV_BOOL;
		kv->u = 1;
		kv->label = "ttl";
		kv->text = "inherit";
		return true;
	case D_U16:
		return nlattr_u16(a, &u16) ? set_num(kv, sp->key, u16), true : false;
	case D_U32:
		return nlattr_u32(a, &u32) ? set_num(kv, sp->key, u32), true : false;
	case D_BE16:
		return nlattr_u16(a, &u16) ? set_num(kv, sp->key, ntohs(u16)), true : false;
	case D_BE16_HEX:
	case D_VLAN_PROTO:
		if (!nlattr_u16(a, &u16))
			return false;
		u16 = ntohs(u16);
		if (sp->dec == D_VLAN_PROTO && (u16 == 0x8100 || u16 == 0x88a8))
			set_str(kv, sp->key, u16 == 0x8100 ? "802.1Q" : "802.1ad");
		else
			snprintf(kv->s, sizeof(kv->s), "0x%04x", u16), kv->key = sp->key, kv->type = RV_STR;
		return true;
	case D_IFINDEX:
		if (!nlattr_u32(a, &u32) || !u32)
			return false;
		kv->key = sp->key;
		kv->type = RV_IFINDEX;
		kv->u = u32;
		return true;
	case D_ADDR:
	case D_VX_GROUP:
		if (!addr_text(a, kv->s, sizeof(kv->s), &mc))
			return false;
		kv->key = sp->dec == D_ADDR ? sp->key : mc ? "group" : "remote";
		kv->type = RV_STR;
		return true;
	case D_MAC: {
		size_t n = nlattr_len(a), o = 0;
		const uint8_t *p = nlattr_data(a);
		if (n == 0 || n > 15)
			return false;
		for (size_t i = 0; i < n; i++)
			o += (size_t)snprintf(kv->s + o, sizeof(kv->s) - o, i ? ":%02x" : "%02x", p[i]);
		kv->key = sp->key;
		kv->type = RV_STR;
		return true;
	}
	case D_MACVLAN_MODE:
		if (!nlattr_u32(a, &u32))
			return false;
		set_enum(kv, sp->key, pick(macvlan_modes, N(macvlan_modes), u32), u32);
		return true;
	case D_IPVLAN_MODE:
	case D_IPVLAN_FLAGS:
		if (!nlattr_u16(a, &u16))
			return false;
		set_enum(kv, sp->key,
			 sp->dec == D_IPVLAN_MODE ? pick(ipvlan_modes, N(ipvlan_modes), u16)
						  : pick(ipvlan_flags, N(ipvlan_flags), u16), u16);
		return true;
	default:
		break;
	}
	/* u8 enumerations */
	if (!nlattr_u8(a, &u8))
		return false;
	const char *name = NULL;
	switch (sp->dec) {
	case D_BOND_MODE: name = pick(bond_modes, N(bond_modes), u8); break;
	case D_BOND_HASH: name = pick(bond_hash, N(bond_hash), u8); break;
	case D_LACP_RATE: name = pick(lacp, N(lacp), u8); break;
	case D_TUN_TYPE: name = pick(tun_types, N(tun_types), u8); break;
	case D_BRPORT_STATE: name = pick(brport, N(brport), u8); break;
	case D_BOND_SLAVE_STATE: name = pick(slave_state, N(slave_state), u8); break;
	case D_MII_STATUS: name = pick(mii, N(mii), u8); break;
	default: return false;
	}
	set_enum(kv, sp->key, name, u8);
	return true;
}

/* Puts kv in place of the entry named key among out[0..n); false when none. */
static bool replace_key(struct rtnl_kv *out, unsigned n, const char *key, const struct rtnl_kv *kv)
{
	for (unsigned i = 0; i < n; i++)
		if (strcmp(out[i].key, key) == 0) {
			out[i] = *kv;
			return true;
		}
	return false;
}

int rtnl_decode_info(const char *kind, bool slave, const struct nlattr *data, struct rtnl_kv *out,
		     unsigned max, unsigned *n)
{
	struct nlattr_tb tb;
	int err;

	*n = 0;
	for (size_t k = 0; k < N(kinds); k++) {
		if (kinds[k].slave != slave || strcmp(kinds[k].name, kind) != 0)
			continue;
		err = nlattr_tb_nested(data, &tb);
		if (err)
			return err;
		for (size_t i = 0; i < kinds[k].n && *n < max; i++) {
			const struct spec *sp = &kinds[k].s[i];
			if (sp->attr >= NLATTR_TB_MAX || !tb.a[sp->attr])
				continue;
			memset(&out[*n], 0, sizeof(out[*n]));
			if (!decode(sp, tb.a[sp->attr], &out[*n]))
				continue;
			/* an inherited ttl replaces the number, which then means
			 * nothing (`ip -d -j` leaves it out) */
			if (sp->dec == D_TTL_INHERIT && replace_key(out, *n, "ttl", &out[*n]))
				continue;
			(*n)++;
		}
		return 0;
	}
	return 0;
}
