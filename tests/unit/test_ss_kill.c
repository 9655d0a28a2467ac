/* What ss -K makes of each answer SOCK_DESTROY can give (ss_kill_judge):
 * the answers of a kernel built without CONFIG_INET_DIAG_DESTROY, of an
 * MPTCP socket and of a caller without CAP_NET_ADMIN cannot all be made
 * on the test machine, so the judgement is tested on its own; the
 * end-to-end tests (tests/e2e/test_ss_kill_events.py) cover the answers
 * this kernel gives. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "cmd/ss_run.h"

#include <errno.h>
#include <string.h>

static void test_closed_and_gone(void **state)
{
	char msg[256];

	(void)state;
	assert_int_equal(ss_kill_judge(SK_TCP, 0, msg, sizeof(msg)), SS_KILL_CLOSED);
	assert_string_equal(msg, "");
	assert_int_equal(ss_kill_judge(SK_UDP, -ENOENT, msg, sizeof(msg)), SS_KILL_GONE);
	assert_string_equal(msg, "");
}

static void test_kernel_without_destroy_stops_the_run(void **state)
{
	char msg[256];

	(void)state;
	assert_int_equal(ss_kill_judge(SK_TCP, -EOPNOTSUPP, msg, sizeof(msg)), SS_KILL_STOP);
	assert_non_null(strstr(msg, "cannot close TCP sockets"));
	assert_non_null(strstr(msg, "CONFIG_INET_DIAG_DESTROY (or lacks tcp_diag)"));
	ss_kill_judge(SK_UDP, -EOPNOTSUPP, msg, sizeof(msg));
	assert_non_null(strstr(msg, "(or lacks udp_diag)"));
	ss_kill_judge(SK_RAW, -EOPNOTSUPP, msg, sizeof(msg));
	assert_non_null(strstr(msg, "(or lacks raw_diag)"));
}

static void test_mptcp_ends_its_kind_only(void **state)
{
	char msg[256];

	(void)state;
	assert_int_equal(ss_kill_judge(SK_MPTCP, -EOPNOTSUPP, msg, sizeof(msg)), SS_KILL_KIND_FAILED);
	assert_non_null(strstr(msg, "close their TCP subflows instead"));
}

static void test_no_privilege_stops_the_run(void **state)
{
	char msg[256];

	(void)state;
	assert_int_equal(ss_kill_judge(SK_TCP, -EPERM, msg, sizeof(msg)), SS_KILL_STOP);
	assert_non_null(strstr(msg, "needs CAP_NET_ADMIN"));
	assert_int_equal(ss_kill_judge(SK_UDP, -EACCES, msg, sizeof(msg)), SS_KILL_STOP);
}

static void test_other_errors_fail_one_socket_by_name(void **state)
{
	char msg[256];

	(void)state;
	assert_int_equal(ss_kill_judge(SK_TCP, -EINVAL, msg, sizeof(msg)), SS_KILL_FAILED);
	assert_string_equal(msg, "EINVAL (Invalid argument)");
	/* a tiny buffer truncates, never overflows */
	assert_int_equal(ss_kill_judge(SK_TCP, -EOPNOTSUPP, msg, 8), SS_KILL_STOP);
	assert_int_equal(strlen(msg), 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_closed_and_gone),
		cmocka_unit_test(test_kernel_without_destroy_stops_the_run),
		cmocka_unit_test(test_mptcp_ends_its_kind_only),
		cmocka_unit_test(test_no_privilege_stops_the_run),
		cmocka_unit_test(test_other_errors_fail_one_socket_by_name),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
