/* Doctor's report: runs the rules, keeps their findings, prints them as
 * text, JSON or Prometheus series. See doctor.h. */
#include "doctor/doctor.h"
#include "base/json.h"
#include "base/output.h"
#include "base/prom.h"
#include "base/strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Evidence and values grow as a rule adds them: nothing is cut. */
struct finding {
	const struct doctor_rule *rule;
	enum severity sev;
	char *subject, *summary, *fix;
	struct { char *source, *text; } *ev;
	size_t nev, cap_ev;
	struct { const char *name; double v; } *val;
	size_t nval, cap_val;
};

bool doctor_vec_room(void *v, size_t n, size_t *cap, size_t size)
{
	char *arr;

	if (n < *cap)
		return true;
	memcpy(&arr, v, sizeof(arr)); /* a T **, read and written as bytes */
	size_t c = *cap ? *cap * 2 : 8;
	if (c > SIZE_MAX / size || !(arr = realloc(arr, c * size)))
		return false;
	memcpy(v, &arr, sizeof(arr));
	*cap = c;
	return true;
}

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

struct finding *finding_add(struct report *r, enum severity sev, const char *subject,
			    const char *fmt, ...)
{
	va_list ap;

	if (!subject || !*subject)
		abort(); /* every finding is about something: a bug in the rule */
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
	f->subject = strdup(subject);
	if (!f->subject)
		abort();
	va_start(ap, fmt);
	f->summary = vdup(fmt, ap);
	va_end(ap);
	return f;
}

void finding_evidence(struct finding *f, const char *source, const char *fmt, ...)
{
	va_list ap;

	if (!doctor_vec_room(&f->ev, f->nev, &f->cap_ev, sizeof(*f->ev)))
		abort();
	va_start(ap, fmt);
	f->ev[f->nev].text = vdup(fmt, ap);
	va_end(ap);
	f->ev[f->nev++].source = strdup(source);
}

void finding_value(struct finding *f, const char *name, double v)
{
	if (!doctor_vec_room(&f->val, f->nval, &f->cap_val, sizeof(*f->val)))
		abort();
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

bool rule_selected(const struct doctor_config *cfg, const struct doctor_rule *rule)
{
	return (!cfg || !cfg->only || listed(cfg->only, rule)) && !(cfg && listed(cfg->skip, rule));
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
		r->rs[i].selected = rule_selected(cfg, rule);
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
		free(r->f[i].subject);
		free(r->f[i].summary);
		free(r->f[i].fix);
		for (size_t j = 0; j < r->f[i].nev; j++) {
			free(r->f[i].ev[j].source);
			free(r->f[i].ev[j].text);
		}
		free(r->f[i].ev);
		free(r->f[i].val);
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
const char *finding_subject(const struct finding *f) { return f->subject; }
const char *finding_fix_text(const struct finding *f) { return f->fix ? f->fix : ""; }

double finding_get_value(const struct finding *f, const char *name)
{
	for (size_t i = 0; i < f->nval; i++)
		if (strcmp(f->val[i].name, name) == 0)
			return f->val[i].v;
	return NAN;
}

const char *finding_evidence_text(const struct finding *f, int i, const char **source)
{
	if (i < 0 || (size_t)i >= f->nev)
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

	struct strbuf areas = STRBUF_INIT;
	for (size_t i = 0; i < r->nrules; i++) {
		const char *a = r->rs[i].rule->area;
		bool seen = false;
		for (size_t j = 0; j < i; j++)
			seen |= r->rs[j].selected && strcmp(r->rs[j].rule->area, a) == 0;
		if (r->rs[i].selected && !seen)
			sb_printf(&areas, "%s%s", areas.len ? ", " : "", a);
	}
	struct strbuf head = STRBUF_INIT;
	if (count_sev(r, SEV_WARNING) + count_sev(r, SEV_CRITICAL) == 0)
		sb_puts(&head, "No problems found. ");
	sb_printf(&head, "%zu critical, %zu warning, %zu info from %zu checks (%s)",
		  count_sev(r, SEV_CRITICAL), count_sev(r, SEV_WARNING), count_sev(r, SEV_INFO),
		  checked, areas.buf ? areas.buf : "");
	sb_free(&areas);
	if (ev->nsamples == 2)
		sb_printf(&head, " over two samples %.1f s apart", ev->interval);
	out_line("%s%s.", head.buf, skipped ? "; some skipped (below)" : "");
	sb_free(&head);
	/* findings carry names from the host (interfaces, processes):
	 * out_line() escapes what a terminal must not get raw */
	for (int s = SEV_CRITICAL; s >= SEV_INFO; s--) {
		for (size_t i = 0; i < r->n; i++) {
			const struct finding *f = &r->f[i];
			if ((int)f->sev != s)
				continue;
			out_blank();
			out_line("%-8s %s: %s", label[s], f->rule->id, f->summary);
			for (size_t j = 0; j < f->nev; j++)
				out_line("  %-9s %s  (%s)", j ? "" : "evidence", f->ev[j].text,
					 f->ev[j].source);
			if (f->fix)
				out_line("  %-9s %s", "fix", f->fix);
		}
	}
	if (skipped) {
		out_blank();
		out_line("Skipped:");
		for (size_t i = 0; i < r->nrules; i++)
			if (r->rs[i].selected && r->rs[i].skipped)
				out_line("  %s: %s", r->rs[i].rule->id, r->rs[i].skip_why);
	}
	if (ev->missing.len) {
		out_blank();
		out_line("Not read: %s", ev->missing.buf);
	}
}

/* One JSON record per finding, then the summary record: base/json writes
 * every brace, comma and escape, and a non-finite value as null. */
static void json_finding(const struct finding *f)
{
	struct json *w = out_record_begin();

	json_field_str(w, "id", f->rule->id);
	json_field_str(w, "severity", severity_name(f->sev));
	json_field_str(w, "area", f->rule->area);
	json_field_str(w, "subject", f->subject);
	json_field_str(w, "summary", f->summary);
	json_key(w, "evidence");
	json_arr_begin(w);
	for (size_t j = 0; j < f->nev; j++) {
		json_obj_begin(w);
		json_field_str(w, "source", f->ev[j].source);
		json_field_str(w, "value", f->ev[j].text);
		json_obj_end(w);
	}
	json_arr_end(w);
	json_key(w, "values");
	json_obj_begin(w);
	for (size_t j = 0; j < f->nval; j++)
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
	json_field_str(w, "not_read", ev->missing.len ? ev->missing.buf : "");
	json_obj_end(w);
	out_record_end(w);
}

/* Whether f stands for its rule and subject in Prometheus: a series is
 * labelled by id and subject, so of the findings one rule made about one
 * subject only the worst (the first of the worst) is exported, and no two
 * samples of a family share their labels. */
static bool prom_exported(const struct report *r, size_t i)
{
	const struct finding *f = &r->f[i];

	for (size_t j = 0; j < r->n; j++) {
		const struct finding *g = &r->f[j];
		if (j == i || g->rule != f->rule || strcmp(g->subject, f->subject) != 0)
			continue;
		if (g->sev > f->sev || (g->sev == f->sev && j < i))
			return false;
	}
	return true;
}

/* A value name given twice in one finding: the first is exported. */
static bool value_first(const struct finding *f, size_t j)
{
	for (size_t k = 0; k < j; k++)
		if (strcmp(f->val[k].name, f->val[j].name) == 0)
			return false;
	return true;
}

void report_prom(const struct report *r, struct prom *p)
{
	size_t skipped, checked = count_checked(r, &skipped);

	prom_family(p, "netlens_doctor_finding", PROM_GAUGE,
		    "A problem doctor found (1 while present), by rule and what it is about.");
	for (size_t i = 0; i < r->n; i++)
		if (prom_exported(r, i))
			prom_sample(p, 1, "id", r->f[i].rule->id, "area", r->f[i].rule->area, "severity",
				    severity_name(r->f[i].sev), "subject", r->f[i].subject, NULL);
	prom_family(p, "netlens_doctor_finding_value", PROM_GAUGE, "A number behind a finding.");
	for (size_t i = 0; i < r->n; i++)
		for (size_t j = 0; j < r->f[i].nval && prom_exported(r, i); j++)
			if (value_first(&r->f[i], j))
				prom_sample(p, r->f[i].val[j].v, "id", r->f[i].rule->id, "subject",
					    r->f[i].subject, "name", r->f[i].val[j].name, NULL);
	prom_family(p, "netlens_doctor_worst_severity", PROM_GAUGE,
		    "0 none, 1 info, 2 warning, 3 critical.");
	prom_sample(p, (double)report_worst(r), NULL);
	prom_family(p, "netlens_doctor_checks", PROM_GAUGE, "Checks run and skipped.");
	prom_sample(p, (double)checked, "result", "run", NULL);
	prom_sample(p, (double)skipped, "result", "skipped", NULL);
}

void report_print_prom(const struct report *r, const struct evidence *ev)
{
	struct strbuf sb = STRBUF_INIT;
	struct prom p = PROM_INIT(&sb, false);

	(void)ev;
	report_prom(r, &p);
	fputs(sb.buf, stdout);
	sb_free(&sb);
}

/* ---- configuration ----
 *
 * Input is untrusted: a config file may be anything a path names, and an
 * error quotes at most the offending token, bounded and with control and
 * non-ASCII bytes replaced, never a line of the file. */

enum { QUOTE_TOKEN = 64, QUOTE_PATH = 200 };

/* s[0..n) as an error may show it: at most max bytes, bytes outside
 * printable ASCII as '?', "..." when cut. buf holds max + 4. */
static const char *quoted(const char *s, size_t n, size_t max, char *buf)
{
	size_t o = 0;

	for (size_t i = 0; i < n && i < max; i++)
		buf[o++] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	if (n > max)
		for (int i = 0; i < 3; i++)
			buf[o++] = '.';
	buf[o] = '\0';
	return buf;
}

static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

/* [*s, *s + *n) without the white space around it. */
static void trim(const char **s, size_t *n)
{
	while (*n && is_space(**s))
		(*s)++, (*n)--;
	while (*n && is_space((*s)[*n - 1]))
		(*n)--;
}

/* ID.NAME: letters, digits, '-', '_' and one '.' inside. */
static const char *key_dot(const char *k, size_t n)
{
	const char *dot = NULL;

	for (size_t i = 0; i < n; i++) {
		char c = k[i];
		if (c == '.' && !dot && i > 0 && i + 1 < n)
			dot = k + i;
		else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			   c == '-' || c == '_'))
			return NULL;
	}
	return dot;
}

/* A threshold's value: a plain decimal number, finite and not negative
 * (every threshold is a count, rate, share, time or size). */
static int parse_value(const char *v, size_t n, double *out, char *err, size_t errlen)
{
	char q[QUOTE_TOKEN + 4], num[64];

	quoted(v, n, QUOTE_TOKEN, q);
	if (!n)
		return snprintf(err, errlen, "no value after '='"), -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!strchr("0123456789.eE+-", v[i]) || !v[i])
			return snprintf(err, errlen, "'%s' is not a decimal number", q), -EINVAL;
	if (n >= sizeof(num))
		return snprintf(err, errlen, "'%s' is not a decimal number", q), -EINVAL;
	memcpy(num, v, n);
	num[n] = '\0';
	char *end;
	double d = strtod(num, &end);
	if (end == num || *end)
		return snprintf(err, errlen, "'%s' is not a decimal number", q), -EINVAL;
	if (!isfinite(d))
		return snprintf(err, errlen, "'%s' is out of range", q), -ERANGE;
	if (d < 0)
		return snprintf(err, errlen, "'%s' is negative: thresholds are counts, rates, shares, "
				"times or sizes", q), -ERANGE;
	*out = d;
	return 0;
}

/* key ("ID.NAME", checked by key_dot()) = value, into the next setting. */
static int config_assign(struct doctor_config *c, const char *key, size_t klen, const char *dot,
			 const char *val, size_t vlen, char *err, size_t errlen)
{
	char q[QUOTE_TOKEN + 4];
	size_t il = (size_t)(dot - key), nl = klen - il - 1;
	typeof(c->set[0]) *s = &c->set[c->nset];

	if (c->nset == (int)(sizeof(c->set) / sizeof(c->set[0])))
		return snprintf(err, errlen, "more than %zu threshold settings",
				sizeof(c->set) / sizeof(c->set[0])), -E2BIG;
	const struct doctor_rule *rule = NULL;
	if (il < sizeof(s->id)) {
		memcpy(s->id, key, il);
		s->id[il] = '\0';
		rule = rule_find(s->id);
	}
	if (!rule)
		return snprintf(err, errlen, "no rule '%s' (see netlens doctor --list)",
				quoted(key, il, QUOTE_TOKEN, q)), -ENOENT;
	const struct rule_threshold *t = rule->thresholds;
	while (t && t->name && (strlen(t->name) != nl || memcmp(t->name, dot + 1, nl) != 0))
		t++;
	if (!t || !t->name)
		return snprintf(err, errlen, "rule %s has no threshold '%s' (see --explain %s)", rule->id,
				quoted(dot + 1, nl, QUOTE_TOKEN, q), rule->id), -ENOENT;
	snprintf(s->name, sizeof(s->name), "%s", t->name);
	char why[160];
	int ret = parse_value(val, vlen, &s->value, why, sizeof(why));
	if (ret < 0)
		return snprintf(err, errlen, "%s.%s: %s", rule->id, t->name, why), ret;
	c->nset++;
	return 0;
}

int doctor_config_set(struct doctor_config *c, const char *a, char *err, size_t errlen)
{
	char q[QUOTE_TOKEN + 4];
	const char *eq = strchr(a, '='), *key = a, *val = eq ? eq + 1 : NULL;
	size_t klen = eq ? (size_t)(eq - a) : 0, vlen = eq ? strlen(val) : 0;

	if (eq) {
		trim(&key, &klen);
		trim(&val, &vlen);
	}
	const char *dot = eq ? key_dot(key, klen) : NULL;
	if (!dot)
		return snprintf(err, errlen, "'%s': expected RULE.THRESHOLD=VALUE",
				quoted(a, strlen(a), QUOTE_TOKEN, q)), -EINVAL;
	return config_assign(c, key, klen, dot, val, vlen, err, errlen);
}

/* One line of a config file (without its newline); 0 also for comments. */
static int config_line(struct doctor_config *c, const char *line, size_t n, char *err, size_t errlen)
{
	const char *hash = memchr(line, '#', n);

	if (hash)
		n = (size_t)(hash - line);
	trim(&line, &n);
	if (!n)
		return 0;
	const char *eq = memchr(line, '=', n), *key = line, *val = eq ? eq + 1 : NULL;
	size_t klen = eq ? (size_t)(eq - line) : 0, vlen = eq ? n - klen - 1 : 0;
	if (eq) {
		trim(&key, &klen);
		trim(&val, &vlen);
	}
	const char *dot = eq ? key_dot(key, klen) : NULL;
	if (!dot)
		return snprintf(err, errlen, "expected ID.NAME = VALUE"), -EINVAL;
	return config_assign(c, key, klen, dot, val, vlen, err, errlen);
}

int doctor_config_parse(struct doctor_config *c, const char *buf, size_t len, const char *name,
			char *err, size_t errlen)
{
	char q[QUOTE_PATH + 4], e[256];
	unsigned lineno = 0;

	quoted(name, strlen(name), QUOTE_PATH, q);
	if (len > DOCTOR_CONFIG_MAX_BYTES)
		return snprintf(err, errlen, "%s is larger than %d bytes: not a config file", q,
				DOCTOR_CONFIG_MAX_BYTES), -EFBIG;
	for (size_t off = 0; off < len;) {
		const char *nl = memchr(buf + off, '\n', len - off);
		size_t n = nl ? (size_t)(nl - (buf + off)) : len - off;
		if (++lineno > DOCTOR_CONFIG_MAX_LINES)
			return snprintf(err, errlen, "%s has more than %d lines: not a config file", q,
					DOCTOR_CONFIG_MAX_LINES), -EFBIG;
		int ret = config_line(c, buf + off, n, e, sizeof(e));
		if (ret < 0)
			return snprintf(err, errlen, "%s:%u: %s", q, lineno, e), ret;
		off += n + 1;
	}
	return 0;
}

/* A config file must be a regular file that only root or the caller can
 * change: thresholds decide what doctor calls healthy. */
static int config_file_ok(const struct stat *st, const char *q, char *err, size_t errlen)
{
	const char *type = S_ISDIR(st->st_mode) ? "a directory" : S_ISFIFO(st->st_mode) ? "a FIFO"
			   : S_ISCHR(st->st_mode)  ? "a character device"
			   : S_ISBLK(st->st_mode)  ? "a block device"
			   : S_ISSOCK(st->st_mode) ? "a socket" : "not a regular file";

	if (!S_ISREG(st->st_mode))
		return snprintf(err, errlen, "%s is %s: give a regular file", q, type), -EINVAL;
	if (st->st_uid != 0 && st->st_uid != geteuid())
		return snprintf(err, errlen, "%s is owned by uid %u, neither root nor you: refusing "
				"thresholds another user can change", q, (unsigned)st->st_uid), -EPERM;
	if (st->st_mode & (S_IWGRP | S_IWOTH))
		return snprintf(err, errlen, "%s is writable by %s (mode %04o): chmod go-w it", q,
				st->st_mode & S_IWOTH ? "everyone" : "its group",
				(unsigned)(st->st_mode & 07777)), -EPERM;
	if (st->st_size > DOCTOR_CONFIG_MAX_BYTES)
		return snprintf(err, errlen, "%s is larger than %d bytes: not a config file", q,
				DOCTOR_CONFIG_MAX_BYTES), -EFBIG;
	return 0;
}

/* All of fd, at most DOCTOR_CONFIG_MAX_BYTES + 1 bytes, into sb. */
static int read_bounded(int fd, struct strbuf *sb)
{
	while (sb->len <= DOCTOR_CONFIG_MAX_BYTES) {
		sb_grow(sb, 65536);
		size_t room = DOCTOR_CONFIG_MAX_BYTES + 1 - sb->len;
		ssize_t n = read(fd, sb->buf + sb->len, room < 65536 ? room : 65536);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		sb->len += (size_t)n;
		sb->buf[sb->len] = '\0';
	}
	return 0;
}

int doctor_config_file(struct doctor_config *c, const char *path, char *err, size_t errlen)
{
	char q[QUOTE_PATH + 4];
	struct strbuf sb = STRBUF_INIT;
	struct stat st;
	int ret;

	quoted(path, strlen(path), QUOTE_PATH, q);
	/* O_NONBLOCK: opening a FIFO must not wait for a writer */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return ret = -errno, snprintf(err, errlen, "cannot read %s: %s", q, strerror(-ret)), ret;
	if (fstat(fd, &st) < 0)
		ret = -errno, snprintf(err, errlen, "cannot read %s: %s", q, strerror(-ret));
	else if ((ret = config_file_ok(&st, q, err, errlen)) == 0) {
		int fl = fcntl(fd, F_GETFL);
		if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0 || (ret = read_bounded(fd, &sb)) < 0) {
			ret = ret < 0 ? ret : -errno;
			snprintf(err, errlen, "cannot read %s: %s", q, strerror(-ret));
		}
	}
	close(fd);
	if (ret == 0)
		ret = doctor_config_parse(c, sb.buf ? sb.buf : "", sb.len, path, err, errlen);
	sb_free(&sb);
	return ret;
}
