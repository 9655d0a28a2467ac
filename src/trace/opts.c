/* Common tracer options, parsed in one place for every tracer. */
#include "trace/opts.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

enum {
	OPT_COMM = 256,
	OPT_LPORT,
	OPT_RPORT,
	OPT_NETNS,
	OPT_CGROUP,
	OPT_STATS,
	OPT_RINGBUF,
	OPT_ROUNDS,
};

static const char common_short[] = "p:P:46tTjd:wi:c:";

static const struct option common_long[] = {
	{ "pid", required_argument, NULL, 'p' },
	{ "comm", required_argument, NULL, OPT_COMM },
	{ "port", required_argument, NULL, 'P' },
	{ "lport", required_argument, NULL, OPT_LPORT },
	{ "rport", required_argument, NULL, OPT_RPORT },
	{ "ipv4", no_argument, NULL, '4' },
	{ "ipv6", no_argument, NULL, '6' },
	{ "netns", required_argument, NULL, OPT_NETNS },
	{ "cgroup", required_argument, NULL, OPT_CGROUP },
	{ "timestamp", no_argument, NULL, 't' },
	{ "wallclock", no_argument, NULL, 'T' },
	{ "json", no_argument, NULL, 'j' },
	{ "duration", required_argument, NULL, 'd' },
	{ "wide", no_argument, NULL, 'w' },
	{ "interval", required_argument, NULL, 'i' },
	{ "count", required_argument, NULL, 'c' },
	{ "rounds", required_argument, NULL, OPT_ROUNDS },
	{ "stats", no_argument, NULL, OPT_STATS },
	{ "ringbuf-size", required_argument, NULL, OPT_RINGBUF },
};
#define NCOMMON (sizeof(common_long) / sizeof(common_long[0]))

int trace_parse_ulong(const char *opt, const char *arg, unsigned long max, unsigned long *v)
{
	char *end;

	errno = 0;
	if (!arg || !*arg || *arg == '-')
		goto bad;
	*v = strtoul(arg, &end, 0);
	if (errno || *end || *v > max)
		goto bad;
	return 0;
bad:
	fprintf(stderr, "netlens: error: %s: '%s' is not a number from 0 to %lu\n", opt,
		arg ? arg : "", max);
	return EXIT_USAGE;
}

int trace_parse_secs(const char *opt, const char *arg, double *v)
{
	char *end;

	errno = 0;
	*v = strtod(arg, &end);
	if (errno || *end || end == arg || !(*v > 0) || *v > 1e7) {
		fprintf(stderr, "netlens: error: %s: '%s' is not a positive number of seconds\n", opt,
			arg);
		return EXIT_USAGE;
	}
	return 0;
}

int trace_parse_ports(const char *opt, const char *arg, __u16 *ports, __u8 *n)
{
	char buf[256], *save = NULL, *tok;

	if (strlen(arg) >= sizeof(buf))
		goto bad;
	strcpy(buf, arg);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		unsigned long p;
		if (*n >= TR_MAX_PORTS) {
			fprintf(stderr, "netlens: error: %s: at most %d ports\n", opt, TR_MAX_PORTS);
			return EXIT_USAGE;
		}
		if (trace_parse_ulong(opt, tok, 65535, &p) || p == 0)
			goto bad;
		ports[(*n)++] = (__u16)p;
	}
	if (*n == 0)
		goto bad;
	return 0;
bad:
	fprintf(stderr, "netlens: error: %s: expected PORT[,PORT...] (1-65535), got '%s'\n", opt,
		arg);
	return EXIT_USAGE;
}

/* NAME (ip netns), PATH (/proc/PID/ns/net, /run/netns/x) or an inode. */
static int parse_netns(const char *arg, __u32 *inum)
{
	char path[PATH_MAX];
	struct stat st;
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (*arg && !*end && !errno && v > 0 && v <= UINT32_MAX) {
		*inum = (__u32)v;
		return 0;
	}
	if (strchr(arg, '/'))
		snprintf(path, sizeof(path), "%s", arg);
	else
		snprintf(path, sizeof(path), "/run/netns/%s", arg);
	if (stat(path, &st) != 0) {
		fprintf(stderr, "netlens: error: --netns: %s: %s (give a name from 'ip netns', a path "
				"such as /proc/PID/ns/net, or an inode)\n",
			path, strerror(errno));
		return EXIT_USAGE;
	}
	*inum = (__u32)st.st_ino;
	return 0;
}

static int parse_cgroup(const char *arg, __u64 *id)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s", arg);
	if (stat(path, &st) != 0 && arg[0] != '/')
		snprintf(path, sizeof(path), "/sys/fs/cgroup/%s", arg);
	if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "netlens: error: --cgroup: %s is not a cgroup v2 directory (e.g. "
				"/sys/fs/cgroup/system.slice/nginx.service)\n",
			arg);
		return EXIT_USAGE;
	}
	*id = st.st_ino; /* cgroup v2: the directory's inode is the cgroup id */
	return 0;
}

static int parse_common(struct trace_opts *o, int c, const char *arg)
{
	struct tr_filter *f = &o->filter;
	unsigned long v;
	int r;

	switch (c) {
	case 'p':
		if ((r = trace_parse_ulong("-p", arg, INT32_MAX, &v)) != 0 || v == 0)
			return r ? r : (fprintf(stderr, "netlens: error: -p: PID must be > 0\n"), EXIT_USAGE);
		f->pid = (__u32)v;
		return 0;
	case OPT_COMM:
		if (strlen(arg) >= TR_COMM_LEN) {
			fprintf(stderr, "netlens: error: --comm: the kernel keeps %d characters of a "
					"command name; '%s' is longer\n",
				TR_COMM_LEN - 1, arg);
			return EXIT_USAGE;
		}
		memset(f->comm, 0, sizeof(f->comm));
		memcpy(f->comm, arg, strlen(arg));
		f->comm_set = 1;
		return 0;
	case 'P':
		return trace_parse_ports("-P", arg, f->ports, &f->nports);
	case OPT_LPORT:
		return trace_parse_ports("--lport", arg, f->lports, &f->nlports);
	case OPT_RPORT:
		return trace_parse_ports("--rport", arg, f->rports, &f->nrports);
	case '4':
		f->family = AF_INET;
		return 0;
	case '6':
		f->family = AF_INET6;
		return 0;
	case OPT_NETNS:
		return parse_netns(arg, &f->netns);
	case OPT_CGROUP:
		return parse_cgroup(arg, &f->cgroup);
	case 't':
		o->ts = TS_REL;
		return 0;
	case 'T':
		o->ts = TS_WALL;
		return 0;
	case 'j':
		out_set_format(OUT_JSON);
		return 0;
	case 'd':
		return trace_parse_secs("-d", arg, &o->duration);
	case 'w':
		o->wide = true;
		return 0;
	case 'i':
		return trace_parse_secs("-i", arg, &o->interval);
	case 'c':
	case OPT_ROUNDS:
		if ((r = trace_parse_ulong("--count", arg, LONG_MAX, &v)) != 0)
			return r;
		o->count = (long)v;
		return 0;
	case OPT_STATS:
		o->stats = true;
		return 0;
	case OPT_RINGBUF:
		if ((r = trace_parse_ulong("--ringbuf-size", arg, 1UL << 30, &v)) != 0)
			return r;
		if (v < 4096 || (v & (v - 1))) {
			fprintf(stderr, "netlens: error: --ringbuf-size: %lu is not a power of two >= "
					"4096\n",
				v);
			return EXIT_USAGE;
		}
		o->ringbuf_size = v;
		return 0;
	}
	return EXIT_USAGE;
}

int trace_parse_opts(struct trace_ctx *tc, int argc, char **argv)
{
	const struct tracer *tr = tc->tr;
	struct option longopts[64];
	char shortopts[128];
	size_t n = 0, k = 0;
	int c;

	/* the tracer's letters come first, so getopt finds them first */
	k = (size_t)snprintf(shortopts, sizeof(shortopts), ":%s", tr->shortopts ? tr->shortopts : "");
	for (const char *p = common_short; *p; p++) {
		if (*p == ':')
			continue;
		bool taken = tr->shortopts && strchr(tr->shortopts, *p);
		if (!taken && k + 3 < sizeof(shortopts)) {
			shortopts[k++] = *p;
			if (p[1] == ':')
				shortopts[k++] = ':';
		}
	}
	shortopts[k] = '\0';
	for (const struct option *lo = tr->longopts; lo && lo->name && n < 32; lo++)
		longopts[n++] = *lo;
	for (size_t i = 0; i < NCOMMON; i++)
		longopts[n++] = common_long[i];
	memset(&longopts[n], 0, sizeof(longopts[n]));

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		int r;
		if (c == '?' || c == ':') {
			const char *what = optopt ? (char[]){ '-', (char)optopt, 0 } : argv[optind - 1];
			fprintf(stderr, "netlens: error: %s: %s\n", what,
				c == ':' ? "missing argument" : "unknown option");
			fprintf(stderr, "see 'netlens %s -h'\n", tr->name);
			return EXIT_USAGE;
		}
		if (c >= 512 || (c < 256 && tr->shortopts && strchr(tr->shortopts, c)))
			r = tr->opt ? tr->opt(tc, c, optarg) : EXIT_USAGE;
		else
			r = parse_common(&tc->o, c, optarg);
		if (r)
			return r;
	}
	if (optind < argc) {
		fprintf(stderr, "netlens: error: unexpected argument '%s'; see 'netlens %s -h'\n",
			argv[optind], tr->name);
		return EXIT_USAGE;
	}
	return 0;
}
