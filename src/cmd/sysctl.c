/* netlens sysctl: the net.* settings that matter for the state views, with
 * their values and one-line meanings. The list and the meanings are
 * sysctl_defs (sources/explain_sysctl.c); reading is sources/sysctl.c. */
#include "base/opts.h"
#include "base/output.h"
#include "cmd/state_src.h"
#include "command.h"
#include "sources/explain.h"
#include "sources/host.h"
#include "sources/sysctl.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char sysctl_about[] =
	"The net.* settings that matter for sockets, queues and protocol memory, with\n"
	"their values and what they mean: accept and SYN queues, softnet budget, tcp_mem,\n"
	"udp_mem, buffers, TIME-WAIT, port range, TCP features, TCP small queues\n"
	"(tcp_limit_output_bytes), the default qdisc, ICMP, forwarding, and\n"
	"rp_filter/arp_filter for all, default and every interface (with the value that\n"
	"applies). PATTERNs are shell wildcards over dotted names ('*.rp_filter',\n"
	"'net.core.*'); a setting missing from this kernel or namespace is left out.\n"
	"JSON: name, value (as the kernel prints it), meaning.\n";

static const struct opt sysctl_rows[] = {
	{ 'w', "wide", NULL, "add what to do about each setting (TUNE column)" },
	OPT_END,
};

static const struct opt_group sysctl_opts[] = {
	{ NULL, sysctl_rows },
	{ "Source", state_src_rows },
	OPT_GROUPS_END,
};

enum { COL_NAME, COL_VALUE, COL_MEANING, COL_TUNE, NCOLS };

struct walk {
	struct host *h;
	struct table *t;
	char **patterns;
	int npatterns;
	size_t shown;
	bool wide;
};

static bool matches(const struct walk *w, const char *name)
{
	if (!w->npatterns)
		return true;
	for (int i = 0; i < w->npatterns; i++)
		if (fnmatch(w->patterns[i], name, 0) == 0)
			return true;
	return false;
}

/* rp_filter: the higher of all and the interface applies; arp_filter: on
 * when either is on (IN_DEV_RPFILTER / IN_DEV_ARPFILTER). */
static bool effective(struct host *h, const char *name, long v, long *eff)
{
	static const char conf[] = "net.ipv4.conf.";
	const char *key = strrchr(name, '.');
	char all[96], val[32];

	if (strncmp(name, conf, sizeof(conf) - 1) || !key)
		return false;
	const char *dev = name + sizeof(conf) - 1;
	if (!strncmp(dev, "all.", 4) || !strncmp(dev, "default.", 8))
		return false;
	bool rp = !strcmp(key, ".rp_filter");
	if (!rp && strcmp(key, ".arp_filter"))
		return false;
	snprintf(all, sizeof(all), "net.ipv4.conf.all%s", key);
	if (sysctl_read(h, all, val, sizeof(val)) < 0)
		return false;
	long a = strtol(val, NULL, 10);
	*eff = rp ? (a > v ? a : v) : (a || v);
	return true;
}

static int one(const char *name, const struct sysctl_def *d, void *arg)
{
	struct walk *w = arg;
	char val[512];
	long eff;

	if (!matches(w, name) || sysctl_read(w->h, name, val, sizeof(val)) < 0)
		return 0;
	w->shown++;
	if (!w->t)
		return 0; /* counting pass */
	bool per_if = effective(w->h, name, strtol(val, NULL, 10), &eff);
	char short_meaning[160];
	if (per_if)
		snprintf(short_meaning, sizeof(short_meaning),
			 "this interface's value; %ld applies (%s)", eff,
			 strstr(name, ".rp_filter") ? "the higher of all and this"
						    : "on if all or this is on");
	out_row_begin(w->t);
	out_cell_str(w->t, COL_NAME, name);
	out_cell_str(w->t, COL_VALUE, val);
	out_cell_str(w->t, COL_MEANING, per_if ? short_meaning : d->meaning);
	if (w->wide)
		out_cell_str(w->t, COL_TUNE, d->tune ? d->tune : "");
	else
		out_field_str(w->t, "tune", NULL, d->tune ? d->tune : "");
	if (per_if)
		out_field_i64(w->t, "effective", NULL, eff);
	out_row_end(w->t);
	return 0;
}

static int cmd_sysctl(int argc, char **argv)
{
	struct state_src src = { 0 };
	struct walk w = { 0 };
	struct opts p;
	int c, err;

	if (opts_begin(&p, "sysctl", sysctl_opts, argc, argv))
		return EXIT_USAGE;
	while ((c = opts_next(&p)) > 0) {
		if (c == 'w')
			w.wide = true;
		else
			state_src_opt(&src, c, p.arg);
	}
	if (c < 0)
		return EXIT_USAGE;
	w.patterns = argv + p.next;
	w.npatterns = argc - p.next;
	w.h = state_src_open(&src);
	if (!w.h)
		return EXIT_FAIL;
	const struct out_col cols[NCOLS] = {
		[COL_NAME] = { "SETTING", "name", 0, 0 },
		[COL_VALUE] = { "VALUE", "value", 0, 0 },
		[COL_MEANING] = { "MEANING", "meaning", w.wide ? OUT_SHRINK : OUT_LAST | OUT_SHRINK, 0 },
		[COL_TUNE] = { w.wide ? "TUNE" : NULL, w.wide ? "tune" : NULL, OUT_LAST | OUT_SHRINK, 0 },
	};
	err = sysctl_each(w.h, one, &w); /* count first: no empty table */
	if (!err && w.shown) {
		w.shown = 0;
		w.t = out_table_begin(cols, NCOLS);
		err = sysctl_each(w.h, one, &w);
		out_table_end(w.t);
	}
	host_close(w.h);
	if (err)
		return out_error("listing settings: %s", strerror(-err));
	if (!w.shown)
		return out_error(w.npatterns ? "no setting matches the pattern: run 'netlens sysctl' "
					       "for the list"
					     : "no net.* setting is readable: is /proc/sys mounted?");
	return EXIT_OK;
}

NETLENS_COMMAND(sysctl, .name = "sysctl", .run = cmd_sysctl,
		.summary = "the net.* settings that matter, with values and meanings",
		.synopsis = "[options] [PATTERN...]", .about = sysctl_about, .opts = sysctl_opts,
		.notes = "Examples:\n"
			 "  netlens sysctl\n"
			 "  netlens sysctl 'net.ipv4.conf.*.rp_filter'\n");
