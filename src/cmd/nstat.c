/* netlens nstat: the kernel's protocol counters as iproute2's nstat shows
 * them (same names, same history semantics), plus per-second rates over an
 * interval (-i) and what a counter means (--explain, -w).
 * Parsing is sources/counters.c, the history file sources/nstat_hist.c,
 * the meanings sources/explain.c. */
#include "base/opts.h"
#include "base/output.h"
#include "base/stamp.h"
#include "cmd/state_src.h"
#include "command.h"
#include "sources/counters.h"
#include "sources/explain.h"
#include "sources/host.h"
#include "sources/nstat_hist.h"

#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char nstat_about[] =
	"Protocol counters from /proc/net/snmp, netstat, snmp6 and sctp/snmp, named as\n"
	"iproute2's nstat names them (TcpExtListenOverflows). By default prints the\n"
	"increments since the last run, kept in a history file per user and network\n"
	"namespace; the first run (and the first after a reboot) prints totals.\n"
	"PATTERNs are shell wildcards over counter names ('TcpExt*Listen*').\n";

static const char nstat_notes[] =
	"History file: $NETLENS_NSTAT_HISTORY, else netlens/nstat under $XDG_RUNTIME_DIR\n"
	"(a 0700 directory of the user's), else /run/netlens/nstat for root and\n"
	"/run/user/UID/netlens/nstat for others; the directory is created 0700 and the\n"
	"file 0600, refused when a symlink or not the user's own. NETLENS_BOOT_ID\n"
	"overrides the boot id used to detect reboots (for tests).\n"
	"With -i, each row starts with the time (JSON: \"time\", epoch seconds).\n"
	"Examples:\n"
	"  netlens nstat                 increments since the last run\n"
	"  netlens nstat -az 'TcpExt*'   every TcpExt counter, totals\n"
	"  netlens nstat -i 1 'Udp*'     UDP rates every second\n"
	"  netlens nstat --explain ListenDrops\n";

enum { OPT_EXPLAIN = OPT_LONG };

static const struct opt nstat_rows[] = {
	{ 'a', "ignore", NULL, "absolute values (totals since boot), not increments" },
	{ 'z', "zeros", NULL, "show counters that are zero too" },
	{ 's', "noupdate", NULL, "do not update the history" },
	{ 'r', "reset", NULL, "forget the history first (prints totals)" },
	{ 'i', "interval", "SECS", "print per-second rates every SECS (history untouched)" },
	{ 'n', "count", "N", "with -i: stop after N intervals" },
	{ 'c', NULL, "N", NULL }, /* the old letter of --count */
	{ 'w', "wide", NULL, "add a MEANING column" },
	{ OPT_EXPLAIN, "explain", "NAME",
	  "what counter NAME means and what usually raises it (short name or wildcard)" },
	OPT_END,
};

static const struct opt_group nstat_opts[] = {
	{ NULL, nstat_rows },
	{ "Source", state_src_rows },
	OPT_GROUPS_END,
};

struct nstat_opts {
	bool absolute, zeros, no_update, reset, wide;
	double interval;
	long count;
	const char *explain;
	char **patterns;
	int npatterns;
};

static bool matches(const struct nstat_opts *o, const char *name)
{
	if (o->npatterns == 0)
		return true;
	for (int i = 0; i < o->npatterns; i++)
		if (fnmatch(o->patterns[i], name, 0) == 0)
			return true;
	return false;
}

static int read_counters(struct host *h, struct counter_set *s)
{
	const char *file = "/proc/net";
	int err = counters_read(h, s, &file);

	if (err == -EBADMSG) {
		out_warn("%s has lines netlens cannot parse; they are left out", file);
		return 0;
	}
	if (err)
		return out_error("cannot read %s: %s%s", file, strerror(-err),
				 err == -ENOENT ? " (is /proc mounted?)" : ""),
		       err;
	return 0;
}

enum { COL_TIME, COL_NAME, COL_VALUE, COL_RATE, COL_MEANING, NCOLS };

static struct table *begin(const struct nstat_opts *o, bool rates)
{
	static struct out_col cols[NCOLS];
	const struct out_col base[NCOLS] = {
		[COL_TIME] = { rates ? "TIME" : NULL, NULL, 0, 0 }, /* JSON: "time" */
		[COL_NAME] = { "COUNTER", "counter", 0, 0 },
		[COL_VALUE] = { rates ? "DELTA" : "VALUE", rates ? "delta" : "value", OUT_RIGHT, 0 },
		[COL_RATE] = { rates ? "RATE/S" : NULL, NULL, OUT_RIGHT, 0 },
		[COL_MEANING] = { o->wide ? "MEANING" : NULL, o->wide ? "meaning" : NULL,
				  OUT_LAST | OUT_SHRINK, 0 },
	};
	memcpy(cols, base, sizeof(cols));
	return out_table_begin(cols, NCOLS);
}

static void meaning_cell(struct table *t, const struct nstat_opts *o, const char *name)
{
	struct explain e;
	char buf[200];

	if (o->wide)
		out_cell_str(t, COL_MEANING,
			     explain_counter(name, &e, buf, sizeof(buf)) == 0 ? e.meaning : "");
}

/* One table: values now (prev NULL) or increments since prev. */
static void print_values(const struct nstat_opts *o, struct counter_set *cur,
			 struct counter_set *prev)
{
	struct table *t = begin(o, false);

	for (size_t i = 0; i < cur->n; i++) {
		const struct counter *c = &cur->v[i];
		uint64_t v = c->value;
		bool restarted = false;
		if (prev) {
			const struct counter *p = counters_find(prev, c->name);
			if (p && p->value <= v)
				v -= p->value;
			else if (p)
				restarted = true; /* went down: counted again from 0 */
		}
		if ((!v && !o->zeros) || !matches(o, c->name))
			continue;
		out_row_begin(t);
		out_cell_str(t, COL_NAME, c->name);
		out_cell_u64(t, COL_VALUE, v);
		meaning_cell(t, o, c->name);
		if (restarted)
			out_field_flag(t, "restarted", "(restarted)", true);
		out_row_end(t);
	}
	out_table_end(t);
}

/* --- history --- */

static int hist_id(struct host *h, struct nstat_hist_id *id)
{
	const char *env = getenv("NETLENS_BOOT_ID");
	struct stat st;
	char *buf;
	size_t len;

	memset(id, 0, sizeof(*id));
	if (env && *env) {
		snprintf(id->boot_id, sizeof(id->boot_id), "%s", env);
	} else if (host_read_file(h, "/proc/sys/kernel/random/boot_id", &buf, &len) == 0) {
		snprintf(id->boot_id, sizeof(id->boot_id), "%.*s", (int)strcspn(buf, " \n"), buf);
		free(buf);
	}
	if (!id->boot_id[0] || strchr(id->boot_id, '\n'))
		snprintf(id->boot_id, sizeof(id->boot_id), "unknown");
	if (stat("/proc/self/ns/net", &st) == 0) {
		id->ns_dev = (uint64_t)st.st_dev;
		id->ns_ino = (uint64_t)st.st_ino;
	}
	return 0;
}

static int run_history(struct host *h, const struct nstat_opts *o)
{
	struct nstat_hist hist = { 0 };
	struct nstat_hist_id id;
	struct counter_set cur, save;
	char path[4096];
	const char *why = NULL;
	bool writable = !o->no_update || o->reset;
	bool use_file = !(o->absolute && o->no_update) || o->reset;
	int fd = -1, err, status = EXIT_OK;

	counters_init(&cur);
	counters_init(&save);
	counters_init(&hist.prev);
	hist_id(h, &id);
	if (use_file && (err = nstat_hist_default_path(path, sizeof(path), &why)) < 0) {
		status = out_error("nstat history%s%s %s: set XDG_RUNTIME_DIR to a directory of your own "
				   "(mode 0700) or NETLENS_NSTAT_HISTORY to a file, or use -a -s",
				   path[0] ? " directory " : "", path, why ? why : strerror(-err));
		goto out;
	}
	if (use_file) {
		err = nstat_hist_open(path, writable, &fd, &why);
		if (err && err != -ENOENT) {
			if (why)
				status = out_error("refusing history file %s: it %s; remove it or set "
						   "NETLENS_NSTAT_HISTORY to a file of your own",
						   path, why);
			else
				status = out_error("cannot open history file %s: %s; set "
						   "NETLENS_NSTAT_HISTORY to a writable path, or use -a -s",
						   path, strerror(-err));
			goto out;
		}
		if (fd >= 0 && (err = nstat_hist_load(fd, &id, &hist)) < 0) {
			status = out_error("cannot read history file %s: %s", path, strerror(-err));
			goto out;
		}
		if (hist.corrupt)
			out_warn("history file %s is not a netlens history; starting a new one", path);
		else if (hist.other_boot && !o->absolute && !o->reset)
			out_warn("history is from an earlier boot; showing totals since boot");
		if (o->reset)
			hist.found = false;
	}
	if (read_counters(h, &cur)) {
		status = EXIT_FAIL;
		goto out;
	}
	print_values(o, &cur, o->absolute || !hist.found ? NULL : &hist.prev);

	if (fd >= 0 && writable) {
		const struct counter_set *keep = &cur;
		if (o->no_update) {
			keep = NULL; /* -r -s: forget, record nothing */
		} else if (o->npatterns && hist.found) {
			/* counters not shown keep their old base (as nstat does) */
			for (size_t i = 0; i < cur.n; i++) {
				const struct counter *p = counters_find(&hist.prev, cur.v[i].name);
				uint64_t v = !matches(o, cur.v[i].name) && p ? p->value : cur.v[i].value;
				counters_add(&save, "", cur.v[i].name, v);
			}
			keep = &save;
		}
		err = nstat_hist_save(fd, &id, &hist, keep);
		if (err)
			status = out_error("cannot write history file %s: %s", path, strerror(-err));
	}
out:
	if (fd >= 0)
		close(fd);
	nstat_hist_free(&hist);
	counters_free(&cur);
	counters_free(&save);
	return status;
}

/* --- rates --- */

static void add_time(struct timespec *t, double secs)
{
	time_t whole = (time_t)secs;
	t->tv_sec += whole;
	t->tv_nsec += (long)((secs - (double)whole) * 1e9);
	if (t->tv_nsec >= 1000000000L) {
		t->tv_sec++;
		t->tv_nsec -= 1000000000L;
	}
}

static double since(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static int run_rates(struct host *h, const struct nstat_opts *o)
{
	struct counter_set a, b, *prev = &a, *cur = &b;
	struct timespec t_prev, t_cur, next;
	int status = EXIT_OK;

	counters_init(&a);
	counters_init(&b);
	clock_gettime(CLOCK_MONOTONIC, &t_prev);
	if (read_counters(h, prev)) {
		status = EXIT_FAIL;
		goto out;
	}
	next = t_prev;
	for (long k = 0; o->count <= 0 || k < o->count; k++) {
		add_time(&next, o->interval);
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR)
			;
		counters_clear(cur);
		if (read_counters(h, cur)) {
			status = EXIT_FAIL;
			break;
		}
		clock_gettime(CLOCK_MONOTONIC, &t_cur);
		double secs = since(&t_prev, &t_cur);
		struct interval_stamp stamp;
		interval_stamp_now(&stamp);
		struct table *t = begin(o, true);
		for (size_t i = 0; i < cur->n; i++) {
			const struct counter *c = &cur->v[i], *p = counters_find(prev, c->name);
			uint64_t d = p && p->value <= c->value ? c->value - p->value : p ? c->value : 0;
			if ((!d && !o->zeros) || !matches(o, c->name))
				continue;
			double rate = secs > 0 ? (double)d / secs : 0;
			out_row_begin(t);
			out_cell_str(t, COL_TIME, stamp.clock);
			out_cell_str(t, COL_NAME, c->name);
			out_cell_u64(t, COL_VALUE, d);
			out_cell_fmt(t, COL_RATE, "%.1f", rate);
			out_field_double(t, "time", NULL, stamp.epoch, 6);
			meaning_cell(t, o, c->name);
			out_field_double(t, "rate", NULL, rate, 3);
			out_field_double(t, "seconds", NULL, secs, 6);
			out_field_u64(t, "sample", NULL, (uint64_t)k + 1);
			out_row_end(t);
		}
		out_table_end(t);
		if (fflush(stdout) != 0)
			break;
		struct counter_set *tmp = prev;
		prev = cur;
		cur = tmp;
		t_prev = t_cur;
	}
out:
	counters_free(&a);
	counters_free(&b);
	return status;
}

/* --- snapshots --- */

/* From a snapshot: -a the absolute values of its first sample; otherwise
 * what changed between its two samples (-i: with per-second rates). The
 * history file belongs to a live host and is not touched. */
static int run_recorded(struct host *h, struct nstat_opts *o)
{
	struct counter_set a, b;
	double secs = host_snapshot_interval(h);
	int status = EXIT_OK;

	counters_init(&a);
	counters_init(&b);
	h->sample = 0;
	if (read_counters(h, &a)) {
		status = EXIT_FAIL;
		goto out;
	}
	if (o->absolute) {
		print_values(o, &a, NULL);
		goto out;
	}
	if (secs <= 0) {
		status = out_error("this snapshot holds one sample: use -a for its values, or record "
				   "one with -i > 0 for increments");
		goto out;
	}
	h->sample = 1;
	if (read_counters(h, &b)) {
		status = EXIT_FAIL;
		goto out;
	}
	if (!o->interval) {
		print_values(o, &b, &a);
		goto out;
	}
	struct table *t = begin(o, true);
	for (size_t i = 0; i < b.n; i++) {
		const struct counter *c = &b.v[i], *p = counters_find(&a, c->name);
		uint64_t d = p && p->value <= c->value ? c->value - p->value : 0;
		if ((!d && !o->zeros) || !matches(o, c->name))
			continue;
		double rate = (double)d / secs;
		out_row_begin(t);
		out_cell_str(t, COL_NAME, c->name);
		out_cell_u64(t, COL_VALUE, d);
		out_cell_fmt(t, COL_RATE, "%.1f", rate);
		meaning_cell(t, o, c->name);
		out_field_double(t, "rate", NULL, rate, 3);
		out_field_double(t, "seconds", NULL, secs, 6);
		out_field_u64(t, "sample", NULL, 1);
		out_row_end(t);
	}
	out_table_end(t);
out:
	counters_free(&a);
	counters_free(&b);
	return status;
}

/* --- explain --- */

static void explain_row(struct table *t, const char *name, const struct counter *c)
{
	struct explain e;
	char buf[200];
	bool known = explain_counter(name, &e, buf, sizeof(buf)) == 0;

	out_row_begin(t);
	out_cell_str(t, COL_NAME, name);
	if (c)
		out_cell_u64(t, COL_VALUE, c->value);
	else
		out_cell_str(t, COL_VALUE, "-");
	out_cell_str(t, COL_MEANING, known ? e.meaning : "no explanation recorded");
	if (known && e.cause)
		out_field_str(t, "raised_by", "usually raised by: ", e.cause);
	out_row_end(t);
}

/* Whether counter name n is what --explain asked for (with or without its
 * table prefix: "ListenDrops" is TcpExtListenDrops). */
static bool explain_matches(const char *pattern, const char *n)
{
	char full[COUNTER_NAME_MAX * 2];
	bool hit = fnmatch(pattern, n, 0) == 0;

	for (int p = 0; !hit && explain_prefixes[p]; p++) {
		snprintf(full, sizeof(full), "%s%s", explain_prefixes[p], pattern);
		hit = fnmatch(full, n, 0) == 0;
	}
	return hit;
}

/* A name the meanings table knows though this kernel has no such counter. */
static bool explain_known(const char *pattern, char *full, size_t size)
{
	struct explain e;
	char buf[200];

	for (int p = -1; p < 0 || explain_prefixes[p]; p++) {
		snprintf(full, size, "%s%s", p < 0 ? "" : explain_prefixes[p], pattern);
		if (explain_counter(full, &e, buf, sizeof(buf)) == 0)
			return true;
	}
	return false;
}

/* Everything is decided before anything is printed: no match is one error
 * line, never a table header followed by it. */
static int run_explain(struct host *h, const struct nstat_opts *o)
{
	struct counter_set cur;
	struct nstat_opts wide = *o;
	char full[COUNTER_NAME_MAX * 2];
	size_t shown = 0;
	bool known;

	counters_init(&cur);
	if (read_counters(h, &cur)) {
		counters_free(&cur);
		return EXIT_FAIL;
	}
	for (size_t i = 0; i < cur.n; i++)
		shown += explain_matches(o->explain, cur.v[i].name);
	/* not on this kernel: the table may still know it */
	known = !shown && explain_known(o->explain, full, sizeof(full));
	if (!shown && !known) {
		counters_free(&cur);
		return out_error("no counter matches '%s': see 'netlens nstat -az' for the names",
				 o->explain);
	}
	wide.wide = true;
	struct table *t = begin(&wide, false);
	for (size_t i = 0; i < cur.n; i++)
		if (explain_matches(o->explain, cur.v[i].name))
			explain_row(t, cur.v[i].name, &cur.v[i]);
	if (known)
		explain_row(t, full, NULL);
	out_table_end(t);
	counters_free(&cur);
	return EXIT_OK;
}

static int cmd_nstat(int argc, char **argv)
{
	struct nstat_opts o = { 0 };
	struct state_src src = { 0 };
	unsigned long v;
	struct opts p;
	int c;

	if (opts_begin(&p, "nstat", nstat_opts, argc, argv))
		return EXIT_USAGE;
	while ((c = opts_next(&p)) > 0) {
		switch (c) {
		case 'a': o.absolute = true; break;
		case 'z': o.zeros = true; break;
		case 's': o.no_update = true; break;
		case 'r': o.reset = true; break;
		case 'w': o.wide = true; break;
		case OPT_EXPLAIN: o.explain = p.arg; break;
		case 'i':
			if (opts_secs(&p, &o.interval))
				return EXIT_USAGE;
			if (o.interval < 0.01 || o.interval > 86400)
				return opts_fail(&p, "give seconds between 0.01 and 86400");
			break;
		case 'n':
		case 'c':
			if (opts_ulong(&p, 1, LONG_MAX, &v))
				return EXIT_USAGE;
			o.count = (long)v;
			break;
		default:
			state_src_opt(&src, c, p.arg);
		}
	}
	if (c < 0)
		return EXIT_USAGE;
	o.patterns = argv + p.next;
	o.npatterns = argc - p.next;
	if (o.count && !o.interval)
		return opts_fail_cmd(&p, "--count needs -i: give the interval to count");
	struct host *h = state_src_open(&src);
	if (!h)
		return EXIT_FAIL;
	int status = o.explain		  ? run_explain(h, &o)
		     : !host_is_live(h) ? run_recorded(h, &o)
		     : o.interval	  ? run_rates(h, &o)
					  : run_history(h, &o);
	host_close(h);
	return status;
}

NETLENS_COMMAND(nstat, .name = "nstat", .run = cmd_nstat,
		.summary = "protocol counters (snmp, netstat, snmp6): increments, rates, meanings",
		.synopsis = "[options] [PATTERN...]", .about = nstat_about, .opts = nstat_opts,
		.notes = nstat_notes);
