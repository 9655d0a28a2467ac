/* Doctor's report printers: JSON records through base/json (valid JSON
 * whatever a rule puts in a finding: NaN and infinities become null, strings
 * are escaped) and the Prometheus text format (label values escaped, NaN and
 * +Inf/-Inf spelled as the format wants, never C's nan/inf).
 *
 * The rule below exists only in this test binary (the "doctor_rules"
 * section is per link): it adds one finding with awkward strings and
 * non-finite values, and each test runs it alone (--only). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "base/output.h"
#include "base/prom.h"
#include "base/strbuf.h"
#include "doctor/doctor.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void check_awkward(struct report *r, const struct evidence *ev)
{
	(void)ev;
	struct finding *f = finding_add(r, SEV_WARNING, "sub\"ject\n", "a \"quoted\" summary\\ with\nnewline");
	finding_evidence(f, "/proc/x", "tab\there, control \x01, quote \"");
	finding_value(f, "nan_value", NAN);
	finding_value(f, "plus_inf", INFINITY);
	finding_value(f, "minus_inf", -INFINITY);
	finding_value(f, "tenth", 0.1);
	finding_value(f, "we\"ird\\name\n", 7);
	finding_fix(f, "sysctl -w x=1");
}

DOCTOR_RULE(awkward, .id = "test-awkward", .area = "test\"area", .title = "test only",
	    .explain = "test only", .check = check_awkward);

/* Two devices, one of them found twice (a warning, then a critical), and a
 * value name given twice: Prometheus must get one series per subject. */
static void check_pair(struct report *r, const struct evidence *ev)
{
	(void)ev;
	struct finding *f = finding_add(r, SEV_WARNING, "eth0", "eth0 drops");
	finding_value(f, "drops", 5);
	f = finding_add(r, SEV_INFO, "eth1", "eth1 drops a little");
	finding_value(f, "drops", 1);
	finding_value(f, "drops", 2);
	f = finding_add(r, SEV_CRITICAL, "eth0", "eth0 drops a lot");
	finding_value(f, "drops", 500);
}

DOCTOR_RULE(pair, .id = "test-pair", .area = "test", .title = "test only", .explain = "test only",
	    .check = check_pair);

/* What report_print_*() wrote to stdout. */
static char *capture(void (*print)(const struct report *, const struct evidence *),
		     const struct report *r, const struct evidence *ev)
{
	char path[] = "/tmp/netlens-test-report-XXXXXX";
	int fd = mkstemp(path), saved = dup(1);
	char *buf = NULL;
	size_t cap = 0;

	assert_true(fd >= 0 && saved >= 0);
	unlink(path);
	fflush(stdout);
	assert_int_equal(dup2(fd, 1), 1);
	print(r, ev);
	fflush(stdout);
	assert_int_equal(dup2(saved, 1), 1);
	close(saved);
	FILE *f = fdopen(fd, "r");
	assert_non_null(f);
	rewind(f);
	ssize_t n = getdelim(&buf, &cap, '\0', f);
	fclose(f);
	assert_true(n > 0);
	return buf;
}

struct fixture {
	struct evidence ev;
	struct doctor_config cfg;
	const char *only[2];
	struct report *r;
};

static void run_only(struct fixture *x, const char *id, size_t findings)
{
	memset(x, 0, sizeof(*x));
	x->ev.nsamples = 2;
	x->ev.interval = 1.5;
	sb_puts(&x->ev.missing, "sockets (\"denied\")");
	x->only[0] = id;
	x->cfg.only = x->only;
	x->r = report_new(&x->cfg);
	report_run(x->r, &x->ev);
	assert_int_equal(report_count(x->r), findings);
}

static void run_awkward(struct fixture *x) { run_only(x, "test-awkward", 1); }

/* A small JSON validator: true when s is exactly one JSON value (RFC 8259),
 * optionally followed by whitespace. */
static const char *json_value(const char *s);

static const char *ws(const char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	return s;
}

static const char *json_string(const char *s)
{
	if (*s++ != '"')
		return NULL;
	for (; *s != '"'; s++) {
		if ((unsigned char)*s < 0x20)
			return NULL;
		if (*s == '\\') {
			s++;
			if (*s == 'u') {
				for (int i = 1; i <= 4; i++)
					if (!strchr("0123456789abcdefABCDEF", s[i]) || !s[i])
						return NULL;
				s += 4;
			} else if (!*s || !strchr("\"\\/bfnrt", *s)) {
				return NULL;
			}
		}
	}
	return s + 1;
}

static const char *json_num(const char *s)
{
	const char *p = s;
	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		while (*p >= '0' && *p <= '9')
			p++;
	else
		return NULL;
	if (*p == '.') {
		if (!(*++p >= '0' && *p <= '9'))
			return NULL;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!(*p >= '0' && *p <= '9'))
			return NULL;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	return p;
}

static const char *json_value(const char *s)
{
	s = ws(s);
	if (*s == '{' || *s == '[') {
		char close = *s == '{' ? '}' : ']';
		s = ws(s + 1);
		if (*s == close)
			return s + 1;
		for (;;) {
			if (close == '}') {
				if (!(s = json_string(ws(s))))
					return NULL;
				s = ws(s);
				if (*s++ != ':')
					return NULL;
			}
			if (!(s = json_value(s)))
				return NULL;
			s = ws(s);
			if (*s == close)
				return s + 1;
			if (*s++ != ',')
				return NULL;
		}
	}
	if (*s == '"')
		return json_string(s);
	for (const char *lit = "true\0false\0null\0"; *lit; lit += strlen(lit) + 1)
		if (strncmp(s, lit, strlen(lit)) == 0)
			return s + strlen(lit);
	return json_num(s);
}

static bool json_valid_line(const char *line, size_t len)
{
	char *l = strndup(line, len);
	const char *end = json_value(l);
	bool ok = end && *ws(end) == '\0';
	free(l);
	return ok;
}

static void test_validator(void **state)
{
	(void)state;
	assert_true(json_valid_line("{\"a\":[1,-0.5e3,\"x\\u0001\"],\"b\":null}", 35));
	assert_false(json_valid_line("{\"a\":nan}", 9));
	assert_false(json_valid_line("{\"a\":inf}", 9));
	assert_false(json_valid_line("{\"a\":1,}", 8));
	assert_false(json_valid_line("{\"a\":\"\n\"}", 9));
}

static void test_json_is_valid_with_nan_and_escapes(void **state)
{
	struct fixture x;
	(void)state;

	out_set_format(OUT_JSON);
	run_awkward(&x);
	char *out = capture(report_print_json, x.r, &x.ev);
	int lines = 0;
	for (char *l = out, *nl; *l; l = nl + 1, lines++) {
		nl = strchr(l, '\n');
		assert_non_null(nl); /* every record ends its line */
		if (!json_valid_line(l, (size_t)(nl - l)))
			fail_msg("not JSON: %.*s", (int)(nl - l), l);
	}
	assert_int_equal(lines, 2); /* the finding, the summary */
	for (const char *bad = ":nan\0:-nan\0:inf\0:-inf\0"; *bad; bad += strlen(bad) + 1)
		assert_null(strstr(out, bad));
	assert_non_null(strstr(out, "\"nan_value\":null,\"plus_inf\":null,\"minus_inf\":null,"
				    "\"tenth\":0.1,\"we\\\"ird\\\\name\\n\":7}"));
	assert_non_null(strstr(out, "\"summary\":\"a \\\"quoted\\\" summary\\\\ with\\nnewline\""));
	assert_non_null(strstr(out, "\"value\":\"tab\\there, control \\u0001, quote \\\"\""));
	assert_non_null(strstr(out, "\"area\":\"test\\\"area\",\"subject\":\"sub\\\"ject\\n\","));
	assert_non_null(strstr(out, "\"samples\":2,\"interval_s\":1.5,"));
	assert_non_null(strstr(out, "\"not_read\":\"sockets (\\\"denied\\\")\"}}\n"));
	free(out);
	report_free(x.r);
	sb_free(&x.ev.missing);
	out_set_format(OUT_TEXT);
}

/* Text: what a rule puts in a finding (names from the host) cannot break
 * a line or reach the terminal as control bytes. */
static void test_text_escapes_what_findings_carry(void **state)
{
	struct fixture x;
	(void)state;

	run_awkward(&x);
	char *out = capture(report_print_text, x.r, &x.ev);
	assert_string_equal(out,
			    "0 critical, 1 warning, 0 info from 1 checks (test\"area) over two "
			    "samples 1.5 s apart.\n"
			    "\n"
			    "WARNING  test-awkward: a \"quoted\" summary\\ with\\x0anewline\n"
			    "  evidence  tab\\x09here, control \\x01, quote \"  (/proc/x)\n"
			    "  fix       sysctl -w x=1\n"
			    "\n"
			    "Not read: sockets (\"denied\")\n");
	free(out);
	report_free(x.r);
	sb_free(&x.ev.missing);
}

static void test_prometheus_nan_and_labels(void **state)
{
	struct fixture x;
	(void)state;

	run_awkward(&x);
	char *out = capture(report_print_prom, x.r, &x.ev);
	assert_non_null(strstr(out, "netlens_doctor_finding{id=\"test-awkward\",area=\"test\\\"area\","
				    "severity=\"warning\",subject=\"sub\\\"ject\\n\"} 1\n"));
#define AWK "{id=\"test-awkward\",subject=\"sub\\\"ject\\n\","
	assert_non_null(strstr(out, AWK "name=\"nan_value\"} NaN\n"));
	assert_non_null(strstr(out, AWK "name=\"plus_inf\"} +Inf\n"));
	assert_non_null(strstr(out, AWK "name=\"minus_inf\"} -Inf\n"));
	assert_non_null(strstr(out, AWK "name=\"tenth\"} 0.1\n"));
	assert_non_null(strstr(out, AWK "name=\"we\\\"ird\\\\name\\n\"} 7\n"));
#undef AWK
	assert_non_null(strstr(out, "netlens_doctor_worst_severity 2\n"));
	for (const char *bad = " nan\n\0 -nan\n\0 inf\n\0 -inf\n\0"; *bad; bad += strlen(bad) + 1)
		assert_null(strstr(out, bad));
	/* every line is a comment or NAME{...} VALUE: one space, no raw newline in labels */
	for (char *l = out, *nl; *l; l = nl + 1) {
		nl = strchr(l, '\n');
		assert_non_null(nl);
		if (*l != '#')
			assert_non_null(memchr(l, ' ', (size_t)(nl - l)));
	}
	free(out);
	report_free(x.r);
	sb_free(&x.ev.missing);
}

/* Every line of out that starts with prefix, in order, into one string. */
static char *lines_with(const char *out, const char *prefix)
{
	struct strbuf sb = STRBUF_INIT;

	for (const char *l = out, *nl; *l; l = nl + 1) {
		nl = strchr(l, '\n');
		if (strncmp(l, prefix, strlen(prefix)) == 0)
			sb_printf(&sb, "%.*s", (int)(nl + 1 - l), l);
	}
	return sb.buf ? sb.buf : strdup("");
}

static void test_prometheus_one_series_per_subject(void **state)
{
	struct fixture x;
	(void)state;

	run_only(&x, "test-pair", 3);
	assert_string_equal(finding_subject(report_finding(x.r, 0)), "eth0");
	assert_string_equal(finding_subject(report_finding(x.r, 1)), "eth1");
	char *out = capture(report_print_prom, x.r, &x.ev);
	char *got = lines_with(out, "netlens_doctor_finding{");
	/* eth0 once, at its worst; eth1 beside it */
	assert_string_equal(got, "netlens_doctor_finding{id=\"test-pair\",area=\"test\","
				 "severity=\"info\",subject=\"eth1\"} 1\n"
				 "netlens_doctor_finding{id=\"test-pair\",area=\"test\","
				 "severity=\"critical\",subject=\"eth0\"} 1\n");
	free(got);
	got = lines_with(out, "netlens_doctor_finding_value{");
	assert_string_equal(got, "netlens_doctor_finding_value{id=\"test-pair\",subject=\"eth1\","
				 "name=\"drops\"} 1\n"
				 "netlens_doctor_finding_value{id=\"test-pair\",subject=\"eth0\","
				 "name=\"drops\"} 500\n");
	free(got);
	free(out);
	report_free(x.r);
	sb_free(&x.ev.missing);
}

static char *label(const char *s)
{
	struct strbuf sb = STRBUF_INIT;
	prom_label(&sb, s);
	return sb.buf ? sb.buf : strdup("");
}

static char *value(double v)
{
	struct strbuf sb = STRBUF_INIT;
	prom_value(&sb, v);
	return sb.buf;
}

static void test_prometheus_pieces(void **state)
{
	static const struct { const char *in, *want; } lab[] = {
		{ "", "" },
		{ "plain-id", "plain-id" },
		{ "a\\b", "a\\\\b" },
		{ "say \"hi\"", "say \\\"hi\\\"" },
		{ "two\nlines", "two\\nlines" },
		{ "\\\"\n", "\\\\\\\"\\n" },
		{ "tab\tstays", "tab\tstays" }, /* the format escapes only these three */
	};
	static const struct { double v; const char *want; } val[] = {
		{ 0, "0" }, { 1, "1" }, { -3.5, "-3.5" }, { 0.1, "0.1" }, { 1e20, "1e+20" },
		{ 1.0 / 3, "0.3333333333333333" }, { NAN, "NaN" }, { -NAN, "NaN" },
		{ INFINITY, "+Inf" }, { -INFINITY, "-Inf" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(lab) / sizeof(lab[0]); i++) {
		char *got = label(lab[i].in);
		assert_string_equal(got, lab[i].want);
		free(got);
	}
	for (size_t i = 0; i < sizeof(val) / sizeof(val[0]); i++) {
		char *got = value(val[i].v);
		assert_string_equal(got, val[i].want);
		assert_true(isnan(val[i].v) || strtod(got, NULL) == val[i].v);
		free(got);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_validator),
		cmocka_unit_test(test_json_is_valid_with_nan_and_escapes),
		cmocka_unit_test(test_text_escapes_what_findings_carry),
		cmocka_unit_test(test_prometheus_nan_and_labels),
		cmocka_unit_test(test_prometheus_one_series_per_subject),
		cmocka_unit_test(test_prometheus_pieces),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
