/* Neighbour tables (RTM_GETNEIGH): how full the ARP and NDISC caches are.
 *
 * The dump comes through host_nl_dump() per family (AF_INET, AF_INET6: the
 * key a snapshot records it under; AF_UNSPEC would also dump the bridge
 * FDB). neigh_load() keeps every entry (`netlens routes neigh`);
 * neigh_load_counts() keeps only the counts the table limits
 * (gc_thresh1/2/3) are measured against (the doctor's neigh-table rule).
 * Both go through neigh_parse_msg() and neigh_count(), so the two views
 * count the same entries the same way.
 *
 * The kernel counts an entry against gc_thresh3 unless it is exempt from
 * garbage collection: NUD_PERMANENT entries and NTF_EXT_LEARNED ones
 * (net/core/neighbour.c, __neigh_create: exempt_from_gc). gc_counted is
 * that number for the entries this namespace can see. The tables and
 * their limits are shared by every network namespace of the host.
 *
 * Guarantees (as rtnl.h): lengths are never trusted; a message shorter
 * than struct ndmsg or an attribute whose length lies gives -EBADMSG.
 * Functions return 0 or -errno and never print.
 */
#ifndef NETLENS_NEIGH_H
#define NETLENS_NEIGH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct host;
struct nlmsghdr;

#define NEIGH_LLADDR_MAX 32

struct rt_neigh {
	int ifindex;
	uint8_t family, flags, type; /* NTF_*, RTN_* */
	uint16_t state;              /* NUD_* */
	bool has_dst;
	uint8_t dst[16];
	uint8_t lladdr_len;          /* 0: no NDA_LLADDR */
	uint8_t lladdr[NEIGH_LLADDR_MAX];
	bool has_probes;
	uint32_t probes;             /* NDA_PROBES */
};

struct rt_neighs {
	struct rt_neigh *v;
	size_t n, cap;
	bool interrupted;
};

/* NUD_* states by bit: state[i] counts entries with bit 1 << i set
 * (NUD_INCOMPLETE 0 ... NUD_PERMANENT 7). */
#define NEIGH_NSTATES 8

struct neigh_counts {
	size_t total;       /* every entry dumped */
	size_t gc_counted;  /* those the kernel counts against gc_thresh3 */
	size_t permanent, incomplete, failed, reachable, noarp;
	size_t stale;       /* STALE, DELAY or PROBE: waiting to be confirmed */
	size_t none;        /* NUD_NONE: no state bit */
	size_t state[NEIGH_NSTATES];
};

/* One RTM_NEWNEIGH message -> *n: 0, 1 when not RTM_NEWNEIGH (skip),
 * -EBADMSG when malformed. */
int neigh_parse_msg(const struct nlmsghdr *nlh, struct rt_neigh *n);
/* Adds one entry to the counts. */
void neigh_count(struct neigh_counts *c, const struct rt_neigh *n);
/* A whole dump appended to out. */
int neigh_parse(const void *buf, size_t len, struct rt_neighs *out);
/* Every entry of one family's table, appended to out. */
int neigh_load(struct host *h, int family, struct rt_neighs *out);
void neigh_free(struct rt_neighs *ns);
/* "REACHABLE", "STALE", ... for bit i of a NUD state (as ip neigh). */
const char *neigh_state_name(unsigned bit);
/* A whole dump, added to out (counts of entries of that dump). */
int neigh_count_parse(const void *buf, size_t len, struct neigh_counts *out);
/* Dumps one family's table (AF_INET: ARP, AF_INET6: NDISC) and counts it. */
int neigh_load_counts(struct host *h, int family, struct neigh_counts *out);

#endif
