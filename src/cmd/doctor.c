/* netlens doctor: the default command. Samples the host (or reads a
 * snapshot), runs every rule over the evidence and reports findings with
 * their numbers and fixes. Exit status as monitoring plugins: 0 nothing at
 * warning or above, 1 warning, 2 critical, 3 could not check. */
#include "base/opts.h"
#include "base/output.h"
#include "cmd/state_src.h"
#include "command.h"
#include "doctor/doctor.h"
#include "sources/host.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char doctor_about[] =
	"Looks at this host's network stack and reports what is wrong: each finding\n"
	"with a severity, the evidence (counters and their increase, sockets,\n"
	"sysctls, interfaces) and the fix. Samples twice SECS apart for rates.\n"
	"With -j: one JSON object per finding, then a summary object.\n";

static const char doctor_notes[] =
	"Exit status: 0 no warning or critical finding, 1 warning, 2 critical,\n"
	"3 could not check (bad options, unreadable source).\n";

enum { OPT_ONLY = OPT_LONG, OPT_SKIP, OPT_SET, OPT_CONFIG, OPT_LIST, OPT_EXPLAIN, OPT_PROM };
enum { EXIT_DR_OK = 0, EXIT_DR_WARNING = 1, EXIT_DR_CRITICAL = 2, EXIT_DR_UNKNOWN = 3 };

static const struct opt doctor_rows[] = {
	{ 'i', "interval", "SECS", "seconds between the two samples (default 1; 0: one sample)" },
	{ OPT_ONLY, "only", "LIST", "only these rules or areas (comma-separated)" },
	{ OPT_SKIP, "skip", "LIST", "all but these rules or areas" },
	{ OPT_SET, "set", "ID.NAME=V", "change a rule's threshold (repeatable)" },
	{ OPT_CONFIG, "config", "FILE", "thresholds from FILE: lines of ID.NAME = VALUE" },
	{ OPT_LIST, "list", NULL, "list the rules, their areas and thresholds" },
	{ OPT_EXPLAIN, "explain", "ID", "the background of a rule" },
	{ OPT_PROM, "prom", NULL, "Prometheus text exposition of the findings" },
	OPT_END,
};

static const struct opt_group doctor_opts[] = {
	{ NULL, doctor_rows },
	{ "Source", state_src_rows },
	OPT_GROUPS_END,
};

/* "a,b,c" -> NULL-terminated array; words point into *buf (caller frees both). */
static const char **split_list(const char *s, char **buf)
{
	size_t n = 2;
	for (const char *p = s; *p; p++)
		n += *p == ',';
	const char **v = calloc(n, sizeof(*v));
	char *save = NULL;
	free(*buf);
	*buf = strdup(s);
	if (!v || !*buf)
		abort();
	size_t i = 0;
	for (char *w = strtok_r(*buf, ",", &save); w; w = strtok_r(NULL, ",", &save))
		v[i++] = w;
	return v;
}

/* Every name of an --only/--skip list is a rule or an area, and there is
 * at least one: an empty list would check nothing and report all clear. */
static int check_names(const char **list, const char *opt)
{
	const struct doctor_rule *r;

	if (list && !*list)
		return out_error("%s: no rule or area named: give rule ids or areas, comma-separated "
				 "(see netlens doctor --list)", opt);
	for (; list && *list; list++) {
		bool known = false;
		for_each_rule(r)
			known |= strcmp(r->id, *list) == 0 || strcmp(r->area, *list) == 0;
		if (!known)
			return out_error("%s: no rule or area '%s' (see netlens doctor --list)", opt, *list);
	}
	return 0;
}

static int list_rules(void)
{
	static const struct out_col cols[] = {
		{ "ID", "id", 0, 0 }, { "AREA", "area", 0, 0 }, { "CHECKS", "title", OUT_LAST, 0 },
	};
	const struct doctor_rule *r;
	struct table *t = out_table_begin(cols, 3);

	for_each_rule(r) {
		out_row_begin(t);
		out_cell_str(t, 0, r->id);
		out_cell_str(t, 1, r->area);
		out_cell_str(t, 2, r->title);
		out_arr_begin(t, "thresholds", NULL);
		for (const struct rule_threshold *th = r->thresholds; th && th->name; th++) {
			out_obj_begin(t, "threshold", NULL);
			out_field_str(t, "name", NULL, th->name);
			out_field_double(t, "default", NULL, th->value, 6);
			out_field_str(t, "help", NULL, th->help);
			out_obj_end(t);
		}
		out_arr_end(t);
		out_row_end(t);
	}
	out_table_end(t);
	return EXIT_OK;
}

static int explain_rule(const char *id)
{
	const struct doctor_rule *r = rule_find(id);

	if (!r)
		return out_error("no rule '%s' (see netlens doctor --list)", id), EXIT_DR_UNKNOWN;
	if (out_is_json()) {
		static const struct out_col cols[] = { { NULL, "id", 0, 0 } };
		struct table *t = out_table_begin(cols, 1);
		out_row_begin(t);
		out_cell_str(t, 0, r->id);
		out_field_str(t, "area", NULL, r->area);
		out_field_str(t, "title", NULL, r->title);
		out_field_str(t, "explain", NULL, r->explain);
		out_row_end(t);
		out_table_end(t);
		return EXIT_OK;
	}
	out_line("%s (%s): %s", r->id, r->area, r->title);
	out_blank();
	out_text(r->explain);
	if (r->thresholds && r->thresholds->name) {
		out_blank();
		out_line("Thresholds (--set %s.NAME=VALUE):", r->id);
		for (const struct rule_threshold *th = r->thresholds; th->name; th++)
			out_line("  %-22s %-10g %s", th->name, th->value, th->help);
	}
	return EXIT_OK;
}

static int diagnose(const struct doctor_config *cfg, const struct state_src *src, double interval,
		    bool prom);

/* Options into cfg/src/...; EXIT_OK, or EXIT_DR_UNKNOWN after reporting. */
struct doctor_args {
	struct doctor_config cfg;
	struct state_src src;
	const char *explain;
	bool list, prom;
	double interval;
	char *only_buf, *skip_buf;
};

static int parse_args(struct doctor_args *a, int argc, char **argv)
{
	struct opts p;
	char err[256];
	int c;

	if (opts_begin(&p, "doctor", doctor_opts, argc, argv))
		return EXIT_DR_UNKNOWN;
	while ((c = opts_next(&p)) > 0) {
		switch (c) {
		case 'i':
			if (opts_secs_range(&p, 0, 3600, &a->interval))
				return EXIT_DR_UNKNOWN;
			break;
		case OPT_ONLY:
		case OPT_SKIP:
			if (opts_list(&p, "rule ids or areas (see netlens doctor --list)"))
				return EXIT_DR_UNKNOWN;
			if (c == OPT_ONLY)
				free(a->cfg.only), a->cfg.only = split_list(p.arg, &a->only_buf);
			else
				free(a->cfg.skip), a->cfg.skip = split_list(p.arg, &a->skip_buf);
			break;
		case OPT_SET:
			if (doctor_config_set(&a->cfg, p.arg, err, sizeof(err)) < 0)
				return opts_fail(&p, "%s", err), EXIT_DR_UNKNOWN;
			break;
		case OPT_CONFIG:
			if (doctor_config_file(&a->cfg, p.arg, err, sizeof(err)) < 0)
				return out_error("%s: %s", opts_name(&p), err), EXIT_DR_UNKNOWN;
			break;
		case OPT_LIST: a->list = true; break;
		case OPT_EXPLAIN: a->explain = p.arg; break;
		case OPT_PROM: a->prom = true; break;
		default: state_src_opt(&a->src, c, p.arg);
		}
	}
	if (c < 0)
		return EXIT_DR_UNKNOWN;
	if (p.next < argc)
		return opts_fail_cmd(&p, "doctor takes no operands, not '%s'", argv[p.next]),
		       EXIT_DR_UNKNOWN;
	return EXIT_OK;
}

static int run_args(const struct doctor_args *a)
{
	if (a->list)
		return list_rules();
	if (a->explain)
		return explain_rule(a->explain);
	if (check_names(a->cfg.only, "--only") || check_names(a->cfg.skip, "--skip"))
		return EXIT_DR_UNKNOWN;
	const struct doctor_rule *r;
	size_t selected = 0;
	for_each_rule(r)
		selected += rule_selected(&a->cfg, r);
	if (!selected)
		return out_error("--skip leaves no rule to run%s: nothing would be checked",
				 a->cfg.only ? " of those --only names" : ""), EXIT_DR_UNKNOWN;
	return diagnose(&a->cfg, &a->src, a->interval, a->prom);
}

static int cmd_doctor(int argc, char **argv)
{
	struct doctor_args a = { .interval = 1 };
	int status = parse_args(&a, argc, argv);

	if (status == EXIT_OK)
		status = run_args(&a);
	free(a.cfg.only);
	free(a.cfg.skip);
	free(a.only_buf);
	free(a.skip_buf);
	return status;
}

static int diagnose(const struct doctor_config *cfg, const struct state_src *src, double interval,
		    bool prom)
{
	struct host *h = state_src_open(src);
	if (!h)
		return EXIT_DR_UNKNOWN;
	struct evidence ev;
	evidence_gather(&ev, h, interval);
	struct report *rep = report_new(cfg);
	report_run(rep, &ev);
	if (prom)
		report_print_prom(rep, &ev);
	else if (out_is_json())
		report_print_json(rep, &ev);
	else
		report_print_text(rep, &ev);
	enum severity worst = report_worst(rep);
	bool nothing = !ev.have_ctr && !ev.have_links && !ev.have_socks;
	report_free(rep);
	evidence_free(&ev);
	host_close(h);
	if (nothing)
		return out_error("could not read the host's network state: run as root, or check "
				 "that /proc is mounted"), EXIT_DR_UNKNOWN;
	if (out_write_error())
		return EXIT_DR_UNKNOWN; /* no report was read: its severity means nothing */
	return worst == SEV_CRITICAL ? EXIT_DR_CRITICAL : worst == SEV_WARNING ? EXIT_DR_WARNING : EXIT_DR_OK;
}

NETLENS_COMMAND(doctor, .name = "doctor", .run = cmd_doctor,
		.summary = "diagnose this host's network stack: findings, evidence, fixes (default)",
		.synopsis = "[options]", .about = doctor_about, .opts = doctor_opts,
		.notes = doctor_notes);
