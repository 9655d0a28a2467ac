/* trace/ksyms.c: /proc/kallsyms parsing and address lookups, on fixture
 * files (unsorted, with data symbols, module symbols and zeroed addresses
 * as kptr_restrict shows them). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "trace/ksyms.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char path[64];

static void write_fixture(const char *text)
{
	int fd;

	strcpy(path, "/tmp/netlens-ksyms-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static const char kallsyms[] =
	"ffffffff81a00000 T kfree_skb_reason\n"
	"ffffffff81000000 T _stext\n"
	"ffffffff81900000 t tcp_v4_rcv\n"
	"ffffffff81950000 D some_data\n"
	"ffffffff81960000 b some_bss\n"
	"ffffffff81800000 W weak_fn\n"
	"ffffffffc0a01000 t nft_do_chain\t[nf_tables]\n"
	"ffffffff81100000 T bpf_trace_run4\n"
	"ffffffff81200000 T __traceiter_kfree_skb\n"
	"ffffffffc0000000 t bpf_prog_6deef7357e7b4530_skbdrop_btf\t[bpf]\n"
	"garbage line\n"
	"0000000000000000 T hidden\n";

static void test_lookup(void **state)
{
	(void)state;
	struct ksyms ks = { 0 };
	char b[128];

	write_fixture(kallsyms);
	assert_int_equal(ksyms_load(&ks, path), 0);
	unlink(path);
	assert_int_equal(ks.n, 8); /* text symbols with an address only */
	assert_string_equal(ksyms_str(&ks, 0xffffffff81900010ULL, b, sizeof(b)), "tcp_v4_rcv+0x10");
	assert_string_equal(ksyms_str(&ks, 0xffffffff81a00000ULL, b, sizeof(b)),
			    "kfree_skb_reason+0x0");
	/* data symbols do not end a function: still tcp_v4_rcv */
	assert_string_equal(ksyms_str(&ks, 0xffffffff81950008ULL, b, sizeof(b)),
			    "tcp_v4_rcv+0x50008");
	assert_string_equal(ksyms_str(&ks, 0xffffffff81800001ULL, b, sizeof(b)), "weak_fn+0x1");
	assert_string_equal(ksyms_str(&ks, 0xffffffffc0a01004ULL, b, sizeof(b)),
			    "nft_do_chain+0x4");
	/* before the first symbol, and 0: hex */
	assert_string_equal(ksyms_str(&ks, 0xffffffff80000000ULL, b, sizeof(b)),
			    "0xffffffff80000000");
	assert_string_equal(ksyms_str(&ks, 0, b, sizeof(b)), "0x0");
	/* a short buffer truncates, never overflows */
	assert_string_equal(ksyms_str(&ks, 0xffffffff81900010ULL, b, 6), "tcp_v");
	ksyms_free(&ks);
	assert_int_equal(ks.n, 0);
	assert_null(ks.v);
}

static void test_first_frame(void **state)
{
	(void)state;
	struct ksyms ks = { 0 };
	uint64_t stack[6] = { 0xffffffffc0000040ULL, 0xffffffff81100020ULL, 0xffffffff81200008ULL,
			      0xffffffff81a00010ULL, 0xffffffff81900100ULL, 0 };
	uint64_t machinery[3] = { 0xffffffffc0000040ULL, 0xffffffff81100020ULL, 0 };

	write_fixture(kallsyms);
	assert_int_equal(ksyms_load(&ks, path), 0);
	unlink(path);
	assert_int_equal(ksyms_first_frame(&ks, stack, 6), 3);
	assert_int_equal(ksyms_first_frame(&ks, stack + 3, 3), 0);
	/* nothing but machinery: the whole stack is shown */
	assert_int_equal(ksyms_first_frame(&ks, machinery, 3), 0);
	assert_int_equal(ksyms_first_frame(&ks, stack, 2), 0);
	ksyms_free(&ks);
}

static void test_restricted(void **state)
{
	(void)state;
	struct ksyms ks = { 0 };
	char b[64];

	/* kptr_restrict: every address reads 0 */
	write_fixture("0000000000000000 T _stext\n0000000000000000 t tcp_v4_rcv\n");
	assert_int_equal(ksyms_load(&ks, path), -ENODATA);
	unlink(path);
	assert_true(ks.loaded);
	assert_string_equal(ksyms_str(&ks, 0xffffffff81900010ULL, b, sizeof(b)),
			    "0xffffffff81900010");
	ksyms_free(&ks);
	assert_int_equal(ksyms_load(&ks, "/nonexistent/kallsyms"), -ENOENT);
	assert_string_equal(ksyms_str(&ks, 0x10, b, sizeof(b)), "0x10");
	ksyms_free(&ks);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_first_frame),
		cmocka_unit_test(test_restricted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
