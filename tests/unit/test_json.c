/* The JSON writer: commas and nesting, escaping (controls, invalid UTF-8),
 * numbers (a non-finite double is null), and misuse that must abort. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "base/json.h"
#include "capture.h"
#include "base/strbuf.h"

#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static struct strbuf sb;
static struct json w;

static int setup(void **state)
{
	(void)state;
	sb_init(&sb);
	json_init(&w, &sb);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	sb_free(&sb);
	return 0;
}

static const char *out(void) { return sb.buf ? sb.buf : ""; }

static void test_nesting_and_commas(void **state)
{
	(void)state;
	json_obj_begin(&w);
	json_field_u64(&w, "a", 1);
	json_key(&w, "list");
	json_arr_begin(&w);
	json_u64(&w, 1);
	json_str(&w, "two");
	json_obj_begin(&w);
	json_obj_end(&w);
	json_arr_begin(&w);
	json_arr_end(&w);
	json_null(&w);
	json_arr_end(&w);
	json_key(&w, "o");
	json_obj_begin(&w);
	json_field_bool(&w, "t", true);
	json_field_bool(&w, "f", false);
	json_field_i64(&w, "neg", INT64_MIN);
	json_field_null(&w, "n");
	json_obj_end(&w);
	json_field_u64(&w, "max", UINT64_MAX);
	json_obj_end(&w);
	assert_string_equal(out(), "{\"a\":1,\"list\":[1,\"two\",{},[],null],"
				   "\"o\":{\"t\":true,\"f\":false,\"neg\":-9223372036854775808,\"n\":null},"
				   "\"max\":18446744073709551615}");
	assert_int_equal(w.depth, 0);
}

static void test_top_level_values(void **state)
{
	(void)state;
	json_str(&w, "x");
	assert_string_equal(out(), "\"x\"");
	sb_reset(&sb);
	json_init(&w, &sb);
	json_arr_begin(&w);
	json_arr_end(&w);
	assert_string_equal(out(), "[]");
}

static void test_prepared_keys(void **state)
{
	(void)state;
	struct strbuf k = STRBUF_INIT;

	json_key_quote(&k, "a\"b");
	assert_string_equal(k.buf, "\"a\\\"b\":");
	json_obj_begin(&w);
	json_key_quoted(&w, k.buf, k.len);
	json_number(&w, "1.5", 3);
	json_key_quoted(&w, k.buf, k.len);
	json_number(&w, "null", 4);
	json_obj_end(&w);
	assert_string_equal(out(), "{\"a\\\"b\":1.5,\"a\\\"b\":null}");
	sb_free(&k);
}

static char *quoted(const char *s)
{
	struct strbuf q = STRBUF_INIT;
	json_quote(&q, s);
	return q.buf;
}

static void test_escaping(void **state)
{
	(void)state;
	static const struct { const char *in, *want; } c[] = {
		{ "", "\"\"" },
		{ "plain", "\"plain\"" },
		{ "a\"b\\c", "\"a\\\"b\\\\c\"" },
		{ "\n\t\r\b\f\x01\x1f\x7f", "\"\\n\\t\\r\\u0008\\u000c\\u0001\\u001f\\u007f\"" },
		/* valid UTF-8 passes through: 2, 3 and 4 bytes, and the edges */
		{ "h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80", "\"h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80\"" },
		{ "\xc2\x80\xdf\xbf\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80\xf4\x8f\xbf\xbf",
		  "\"\xc2\x80\xdf\xbf\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80\xf4\x8f\xbf\xbf\"" },
		/* invalid UTF-8: one U+FFFD per bad byte, never the raw byte */
		{ "\xff", "\"\\ufffd\"" },
		{ "a\x80z", "\"a\\ufffdz\"" },
		{ "\xc3", "\"\\ufffd\"" },                         /* truncated at the end */
		{ "\xc3(", "\"\\ufffd(\"" },                       /* bad continuation */
		{ "\xc0\xaf", "\"\\ufffd\\ufffd\"" },              /* overlong '/' */
		{ "\xe0\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\"" },   /* overlong, 3 bytes */
		{ "\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"" },   /* a UTF-16 surrogate */
		{ "\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"" }, /* > U+10FFFF */
		{ "\xf5\x80", "\"\\ufffd\\ufffd\"" },
		{ "x\xe2\x82", "\"x\\ufffd\\ufffd\"" },
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		char *got = quoted(c[i].in);
		assert_string_equal(got, c[i].want);
		free(got);
	}
	/* every byte alone: only printable ASCII and nothing else comes out raw */
	for (int ch = 1; ch < 256; ch++) {
		char in[2] = { (char)ch, 0 };
		char *got = quoted(in);
		bool raw = ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\';
		assert_int_equal(strlen(got) == 3 && (unsigned char)got[1] == ch, raw);
		for (char *p = got; *p; p++)
			assert_true((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f);
		free(got);
	}
	/* keys are escaped too */
	json_obj_begin(&w);
	json_field_str(&w, "k\"\n", NULL);
	json_obj_end(&w);
	assert_string_equal(out(), "{\"k\\\"\\n\":\"\"}");
}

/* Short strings with something to escape at each offset, every control
 * byte alone, and long strings (the fast path's edges). */
static void test_escaping_runs(void **state)
{
	(void)state;
	static const struct { const char *in, *want; } c[] = {
		{ "", "\"\"" },
		{ "a\"b\\c\n\x01\x7f" "é", "\"a\\\"b\\\\c\\n\\u0001\\u007fé\"" },
		{ "\"", "\"\\\"\"" },
		{ "\\\\", "\"\\\\\\\\\"" },
		{ "\b\f\t\r\x1f", "\"\\u0008\\u000c\\t\\r\\u001f\"" },
		{ "ab\"", "\"ab\\\"\"" },
		{ "abc\"", "\"abc\\\"\"" },
		{ "abcd\"", "\"abcd\\\"\"" },
		{ "abcde\x02", "\"abcde\\u0002\"" },
		/* UTF-8 passes through; bytes that are not UTF-8 become U+FFFD */
		{ "h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80 \xff\x80", "\"h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80 \\ufffd\\ufffd\"" },
		{ "~ \x7e\x7f\x80", "\"~ ~\\u007f\\ufffd\"" },
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		char *got = quoted(c[i].in);
		assert_string_equal(got, c[i].want);
		free(got);
	}
	/* every control byte, alone and in a run */
	char in[2] = { 0, 0 }, want[16];
	for (int ch = 1; ch < 0x20; ch++) {
		in[0] = (char)ch;
		snprintf(want, sizeof(want), "\"\\u%04x\"", ch);
		if (ch == '\n' || ch == '\t' || ch == '\r')
			snprintf(want, sizeof(want), "\"\\%c\"", ch == '\n' ? 'n' : ch == '\t' ? 't' : 'r');
		char *got = quoted(in);
		assert_string_equal(got, want);
		free(got);
	}
	/* long strings: clean, and with something to escape at every offset */
	enum { LONG = 100000 };
	char *s = malloc(LONG + 1);
	memset(s, 'x', LONG);
	s[LONG] = '\0';
	char *got = quoted(s);
	assert_int_equal(strlen(got), LONG + 2);
	assert_int_equal(got[0], '"');
	assert_int_equal(got[LONG + 1], '"');
	assert_int_equal(strspn(got + 1, "x"), LONG);
	free(got);
	for (size_t at = LONG - 9; at < LONG; at++) {
		s[at] = '"';
		got = quoted(s);
		assert_int_equal(strlen(got), LONG + 3);
		assert_int_equal(got[at + 1], '\\');
		assert_int_equal(got[at + 2], '"');
		free(got);
		s[at] = 'x';
	}
	free(s);
}

static void test_doubles(void **state)
{
	(void)state;
	json_arr_begin(&w);
	json_double(&w, NAN);
	json_double(&w, -NAN);
	json_double(&w, INFINITY);
	json_double(&w, -INFINITY);
	json_double(&w, 0.1);
	json_double(&w, 1.0 / 3);
	json_double(&w, 1e300);
	json_double(&w, 42);
	json_double(&w, -0.0);
	json_fixed(&w, NAN, 3);
	json_fixed(&w, -INFINITY, 3);
	json_fixed(&w, 1.5, 3);
	json_fixed(&w, 2.0, 3);
	json_fixed(&w, -0.0001, 3);
	json_fixed(&w, 1700000005.123456, 6);
	json_fixed(&w, 0.5, 0);
	json_arr_end(&w);
	assert_string_equal(out(), "[null,null,null,null,0.1,0.3333333333333333,1e+300,42,-0,"
				   "null,null,1.5,2,0,1700000005.123456,0]");
	/* whatever comes out reads back as the same double */
	uint64_t r = 0x9E3779B97F4A7C15ull;
	for (int i = 0; i < 100000; i++) {
		double v;
		r ^= r << 13, r ^= r >> 7, r ^= r << 17;
		memcpy(&v, &r, sizeof(v));
		sb_reset(&sb);
		json_init(&w, &sb);
		json_double(&w, v);
		if (isfinite(v))
			assert_true(strtod(out(), NULL) == v);
		else
			assert_string_equal(out(), "null");
	}
}

/* Misuse is a bug in the caller: the writer aborts rather than print
 * invalid JSON. Each case runs in a child. */
static void misuse_value_without_key(void) { json_obj_begin(&w); json_u64(&w, 1); }
static void misuse_key_in_array(void) { json_arr_begin(&w); json_key(&w, "k"); }
static void misuse_key_at_top(void) { json_key(&w, "k"); }
static void misuse_two_keys(void) { json_obj_begin(&w); json_key(&w, "a"); json_key(&w, "b"); }
static void misuse_wrong_end(void) { json_obj_begin(&w); json_arr_end(&w); }
static void misuse_end_at_top(void) { json_obj_end(&w); }
static void misuse_end_after_key(void) { json_obj_begin(&w); json_key(&w, "a"); json_obj_end(&w); }
static void misuse_too_deep(void)
{
	for (int i = 0; i <= JSON_MAX_DEPTH; i++)
		json_arr_begin(&w);
}

static void test_misuse_aborts(void **state)
{
	(void)state;
	void (*const cases[])(void) = {
		misuse_value_without_key, misuse_key_in_array, misuse_key_at_top, misuse_two_keys,
		misuse_wrong_end,	  misuse_end_at_top,   misuse_end_after_key, misuse_too_deep,
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_true(capture_aborts(cases[i]));
	/* the deepest legal nesting is fine */
	for (int i = 0; i < JSON_MAX_DEPTH; i++)
		json_arr_begin(&w);
	for (int i = 0; i < JSON_MAX_DEPTH; i++)
		json_arr_end(&w);
	assert_int_equal(strlen(out()), 2 * JSON_MAX_DEPTH);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_nesting_and_commas, setup, teardown),
		cmocka_unit_test_setup_teardown(test_top_level_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prepared_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_escaping, setup, teardown),
		cmocka_unit_test_setup_teardown(test_escaping_runs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_doubles, setup, teardown),
		cmocka_unit_test_setup_teardown(test_misuse_aborts, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
