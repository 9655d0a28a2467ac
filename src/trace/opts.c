/* The tracers' shared option groups, parsed in one place (trace/opts.h). */
#include "trace/opts.h"
#include "sources/netns.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

const struct opt trace_owner_rows[] = {
	{ 'p', "pid", "PID", "only sockets owned by process PID" },
	{ OPT_TR_COMM, "comm", "NAME", "only sockets owned by processes named NAME" },
	OPT_END,
};

const struct opt trace_filter_rows[] = {
	{ 'P', "port", "P[,P..]", "only connections with port P at either end" },
	{ OPT_TR_LPORT, "lport", "P[,P..]", "local port filter" },
	{ OPT_TR_RPORT, "rport", "P[,P..]", "remote port filter" },
	{ '4', "ipv4", NULL, "IPv4 only" },
	{ '6', "ipv6", NULL, "IPv6 only" },
	{ OPT_TR_NETNS, "netns", "NS", "only network namespace NS (name, path or inode)" },
	{ OPT_TR_CGROUP, "cgroup", "PATH", "only sockets of cgroup v2 PATH" },
	OPT_END,
};

const struct opt trace_event_rows[] = {
	{ 't', "timestamp", NULL, "TIME(s) column: seconds since start" },
	{ 'T', "wallclock", NULL, "TIME column: wall clock" },
	{ 'w', "wide", NULL, "wide: IPv6-wide address columns, network namespace and cgroup id" },
	{ OPT_TR_RINGBUF, "ringbuf-size", "BYTES", "event ring buffer (power of two, >= 4096)" },
	OPT_END,
};

const struct opt trace_run_rows[] = {
	{ 'd', "duration", "SECS", "stop after SECS" },
	{ 'n', "count", "N", "stop after N events, or N intervals with -i" },
	{ OPT_TR_ROUNDS, "rounds", "N", NULL }, /* the old name of --count */
	{ OPT_TR_STATS, "stats", NULL, "each BPF program's run count and mean cost" },
	OPT_END,
};

const struct opt trace_interval_rows[] = {
	{ 'i', "interval", "SECS", "print the summary every SECS, then clear it" },
	OPT_END,
};

const struct opt trace_table_rows[] = {
	{ OPT_TR_MAX_KEYS, "max-keys", "N",
	  "keys each kernel table holds (default: see the tracer's page)" },
	OPT_END,
};

const struct opt trace_dev_rows[] = {
	{ OPT_TR_DEV, "dev", "DEV",
	  "only packets through device DEV (a name, looked up in --netns when given, "
	  "or an ifindex)" },
	OPT_END,
};

/* --dev with --netns for device tracers that have no socket to filter
 * (napistat): the rows of the two groups above, without ports or cgroups */
const struct opt trace_devns_rows[] = {
	{ OPT_TR_NETNS, "netns", "NS", "only devices of network namespace NS (name, path or inode)" },
	{ OPT_TR_DEV, "dev", "DEV",
	  "only device DEV (a name, looked up in --netns when given, or an ifindex)" },
	OPT_END,
};

static bool in_rows(const struct opt *rows, int id)
{
	for (const struct opt *o = rows; o->id; o++)
		if (o->id == id)
			return true;
	return false;
}

static bool is_common(int id)
{
	return in_rows(trace_owner_rows, id) || in_rows(trace_filter_rows, id) ||
	       in_rows(trace_event_rows, id) || in_rows(trace_run_rows, id) ||
	       in_rows(trace_interval_rows, id) || in_rows(trace_table_rows, id) ||
	       in_rows(trace_dev_rows, id);
}

int trace_opt_ports(const struct opts *p, __u16 *ports, __u8 *n)
{
	char buf[256], *save = NULL, *tok;
	const char *arg = p->arg ? p->arg : "";

	if (strlen(arg) >= sizeof(buf))
		goto bad;
	if (opts_list(p, "ports (1-65535)"))
		return EXIT_USAGE;
	strcpy(buf, arg);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		unsigned long v;
		char *end;
		if (*n >= TR_MAX_PORTS)
			return opts_fail(p, "at most %d ports", TR_MAX_PORTS);
		errno = 0;
		v = strtoul(tok, &end, 10);
		if (*tok < '0' || *tok > '9' || errno || *end || v == 0 || v > 65535)
			goto bad;
		ports[(*n)++] = (__u16)v;
	}
	if (*n == 0)
		goto bad;
	return 0;
bad:
	return opts_fail(p, "expected PORT[,PORT...] (1-65535), got '%s'", arg);
}

/* True when path is on a file system of type magic (statfs). */
static bool on_fs(const char *path, long magic)
{
	struct statfs fs;

	return statfs(path, &fs) == 0 && (long)fs.f_type == magic;
}

/* NAME (ip netns), PATH (/proc/PID/ns/net, /run/netns/x) or an inode. */
static int parse_netns(const struct opts *p, __u32 *inum)
{
	char path[PATH_MAX], why[160];
	struct stat st;
	unsigned long v;
	char *end;
	int fd;

	if (!*p->arg)
		return opts_fail(p, "empty: give a name from 'ip netns', a path such as "
				    "/proc/PID/ns/net, or an inode");
	errno = 0;
	v = strtoul(p->arg, &end, 10);
	if (*p->arg >= '0' && *p->arg <= '9' && !*end && !errno && v > 0 && v <= UINT32_MAX) {
		*inum = (__u32)v;
		return 0;
	}
	if (strchr(p->arg, '/'))
		snprintf(path, sizeof(path), "%s", p->arg);
	else
		snprintf(path, sizeof(path), "/run/netns/%s", p->arg);
	fd = netns_open_path(path, &st, why, sizeof(why));
	if (fd < 0 && why[0])
		return opts_fail(p, "%s: %s", path, why);
	if (fd < 0)
		return opts_fail(p, "%s: %s (give a name from 'ip netns', a path such as "
				    "/proc/PID/ns/net, or an inode)",
				 path, strerror(-fd));
	close(fd);
	*inum = (__u32)st.st_ino;
	return 0;
}

static int parse_cgroup(const struct opts *p, __u64 *id)
{
	char path[PATH_MAX];
	struct stat st;

	if (!*p->arg)
		return opts_fail(p, "empty: give a cgroup v2 directory (e.g. "
				    "/sys/fs/cgroup/system.slice/nginx.service)");
	snprintf(path, sizeof(path), "%s", p->arg);
	if (stat(path, &st) != 0 && p->arg[0] != '/')
		snprintf(path, sizeof(path), "/sys/fs/cgroup/%s", p->arg);
	if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode) || !on_fs(path, CGROUP2_SUPER_MAGIC))
		return opts_fail(p, "%s is not a cgroup v2 directory (e.g. "
				    "/sys/fs/cgroup/system.slice/nginx.service)",
				 p->arg);
	*id = st.st_ino; /* cgroup v2: the directory's inode is the cgroup id */
	return 0;
}

/* -4 and -6: one family; both would match nothing. */
static int parse_family(const struct opts *p, struct tr_filter *f, __u16 family)
{
	if (f->family && f->family != family)
		return opts_fail(p, "-4 and -6 exclude each other: give one, or neither for both");
	f->family = family;
	return 0;
}

static int parse_common(struct trace_opts *o, const struct opts *p, int c)
{
	struct tr_filter *f = &o->filter;
	unsigned long v;

	switch (c) {
	case 'p':
		if (opts_ulong(p, 1, INT32_MAX, &v))
			return EXIT_USAGE;
		f->pid = (__u32)v;
		return 0;
	case OPT_TR_COMM:
		if (!*p->arg)
			return opts_fail(p, "empty: give a process name as ps -o comm shows it");
		if (strlen(p->arg) >= TR_COMM_LEN)
			return opts_fail(p, "the kernel keeps %d characters of a command name; '%s' "
					    "is longer",
					 TR_COMM_LEN - 1, p->arg);
		memset(f->comm, 0, sizeof(f->comm));
		memcpy(f->comm, p->arg, strlen(p->arg));
		f->comm_set = 1;
		return 0;
	case 'P':
		return trace_opt_ports(p, f->ports, &f->nports);
	case OPT_TR_LPORT:
		return trace_opt_ports(p, f->lports, &f->nlports);
	case OPT_TR_RPORT:
		return trace_opt_ports(p, f->rports, &f->nrports);
	case '4':
		return parse_family(p, f, AF_INET);
	case '6':
		return parse_family(p, f, AF_INET6);
	case OPT_TR_NETNS:
		if (strchr(p->arg, '/'))
			snprintf(o->netns_path, sizeof(o->netns_path), "%s", p->arg);
		else if (*p->arg < '0' || *p->arg > '9')
			snprintf(o->netns_path, sizeof(o->netns_path), "/run/netns/%s", p->arg);
		else
			o->netns_path[0] = '\0';
		return parse_netns(p, &f->netns);
	case OPT_TR_CGROUP:
		return parse_cgroup(p, &f->cgroup);
	case 't':
		o->ts = TS_REL;
		return 0;
	case 'T':
		o->ts = TS_WALL;
		return 0;
	case 'd':
		return opts_secs(p, &o->duration);
	case 'w':
		o->wide = true;
		return 0;
	case 'i':
		return opts_secs(p, &o->interval);
	case 'n':
	case OPT_TR_ROUNDS:
		if (opts_ulong(p, 1, LONG_MAX, &v))
			return EXIT_USAGE;
		o->count = (long)v;
		return 0;
	case OPT_TR_STATS:
		o->stats = true;
		return 0;
	case OPT_TR_RINGBUF:
		if (opts_ulong(p, 4096, 1UL << 30, &v))
			return EXIT_USAGE;
		if (v & (v - 1))
			return opts_fail(p, "%lu is not a power of two", v);
		o->ringbuf_size = v;
		return 0;
	case OPT_TR_MAX_KEYS:
		if (opts_ulong(p, 1, 1UL << 24, &v))
			return EXIT_USAGE;
		o->max_keys = v;
		return 0;
	case OPT_TR_DEV:
		if (!*p->arg || strlen(p->arg) >= IF_NAMESIZE)
			return opts_fail(p, "expected a device name (at most %d characters) or an "
					    "ifindex, got '%s'",
					 IF_NAMESIZE - 1, p->arg);
		snprintf(o->dev, sizeof(o->dev), "%s", p->arg);
		return 0;
	}
	return opts_fail(p, "not handled by the tracer framework");
}

/* if_nametoindex() in the namespace at path (NULL: the current one). */
static unsigned dev_index_in(const char *path, const char *name, char *why, size_t whylen)
{
	unsigned idx;
	int self, r;

	if (!path)
		return if_nametoindex(name);
	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0) {
		snprintf(why, whylen, "/proc/self/ns/net: %s", strerror(errno));
		return 0;
	}
	r = netns_enter_path(path, why, whylen);
	if (r < 0) {
		if (!why[0])
			snprintf(why, whylen, "%.200s: %s", path, strerror(-r));
		close(self);
		return 0;
	}
	idx = if_nametoindex(name);
	if (setns(self, CLONE_NEWNET) != 0) {
		/* still in the other namespace: nothing after this is right */
		out_error("cannot return to the original network namespace: %s",
			  strerror(errno));
		exit(EXIT_FAILURE);
	}
	close(self);
	return idx;
}

/* --dev: a name is resolved in --netns's namespace (or the current one);
 * a number is an ifindex, which needs no namespace to be meaningful to
 * the kernel filter but is checked with --netns when both are given. */
static int resolve_dev(struct trace_ctx *tc, const struct opts *p)
{
	struct trace_opts *o = &tc->o;
	const char *path = o->filter.netns ? o->netns_path : NULL;
	char why[256] = "";
	unsigned long v;
	char *end;

	if (!o->dev[0])
		return 0;
	errno = 0;
	v = strtoul(o->dev, &end, 10);
	if (o->dev[0] >= '0' && o->dev[0] <= '9' && !*end && !errno && v > 0 &&
	    v <= INT32_MAX) {
		o->filter.ifindex = (__u32)v;
		return 0;
	}
	if (o->filter.netns && !o->netns_path[0]) {
		return opts_fail_cmd(p, "--dev %s: a device name needs --netns as a name or a "
					"path (it was given as an inode); or give the ifindex",
				     o->dev);
	}
	o->filter.ifindex = dev_index_in(path, o->dev, why, sizeof(why));
	if (!o->filter.ifindex) {
		if (why[0])
			return opts_fail_cmd(p, "--dev %s: %s", o->dev, why);
		return opts_fail_cmd(p, "--dev %s: no such device in %s (see 'ip link'%s)",
				     o->dev, path ? path : "this network namespace",
				     path ? " in that namespace" : "");
	}
	return 0;
}

int trace_parse_opts(struct trace_ctx *tc, int argc, char **argv)
{
	const struct tracer *tr = tc->tr;
	struct opts p;
	int c, r;

	if (opts_begin(&p, tr->name, tr->opts, argc, argv))
		return EXIT_USAGE;
	while ((c = opts_next(&p)) > 0) {
		if (is_common(c))
			r = parse_common(&tc->o, &p, c);
		else if (tr->opt)
			r = tr->opt(tc, &p, c);
		else
			r = opts_fail(&p, "declared but not handled by '%s'", tr->name);
		if (r)
			return EXIT_USAGE;
	}
	if (c < 0)
		return EXIT_USAGE;
	if (p.next < argc && !tr->operand)
		return opts_fail_cmd(&p, "unexpected argument '%s' (tracers take only options)",
				     argv[p.next]);
	if (tr->operand && argc - p.next < tr->min_operands)
		return opts_fail_cmd(&p, "expected %s", tr->operand_name);
	for (int i = p.next; tr->operand && i < argc; i++)
		if (tr->operand(tc, &p, argv[i]))
			return EXIT_USAGE;
	return resolve_dev(tc, &p);
}
