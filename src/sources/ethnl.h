/* Offload features (ethtool -k) through the ethtool generic netlink family,
 * and the same through the SIOCETHTOOL ioctl for kernels without it.
 *
 * Netlink: three dumps, each through host_nl_dump(), so a snapshot records
 * them and `--from` answers as the host did: the generic netlink
 * controller's family list (to find "ethtool"'s id), ETHTOOL_MSG_STRSET_GET
 * for the feature names (ETH_SS_FEATURES) and ETHTOOL_MSG_FEATURES_GET with
 * compact bitsets (hw, wanted, active, nochange) for every device.
 * The ioctl (ETHTOOL_GSSET_INFO, ETHTOOL_GSTRINGS, ETHTOOL_GFEATURES) asks
 * the running kernel: live only, -EOPNOTSUPP on a recorded host.
 *
 * ethtool_offloads() turns one device's features into the lines `ethtool
 * -k` prints, in its order and under its names: the legacy flags first
 * (rx-checksumming, tcp-segmentation-offload, ...) with the features they
 * stand for, then the remaining features.
 *
 * Memory: struct eth_features_all owns its devices and their arrays; free
 * with eth_features_free(). Functions return 0 or -errno and never print.
 */
#ifndef NETLENS_ETHNL_H
#define NETLENS_ETHNL_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct host;

#define ETH_FEAT_NAME_LEN 32 /* ETH_GSTRING_LEN */

struct eth_feature {
	char name[ETH_FEAT_NAME_LEN]; /* the kernel's name ("rx-gro"); "" unnamed */
	bool hw;       /* changeable by the user */
	bool wanted;   /* requested */
	bool active;
	bool nochange; /* never changes (the kernel's NETIF_F_NEVER_CHANGE) */
};

struct eth_features {
	int ifindex;
	char ifname[IF_NAMESIZE];
	size_t n;
	struct eth_feature *v;
};

struct eth_features_all {
	struct eth_features *v;
	size_t n, cap;
};

/* Every device's features over ethtool netlink. -ENOENT when the kernel has
 * no "ethtool" generic netlink family (before 5.6) or the snapshot did not
 * record it; -EOPNOTSUPP when it refuses the requests. */
int ethnl_features_load(struct host *h, struct eth_features_all *out);
/* One device's features through the ioctl (live only). out->ifname is set. */
int ethtool_features_ioctl(struct host *h, const char *ifname, struct eth_features *out);
const struct eth_features *eth_features_find(const struct eth_features_all *all, int ifindex,
					     const char *ifname);
void eth_features_free(struct eth_features_all *all);
void eth_features_clear(struct eth_features *f);

/* Parsers of recorded dump bytes (pure; tests and fuzzers call them). */
int ethnl_parse_family_id(const void *buf, size_t len, const char *name, uint16_t *id);
/* names: n strings of ETH_FEAT_NAME_LEN, indexed as the kernel's bits. */
int ethnl_parse_strset(const void *buf, size_t len, char (**names)[ETH_FEAT_NAME_LEN],
		       size_t *n);
int ethnl_parse_features(const void *buf, size_t len, char (*names)[ETH_FEAT_NAME_LEN],
			 size_t nnames, struct eth_features_all *out);

/* One line of `ethtool -k`. */
struct eth_offload {
	const char *name;  /* the name ethtool prints (a legacy flag's long name, or the feature's) */
	const char *kernel_name; /* the feature's own name; NULL for a flag standing for several */
	const char *group; /* the flag a feature is listed under (indented), or NULL */
	bool active;
	bool fixed, requested; /* only for features (kernel_name != NULL) */
};

/* The lines ethtool -k prints for f, in its order, into out (room for at
 * least f->n + 16 lines); returns how many. Points into f and static names. */
size_t ethtool_offloads(const struct eth_features *f, struct eth_offload *out, size_t room);

#endif
