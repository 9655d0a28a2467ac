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
	uint8_t gw_family; /* AF_INET6 for an IPv4 route via an IPv6 gateway (RTA_VIA) */
	uint8_t gw[16];
	uint8_t flags;   /* RTNH_F_*: rtnh_flags of a hop, rtm_flags' low byte otherwise */
	unsigned weight; /* rtnh_hops + 1 for a multipath hop; 0 for a plain route */
};

struct rt_route {
	uint8_t family, dst_len, src_len, tos;
	uint8_t protocol, scope, type; /* RTPROT_*, RT_SCOPE_*, RTN_* */
	uint32_t table;                /* RTA_TABLE, else rtm_table */
	uint32_t priority;             /* the metric; 0 when absent */
	bool has_priority;             /* RTA_PRIORITY was there (ip prints metric then) */
	uint32_t flags;                /* rtm_flags: RTNH_F_* and RTM_F_* */
	uint8_t dst[16];               /* zeros for a default route */
	uint8_t src[16];               /* RTA_SRC (source-specific IPv6 routes), src_len bits */
	bool has_prefsrc;
	uint8_t prefsrc[16];
	int pref;                      /* RTA_PREF (IPv6 router preference), -1 when absent */
	uint32_t nhid;                 /* RTA_NH_ID, 0 when absent */
	int iif;                       /* RTA_IIF (a lookup's answer), 0 when absent */
	bool has_mark;
	uint32_t mark;                 /* RTA_MARK (a lookup's answer) */
	bool has_uid;
	uint32_t uid;                  /* RTA_UID (a lookup's answer) */
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
/* True when the route is a cached clone (RTM_F_CLONED: IPv6 exceptions),
 * which `ip route show` leaves out. */
bool route_is_clone(const struct rt_route *r);
/* True when nexthop list of r uses ifindex. */
bool route_uses_oif(const struct rt_route *r, int ifindex);
/* "10.0.0.0/24", "default" into buf (>= 64 bytes). */
const char *route_dst_text(const struct rt_route *r, char *buf, size_t len);
/* True when addr (family-sized) lies in prefix/plen. */
bool prefix_contains(int family, const uint8_t *prefix, unsigned plen, const uint8_t *addr);

/* ---- route lookups (`ip route get`) ---- */

/* What a lookup asks: the destination, and optionally the source, the
 * input and output devices and the firewall mark. iif set means the input
 * path (a packet arriving on iif from src), as `ip route get ... iif DEV`. */
struct route_query {
	int family;            /* AF_INET or AF_INET6 */
	uint8_t dst[16];
	bool has_src;
	uint8_t src[16];
	int iif, oif;          /* ifindex, 0 for none */
	bool has_mark;
	uint32_t mark;
};

/* One RTM_GETROUTE request (not a dump) to the live kernel: the route it
 * chose into *out (with RTM_F_LOOKUP_TABLE for IPv4, so out->table is the
 * table the rules picked). A lookup is a question to this kernel, not state
 * a snapshot holds: -EOPNOTSUPP on a recorded host. -errno as the kernel
 * answers: -ENETUNREACH (no route, or a source not local without iif),
 * -EHOSTUNREACH (an unreachable route, or forwarding off on the input
 * path), -EINVAL (a blackhole route, a martian source), -EACCES (a
 * prohibit route), -EXDEV (rp_filter refused the source on iif). */
int route_get(struct host *h, const struct route_query *q, struct rt_route *out);

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
	bool iif_detached, oif_detached; /* FIB_RULE_IIF_DETACHED / _OIF_DETACHED */
	bool has_suppress_prefixlen;
	uint32_t suppress_prefixlen; /* FRA_SUPPRESS_PREFIXLEN when not -1 */
	bool has_goto;
	uint32_t goto_target;        /* FRA_GOTO */
	uint8_t protocol;            /* FRA_PROTOCOL (RTPROT_*), 0 when absent */
	bool l3mdev;                 /* FRA_L3MDEV */
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
