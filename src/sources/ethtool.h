/* ethtool ioctls: link speed and duplex, ring sizes, driver statistics,
 * driver information and (without ethtool netlink) offload features.
 *
 * LIVE ONLY. These are SIOCETHTOOL requests to the running kernel, not dumps
 * a host can record, so they do not go through host_read_file() or
 * host_nl_dump(). Each takes the host anyway so the snapshot work can make
 * them answer -EOPNOTSUPP for a recorded host (or replay recorded values);
 * until struct host says whether it is live, they always ask the kernel.
 *
 * A driver that does not offer a request gives -EOPNOTSUPP; callers show
 * "-" and go on. Memory: struct ethtool_stats owns its arrays; free it with
 * ethtool_stats_free(). Functions return 0 or -errno and never print.
 */
#ifndef NETLENS_ETHTOOL_H
#define NETLENS_ETHTOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct host;

struct eth_link {
	int64_t speed_mbps; /* -1: unknown (no carrier, or the driver does not say) */
	int duplex;         /* 0 half, 1 full, -1 unknown */
};

struct eth_ring {
	uint32_t rx, rx_max, rx_mini, rx_mini_max, rx_jumbo, rx_jumbo_max, tx, tx_max;
};

#define ETH_STAT_NAME_LEN 32

struct eth_stats {
	size_t n;
	char (*name)[ETH_STAT_NAME_LEN];
	uint64_t *val;
};

/* ETHTOOL_GDRVINFO: what `ethtool -i` prints. */
#define ETH_DRVINFO_LEN 32
struct eth_drvinfo {
	char driver[ETH_DRVINFO_LEN], version[ETH_DRVINFO_LEN], fw_version[ETH_DRVINFO_LEN];
	char bus_info[ETH_DRVINFO_LEN], erom_version[ETH_DRVINFO_LEN];
	bool statistics, test, eeprom_access, register_dump, priv_flags; /* supports-* */
};

struct eth_features;

int ethtool_link(struct host *h, const char *ifname, struct eth_link *out);
int ethtool_drvinfo(struct host *h, const char *ifname, struct eth_drvinfo *out);
/* Offload features through ETHTOOL_GSSET_INFO/GSTRINGS/GFEATURES, for
 * kernels without ethtool netlink (sources/ethnl.h has the netlink way).
 * out->v is malloc'ed: eth_features_clear(). */
int ethtool_features_ioctl(struct host *h, const char *ifname, struct eth_features *out);
int ethtool_ring(struct host *h, const char *ifname, struct eth_ring *out);
int ethtool_driver_stats(struct host *h, const char *ifname, struct eth_stats *out);
void ethtool_stats_free(struct eth_stats *s);

/* The replies, parsed (pure: the functions above call them on what the
 * kernel answered; tests and fuzzers on anything). Each checks len against
 * the structure it reads: -EBADMSG when short. */
int ethtool_parse_link_settings(const void *reply, size_t len, struct eth_link *out);
int ethtool_parse_cmd(const void *reply, size_t len, struct eth_link *out); /* ETHTOOL_GSET */
int ethtool_parse_sset_count(const void *reply, size_t len, uint32_t *n); /* ETH_SS_STATS */
int ethtool_parse_drvinfo(const void *reply, size_t len, struct eth_drvinfo *out);
/* ETHTOOL_GSTRINGS and ETHTOOL_GSTATS replies (header and data) -> out, whose
 * name and val arrays must hold as many entries as the replies have room
 * for; out->n is the smaller of both counts, bounded by that room. */
void ethtool_parse_stats(const void *strings, size_t slen, const void *values, size_t vlen,
			 struct eth_stats *out);

#endif
