/* Protocol memory: /proc/net/protocols and the memory pools (tcp_mem,
 * udp_mem, sctp_mem) with the zone the current usage is in.
 *
 * The kernel counts each pool's memory in pages (sk_memory_allocated) and
 * compares it with the pool's three thresholds [low, pressure, high]:
 *   usage <= low            TCP does not regulate; pressure mode ends here
 *   low < usage <= pressure  no new pressure; a pool already in pressure
 *                            stays in it until usage falls to low
 *   pressure < usage <= high memory pressure: buffers capped, windows shrink,
 *                            receive queues collapsed, out-of-order data pruned
 *   usage > high            hard limit: new data dropped, senders wait,
 *                            sockets closed with data reset ("TCP: out of memory")
 * The `press` column of /proc/net/protocols says whether the pool is in
 * pressure now (yes/no; NI: the protocol does not account memory).
 *
 * Memory: a proto_list owns its array (sockmem_free()). Library code: 0 or
 * -errno, never prints; malformed lines are skipped and reported as -EBADMSG
 * after the rest is parsed.
 */
#ifndef NETLENS_SOCKMEM_H
#define NETLENS_SOCKMEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct host;

enum sockmem_press { PRESS_NI, PRESS_NO, PRESS_YES };

struct proto_rec {
	char name[32];
	long long size;    /* bytes per socket object */
	long long sockets; /* sockets in use (-1: not counted) */
	long long memory;  /* pages in the protocol's pool (-1: not accounted) */
	enum sockmem_press press;
	long long maxhdr;
	bool slab;
	char module[32];
};

struct proto_list {
	struct proto_rec *v;
	size_t n, cap;
};

int sockmem_parse_protocols(struct proto_list *l, const char *text, size_t len);
int sockmem_read_protocols(struct host *h, struct proto_list *l);
void sockmem_free(struct proto_list *l);
const struct proto_rec *sockmem_proto(const struct proto_list *l, const char *name);
const char *sockmem_press_name(enum sockmem_press p);

enum sockmem_zone { ZONE_BELOW_LOW, ZONE_LOW_TO_PRESSURE, ZONE_PRESSURE_TO_HIGH, ZONE_ABOVE_HIGH };

/* thr: {low, pressure, high} in pages, as in tcp_mem. */
enum sockmem_zone sockmem_zone(uint64_t pages, const uint64_t thr[3]);
const char *sockmem_zone_name(enum sockmem_zone z); /* "below-low", ... */
/* One sentence on what the kernel does in zone z; in_pressure is the
 * protocol's press flag (it matters between low and pressure). */
const char *sockmem_zone_meaning(enum sockmem_zone z, bool in_pressure);

/* A memory pool and where its figures come from. */
struct sockmem_pool {
	const char *name;     /* "tcp" */
	const char *sysctl;   /* "net.ipv4.tcp_mem" */
	const char *proto;    /* /proc/net/protocols row holding usage and press: "TCP" */
	const char *sockstat; /* sockstat line with "mem": "TCP" */
};
extern const struct sockmem_pool sockmem_pools[]; /* name == NULL ends it */

struct sockmem_pool_state {
	bool have_usage, have_thr, have_press;
	uint64_t pages;  /* usage */
	uint64_t thr[3]; /* low pressure high, pages */
	bool in_pressure;
	enum sockmem_zone zone; /* valid when have_usage && have_thr */
};

/* Fills st from the protocols list (usage, press) and the pool's sysctl
 * (thresholds). Returns -ENOENT when the pool does not exist at all. */
int sockmem_pool_state(struct host *h, const struct sockmem_pool *p, const struct proto_list *l,
		       struct sockmem_pool_state *st);

#endif
