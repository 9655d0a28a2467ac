/* netlens ifstat: per-interface counters from rtnetlink's 64-bit link
 * statistics (ip -s link), their rates with utilisation and saturation
 * (nicstat), the error breakdown (sar -n EDEV), per-CPU softnet counters,
 * qdisc statistics (tc -s qdisc), ring sizes and driver statistics
 * (ethtool -g, -S), driver information (ethtool -i), offload features
 * (ethtool -k) and byte queue limits per transmit queue. Options, interface selection and the sampling loop live here;
 * the views are in ifstat/. */
#include "base/opts.h"
#include "base/output.h"
#include "cmd/state_src.h"
#include "command.h"
#include "ifstat/ifstat.h"
#include "sources/host.h"
#include "sources/sysctl.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char ifstat_about[] =
	"Interface counters from rtnetlink's 64-bit link statistics. IFACE names an\n"
	"interface, PATTERN a shell glob ('veth*'); default: every interface.\n"
	"Views are one at a time; the default is the counters `ip -s link` shows.\n"
	"With -i, the default view shows nicstat's rKB/s wKB/s rPk/s wPk/s rAvs wAvs\n"
	"%Util (against the ethtool link speed; '-' when unknown) and Sat (errors +\n"
	"drops + fifo + overruns + missed per second).\n";

static const char ifstat_notes[] =
	"With -i, each row starts with the time; JSON records carry \"time\" (Unix\n"
	"seconds) and interval_s, each counter's increase under its own key and its\n"
	"rate as KEY_per_s.\n"
	"Examples:\n"
	"  netlens ifstat                 netlens ifstat -i 1 -n 5 'eth*'\n"
	"  netlens ifstat -e -i 1         netlens ifstat --qdisc eth0\n"
	"  netlens ifstat -d              netlens ifstat -k eth0\n"
	"  netlens ifstat --bql eth0\n"
	"-k asks ethtool netlink, or the SIOCETHTOOL ioctl on kernels without it\n"
	"(NETLENS_ETHTOOL_IOCTL=1 forces the ioctl); -d is the ioctl (ethtool -i has\n"
	"no netlink message). Snapshots record -d, -k and --bql, not --ring or\n"
	"--driver-stats.\n";

enum { OPT_SOFTNET = OPT_LONG, OPT_QDISC, OPT_RING, OPT_DRIVER, OPT_BQL };

static const struct opt ifstat_view_rows[] = {
	{ 'e', "errors", NULL, "error and drop breakdown (sar -n EDEV)" },
	{ OPT_SOFTNET, "softnet", NULL, "per-CPU softnet_stat: processed, drops, time_squeeze, rps" },
	{ OPT_QDISC, "qdisc", NULL, "queueing disciplines as tc -s qdisc (drops, backlog, ...)" },
	{ OPT_RING, "ring", NULL, "ethtool ring sizes (current and maximum)" },
	{ OPT_DRIVER, "driver-stats", NULL, "ethtool driver statistics (ethtool -S)" },
	{ 'd', "driver", NULL, "driver, version, firmware, bus (ethtool -i)" },
	{ 'k', "offloads", NULL, "offload features: on/off, fixed, requested (ethtool -k)" },
	{ OPT_BQL, "bql", NULL, "byte queue limits per transmit queue (limit, inflight, ...)" },
	OPT_END,
};

static const struct opt ifstat_rate_rows[] = {
	{ 'i', "interval", "SECS", "per-second rates over intervals of SECS (fractions allowed)" },
	{ 'n', "count", "N", "with -i: stop after N intervals (default: until interrupted)" },
	{ 'c', NULL, "N", NULL }, /* the old letter of --count */
	OPT_END,
};

static const struct opt_group ifstat_opts[] = {
	{ NULL, ifstat_view_rows },
	{ "Rates", ifstat_rate_rows },
	{ "Source", state_src_rows },
	OPT_GROUPS_END,
};

static double now(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sample_free(struct ifs_sample *s)
{
	if (s->drv)
		for (size_t i = 0; i < s->links.n; i++)
			ethtool_stats_free(&s->drv[i]);
	free(s->drv);
	free(s->drv_err);
	eth_features_free(&s->feat);
	free(s->feat_dev);
	free(s->feat_err);
	if (s->bql)
		for (size_t i = 0; i < s->links.n; i++)
			bql_free(&s->bql[i]);
	free(s->bql);
	free(s->bql_err);
	free(s->sel);
	rtnl_links_free(&s->links);
	rtnl_qdiscs_free(&s->qd);
	softnet_free(&s->sn);
	memset(s, 0, sizeof(*s));
}

static void read_softnet_limits(struct ifs_ctx *c);
static int take(struct ifs_ctx *c, struct ifs_sample *s, bool first);
static void print(struct ifs_ctx *c, const struct ifs_sample *prev, const struct ifs_sample *cur);

/* When the sample was taken; for a snapshot, when it was recorded. */
static void stamp(struct ifs_ctx *c, struct ifs_sample *s)
{
	if (host_is_live(c->h)) {
		s->mono = now(CLOCK_MONOTONIC);
		s->wall = now(CLOCK_REALTIME);
	} else {
		s->mono = s->wall = host_sample_time(c->h);
	}
}

/* A snapshot: totals from its first sample, or with -i the rates between
 * its two samples (over the interval they were recorded at). */
static int run_recorded(struct ifs_ctx *c)
{
	struct ifs_sample a, b;
	int status = EXIT_OK;

	if (c->view == V_RING || c->view == V_DRIVER)
		return out_error("snapshots do not record ethtool's ring sizes and driver statistics: "
				 "run --ring and --driver-stats on the host");
	if (c->interval > 0 && host_snapshot_interval(c->h) <= 0)
		return out_error("this snapshot holds one sample: rates need one taken with -i > 0");
	c->h->sample = 0;
	if (take(c, &a, true)) {
		sample_free(&a);
		return EXIT_FAIL;
	}
	if (c->view == V_SOFTNET)
		read_softnet_limits(c);
	if (c->interval <= 0) {
		print(c, NULL, &a);
	} else {
		c->interval = host_snapshot_interval(c->h);
		c->h->sample = 1;
		if (take(c, &b, false))
			status = EXIT_FAIL;
		else
			print(c, &a, &b);
		sample_free(&b);
	}
	sample_free(&a);
	return status;
}

/* Offload features of the selected links: every device's over ethtool
 * netlink, else (no "ethtool" family, or NETLENS_ETHTOOL_IOCTL=1) each
 * selected one's through the ioctl. */
static int take_offloads(struct ifs_ctx *c, struct ifs_sample *s)
{
	const char *force = getenv("NETLENS_ETHTOOL_IOCTL");
	bool ioctl_only = force && strcmp(force, "1") == 0;
	int err = -ENOENT;

	s->feat_dev = calloc(s->links.n + 1, sizeof(*s->feat_dev));
	s->feat_err = calloc(s->links.n + 1, sizeof(*s->feat_err));
	if (!s->feat_dev || !s->feat_err)
		return out_error("out of memory"), -ENOMEM;
	if (!ioctl_only)
		err = ethnl_features_load(c->h, &s->feat);
	if (!err) {
		s->feat_via = "netlink";
		for (size_t i = 0; i < s->links.n; i++) {
			s->feat_dev[i] = eth_features_find(&s->feat, s->links.v[i].ifindex,
							   s->links.v[i].name);
			s->feat_err[i] = s->feat_dev[i] ? 0 : -ENOENT;
		}
		return 0;
	}
	if (!host_is_live(c->h))
		return out_error(err == -ENOENT ? "this snapshot holds no ethtool netlink dumps (taken "
						  "by an older netlens, or on a kernel without ethtool "
						  "netlink): run -k on the host"
						: "reading the snapshot's ethtool netlink dumps: %s",
				 strerror(-err)), err;
	if (err != -ENOENT && err != -EOPNOTSUPP)
		return out_error("reading offload features over ethtool netlink: %s", strerror(-err)), err;
	s->feat_via = "ioctl";
	s->feat.v = calloc(s->links.n + 1, sizeof(*s->feat.v));
	if (!s->feat.v)
		return out_error("out of memory"), -ENOMEM;
	s->feat.cap = s->links.n + 1;
	for (size_t i = 0; i < s->links.n; i++) {
		if (!s->sel[i])
			continue;
		struct eth_features *f = &s->feat.v[s->feat.n];
		s->feat_err[i] = ethtool_features_ioctl(c->h, s->links.v[i].name, f);
		if (s->feat_err[i])
			continue;
		f->ifindex = s->links.v[i].ifindex;
		s->feat_dev[i] = f;
		s->feat.n++;
	}
	return 0;
}

static int take_bql(struct ifs_ctx *c, struct ifs_sample *s)
{
	s->bql = calloc(s->links.n + 1, sizeof(*s->bql));
	s->bql_err = calloc(s->links.n + 1, sizeof(*s->bql_err));
	if (!s->bql || !s->bql_err)
		return out_error("out of memory"), -ENOMEM;
	for (size_t i = 0; i < s->links.n; i++)
		if (s->sel[i])
			s->bql_err[i] = bql_read(c->h, s->links.v[i].name, s->links.v[i].ifindex, &s->bql[i]);
	return 0;
}

/* Reads what the view needs. first: a pattern that matches nothing is an error. */
static int take(struct ifs_ctx *c, struct ifs_sample *s, bool first)
{
	const char *unmatched = NULL;
	int err;

	memset(s, 0, sizeof(*s));
	if (c->view == V_SOFTNET) {
		err = softnet_read(c->h, &s->sn);
		stamp(c, s);
		if (err == -ENOENT)
			return out_error("/proc/net/softnet_stat does not exist: this kernel has no "
					 "procfs network statistics (CONFIG_PROC_FS)"), err;
		if (err)
			return out_error("reading /proc/net/softnet_stat: %s", strerror(-err)), err;
		return 0;
	}
	err = rtnl_load_links(c->h, &s->links);
	if (!err && c->view == V_QDISC)
		err = rtnl_load_qdiscs(c->h, &s->qd);
	stamp(c, s);
	if (err)
		return out_error("listing interfaces over rtnetlink failed: %s", strerror(-err)), err;
	s->sel = calloc(s->links.n + 1, sizeof(*s->sel));
	if (!s->sel)
		return out_error("out of memory"), -ENOMEM;
	err = rtnl_select(&s->links, c->pat, c->npat, s->sel, &unmatched);
	if (err && first)
		return out_error(strpbrk(unmatched, "*?[") ? "no interface matches '%s': see 'netlens links'"
							    : "no interface named '%s': see 'netlens links'",
				 unmatched), err;
	if (c->view == V_OFFLOAD)
		return take_offloads(c, s);
	if (c->view == V_BQL)
		return take_bql(c, s);
	if (c->view == V_DRIVER) {
		s->drv = calloc(s->links.n + 1, sizeof(*s->drv));
		s->drv_err = calloc(s->links.n + 1, sizeof(*s->drv_err));
		if (!s->drv || !s->drv_err)
			return out_error("out of memory"), -ENOMEM;
		for (size_t i = 0; i < s->links.n; i++) {
			if (!s->sel[i])
				continue;
			s->drv_err[i] = ethtool_driver_stats(c->h, s->links.v[i].name, &s->drv[i]);
			if (first && s->drv_err[i] && c->npat)
				out_warn("%s: no driver statistics (%s)", s->links.v[i].name,
					 s->drv_err[i] == -EOPNOTSUPP ? "the driver offers none"
								       : strerror(-s->drv_err[i]));
		}
	}
	return 0;
}

static void print(struct ifs_ctx *c, const struct ifs_sample *prev, const struct ifs_sample *cur)
{
	switch (c->view) {
	case V_LINK: ifs_print_link(c, prev, cur); break;
	case V_EDEV: ifs_print_edev(c, prev, cur); break;
	case V_SOFTNET: ifs_print_softnet(c, prev, cur); break;
	case V_QDISC: ifs_print_qdisc(c, prev, cur); break;
	case V_RING: ifs_print_ring(c, cur); break;
	case V_DRIVER: ifs_print_driver(c, prev, cur); break;
	case V_DRVINFO: ifs_print_drvinfo(c, cur); break;
	case V_OFFLOAD: ifs_print_offloads(c, cur); break;
	case V_BQL: ifs_print_bql(c, prev, cur); break;
	}
}

/* The settings the softnet view compares its counters with. */
static void read_softnet_limits(struct ifs_ctx *c)
{
	c->netdev_max_backlog = sysctl_read_ll(c->h, "net.core.netdev_max_backlog");
	c->netdev_budget = sysctl_read_ll(c->h, "net.core.netdev_budget");
	c->netdev_budget_usecs = sysctl_read_ll(c->h, "net.core.netdev_budget_usecs");
}

static int run(struct ifs_ctx *c, long count)
{
	struct ifs_sample a, b, *prev = &a, *cur = &b;
	int status = EXIT_OK;

	if (take(c, prev, true)) {
		sample_free(prev);
		return EXIT_FAIL;
	}
	if (c->view == V_SOFTNET)
		read_softnet_limits(c);
	if (c->interval <= 0) {
		print(c, NULL, prev);
		sample_free(prev);
		return EXIT_OK;
	}
	if (c->view == V_LINK) {
		c->speed = calloc(prev->links.n + 1, sizeof(*c->speed));
		if (!c->speed) {
			sample_free(prev);
			return out_error("out of memory");
		}
		for (size_t i = 0; i < prev->links.n; i++) {
			if (!prev->sel[i])
				continue;
			struct ifs_speed *sp = &c->speed[c->nspeed++];
			sp->ifindex = prev->links.v[i].ifindex;
			sp->err = ethtool_link(c->h, prev->links.v[i].name, &sp->link);
		}
	}
	/* absolute deadlines: the intervals do not drift with the work done */
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long n = 1; count < 0 || n <= count; n++) {
		double when = (double)t0.tv_sec + (double)t0.tv_nsec / 1e9 + c->interval * (double)n;
		struct timespec dl = { .tv_sec = (time_t)when };
		dl.tv_nsec = (long)((when - (double)dl.tv_sec) * 1e9);
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &dl, NULL) == EINTR)
			;
		if (take(c, cur, false)) {
			status = EXIT_FAIL;
			break;
		}
		if (n > 1 && !out_is_json())
			putchar('\n');
		print(c, prev, cur);
		sample_free(prev);
		struct ifs_sample *tmp = prev;
		prev = cur;
		cur = tmp;
		if (!out_flush()) /* the reader went away, or a write failed: out_finish says */
			break;
	}
	sample_free(prev);
	free(c->speed);
	return status;
}

/* Options into c, *count and src; EXIT_OK or EXIT_USAGE after reporting. */
static int parse_args(struct ifs_ctx *c, long *count, struct state_src *src, int argc, char **argv)
{
	int views = 0, opt;
	unsigned long v;
	struct opts p;

	if (opts_begin(&p, "ifstat", ifstat_opts, argc, argv))
		return EXIT_USAGE;
	while ((opt = opts_next(&p)) > 0) {
		switch (opt) {
		case 'e': c->view = V_EDEV; views++; break;
		case OPT_SOFTNET: c->view = V_SOFTNET; views++; break;
		case OPT_QDISC: c->view = V_QDISC; views++; break;
		case OPT_RING: c->view = V_RING; views++; break;
		case OPT_DRIVER: c->view = V_DRIVER; views++; break;
		case 'd': c->view = V_DRVINFO; views++; break;
		case 'k': c->view = V_OFFLOAD; views++; break;
		case OPT_BQL: c->view = V_BQL; views++; break;
		case 'i':
			if (opts_secs(&p, &c->interval))
				return EXIT_USAGE;
			if (c->interval > 86400)
				return opts_fail(&p, "give seconds up to 86400, e.g. -i 1 or -i 0.5");
			break;
		case 'n':
		case 'c':
			if (opts_ulong(&p, 1, LONG_MAX, &v))
				return EXIT_USAGE;
			*count = (long)v;
			break;
		default: state_src_opt(src, opt, p.arg);
		}
	}
	if (opt < 0)
		return EXIT_USAGE;
	if (views > 1)
		return opts_fail_cmd(&p, "choose one view: -e, --softnet, --qdisc, --ring, --driver-stats, "
					 "-d, -k or --bql");
	if (*count > 0 && c->interval <= 0)
		return opts_fail_cmd(&p, "--count counts intervals: give -i SECS too");
	if (c->view == V_RING && c->interval > 0)
		return opts_fail_cmd(&p, "--ring shows settings, not counters: drop -i");
	if ((c->view == V_DRVINFO || c->view == V_OFFLOAD) && c->interval > 0)
		return opts_fail_cmd(&p, "%s shows settings, not counters: drop -i",
				     c->view == V_DRVINFO ? "-d" : "-k");
	if (c->view == V_SOFTNET && p.next < argc)
		return opts_fail_cmd(&p, "--softnet is per CPU, not per interface: drop the interface names");
	c->pat = argv + p.next;
	c->npat = argc - p.next;
	return EXIT_OK;
}

static int cmd_ifstat(int argc, char **argv)
{
	struct ifs_ctx c = { .view = V_LINK };
	struct state_src src = { 0 };
	long count = -1;
	int status = parse_args(&c, &count, &src, argc, argv);

	if (status)
		return status;
	c.h = state_src_open(&src);
	if (!c.h)
		return EXIT_FAIL;
	status = host_is_live(c.h) ? run(&c, count) : run_recorded(&c);
	host_close(c.h);
	return status;
}

NETLENS_COMMAND(ifstat, .name = "ifstat", .run = cmd_ifstat,
		.summary = "interface counters, rates, errors, softnet, qdiscs, rings, drivers, offloads, BQL (ip -s link, nicstat, sar -n DEV/EDEV, ethtool)",
		.synopsis = "[options] [IFACE|PATTERN]...", .about = ifstat_about,
		.opts = ifstat_opts, .notes = ifstat_notes);
