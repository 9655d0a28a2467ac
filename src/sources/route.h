/* Routes (RTM_GETROUTE) and policy rules (RTM_GETRULE), as plain C records.
 *
 * Dumps come through host_nl_dump(), so a recorded snapshot stands in for
 * the live system; the parse functions take raw dump bytes (as
 * nl_parse_dump() reads them) so tests and fuzzers feed the same code.
 * A dump is requested per family (AF_INET, AF_INET6): that is the key a
 * snapshot records it under.
 *
 * Guarantees (as rtnl.h): no length from the kernel is trusted; a message
 * shorter than its fixed header, or an attribute whose length lies, makes
 * the parse return -EBADMSG; an address attribute shorter than its family's
 * address is ignored; unknown attributes are skipped. Nothing is read out
 * of bounds either way.
 *
 * Memory: records are self-contained. struct rt_routes / route_rules own
 * their arrays; free them with route_free() / route_rule_free() (a zeroed
 * struct is fine). Functions return 0 or -errno and never print.
 */
#ifndef NETLENS_ROUTE_H
#define NETLENS_ROUTE_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct host;
struct nlmsghdr;

#define RT_NH_MAX 8

struct rt_nexthop {
	int oif;         /* 0 when absent */
	bool has_gw;
	uint8_t gw[16];
};

struct rt_route {
	uint8_t family, dst_len, src_len, tos;
	uint8_t protocol, scope, type; /* RTPROT_*, RT_SCOPE_*, RTN_* */
	uint32_t table;                /* RTA_TABLE, else rtm_table */
	uint32_t priority;             /* the metric; 0 when absent */
	uint8_t dst[16];               /* zeros for a default route */
	bool has_prefsrc;
	uint8_t prefsrc[16];
	/* one entry for a plain route; RTA_MULTIPATH's hops otherwise (first
	 * RT_NH_MAX of them) */
	struct rt_nexthop nh[RT_NH_MAX];
	unsigned nnh;
};

struct rt_routes {
	struct rt_route *v;
	size_t n, cap;
};

/* One RTM_NEWROUTE message -> *r: 0, 1 when not RTM_NEWROUTE (skip it),
 * -EBADMSG when malformed. */
int route_parse_msg(const struct nlmsghdr *nlh, struct rt_route *r);
/* A whole dump appended to out. */
int route_parse(const void *buf, size_t len, struct rt_routes *out);
/* Every route of one family (AF_INET, AF_INET6), every table. */
int route_load(struct host *h, int family, struct rt_routes *out);
void route_free(struct rt_routes *rs);
/* True when route r is a default route (prefix length 0). */
static inline bool route_is_default(const struct rt_route *r) { return r->dst_len == 0; }
/* True when nexthop list of r uses ifindex. */
bool route_uses_oif(const struct rt_route *r, int ifindex);
/* "10.0.0.0/24", "default" into buf (>= 64 bytes). */
const char *route_dst_text(const struct rt_route *r, char *buf, size_t len);
/* True when addr (family-sized) lies in prefix/plen. */
bool prefix_contains(int family, const uint8_t *prefix, unsigned plen, const uint8_t *addr);

/* ---- policy routing rules (`ip rule`; route_rule_*, not doctor's rules) ---- */

struct route_rule {
	uint8_t family, dst_len, src_len, tos, action; /* FR_ACT_* */
	uint32_t table;                                /* FRA_TABLE, else the header's */
	uint32_t priority;
	uint8_t src[16], dst[16];
	char iifname[IFNAMSIZ], oifname[IFNAMSIZ];
	bool has_fwmark;
	uint32_t fwmark, fwmask;
	bool invert; /* FIB_RULE_INVERT ("not") */
};

struct route_rules {
	struct route_rule *v;
	size_t n, cap;
};

/* One RTM_NEWRULE message -> *r: 0, 1 when not RTM_NEWRULE, -EBADMSG. */
int route_rule_parse_msg(const struct nlmsghdr *nlh, struct route_rule *r);
int route_rule_parse(const void *buf, size_t len, struct route_rules *out);
int route_rule_load(struct host *h, int family, struct route_rules *out);
void route_rule_free(struct route_rules *rs);
/* The rules every IPv4/IPv6 namespace starts with: lookup local (0),
 * main (32766), default (32767). */
bool route_rule_is_builtin(const struct route_rule *r);

#endif
