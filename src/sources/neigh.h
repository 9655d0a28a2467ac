/* Neighbour tables (RTM_GETNEIGH): how full the ARP and NDISC caches are.
 *
 * The dump comes through host_nl_dump() per family (AF_INET, AF_INET6: the
 * key a snapshot records it under; AF_UNSPEC would also dump the bridge
 * FDB). Only counts are kept: what the table limits (gc_thresh1/2/3) are
 * measured against.
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

struct rt_neigh {
	int ifindex;
	uint8_t family, flags, type; /* NTF_*, RTN_* */
	uint16_t state;              /* NUD_* */
	bool has_dst;
	uint8_t dst[16];
};

struct neigh_counts {
	size_t total;       /* every entry dumped */
	size_t gc_counted;  /* those the kernel counts against gc_thresh3 */
	size_t permanent, incomplete, failed, reachable, stale, noarp;
};

/* One RTM_NEWNEIGH message -> *n: 0, 1 when not RTM_NEWNEIGH (skip),
 * -EBADMSG when malformed. */
int neigh_parse_msg(const struct nlmsghdr *nlh, struct rt_neigh *n);
/* A whole dump, added to out (counts of entries of that dump). */
int neigh_count_parse(const void *buf, size_t len, struct neigh_counts *out);
/* Dumps one family's table (AF_INET: ARP, AF_INET6: NDISC) and counts it. */
int neigh_load_counts(struct host *h, int family, struct neigh_counts *out);

#endif
