/* trace_xmit_err_name (trace/format.c): what tcp_retransmit_skb's err is. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "trace/format.h"

#include <errno.h>

static void test_names(void **state)
{
	(void)state;
	char b[32];

	assert_string_equal(trace_xmit_err_name(b, sizeof(b), 0), "ok");
	assert_string_equal(trace_xmit_err_name(b, sizeof(b), 1), "NET_XMIT_DROP");
	assert_string_equal(trace_xmit_err_name(b, sizeof(b), 2), "NET_XMIT_CN");
	assert_string_equal(trace_xmit_err_name(b, sizeof(b), -EBUSY), "EBUSY");
	assert_string_equal(trace_xmit_err_name(b, sizeof(b), -ENOBUFS), "ENOBUFS");
	assert_string_equal(trace_xmit_err_name(b, sizeof(b), 3), "3");
	assert_string_equal(trace_xmit_err_name(b, sizeof(b), -99999), "-99999");
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_names) };
	return cmocka_run_group_tests(tests, NULL, NULL);
}
