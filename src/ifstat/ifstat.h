/* The ifstat command's parts: one sample of the state a view needs, and the
 * views that print a sample (totals) or two samples (per-second rates).
 * cmd/ifstat.c owns options and the sampling loop; views.c prints the link
 * counter views; views_extra.c the softnet, qdisc, ring and driver statistics
 * views; views_ethtool.c driver information, offloads and byte queue limits. */
#ifndef NETLENS_IFSTAT_H
#define NETLENS_IFSTAT_H

#include "sources/bql.h"
#include "sources/ethnl.h"
#include "sources/ethtool.h"
#include "sources/rtnl.h"
#include "sources/softnet.h"

#include <stdbool.h>

struct host;

enum ifs_view { V_LINK, V_EDEV, V_SOFTNET, V_QDISC, V_RING, V_DRIVER, V_DRVINFO, V_OFFLOAD, V_BQL };

struct ifs_speed {
	int ifindex;
	struct eth_link link;
	int err;
};

struct ifs_ctx {
	enum ifs_view view;
	double interval; /* 0: totals since boot */
	char **pat;
	int npat;
	struct host *h;
	struct ifs_speed *speed; /* V_LINK with -i: one per selected link */
	size_t nspeed;
	long netdev_max_backlog, netdev_budget, netdev_budget_usecs; /* -1 unknown */
};

struct ifs_sample {
	struct rtnl_links links;
	bool *sel;                /* one per links.v[] */
	struct rtnl_qdiscs qd;    /* V_QDISC */
	struct softnet sn;        /* V_SOFTNET */
	struct eth_stats *drv;    /* V_DRIVER: one per links.v[] */
	int *drv_err;
	/* V_OFFLOAD: every device's features (netlink) or the selected ones'
	 * (ioctl); feat_dev[i] the entry of links.v[i], NULL with feat_err[i] */
	struct eth_features_all feat;
	const struct eth_features **feat_dev;
	int *feat_err;
	const char *feat_via;     /* "netlink" or "ioctl" */
	struct bql_dev *bql;      /* V_BQL: one per links.v[] */
	int *bql_err;
	double mono;              /* CLOCK_MONOTONIC seconds at the sample */
	double wall;              /* CLOCK_REALTIME seconds */
};

/* Matching record of the previous sample (same ifindex and name). */
const struct rtnl_link *ifs_prev_link(const struct ifs_sample *prev, const struct rtnl_link *l);

void ifs_print_link(struct ifs_ctx *c, const struct ifs_sample *prev, const struct ifs_sample *cur);
void ifs_print_edev(struct ifs_ctx *c, const struct ifs_sample *prev, const struct ifs_sample *cur);
void ifs_print_softnet(struct ifs_ctx *c, const struct ifs_sample *prev,
		       const struct ifs_sample *cur);
void ifs_print_qdisc(struct ifs_ctx *c, const struct ifs_sample *prev, const struct ifs_sample *cur);
void ifs_print_ring(struct ifs_ctx *c, const struct ifs_sample *cur);
void ifs_print_driver(struct ifs_ctx *c, const struct ifs_sample *prev,
		      const struct ifs_sample *cur);

void ifs_print_drvinfo(struct ifs_ctx *c, const struct ifs_sample *cur);
void ifs_print_offloads(struct ifs_ctx *c, const struct ifs_sample *cur);
void ifs_print_bql(struct ifs_ctx *c, const struct ifs_sample *prev, const struct ifs_sample *cur);

/* Text "HH:MM:SS" of a wall-clock time, for the Time column. */
const char *ifs_clock(double wall, char *buf, size_t len);

#endif
