/* netlens snapshot: record what every state view reads into one file, in
 * two samples an interval apart, so `COMMAND --from FILE` prints later,
 * elsewhere, what it printed here. The format is in sources/snapshot.h. */
#include "base/opts.h"
#include "base/output.h"
#include "cmd/state_src.h"
#include "command.h"
#include "sources/bql.h"
#include "sources/ethnl.h"
#include "sources/ethtool.h"
#include "sources/host.h"
#include "sources/linkextra.h"
#include "sources/rtnl.h"
#include "sources/snapshot.h"
#include "sources/sockdiag.h"
#include "ss/record.h"

#include <dirent.h>
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static const char snapshot_about[] =
	"Records the raw state the views read: /proc/net counters, socket and\n"
	"protocol memory tables, every net.* sysctl, and the netlink dumps of\n"
	"links, addresses, routes, rules, neighbours, qdiscs and sockets (all kinds,\n"
	"all states, with TCP internals and memory), ethtool netlink's offload\n"
	"features, and per link the driver information (ethtool -i), the sysfs\n"
	"RPS masks and byte queue limits. Two\n"
	"samples SECS apart (default 1) keep rates.\n"
	"Then: netlens ss|nstat|ifstat|links|routes|sockmem|sysctl|doctor --from FILE.\n";

static const struct opt snapshot_rows[] = {
	{ 'o', "output", "FILE", "where to write (required; '-' is stdout)" },
	{ 'i', "interval", "SECS", "seconds between the two samples (default 1, 0 for one)" },
	{ 'N', "net", "NAME", "record inside the `ip netns` namespace NAME" },
	{ OPT_SRC_NETNS, "netns", "PATH", "record inside the namespace at PATH" },
	OPT_END,
};

static const struct opt_group snapshot_opts[] = {
	{ NULL, snapshot_rows },
	OPT_GROUPS_END,
};

/* /proc/net files the views parse (per-socket tables come from sock_diag). */
static const char *const proc_files[] = {
	"/proc/net/snmp",      "/proc/net/netstat",  "/proc/net/snmp6",   "/proc/net/sctp/snmp",
	"/proc/net/sockstat",  "/proc/net/sockstat6", "/proc/net/protocols", "/proc/net/softnet_stat",
	"/proc/net/dev",       "/proc/net/arp",      "/proc/net/route",   "/proc/net/ipv6_route",
	"/proc/net/if_inet6",  "/proc/sys/kernel/random/boot_id", "/proc/sys/kernel/hostname",
	"/proc/sys/kernel/osrelease", "/proc/uptime", "/proc/net/stat/nf_conntrack",
	"/proc/net/stat/arp_cache", "/proc/net/stat/ndisc_cache",
};

struct recorder {
	struct host *h;
	unsigned files, dumps, skipped;
};

static void record_file(struct recorder *r, const char *path)
{
	char *buf;
	size_t len;

	if (host_read_file(r->h, path, &buf, &len) == 0) {
		free(buf);
		r->files++;
	} else {
		r->skipped++; /* absent (no SCTP) or write-only (route/flush) */
	}
}

/* Every readable file under dir (the sysctl tree). */
static void record_tree(struct recorder *r, const char *dir, int depth)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d || depth > 8) {
		if (d)
			closedir(d);
		return;
	}
	while ((e = readdir(d))) {
		char path[4096];
		if (e->d_name[0] == '.')
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= (int)sizeof(path))
			continue;
		if (e->d_type == DT_DIR)
			record_tree(r, path, depth + 1);
		else if (e->d_type == DT_REG)
			record_file(r, path);
	}
	closedir(d);
}

static int record_dump(struct recorder *r, int protocol, struct nlmsghdr *req)
{
	char *buf;
	size_t len;
	int err = host_nl_dump(r->h, protocol, req, &buf, &len);

	if (err == 0) {
		free(buf);
		r->dumps++;
	} else if (err == -ENOENT || err == -EOPNOTSUPP || err == -EPROTONOSUPPORT) {
		r->skipped++; /* e.g. no mptcp_diag */
		err = 0;
	}
	return err;
}

static int record_rtnl(struct recorder *r, uint16_t type, uint8_t family)
{
	struct {
		struct nlmsghdr nlh;
		struct rtgenmsg g;
		char pad[32];
	} req = { .nlh = { .nlmsg_type = type, .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP } };

	/* the smallest header each type accepts; the family is its first byte */
	size_t hdr = type == RTM_GETLINK ? sizeof(struct ifinfomsg)
		     : type == RTM_GETADDR ? sizeof(struct ifaddrmsg)
		     : type == RTM_GETQDISC ? sizeof(struct tcmsg)
					    : sizeof(struct rtmsg);
	req.nlh.nlmsg_len = (uint32_t)NLMSG_LENGTH(hdr);
	req.g.rtgen_family = family;
	return record_dump(r, NETLINK_ROUTE, &req.nlh);
}

/* Socket dumps, or the /proc/net tables ss falls back to: as ss --record. */
static int record_sockets(struct recorder *r)
{
	struct ss_record_stats st = { 0 };
	int err = ss_record_sockets(r->h, &st);

	r->files += st.files;
	r->dumps += st.dumps;
	r->skipped += st.skipped;
	return err;
}

/* The link dump, and per link the sysfs files doctor and ifstat --bql read
 * (RPS masks, byte queue limits) and the driver information ifstat -d
 * reads (an ioctl's answer, recorded by name). */
static int record_links(struct recorder *r)
{
	struct rtnl_links ls = { 0 };
	int err = rtnl_load_links(r->h, &ls);

	if (err)
		return err;
	r->dumps++;
	for (size_t i = 0; i < ls.n; i++) {
		struct link_rps rps;
		struct bql_dev bql;
		link_rps_read(r->h, ls.v[i].name, ls.v[i].ifindex, &rps);
		struct eth_drvinfo d;
		if (bql_read(r->h, ls.v[i].name, ls.v[i].ifindex, &bql) == 0)
			bql_free(&bql);
		ethtool_drvinfo(r->h, ls.v[i].name, &d); /* recorded whatever it answers */
	}
	rtnl_links_free(&ls);
	return 0;
}

/* The ethtool netlink dumps ifstat -k reads (family list, feature names,
 * features); a kernel without ethtool netlink has none to record. */
static int record_ethtool(struct recorder *r)
{
	struct eth_features_all f;

	if (ethnl_features_load(r->h, &f) == 0) {
		r->dumps += 3;
		eth_features_free(&f);
	} else {
		r->skipped++;
	}
	return r->h->rec->err;
}

/* A write that failed: stdout's failure is named once, by out_finish(). */
static int write_failed(const char *out, FILE *f, int err)
{
	if (f == stdout && ferror(stdout))
		return EXIT_FAIL;
	return out_error("writing %s: %s", out, strerror(err));
}

static int record_sample(struct recorder *r)
{
	int err;

	for (size_t i = 0; i < sizeof(proc_files) / sizeof(proc_files[0]); i++)
		record_file(r, proc_files[i]);
	record_tree(r, "/proc/sys/net", 0);
	/* a file that cannot be read is skipped, one that cannot be written is not */
	if ((err = r->h->rec->err) || (err = record_links(r)) || (err = record_rtnl(r, RTM_GETADDR, AF_UNSPEC)) ||
	    (err = record_rtnl(r, RTM_GETQDISC, AF_UNSPEC)) || (err = record_rtnl(r, RTM_GETROUTE, AF_INET)) ||
	    (err = record_rtnl(r, RTM_GETROUTE, AF_INET6)) || (err = record_rtnl(r, RTM_GETRULE, AF_INET)) ||
	    (err = record_rtnl(r, RTM_GETRULE, AF_INET6)) || (err = record_rtnl(r, RTM_GETNEIGH, AF_INET)) ||
	    (err = record_rtnl(r, RTM_GETNEIGH, AF_INET6)) || (err = record_ethtool(r)))
		return err;
	return record_sockets(r);
}

static int cmd_snapshot(int argc, char **argv)
{
	const char *out = NULL, *ns_name = NULL, *ns_path = NULL;
	double interval = 1;
	struct opts p;
	int c, err;

	if (opts_begin(&p, "snapshot", snapshot_opts, argc, argv))
		return EXIT_USAGE;
	while ((c = opts_next(&p)) > 0) {
		switch (c) {
		case 'o': out = p.arg; break;
		case 'i':
			if (opts_secs_range(&p, 0, 3600, &interval))
				return EXIT_USAGE;
			break;
		case 'N': ns_name = p.arg; break;
		case OPT_SRC_NETNS: ns_path = p.arg; break;
		}
	}
	if (c < 0)
		return EXIT_USAGE;
	if (p.next < argc)
		return opts_fail_cmd(&p, "unexpected argument '%s': snapshot takes options only",
				     argv[p.next]);
	if (!out)
		return opts_fail_cmd(&p, "give the file to write with -o FILE ('-' for stdout)");
	if (state_src_enter_netns(ns_name, ns_path))
		return EXIT_FAIL;

	/* a file is written beside its name and renamed into place when whole */
	struct snap_out so = { 0 };
	char why[512];
	FILE *f = stdout;
	if (strcmp(out, "-") != 0) {
		if (snap_out_open(&so, out, why, sizeof(why)) < 0)
			return out_error("%s", why);
		f = so.f;
	}
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	struct snap_writer w;
	struct recorder r = { 0 };

	snap_begin(&w, f, (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec);
	snap_add_host_meta(&w, lround(interval * 1000), interval > 0 ? 2 : 1);

	r.h = host_recording(&w);
	if (!r.h) {
		snap_out_abort(&so);
		return out_error("out of memory");
	}
	for (unsigned s = 0; s < (interval > 0 ? 2u : 1u); s++) {
		if (s) {
			struct timespec ts = { (time_t)interval,
					       (long)((interval - (double)(time_t)interval) * 1e9) };
			if (!out_is_json())
				fprintf(stderr, "netlens: waiting %gs for the second sample...\n", interval);
			while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
				;
		}
		r.h->sample = s;
		err = record_sample(&r);
		if (err) {
			host_close(r.h);
			snap_out_abort(&so);
			if (w.err)
				return write_failed(out, f, -w.err);
			return out_error("recording sample %u: %s", s + 1, strerror(-err));
		}
	}
	host_close(r.h);
	err = snap_finish(&w);
	if (err) {
		snap_out_abort(&so);
		return write_failed(out, f, -err);
	}
	if (f != stdout && snap_out_commit(&so, why, sizeof(why)) < 0)
		return out_error("%s", why);

	static const struct out_col cols[] = {
		{ "File", "file", 0, 0 }, { "Files", "files", OUT_RIGHT, 0 },
		{ "Dumps", "dumps", OUT_RIGHT, 0 }, { "Skipped", "skipped", OUT_RIGHT, 0 },
	};
	if (f == stdout) /* the snapshot itself went there */
		return EXIT_OK;
	struct table *t = out_table_begin(cols, 4);
	out_row_begin(t);
	out_cell_str(t, 0, out);
	out_cell_u64(t, 1, r.files);
	out_cell_u64(t, 2, r.dumps);
	out_cell_u64(t, 3, r.skipped);
	out_row_end(t);
	out_table_end(t);
	return EXIT_OK;
}

NETLENS_COMMAND(snapshot, .name = "snapshot", .run = cmd_snapshot,
		.summary = "record everything the state views read into one file, for --from",
		.synopsis = "-o FILE [-i SECS] [-N NAME | --netns PATH]", .about = snapshot_about,
		.opts = snapshot_opts);
