/* Socket owners from /proc/PID/fd (sources/procfd.c): the link and stat
 * parsers, the table, a scan of a fake /proc tree made here, and a failed
 * scan that leaves nothing to free. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "sources/procfd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool inode_of(const char *link, uint64_t *ino)
{
	return procfd_socket_inode(link, strlen(link), ino);
}

static void test_links(void **state)
{
	uint64_t ino = 0;

	(void)state;
	assert_true(inode_of("socket:[12345]", &ino));
	assert_int_equal(ino, 12345);
	assert_true(inode_of("socket:[18446744073709551615]", &ino));
	assert_true(ino == UINT64_MAX);
	assert_false(inode_of("socket:[18446744073709551616]", &ino)); /* overflows */
	assert_false(inode_of("socket:[12", &ino));                    /* cut off */
	assert_false(inode_of("socket:[]", &ino));
	assert_false(inode_of("socket:[1x]", &ino));
	assert_false(inode_of("pipe:[12345]", &ino));
	assert_false(inode_of("/dev/null", &ino));
}

static void test_stat_comm(void **state)
{
	static const char stat[] = "42 (a (b) c) S 1 42";
	char out[64];

	(void)state;
	procfd_stat_comm(stat, strlen(stat), out, sizeof(out));
	assert_string_equal(out, "a (b) c");
	procfd_stat_comm(stat, 5, out, sizeof(out)); /* no ')' in the bytes given */
	assert_string_equal(out, "?");
	procfd_stat_comm("", 0, out, sizeof(out));
	assert_string_equal(out, "?");
}

static void test_scan_fake_proc(void **state)
{
	char root[] = "/tmp/netlens-procfd-XXXXXX", path[256];
	struct procfd_map m;
	const struct procfd_owner *o;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(root));
	snprintf(path, sizeof(path), "%s/77", root);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/77/fd", root);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/77/stat", root);
	assert_non_null(f = fopen(path, "w"));
	fputs("77 (web) server) S 1", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/77/fd/3", root);
	assert_int_equal(symlink("socket:[900]", path), 0);
	snprintf(path, sizeof(path), "%s/77/fd/4", root);
	assert_int_equal(symlink("socket:[9", path), 0);
	assert_int_equal(procfd_scan(&m, root), 0);
	o = procfd_lookup(&m, 900);
	assert_non_null(o);
	assert_int_equal(o->pid, 77);
	assert_int_equal(o->fd, 3);
	assert_string_equal(procfd_comm(&m, o), "web) server");
	assert_null(procfd_next(&m, o));
	assert_null(procfd_lookup(&m, 9));
	procfd_free(&m);
	snprintf(path, sizeof(path), "rm -rf '%s'", root);
	assert_int_equal(system(path), 0);
}

/* A scan that fails holds nothing: callers do not free it (ss did not). */
static void test_failed_scan_holds_nothing(void **state)
{
	struct procfd_map m;

	(void)state;
	assert_int_equal(procfd_scan(&m, "/nonexistent/proc"), -ENOENT);
	assert_null(m.slots);
	assert_null(m.owners);
	assert_null(m.pool);
}

static void test_add_in_order(void **state)
{
	struct procfd_map m;
	const struct procfd_owner *o;

	(void)state;
	procfd_init(&m);
	assert_int_equal(procfd_add(&m, 5, 1, 10, "one"), 0);
	assert_int_equal(procfd_add(&m, 5, 2, 20, "two"), 0);
	assert_int_equal(procfd_add(&m, 6, 2, 21, "two"), 0);
	o = procfd_lookup(&m, 5);
	assert_string_equal(procfd_comm(&m, o), "one");
	o = procfd_next(&m, o);
	assert_int_equal(o->fd, 20);
	assert_string_equal(procfd_comm(&m, o), "two");
	assert_string_equal(procfd_comm(&m, procfd_lookup(&m, 6)), "two");
	assert_int_equal(m.pool_len, strlen("one") + strlen("two") + 2); /* one copy per process */
	procfd_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_links),
		cmocka_unit_test(test_stat_comm),
		cmocka_unit_test(test_scan_fake_proc),
		cmocka_unit_test(test_failed_scan_holds_nothing),
		cmocka_unit_test(test_add_in_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
