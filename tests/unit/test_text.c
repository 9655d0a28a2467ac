/* text_escape: what reaches a terminal is one line of printable text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "base/text.h"

#include <string.h>

static void expect(const char *in, const char *want)
{
	struct strbuf sb;

	sb_init(&sb);
	text_escape(&sb, in);
	assert_string_equal(sb.buf ? sb.buf : "", want);
	assert_int_equal(text_is_clean(in), strcmp(in, want) == 0);
	sb_free(&sb);
}

static void test_escape(void **state)
{
	(void)state;
	expect("", "");
	expect("nginx: worker", "nginx: worker");
	expect("café ☕ 𝄞", "café ☕ 𝄞");		/* 2-, 3- and 4-byte UTF-8 pass */
	expect("a\nb", "a\\x0ab");			/* a new line would forge a row */
	expect("\x1b[2J", "\\x1b[2J");			/* no escape sequence reaches the tty */
	expect("tab\there\x7f", "tab\\x09here\\x7f");
	expect("\xc3", "\\xc3");			/* truncated sequence */
	expect("\xc0\xaf", "\\xc0\\xaf");		/* overlong '/' */
	expect("\xed\xa0\x80", "\\xed\\xa0\\x80");	/* surrogate */
	expect("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80"); /* above U+10FFFF */
	expect("ok\xff" "é", "ok\\xffé");		/* one bad byte, the rest kept */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
