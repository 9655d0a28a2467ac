/* The histogram slots of the BPF programs (src/bpf/log2.bpf.h), computed
 * here on the host: tr_log2_us_slot() against log2 of the division it
 * replaces, at every power of two and either side of every boundary. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <linux/types.h>
#include <stdint.h>

#include "bpf/log2.bpf.h"

static uint32_t slot_by_division(uint64_t ns, uint32_t nslots)
{
	uint64_t us = ns / 1000;
	uint32_t r = 0;

	while (us > 1) {
		us >>= 1;
		r++;
	}
	return r < nslots ? r : nslots - 1;
}

static void check(uint64_t ns)
{
	assert_int_equal(tr_log2_us_slot(ns, 32), slot_by_division(ns, 32));
	assert_int_equal(tr_log2_us_slot(ns, 64), slot_by_division(ns, 64));
}

static void test_us_slot_is_the_division(void **state)
{
	(void)state;
	for (uint64_t ns = 0; ns < 100000; ns++)
		check(ns);
	for (int b = 0; b < 64; b++) {
		uint64_t p = 1ULL << b;
		check(p);
		check(p - 1);
		check(p + 1);
		check(UINT64_MAX >> b);
	}
	/* the boundaries of microsecond slots: 1000 << k, either side */
	for (int k = 0; k < 54; k++) {
		uint64_t e = 1000ULL << k;
		check(e - 1);
		check(e);
		check(e + 1);
	}
}

static void test_slot_is_log2(void **state)
{
	(void)state;
	assert_int_equal(tr_log2_slot(0, 64), 0);
	assert_int_equal(tr_log2_slot(1, 64), 0);
	assert_int_equal(tr_log2_slot(2, 64), 1);
	assert_int_equal(tr_log2_slot(UINT64_MAX, 64), 63);
	assert_int_equal(tr_log2_slot(UINT64_MAX, 40), 39);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_us_slot_is_the_division),
		cmocka_unit_test(test_slot_is_log2),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
