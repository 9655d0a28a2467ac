/* trace_rows_merge() (trace/counts.c): rows of a table kept per CPU, sorted
 * with the CPU left out of the comparison, folded into one per key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "trace/trace.h"

#include <stdint.h>

struct row {
	uint32_t key;
	uint32_t cpu;
	uint64_t count;
};

static int cmp_key(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	return x->key < y->key ? -1 : x->key > y->key;
}

static void add(void *to, const void *from)
{
	((struct row *)to)->count += ((const struct row *)from)->count;
}

static void test_runs_fold_into_their_first(void **state)
{
	(void)state;
	struct row r[] = {
		{ 1, 0, 3 }, { 1, 1, 4 }, { 2, 1, 5 }, { 3, 0, 1 }, { 3, 1, 10 }, { 3, 2, 100 },
	};
	size_t n = trace_rows_merge(r, 6, sizeof(r[0]), cmp_key, add);

	assert_int_equal(n, 3);
	assert_int_equal(r[0].key, 1);
	assert_int_equal(r[0].count, 7);
	assert_int_equal(r[1].key, 2);
	assert_int_equal(r[1].count, 5);
	assert_int_equal(r[2].key, 3);
	assert_int_equal(r[2].count, 111);
}

static void test_nothing_to_fold(void **state)
{
	(void)state;
	struct row r[] = { { 1, 0, 1 }, { 2, 0, 2 } };

	assert_int_equal(trace_rows_merge(r, 2, sizeof(r[0]), cmp_key, add), 2);
	assert_int_equal(r[1].count, 2);
	assert_int_equal(trace_rows_merge(r, 0, sizeof(r[0]), cmp_key, add), 0);
	assert_int_equal(trace_rows_merge(NULL, 0, sizeof(r[0]), cmp_key, add), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_runs_fold_into_their_first),
		cmocka_unit_test(test_nothing_to_fold),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
