/* Link state that struct rtnl_link (rtnl.h) does not keep, for doctor's NIC
 * and softnet rules: carrier change counts from RTM_GETLINK, and the RPS CPU
 * masks of a link's receive queues from sysfs. Both go through the host, so
 * a snapshot that recorded them answers as the live system did.
 *
 * Carrier counts: IFLA_CARRIER_CHANGES (since 3.15; every carrier change
 * since the device was created), IFLA_CARRIER_UP_COUNT and
 * IFLA_CARRIER_DOWN_COUNT (since 4.16). They come from one dump of the
 * host's current sample (live: now), parsed by rtnl.c (struct rtnl_link
 * carries them too: a reader that has the links needs no second dump).
 *
 * RPS: /sys/class/net/IF/queues/rx-N/rps_cpus for N = 0, 1, ... until one
 * is missing. sysfs shows the devices of the namespace that mounted it
 * (`ip netns exec` remounts it; setns() alone does not), so when
 * /sys/class/net/IF/ifindex is readable and names another device, the state
 * is unknown (-ESTALE) rather than another namespace's.
 *
 * Memory: struct link_carriers owns its array (link_carriers_free(), which
 * accepts a zeroed struct). Functions return 0 or -errno and never print.
 */
#ifndef NETLENS_LINKEXTRA_H
#define NETLENS_LINKEXTRA_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct host;

struct link_carrier {
	int ifindex;
	char name[IFNAMSIZ];
	uint32_t changes, up, down;
	bool has_changes, has_updown;
};

struct link_carriers {
	struct link_carrier *v;
	size_t n, cap;
};

/* A whole RTM_GETLINK dump (bytes as host_nl_dump() returns them). */
int link_carriers_parse(const void *buf, size_t len, struct link_carriers *out);
int link_carriers_load(struct host *h, struct link_carriers *out);
void link_carriers_free(struct link_carriers *c);
const struct link_carrier *link_carrier_find(const struct link_carriers *c, int ifindex);

enum { LINK_RPS_MAX_QUEUES = 256 };

struct link_rps {
	unsigned nqueues;  /* rx queues with an rps_cpus file */
	unsigned enabled;  /* of which a non-zero mask */
	char mask[80];     /* the first non-zero mask, as the file says it */
};

/* 0 with *out filled; -ENOENT when the link has no rps_cpus files here
 * (not recorded, or no CONFIG_RPS); -ESTALE when sysfs shows another
 * namespace's device of that name; -EINVAL for a name unfit for a path. */
int link_rps_read(struct host *h, const char *ifname, int ifindex, struct link_rps *out);
/* A CPU mask as rps_cpus takes it for CPUs 0..n-1 ("3", "ff", "1,ffffffff"). */
const char *link_rps_mask_all(unsigned ncpus, char *buf, size_t size);

#endif
