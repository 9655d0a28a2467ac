/* Doctor's threshold settings (--set, --config): what is accepted, what is
 * refused and why, and that an error never repeats the input beyond the
 * offending token. The file checks (type, owner, mode) are in
 * tests/e2e/test_doctor_config.py, through the command. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "base/strbuf.h"
#include "doctor/doctor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse(struct doctor_config *c, const char *text, char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	err[0] = '\0';
	return doctor_config_parse(c, text, strlen(text), "t.conf", err, errlen);
}

static void test_valid_lines(void **state)
{
	struct doctor_config c;
	char err[256];
	(void)state;

	assert_int_equal(parse(&c, "# thresholds\n\n  listen-overflow.critical_per_s = 25 # more\r\n"
				   "tcp-retrans.warning_pct=0.5\ntcp-retrans.critical_pct = 1e1", err,
			       sizeof(err)), 0);
	assert_int_equal(c.nset, 3);
	assert_string_equal(c.set[0].id, "listen-overflow");
	assert_string_equal(c.set[0].name, "critical_per_s");
	assert_true(c.set[0].value == 25);
	assert_true(c.set[1].value == 0.5);
	assert_true(c.set[2].value == 10);
	memset(&c, 0, sizeof(c));
	assert_int_equal(doctor_config_set(&c, "tcp-retrans.warning_pct=0", err, sizeof(err)), 0);
	assert_true(c.nset == 1 && c.set[0].value == 0);
}

/* nan, inf, negatives, hex: refused with the reason */
static void test_values_refused(void **state)
{
	static const struct { const char *value, *why; } bad[] = {
		{ "nan", "'nan' is not a decimal number" },
		{ "inf", "'inf' is not a decimal number" },
		{ "-inf", "'-inf' is not a decimal number" },
		{ "1e999", "'1e999' is out of range" },
		{ "-5", "'-5' is negative" },
		{ "-0.1", "'-0.1' is negative" },
		{ "0x10", "'0x10' is not a decimal number" },
		{ "1 2", "'1 2' is not a decimal number" },
		{ "", "no value after '='" },
	};
	struct doctor_config c;
	char a[128], err[256];
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&c, 0, sizeof(c));
		snprintf(a, sizeof(a), "listen-overflow.critical_per_s=%s", bad[i].value);
		assert_true(doctor_config_set(&c, a, err, sizeof(err)) < 0);
		if (!strstr(err, bad[i].why) || !strstr(err, "listen-overflow.critical_per_s: "))
			fail_msg("%s: %s", a, err);
		assert_int_equal(c.nset, 0);
		snprintf(a, sizeof(a), "listen-overflow.critical_per_s = %s\n", bad[i].value);
		assert_true(parse(&c, a, err, sizeof(err)) < 0);
		if (!strstr(err, bad[i].why) || strncmp(err, "t.conf:1: ", 10) != 0)
			fail_msg("%s: %s", a, err);
	}
}

/* A comment of any length is one line: the error below it names its line. */
static void test_long_lines_keep_their_numbers(void **state)
{
	struct doctor_config c;
	struct strbuf sb = STRBUF_INIT;
	char err[256];
	(void)state;

	sb_putc(&sb, '#');
	for (int i = 0; i < 5000; i++)
		sb_putc(&sb, 'x');
	sb_puts(&sb, "\nlisten-overflow.critical_per_s = 3\n");
	sb_puts(&sb, "listen-overflow.critical_per_s =");
	for (int i = 0; i < 700; i++)
		sb_putc(&sb, ' ');
	sb_puts(&sb, "4\nbogus.x = 1\n");
	assert_true(parse(&c, sb.buf, err, sizeof(err)) < 0);
	assert_string_equal(err, "t.conf:4: no rule 'bogus' (see netlens doctor --list)");
	assert_int_equal(c.nset, 2);
	assert_true(c.set[1].value == 4);
	sb_free(&sb);
}

/* An error quotes the offending token at most: bounded, control bytes
 * replaced; a line that is not ID.NAME = VALUE is not quoted at all. */
static void test_errors_do_not_echo_content(void **state)
{
	struct doctor_config c;
	struct strbuf sb = STRBUF_INIT;
	char err[512];
	(void)state;

	assert_true(parse(&c, "root:$y$j9T$SECRETHASH:19000:0:99999:7:::\n", err, sizeof(err)) < 0);
	assert_string_equal(err, "t.conf:1: expected ID.NAME = VALUE");
	assert_true(parse(&c, "password = SECRET\n", err, sizeof(err)) < 0);
	assert_null(strstr(err, "SECRET"));
	assert_true(parse(&c, "user.password = SECRET\n", err, sizeof(err)) < 0);
	assert_string_equal(err, "t.conf:1: no rule 'user' (see netlens doctor --list)");
	assert_true(parse(&c, "tcp-retrans.SECRET = 1\n", err, sizeof(err)) < 0);
	assert_string_equal(err, "t.conf:1: rule tcp-retrans has no threshold 'SECRET' "
				 "(see --explain tcp-retrans)");
	for (int i = 0; i < 300; i++)
		sb_putc(&sb, 'a');
	sb_puts(&sb, ".x=1");
	memset(&c, 0, sizeof(c));
	assert_true(doctor_config_set(&c, sb.buf, err, sizeof(err)) < 0);
	assert_true(strlen(err) < 140);
	assert_non_null(strstr(err, "aaa...'"));
	assert_true(doctor_config_set(&c, "tcp\x1b[2J.x\n=1", err, sizeof(err)) < 0);
	for (const char *p = err; *p; p++)
		assert_true(*p >= 0x20 && *p < 0x7f);
	sb_free(&sb);
}

/* Size and line count are bounded, and said so. */
static void test_bounds(void **state)
{
	struct doctor_config c;
	char err[256];
	(void)state;

	size_t n = DOCTOR_CONFIG_MAX_LINES + 1;
	char *lines = malloc(n + 1);
	assert_non_null(lines);
	memset(lines, '\n', n);
	lines[n] = '\0';
	memset(&c, 0, sizeof(c));
	assert_true(doctor_config_parse(&c, lines, n - 1, "t.conf", err, sizeof(err)) == 0);
	assert_true(doctor_config_parse(&c, lines, n, "t.conf", err, sizeof(err)) < 0);
	assert_string_equal(err, "t.conf has more than 65536 lines: not a config file");
	free(lines);
	char *big = calloc(DOCTOR_CONFIG_MAX_BYTES + 1, 1);
	assert_non_null(big);
	assert_true(doctor_config_parse(&c, big, DOCTOR_CONFIG_MAX_BYTES + 1, "t.conf", err,
					sizeof(err)) < 0);
	assert_string_equal(err, "t.conf is larger than 1048576 bytes: not a config file");
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_lines),
		cmocka_unit_test(test_values_refused),
		cmocka_unit_test(test_long_lines_keep_their_numbers),
		cmocka_unit_test(test_errors_do_not_echo_content),
		cmocka_unit_test(test_bounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
