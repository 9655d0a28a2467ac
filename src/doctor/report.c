/* Doctor's report: runs the rules, keeps their findings, prints them as
 * text, JSON or Prometheus series. See doctor.h. */
#include "doctor/doctor.h"
#include "base/json.h"
#include "base/output.h"
#include "base/strbuf.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_EVIDENCE = 12, MAX_VALUES = 8 };

struct finding {
	const struct doctor_rule *rule;
	enum severity sev;
	char *summary, *fix;
	struct { char *source, *text; } ev[MAX_EVIDENCE];
	int nev;
	struct { const char *name; double v; } val[MAX_VALUES];
	int nval;
};

struct rule_state {
	const struct doctor_rule *rule;
	bool selected, skipped;
	char *skip_why;
};

struct report {
	const struct doctor_config *cfg;
	const struct doctor_rule *current;
	struct finding *f;
	size_t n, cap;
	struct rule_state *rs;
	size_t nrules;
};

const char *severity_name(enum severity s)
{
	static const char *const n[] = { "none", "info", "warning", "critical" };
	return n[s];
}

const struct doctor_rule *rule_find(const char *id)
{
	const struct doctor_rule *r;
	for_each_rule(r)
		if (strcmp(r->id, id) == 0)
			return r;
	return NULL;
}

static char *vdup(const char *fmt, va_list ap)
{
	struct strbuf sb = STRBUF_INIT;
	sb_vprintf(&sb, fmt, ap);
	return sb.buf ? sb.buf : strdup("");
}

double rule_threshold(const struct report *r, const char *name)
{
	const struct doctor_rule *rule = r->current;

	for (int i = r->cfg ? r->cfg->nset - 1 : -1; i >= 0; i--)
		if (strcmp(r->cfg->set[i].id, rule->id) == 0 && strcmp(r->cfg->set[i].name, name) == 0)
			return r->cfg->set[i].value;
	for (const struct rule_threshold *t = rule->thresholds; t && t->name; t++)
		if (strcmp(t->name, name) == 0)
			return t->value;
	abort(); /* a rule asked for a threshold it does not declare: a bug */
}

struct finding *finding_add(struct report *r, enum severity sev, const char *fmt, ...)
{
	va_list ap;

	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 16;
		r->f = realloc(r->f, r->cap * sizeof(*r->f));
		if (!r->f)
			abort();
	}
	struct finding *f = &r->f[r->n++];
	memset(f, 0, sizeof(*f));
	f->rule = r->current;
	f->sev = sev;
	va_start(ap, fmt);
	f->summary = vdup(fmt, ap);
	va_end(ap);
	return f;
}

void finding_evidence(struct finding *f, const char *source, const char *fmt, ...)
{
	va_list ap;

	if (f->nev == MAX_EVIDENCE)
		return;
	va_start(ap, fmt);
	f->ev[f->nev].text = vdup(fmt, ap);
	va_end(ap);
	f->ev[f->nev++].source = strdup(source);
}

void finding_value(struct finding *f, const char *name, double v)
{
	if (f->nval < MAX_VALUES)
		f->val[f->nval++] = (typeof(f->val[0])){ name, v };
}

void finding_fix(struct finding *f, const char *fmt, ...)
{
	va_list ap;

	free(f->fix);
	va_start(ap, fmt);
	f->fix = vdup(fmt, ap);
	va_end(ap);
}

void rule_skip(struct report *r, const char *fmt, ...)
{
	va_list ap;

	for (size_t i = 0; i < r->nrules; i++) {
		if (r->rs[i].rule != r->current || r->rs[i].skipped)
			continue;
		r->rs[i].skipped = true;
		va_start(ap, fmt);
		r->rs[i].skip_why = vdup(fmt, ap);
		va_end(ap);
	}
}

static bool listed(const char **list, const struct doctor_rule *rule)
{
	for (; list && *list; list++)
		if (strcmp(*list, rule->id) == 0 || strcmp(*list, rule->area) == 0)
			return true;
	return false;
}

struct report *report_new(const struct doctor_config *cfg)
{
	struct report *r = calloc(1, sizeof(*r));
	const struct doctor_rule *rule;

	if (!r)
		abort();
	r->cfg = cfg;
	for_each_rule(rule)
		r->nrules++;
	r->rs = calloc(r->nrules + 1, sizeof(*r->rs));
	if (!r->rs)
		abort();
	size_t i = 0;
	for_each_rule(rule) {
		r->rs[i].rule = rule;
		r->rs[i].selected = (!cfg || !cfg->only || listed(cfg->only, rule)) &&
				    !(cfg && listed(cfg->skip, rule));
		i++;
	}
	return r;
}

void report_run(struct report *r, const struct evidence *ev)
{
	for (size_t i = 0; i < r->nrules; i++) {
		if (!r->rs[i].selected)
			continue;
		r->current = r->rs[i].rule;
		r->current->check(r, ev);
	}
	r->current = NULL;
}

enum severity report_worst(const struct report *r)
{
	enum severity w = SEV_NONE;
	for (size_t i = 0; i < r->n; i++)
		if (r->f[i].sev > w)
			w = r->f[i].sev;
	return w;
}

void report_free(struct report *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++) {
		free(r->f[i].summary);
		free(r->f[i].fix);
		for (int j = 0; j < r->f[i].nev; j++) {
			free(r->f[i].ev[j].source);
			free(r->f[i].ev[j].text);
		}
	}
	for (size_t i = 0; i < r->nrules; i++)
		free(r->rs[i].skip_why);
	free(r->rs);
	free(r->f);
	free(r);
}

/* ---- reading a report back ---- */

size_t report_count(const struct report *r) { return r->n; }

const struct finding *report_finding(const struct report *r, size_t i)
{
	return i < r->n ? &r->f[i] : NULL;
}

const char *finding_rule_id(const struct finding *f) { return f->rule->id; }
enum severity finding_severity(const struct finding *f) { return f->sev; }
const char *finding_summary(const struct finding *f) { return f->summary; }
const char *finding_fix_text(const struct finding *f) { return f->fix ? f->fix : ""; }

double finding_get_value(const struct finding *f, const char *name)
{
	for (int i = 0; i < f->nval; i++)
		if (strcmp(f->val[i].name, name) == 0)
			return f->val[i].v;
	return NAN;
}

const char *finding_evidence_text(const struct finding *f, int i, const char **source)
{
	if (i < 0 || i >= f->nev)
		return NULL;
	if (source)
		*source = f->ev[i].source;
	return f->ev[i].text;
}

const char *report_skip_reason(const struct report *r, const char *id)
{
	for (size_t i = 0; i < r->nrules; i++)
		if (r->rs[i].selected && r->rs[i].skipped && strcmp(r->rs[i].rule->id, id) == 0)
			return r->rs[i].skip_why;
	return NULL;
}

/* ---- output ---- */

static size_t count_checked(const struct report *r, size_t *skipped)
{
	size_t n = 0;
	*skipped = 0;
	for (size_t i = 0; i < r->nrules; i++) {
		if (!r->rs[i].selected)
			continue;
		if (r->rs[i].skipped)
			(*skipped)++;
		else
			n++;
	}
	return n;
}

static size_t count_sev(const struct report *r, enum severity s)
{
	size_t n = 0;
	for (size_t i = 0; i < r->n; i++)
		n += r->f[i].sev == s;
	return n;
}

void report_print_text(const struct report *r, const struct evidence *ev)
{
	static const char *const label[] = { "", "INFO", "WARNING", "CRITICAL" };
	size_t skipped, checked = count_checked(r, &skipped);

	char areas[256] = "";
	for (size_t i = 0; i < r->nrules; i++) {
		const char *a = r->rs[i].rule->area;
		if (!r->rs[i].selected || strstr(areas, a))
			continue;
		size_t n = strlen(areas);
		snprintf(areas + n, sizeof(areas) - n, "%s%s", n ? ", " : "", a);
	}
	if (count_sev(r, SEV_WARNING) + count_sev(r, SEV_CRITICAL) == 0)
		printf("No problems found. ");
	printf("%zu critical, %zu warning, %zu info from %zu checks (%s)", count_sev(r, SEV_CRITICAL),
	       count_sev(r, SEV_WARNING), count_sev(r, SEV_INFO), checked, areas);
	if (ev->nsamples == 2)
		printf(" over two samples %.1f s apart", ev->interval);
	printf("%s.\n", skipped ? "; some skipped (below)" : "");
	for (int s = SEV_CRITICAL; s >= SEV_INFO; s--) {
		for (size_t i = 0; i < r->n; i++) {
			const struct finding *f = &r->f[i];
			if ((int)f->sev != s)
				continue;
			printf("\n%-8s %s: %s\n", label[s], f->rule->id, f->summary);
			for (int j = 0; j < f->nev; j++)
				printf("  %-9s %s  (%s)\n", j ? "" : "evidence", f->ev[j].text, f->ev[j].source);
			if (f->fix)
				printf("  %-9s %s\n", "fix", f->fix);
		}
	}
	if (skipped) {
		printf("\nSkipped:\n");
		for (size_t i = 0; i < r->nrules; i++)
			if (r->rs[i].selected && r->rs[i].skipped)
				printf("  %s: %s\n", r->rs[i].rule->id, r->rs[i].skip_why);
	}
	if (ev->missing[0])
		printf("\nNot read: %s\n", ev->missing);
}

/* One JSON record per finding, then the summary record: base/json writes
 * every brace, comma and escape, and a non-finite value as null. */
static void json_finding(const struct finding *f)
{
	struct json *w = out_record_begin();

	json_field_str(w, "id", f->rule->id);
	json_field_str(w, "severity", severity_name(f->sev));
	json_field_str(w, "area", f->rule->area);
	json_field_str(w, "summary", f->summary);
	json_key(w, "evidence");
	json_arr_begin(w);
	for (int j = 0; j < f->nev; j++) {
		json_obj_begin(w);
		json_field_str(w, "source", f->ev[j].source);
		json_field_str(w, "value", f->ev[j].text);
		json_obj_end(w);
	}
	json_arr_end(w);
	json_key(w, "values");
	json_obj_begin(w);
	for (int j = 0; j < f->nval; j++)
		json_field_double(w, f->val[j].name, f->val[j].v);
	json_obj_end(w);
	json_field_str(w, "fix", f->fix ? f->fix : "");
	out_record_end(w);
}

void report_print_json(const struct report *r, const struct evidence *ev)
{
	size_t skipped, checked = count_checked(r, &skipped);

	for (size_t i = 0; i < r->n; i++)
		json_finding(&r->f[i]);

	struct json *w = out_record_begin();
	json_key(w, "summary");
	json_obj_begin(w);
	json_field_str(w, "worst", severity_name(report_worst(r)));
	json_field_u64(w, "critical", count_sev(r, SEV_CRITICAL));
	json_field_u64(w, "warning", count_sev(r, SEV_WARNING));
	json_field_u64(w, "info", count_sev(r, SEV_INFO));
	json_field_u64(w, "checked", checked);
	json_field_i64(w, "samples", ev->nsamples);
	json_field_fixed(w, "interval_s", ev->interval, 3);
	json_key(w, "skipped");
	json_arr_begin(w);
	for (size_t i = 0; i < r->nrules; i++) {
		if (!r->rs[i].selected || !r->rs[i].skipped)
			continue;
		json_obj_begin(w);
		json_field_str(w, "id", r->rs[i].rule->id);
		json_field_str(w, "why", r->rs[i].skip_why);
		json_obj_end(w);
	}
	json_arr_end(w);
	json_field_str(w, "not_read", ev->missing);
	json_obj_end(w);
	out_record_end(w);
}

/* Prometheus text exposition (format 0.0.4): label values escape \, " and
 * newline; sample values spell non-finite numbers NaN, +Inf and -Inf (Go's
 * ParseFloat), never C's nan/inf. */
void prom_label(struct strbuf *sb, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			sb_putc(sb, '\\');
		if (*s == '\n') {
			sb_puts(sb, "\\n");
			continue;
		}
		sb_putc(sb, *s);
	}
}

void prom_value(struct strbuf *sb, double v)
{
	char b[32];

	if (isnan(v)) {
		sb_puts(sb, "NaN");
		return;
	}
	if (isinf(v)) {
		sb_puts(sb, v > 0 ? "+Inf" : "-Inf");
		return;
	}
	for (int prec = 15; prec <= 17; prec++) { /* the shortest that reads back */
		snprintf(b, sizeof(b), "%.*g", prec, v);
		if (strtod(b, NULL) == v)
			break;
	}
	sb_puts(sb, b);
}

/* NAME{k1="v1",k2="v2"} VALUE: labels are pairs, ending with NULL. */
static void prom_sample(struct strbuf *sb, const char *metric, double v, ...)
{
	va_list ap;
	const char *k;
	bool first = true;

	sb_puts(sb, metric);
	va_start(ap, v);
	while ((k = va_arg(ap, const char *))) {
		sb_puts(sb, first ? "{" : ",");
		first = false;
		sb_puts(sb, k);
		sb_puts(sb, "=\"");
		prom_label(sb, va_arg(ap, const char *));
		sb_putc(sb, '"');
	}
	va_end(ap);
	sb_puts(sb, first ? " " : "} ");
	prom_value(sb, v);
	sb_putc(sb, '\n');
}

static void prom_head(struct strbuf *sb, const char *metric, const char *help)
{
	sb_printf(sb, "# HELP %s %s\n# TYPE %s gauge\n", metric, help, metric);
}

void report_print_prom(const struct report *r, const struct evidence *ev)
{
	struct strbuf sb = STRBUF_INIT;
	size_t skipped, checked = count_checked(r, &skipped);

	(void)ev;
	prom_head(&sb, "netlens_doctor_finding", "A problem doctor found (1 while present).");
	for (size_t i = 0; i < r->n; i++)
		prom_sample(&sb, "netlens_doctor_finding", 1, "id", r->f[i].rule->id, "area",
			    r->f[i].rule->area, "severity", severity_name(r->f[i].sev), NULL);
	prom_head(&sb, "netlens_doctor_finding_value", "A number behind a finding.");
	for (size_t i = 0; i < r->n; i++)
		for (int j = 0; j < r->f[i].nval; j++)
			prom_sample(&sb, "netlens_doctor_finding_value", r->f[i].val[j].v, "id",
				    r->f[i].rule->id, "name", r->f[i].val[j].name, NULL);
	prom_head(&sb, "netlens_doctor_worst_severity", "0 none, 1 info, 2 warning, 3 critical.");
	prom_sample(&sb, "netlens_doctor_worst_severity", (double)report_worst(r), NULL);
	prom_head(&sb, "netlens_doctor_checks", "Checks run and skipped.");
	prom_sample(&sb, "netlens_doctor_checks", (double)checked, "result", "run", NULL);
	prom_sample(&sb, "netlens_doctor_checks", (double)skipped, "result", "skipped", NULL);
	fputs(sb.buf, stdout);
	sb_free(&sb);
}

/* ---- configuration ---- */

int doctor_config_set(struct doctor_config *c, const char *a, char *err, size_t errlen)
{
	const char *dot = strchr(a, '.'), *eq = strchr(a, '=');
	char *end;

	if (!dot || !eq || dot > eq || dot == a || eq == dot + 1)
		return snprintf(err, errlen, "'%s': expected RULE.THRESHOLD=VALUE", a), -EINVAL;
	if (c->nset == (int)(sizeof(c->set) / sizeof(c->set[0])))
		return snprintf(err, errlen, "too many threshold settings"), -E2BIG;
	size_t il = (size_t)(dot - a), nl = (size_t)(eq - dot - 1);
	while (nl && dot[nl] == ' ')
		nl--;
	if (il >= sizeof(c->set[0].id) || nl >= sizeof(c->set[0].name))
		return snprintf(err, errlen, "'%s': name too long", a), -EINVAL;
	memcpy(c->set[c->nset].id, a, il);
	c->set[c->nset].id[il] = '\0';
	memcpy(c->set[c->nset].name, dot + 1, nl);
	c->set[c->nset].name[nl] = '\0';
	const struct doctor_rule *rule = rule_find(c->set[c->nset].id);
	if (!rule)
		return snprintf(err, errlen, "'%s': no rule '%s' (see netlens doctor --list)", a,
				c->set[c->nset].id), -ENOENT;
	const struct rule_threshold *t = rule->thresholds;
	while (t && t->name && strcmp(t->name, c->set[c->nset].name) != 0)
		t++;
	if (!t || !t->name)
		return snprintf(err, errlen, "'%s': rule %s has no threshold '%s' (see --explain %s)", a,
				rule->id, c->set[c->nset].name, rule->id), -ENOENT;
	double v = strtod(eq + 1, &end);
	while (*end == ' ' || *end == '\t' || *end == '\n')
		end++;
	if (end == eq + 1 || *end)
		return snprintf(err, errlen, "'%s': the value is not a number", a), -EINVAL;
	c->set[c->nset++].value = v;
	return 0;
}

int doctor_config_file(struct doctor_config *c, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	char line[512], clean[512];
	int lineno = 0, ret = 0;

	if (!f)
		return snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno)), -errno;
	while (fgets(line, sizeof(line), f)) {
		size_t n = 0;
		lineno++;
		for (char *p = line; *p && *p != '#' && *p != '\n'; p++)
			if (*p != ' ' && *p != '\t')
				clean[n++] = *p;
		clean[n] = '\0';
		if (!n)
			continue;
		char e[200];
		if ((ret = doctor_config_set(c, clean, e, sizeof(e))) < 0) {
			snprintf(err, errlen, "%s:%d: %s", path, lineno, e);
			break;
		}
	}
	fclose(f);
	return ret;
}
