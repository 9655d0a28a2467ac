/* Prometheus text 0.0.4 and OpenMetrics writer. See prom.h. */
#include "base/prom.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Appends s, escaping the bytes in special (as \\, \" or \n): runs without
 * one go in one copy, not a byte at a time (HELP texts and labels are most
 * of a scrape's bytes). */
static void prom_escaped(struct strbuf *sb, const char *s, const char *special)
{
	for (;;) {
		size_t n = strcspn(s, special);
		sb_add(sb, s, n);
		s += n;
		if (!*s)
			return;
		sb_puts(sb, *s == '\n' ? "\\n" : *s == '"' ? "\\\"" : "\\\\");
		s++;
	}
}

void prom_label(struct strbuf *sb, const char *s) { prom_escaped(sb, s, "\\\"\n"); }

/* HELP text escapes backslash and newline only. */
static void prom_help(struct strbuf *sb, const char *s) { prom_escaped(sb, s, "\\\n"); }

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
	if (v == (double)(long long)v && fabs(v) < 1e15) {
		snprintf(b, sizeof(b), "%lld", (long long)v);
		sb_puts(sb, b);
		return;
	}
	for (int prec = 15; prec <= 17; prec++) { /* the shortest that reads back */
		snprintf(b, sizeof(b), "%.*g", prec, v);
		if (strtod(b, NULL) == v)
			break;
	}
	sb_puts(sb, b);
}

void prom_family(struct prom *p, const char *name, enum prom_type type, const char *help)
{
	static const char *const types[] = { "gauge", "counter", "histogram" };
	size_t n = strlen(name);

	p->family = name;
	/* OpenMetrics names a counter family without the _total of its sample */
	if (p->openmetrics && type == PROM_COUNTER && n > 6 && !strcmp(name + n - 6, "_total"))
		n -= 6;
	sb_puts(p->sb, "# HELP ");
	sb_add(p->sb, name, n);
	sb_putc(p->sb, ' ');
	prom_help(p->sb, help);
	sb_puts(p->sb, "\n# TYPE ");
	sb_add(p->sb, name, n);
	sb_printf(p->sb, " %s\n", types[type]);
}

void prom_vsample(struct prom *p, const char *suffix, double v, va_list ap)
{
	const char *k;
	bool first = true;

	sb_puts(p->sb, p->family);
	sb_puts(p->sb, suffix);
	while ((k = va_arg(ap, const char *))) {
		sb_puts(p->sb, first ? "{" : ",");
		first = false;
		sb_puts(p->sb, k);
		sb_puts(p->sb, "=\"");
		prom_label(p->sb, va_arg(ap, const char *));
		sb_putc(p->sb, '"');
	}
	sb_puts(p->sb, first ? " " : "} ");
	prom_value(p->sb, v);
	sb_putc(p->sb, '\n');
}

void prom_sample(struct prom *p, double v, ...)
{
	va_list ap;

	va_start(ap, v);
	prom_vsample(p, "", v, ap);
	va_end(ap);
}

void prom_sample_suffix(struct prom *p, const char *suffix, double v, ...)
{
	va_list ap;

	va_start(ap, v);
	prom_vsample(p, suffix, v, ap);
	va_end(ap);
}

/* name{labels...[,le="..."]} value */
static void hist_line(struct prom *p, const char *suffix, const char *const *labels, const char *le,
		      double v)
{
	bool first = true;

	sb_puts(p->sb, p->family);
	sb_puts(p->sb, suffix);
	for (size_t i = 0; labels && labels[i]; i += 2) {
		sb_puts(p->sb, first ? "{" : ",");
		first = false;
		sb_puts(p->sb, labels[i]);
		sb_puts(p->sb, "=\"");
		prom_label(p->sb, labels[i + 1]);
		sb_putc(p->sb, '"');
	}
	if (le) {
		sb_puts(p->sb, first ? "{le=\"" : ",le=\"");
		sb_puts(p->sb, le);
		sb_putc(p->sb, '"');
		first = false;
	}
	sb_puts(p->sb, first ? " " : "} ");
	prom_value(p->sb, v);
	sb_putc(p->sb, '\n');
}

void prom_histogram_log2(struct prom *p, const uint64_t *slots, int nslots, double unit,
			 double sum, const char *const *labels)
{
	uint64_t cum = 0;

	for (int i = 0; i < nslots; i++) {
		char le[32];
		cum += slots[i];
		if (i == nslots - 1)
			snprintf(le, sizeof(le), "+Inf");
		else
			snprintf(le, sizeof(le), "%.9g", ldexp(unit, i + 1));
		hist_line(p, "_bucket", labels, le, (double)cum);
	}
	hist_line(p, "_sum", labels, NULL, sum);
	hist_line(p, "_count", labels, NULL, (double)cum);
}

void prom_end(struct prom *p)
{
	if (p->openmetrics)
		sb_puts(p->sb, "# EOF\n");
}

void prom_snake_case(const char *in, char *out, size_t size)
{
	size_t o = 0;

	for (size_t i = 0; in[i] && o + 2 < size; i++) {
		char ch = in[i];
		bool up = ch >= 'A' && ch <= 'Z';
		if (up && i > 0) {
			char prev = in[i - 1], next = in[i + 1], after = next ? in[i + 2] : 0;
			bool prev_low = (prev >= 'a' && prev <= 'z') || (prev >= '0' && prev <= '9');
			bool prev_up = prev >= 'A' && prev <= 'Z';
			/* an acronym ends before a capital starting a word of two or
			 * more small letters (TCPLoss), not before "v2" (MLDv2) */
			bool word = next >= 'a' && next <= 'z' && after >= 'a' && after <= 'z';
			if (prev_low || (prev_up && word))
				out[o++] = '_';
		}
		out[o++] = up ? (char)(ch - 'A' + 'a') : ch;
	}
	out[o] = '\0';
	for (char *h; (h = strstr(out, "_h_mac"));)
		memmove(h + 2, h + 3, strlen(h + 3) + 1);
}
