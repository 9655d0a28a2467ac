/* The output layer: number formatting, JSON escaping, and the same rows as
 * an aligned table and as JSON lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "base/output.h"
#include "base/strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_fixed(void **state)
{
	(void)state;
	char b[64];
	static const struct { double v; int d; const char *want; } cases[] = {
		{ 0.029, 3, "0.029" }, { 204, 3, "204" }, { 1.5, 3, "1.5" }, { 0, 3, "0" },
		{ 0.0004, 3, "0" },    { 0.0005, 3, "0.001" }, { 99.96, 1, "100" }, { -2.25, 2, "-2.25" },
		{ -0.0001, 2, "0" },   { 123456789.123456, 6, "123456789.123456" }, { 1e13, 1, "10000000000000.0" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = out_fmt_fixed(b, cases[i].v, cases[i].d);
		assert_string_equal(b, cases[i].want);
		assert_int_equal(n, strlen(cases[i].want));
	}
	assert_int_equal(out_fmt_u64(b, 18446744073709551615ull), 20);
	assert_string_equal(b, "18446744073709551615");
}

static void test_escape(void **state)
{
	(void)state;
	struct strbuf sb = STRBUF_INIT;

	out_json_escape(sb_put_cb, &sb, "a\"b\\c\n\x01\x7f" "é");
	assert_string_equal(sb.buf, "\"a\\\"b\\\\c\\n\\u0001\\u007f" "é\"");
	sb_free(&sb);
}

/* Runs fn with stdout captured into a string (caller frees). */
static char *capture(void (*fn)(void))
{
	FILE *tmp = tmpfile();
	int saved = dup(STDOUT_FILENO);
	char *out;
	long n;

	fflush(stdout);
	dup2(fileno(tmp), STDOUT_FILENO);
	fn();
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	n = ftell(tmp);
	if (n < 0)
		n = lseek(fileno(tmp), 0, SEEK_CUR);
	out = calloc(1, (size_t)n + 1);
	rewind(tmp);
	assert_int_equal(fread(out, 1, (size_t)n, tmp), (size_t)n);
	fclose(tmp);
	return out;
}

static const struct out_col cols[] = {
	{ "Name", "name", 0, 0 },
	{ "Count", "count", OUT_RIGHT, 0 },
	{ "Shown", NULL, 0, 0 },
	{ NULL, "hidden", 0, 0 },
};

static void two_rows(void)
{
	struct table *t = out_table_begin(cols, 4);

	out_row_begin(t);
	out_cell_str(t, 0, "alpha");
	out_cell_u64(t, 1, 7);
	out_cell_str(t, 2, "x");
	out_cell_str(t, 3, "secret");
	out_field_u64(t, "rtt_us", "rtt:", 12);
	out_obj_begin(t, "mem", "mem:");
	out_field_u64(t, "r", "r", 1);
	out_field_u64(t, "w", "w", 2);
	out_obj_end(t);
	out_field_flag(t, "app_limited", "app_limited", true);
	out_field_double(t, "ms", NULL, 1.25, 3);
	out_row_end(t);
	out_row_begin(t);
	out_cell_str(t, 0, "b");
	out_cell_u64(t, 1, 12345);
	out_cell_str(t, 2, "yy");
	out_row_end(t);
	out_table_end(t);
}

static void test_table_text(void **state)
{
	(void)state;
	out_set_format(OUT_TEXT);
	char *s = capture(two_rows);
	assert_string_equal(s, "Name  Count Shown\n"
			       "alpha     7 x\n"
			       "\trtt:12 mem:(r1,w2) app_limited\n"
			       "b     12345 yy\n");
	free(s);
}

static void test_table_json(void **state)
{
	(void)state;
	out_set_format(OUT_JSON);
	char *s = capture(two_rows);
	out_set_format(OUT_TEXT);
	assert_string_equal(s, "{\"name\":\"alpha\",\"count\":7,\"hidden\":\"secret\",\"rtt_us\":12,"
			       "\"mem\":{\"r\":1,\"w\":2},\"app_limited\":true,\"ms\":1.25}\n"
			       "{\"name\":\"b\",\"count\":12345}\n");
	free(s);
}

static void many_rows(void)
{
	struct table *t = out_table_begin(cols, 3);
	char name[32];

	/* enough rows to pass the buffering limit several times */
	for (int i = 0; i < 200000; i++) {
		out_row_begin(t);
		snprintf(name, sizeof(name), "row%d", i);
		out_cell_str(t, 0, name);
		out_cell_u64(t, 1, (uint64_t)i);
		out_cell_str(t, 2, "z");
		out_row_end(t);
	}
	out_table_end(t);
}

static void test_big_table_is_complete(void **state)
{
	(void)state;
	out_set_format(OUT_TEXT);
	char *s = capture(many_rows);
	size_t lines = 0;
	for (char *p = s; *p; p++)
		lines += *p == '\n';
	assert_int_equal(lines, 200001);
	assert_non_null(strstr(s, "row199999 199999 z\n"));
	assert_true(strncmp(s, "Name", 4) == 0);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixed),        cmocka_unit_test(test_escape),
		cmocka_unit_test(test_table_text),   cmocka_unit_test(test_table_json),
		cmocka_unit_test(test_big_table_is_complete),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
