/* rtnetlink state: links (RTM_GETLINK), addresses (RTM_GETADDR) and
 * queueing disciplines (RTM_GETQDISC), as plain C records.
 *
 * Every dump comes through host_nl_dump(), so a recorded snapshot can stand
 * in for the live system; the parse functions take raw dump bytes (as the
 * kernel sent them, see nl_parse_dump()) so tests and fuzzers feed the very
 * same code.
 *
 * Guarantees: no length from the kernel is trusted. Every message is checked
 * to hold its fixed header, every attribute's payload length is checked
 * against what is read from it, strings are copied bounded and always
 * NUL-terminated, and unknown attributes and kinds are skipped. A malformed
 * message makes the whole parse return -EBADMSG; nothing is read out of
 * bounds either way.
 *
 * Memory: records are self-contained (strings are copied into them, no
 * pointer points into the dump buffer). A struct rtnl_links / rtnl_addrs /
 * rtnl_qdiscs owns its array; free it with the matching *_free(), which also
 * accepts a zeroed struct. Functions return 0 or -errno and never print.
 */
#ifndef NETLENS_RTNL_H
#define NETLENS_RTNL_H

#include <linux/if_link.h>
#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct host;
struct nlmsghdr;

/* One decoded IFLA_INFO_DATA / IFLA_INFO_SLAVE_DATA member. key is a static
 * string named as `ip -d -j link` names it where ip has a name. */
enum rtnl_val { RV_U64, RV_STR, RV_IFINDEX, RV_BOOL };

struct rtnl_kv {
	const char *key;
	enum rtnl_val type;
	uint64_t u; /* RV_U64, RV_IFINDEX, RV_BOOL */
	char s[48]; /* RV_STR: addresses, mode names */
	/* Where `ip -d link` words a value differently from `ip -d -j`: the
	 * text label (NULL: key) and the text value (NULL: the value), e.g.
	 * vxlan's ttl 0 is "ttl":0 in JSON and "ttl auto" in text. */
	const char *label, *text;
};

#define RTNL_INFO_MAX 16
#define RTNL_SLAVE_INFO_MAX 8

struct rtnl_link {
	int ifindex;
	unsigned flags;      /* IFF_* from ifinfomsg */
	unsigned short type; /* ARPHRD_* */
	char name[IFNAMSIZ];
	char kind[24];       /* IFLA_INFO_KIND; "" for none (physical, lo) */
	char slave_kind[24]; /* IFLA_INFO_SLAVE_KIND: the master's kind */
	char qdisc[24];
	uint8_t operstate; /* IF_OPER_*; IF_OPER_UNKNOWN when absent */
	uint32_t mtu, txqlen;
	int master;          /* IFLA_MASTER ifindex, 0 for none */
	int link;            /* IFLA_LINK ifindex (lower device or veth peer), 0 for none */
	int32_t link_netnsid;
	bool has_link_netnsid; /* link is an ifindex in another namespace */
	bool has_stats;
	bool stats32;        /* only the 32-bit IFLA_STATS was there */
	uint8_t addr[32];    /* IFLA_ADDRESS */
	uint8_t addr_len;
	struct rtnl_link_stats64 stats;
	/* IFLA_CARRIER_CHANGES (3.15+: every carrier change since the device
	 * was created), IFLA_CARRIER_UP_COUNT/DOWN_COUNT (4.16+) */
	uint32_t carrier_changes, carrier_up, carrier_down;
	bool has_carrier_changes, has_carrier_updown;
	struct rtnl_kv info[RTNL_INFO_MAX];
	unsigned ninfo;
	struct rtnl_kv slave_info[RTNL_SLAVE_INFO_MAX];
	unsigned nslave_info;
};

struct rtnl_links {
	struct rtnl_link *v;
	size_t n, cap;
	bool interrupted; /* NLM_F_DUMP_INTR seen: the dump may be inconsistent */
};

/* One RTM_NEWLINK message -> *l. 0, 1 when nlh is not RTM_NEWLINK (skip it),
 * -EBADMSG when malformed. */
int rtnl_parse_link_msg(const struct nlmsghdr *nlh, struct rtnl_link *l);
/* A whole dump (bytes as host_nl_dump() returns them) appended to out. */
int rtnl_parse_links(const void *buf, size_t len, struct rtnl_links *out);
/* Dumps every link of the host (with 64-bit stats) and parses it. */
int rtnl_load_links(struct host *h, struct rtnl_links *out);
void rtnl_links_free(struct rtnl_links *ls);
const struct rtnl_link *rtnl_link_by_index(const struct rtnl_links *ls, int ifindex);
const struct rtnl_link *rtnl_link_by_name(const struct rtnl_links *ls, const char *name);
const struct rtnl_kv *rtnl_info_get(const struct rtnl_link *l, const char *key);
/* "UP", "DOWN", "LOWERLAYERDOWN", ... (iproute2's names). */
const char *rtnl_operstate_name(uint8_t operstate);

/* Selects links by name or glob pattern (fnmatch). sel[i] (ls->n entries)
 * is set for every match; with npat == 0 every link is selected. Returns 0,
 * or -ENODEV with *unmatched set to the first pattern that matched nothing. */
int rtnl_select(const struct rtnl_links *ls, char *const *pat, int npat, bool *sel,
		const char **unmatched);

/* ---- addresses ---- */

struct rtnl_addr {
	int ifindex;
	uint8_t family, prefixlen, scope;
	char text[48]; /* IFA_LOCAL (else IFA_ADDRESS), printable */
};

struct rtnl_addrs {
	struct rtnl_addr *v;
	size_t n, cap;
};

int rtnl_parse_addr_msg(const struct nlmsghdr *nlh, struct rtnl_addr *a);
int rtnl_parse_addrs(const void *buf, size_t len, struct rtnl_addrs *out);
int rtnl_load_addrs(struct host *h, struct rtnl_addrs *out);
void rtnl_addrs_free(struct rtnl_addrs *as);

/* ---- queueing disciplines ---- */

/* One of a qdisc's own statistics (TCA_STATS_APP), keyed as `tc -s -j
 * qdisc` keys it; key is a static string. */
struct rtnl_xstat {
	const char *key;
	int64_t v;
};

#define RTNL_XSTATS_MAX 24

struct rtnl_qdisc {
	int ifindex;
	uint32_t handle, parent;
	char kind[24];
	bool has_stats;
	uint64_t bytes, packets;
	uint32_t drops, overlimits, requeues, backlog, qlen;
	/* fq_codel's and fq's extended statistics, as long as the kernel's
	 * structure is (older kernels send fewer) */
	struct rtnl_xstat xstats[RTNL_XSTATS_MAX];
	unsigned nxstats;
};

struct rtnl_qdiscs {
	struct rtnl_qdisc *v;
	size_t n, cap;
};

int rtnl_parse_qdisc_msg(const struct nlmsghdr *nlh, struct rtnl_qdisc *q);
int rtnl_parse_qdiscs(const void *buf, size_t len, struct rtnl_qdiscs *out);
int rtnl_load_qdiscs(struct host *h, struct rtnl_qdiscs *out);
void rtnl_qdiscs_free(struct rtnl_qdiscs *qs);
/* tc's notation: "root", "ingress", "0:", "8001:", "1:2". buf >= 16 bytes. */
const char *rtnl_tc_handle(uint32_t h, char *buf, size_t len);

#endif
