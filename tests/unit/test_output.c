/* The output layer: number formatting, JSON escaping, and the same rows as
 * an aligned table and as JSON lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "base/json.h"
#include "base/output.h"
#include "base/strbuf.h"
#include "capture.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
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

/* Numbers as they were printed before rows were built in one buffer. */
static void test_numbers(void **state)
{
	(void)state;
	char b[64];
	static const struct { uint64_t v; const char *want; } u[] = {
		{ 0, "0" }, { 9, "9" }, { 10, "10" }, { 99, "99" }, { 100, "100" },
		{ 4026531840u, "4026531840" }, { 10000000000000000000ull, "10000000000000000000" },
		{ UINT64_MAX, "18446744073709551615" },
	};
	for (size_t i = 0; i < sizeof(u) / sizeof(u[0]); i++) {
		assert_int_equal(out_fmt_u64(b, u[i].v), strlen(u[i].want));
		assert_string_equal(b, u[i].want);
	}
	static const struct { double v; int d; const char *want; } f[] = {
		{ 0.0005, 3, "0.001" },	{ 0.0015, 3, "0.002" }, { 2.675, 2, "2.68" },
		{ -0.0, 3, "0" },	{ -0.0004, 3, "0" }, { -1.5, 0, "-2" },
		{ 1e12 - 1, 1, "999999999999" }, { 1e12, 1, "1000000000000.0" },
		{ 1e15, 3, "1000000000000000.000" }, { -1e15, 0, "-1000000000000000" },
		{ 1700000005.123456, 6, "1700000005.123456" }, { 0.1, 6, "0.1" },
		{ NAN, 3, "null" },	{ INFINITY, 3, "null" }, { -INFINITY, 1, "null" },
		{ 5e-324, 6, "0" },	{ 1.25, 7, "1.2500000" }, { 1.25, -1, "1.250000" },
	};
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		size_t n = out_fmt_fixed(b, f[i].v, f[i].d);
		assert_string_equal(b, f[i].want);
		assert_int_equal(n, strlen(f[i].want));
	}
}

/* out_fmt_f must print what printf("%.*f") prints, for every double. */
static void test_fmt_f_is_printf(void **state)
{
	(void)state;
	char a[400], want[400];
	static const double edge[] = {
		0, -0.0, 0.5, 1.5, 2.5, -2.5, 0.125, 0.375, 1.005, 2.675, 0.0005, 0.00049999999999999,
		999.995, 1e-7, 5e-324, 2.2250738585072014e-308, 9.2e18, 9.1e18, 1e15, 1e15 + 0.5,
		4503599627370495.5, 9007199254740993.0, 1e300, -1e300, NAN, -NAN, INFINITY, -INFINITY,
	};
	uint64_t r = 0x9E3779B97F4A7C15ull;

	for (int d = 0; d <= 10; d++)
		for (size_t i = 0; i < sizeof(edge) / sizeof(edge[0]); i++) {
			int k = snprintf(want, sizeof(want), "%.*f", d, edge[i]);
			assert_int_equal(out_fmt_f(a, sizeof(a), edge[i], d), (size_t)k);
			assert_string_equal(a, want);
		}
	for (int i = 0; i < 300000; i++) {
		double v;
		int d = i % 10;
		r ^= r << 13, r ^= r >> 7, r ^= r << 17;
		if (i % 3 == 0)
			memcpy(&v, &r, sizeof(v)); /* any bit pattern */
		else if (i % 3 == 1)
			v = (double)(r % 100000000000ull) / 1e6; /* durations in ms */
		else
			v = ldexp((double)(r >> 11), (int)(r % 90) - 80);
		int k = snprintf(want, sizeof(want), "%.*f", d, v);
		assert_int_equal(out_fmt_f(a, sizeof(a), v, d), (size_t)k);
		assert_string_equal(a, want);
	}
	/* truncated like snprintf */
	assert_int_equal(out_fmt_f(a, 4, 12345.678, 2), 3);
	assert_string_equal(a, "123");
	assert_int_equal(out_fmt_f(a, 4, 1e300, 2), 3);
	assert_string_equal(a, "100");
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

static const struct out_col stream_cols[] = {
	{ "PID", "pid", OUT_RIGHT, 7 },
	{ "COMM", "co\"mm", 0, 6 },
	{ NULL, "json_only", 0, 0 },
	{ "MS", NULL, OUT_RIGHT, 5 },
	{ "WHY", "why", 0, 0 },
};

/* An event stream: fixed widths, rows printed as they end, the last column
 * free text; JSON rows with escaping in keys and values. */
static void stream_rows(void)
{
	struct table *t = out_table_begin(stream_cols, 5);

	out_table_stream(t);
	for (int i = 0; i < 3; i++) {
		out_row_begin(t);
		out_field_double(t, "time", NULL, 1700000000.5 + i, 6);
		out_cell_u64(t, 0, i == 2 ? UINT64_MAX : (uint64_t)i * 1000);
		out_cell_str(t, 1, i == 1 ? "tab\there \"q\" \\ é" : "nginx");
		out_cell_str(t, 2, "x");
		out_cell_fixed(t, 3, i == 1 ? 123456.789 : 0.125, 2);
		out_field_i64(t, "delta", NULL, i == 2 ? INT64_MIN : -(int64_t)i);
		out_arr_begin(t, "list", NULL);
		out_field_u64(t, "v", NULL, 0);
		out_field_str(t, "v", NULL, "\x01");
		out_arr_end(t);
		if (i != 1)
			out_cell_str(t, 4, "a reason longer than nothing");
		out_row_end(t);
	}
	out_table_end(t);
}

static void test_stream_text(void **state)
{
	(void)state;
	out_set_format(OUT_TEXT);
	char *s = capture(stream_rows);
	assert_string_equal(s, "    PID COMM      MS WHY\n"
			       "      0 nginx   0.12 a reason longer than nothing\n"
			       "   1000 tab\\x09here \"q\" \\ é 123456.79 \n"
			       "18446744073709551615 nginx   0.12 a reason longer than nothing\n");
	free(s);
}

static void test_stream_json(void **state)
{
	(void)state;
	out_set_format(OUT_JSON);
	char *s = capture(stream_rows);
	out_set_format(OUT_TEXT);
	assert_string_equal(s, "{\"time\":1700000000.5,\"pid\":0,\"co\\\"mm\":\"nginx\",\"json_only\":\"x\","
			       "\"delta\":0,\"list\":[0,\"\\u0001\"],\"why\":\"a reason longer than nothing\"}\n"
			       "{\"time\":1700000001.5,\"pid\":1000,\"co\\\"mm\":\"tab\\there \\\"q\\\" \\\\ é\","
			       "\"json_only\":\"x\",\"delta\":-1,\"list\":[0,\"\\u0001\"]}\n"
			       "{\"time\":1700000002.5,\"pid\":18446744073709551615,\"co\\\"mm\":\"nginx\","
			       "\"json_only\":\"x\",\"delta\":-9223372036854775808,\"list\":[0,\"\\u0001\"],"
			       "\"why\":\"a reason longer than nothing\"}\n");
	free(s);
}

/* A JSON row never carries bytes that are not UTF-8, nor nan/inf. */
static void odd_values_row(void)
{
	static const struct out_col c[] = { { "COMM", "comm", 0, 0 } };
	struct table *t = out_table_begin(c, 1);

	out_row_begin(t);
	out_cell_str(t, 0, "bad\xff\xc3name");
	out_field_double(t, "nan", NULL, NAN, 3);
	out_field_double(t, "inf", NULL, -INFINITY, 3);
	out_obj_begin(t, "o", NULL);
	out_arr_begin(t, "a", NULL);
	out_field_str(t, NULL, NULL, "x"); /* a NULL key hides it from JSON */
	out_field_str(t, "k", NULL, "y");  /* in an array the key is not written */
	out_field_u64(t, "k", NULL, 2);
	out_arr_end(t);
	out_field_bool(t, "b", NULL, false);
	/* left open: out_row_end() closes it */
	out_row_end(t);
	out_table_end(t);
}

static void test_row_json_odd_values(void **state)
{
	(void)state;
	out_set_format(OUT_JSON);
	char *s = capture(odd_values_row);
	out_set_format(OUT_TEXT);
	assert_string_equal(s, "{\"comm\":\"bad\\ufffd\\ufffdname\",\"nan\":null,\"inf\":null,"
			       "\"o\":{\"a\":[\"y\",2],\"b\":false}}\n");
	free(s);
}

/* Standalone records: what the tracers' lost-events line and the doctor
 * summary are written with. */
static void records(void)
{
	struct json *w = out_record_begin();
	json_field_u64(w, "lost_events", 3);
	json_field_u64(w, "skipped_runs", 1);
	out_record_end(w);

	w = out_record_begin();
	json_key(w, "summary");
	json_obj_begin(w);
	json_field_str(w, "worst", "warn\"ing");
	json_field_double(w, "ratio", NAN);
	json_field_double(w, "rate", 0.1);
	json_field_fixed(w, "interval_s", 1.0, 3);
	json_key(w, "skipped");
	json_arr_begin(w);
	json_obj_begin(w);
	json_field_str(w, "id", "a\n");
	json_obj_end(w);
	json_obj_begin(w);
	json_field_null(w, "id");
	json_obj_end(w);
	json_arr_end(w);
	json_obj_end(w);
	out_record_end(w);
}

static void test_records(void **state)
{
	(void)state;
	out_set_format(OUT_JSON);
	char *s = capture(records);
	out_set_format(OUT_TEXT);
	assert_string_equal(s, "{\"lost_events\":3,\"skipped_runs\":1}\n"
			       "{\"summary\":{\"worst\":\"warn\\\"ing\",\"ratio\":null,\"rate\":0.1,"
			       "\"interval_s\":1,\"skipped\":[{\"id\":\"a\\n\"},{\"id\":null}]}}\n");
	free(s);
}

/* Records are interleaved with table rows in the order they were made. */
static void rows_then_record(void)
{
	two_rows();
	struct json *w = out_record_begin();
	json_field_u64(w, "lost_events", 0);
	out_record_end(w);
}

static void test_record_after_rows(void **state)
{
	(void)state;
	out_set_format(OUT_JSON);
	char *s = capture(rows_then_record);
	out_set_format(OUT_TEXT);
	const char *last = strstr(s, "{\"lost_events\":0}\n");
	assert_non_null(last);
	assert_string_equal(last, "{\"lost_events\":0}\n");
	assert_int_equal(strncmp(s, "{\"name\":\"alpha\"", 15), 0);
	free(s);
}

static void misuse_two_records(void)
{
	out_record_begin();
	out_record_begin();
}

static void misuse_record_left_open(void)
{
	struct json *w = out_record_begin();
	json_key(w, "a");
	json_arr_begin(w);
	out_record_end(w);
}

static void misuse_record_nested_obj_open(void)
{
	struct json *w = out_record_begin();
	json_key(w, "a");
	json_obj_begin(w);
	out_record_end(w);
}

static void test_record_misuse_aborts(void **state)
{
	(void)state;
	void (*const cases[])(void) = { misuse_two_records, misuse_record_left_open,
					misuse_record_nested_obj_open };
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_true(capture_aborts(cases[i]));
}

static void json_error(void) { out_error("bad \"%s\"\n\xff", "x"); }

static void test_error_json(void **state)
{
	(void)state;
	out_set_format(OUT_JSON);
	char *s = capture(json_error);
	out_set_format(OUT_TEXT);
	assert_string_equal(s, "{\"error\":\"bad \\\"x\\\"\\n\\ufffd\"}\n");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixed),
		cmocka_unit_test(test_numbers),      cmocka_unit_test(test_fmt_f_is_printf),
		cmocka_unit_test(test_stream_text),  cmocka_unit_test(test_stream_json),
		cmocka_unit_test(test_table_text),   cmocka_unit_test(test_table_json),
		cmocka_unit_test(test_big_table_is_complete),
		cmocka_unit_test(test_row_json_odd_values),
		cmocka_unit_test(test_records),     cmocka_unit_test(test_record_after_rows),
		cmocka_unit_test(test_record_misuse_aborts),
		cmocka_unit_test(test_error_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
