/* The symbol offsets gethostlatency's uprobes take (trace/ulibs.c), checked
 * against where this process's own libc has the functions, and the
 * resolver's code names (tracers/resolv_names.c). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* RTLD_NOLOAD */
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "trace/ulibs.h"
#include "tracers/resolv_names.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The file offset of runtime address a, from /proc/self/maps; the mapped
 * file's path into path. */
static uint64_t maps_offset(uintptr_t a, char *path, size_t cap)
{
	char line[512];
	uint64_t r = 0;
	FILE *f = fopen("/proc/self/maps", "r");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi, off;
		int pos = 0;
		if (sscanf(line, "%lx-%lx %*s %lx %*s %*s %n", &lo, &hi, &off, &pos) < 3 || !pos)
			continue;
		if (a >= lo && a < hi) {
			r = a - lo + off;
			snprintf(path, cap, "%s", line + pos);
			path[strcspn(path, "\n")] = '\0';
			break;
		}
	}
	fclose(f);
	return r;
}

static void test_offsets_match_the_mapping(void **state)
{
	static const struct ulib_func funcs[] = {
		{ "getaddrinfo", 0 }, { "gethostbyname_r", 1 }, { "no_such_function_here", 2 },
	};
	/* libc's own symbols, not a sanitizer's interceptors of them */
	void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
	uint64_t off[3] = { 1, 1, 1 }, want, want2;
	char path[512] = "", path2[512] = "";
	int fd;

	(void)state;
	assert_non_null(libc);
	want = maps_offset((uintptr_t)dlsym(libc, "getaddrinfo"), path, sizeof(path));
	want2 = maps_offset((uintptr_t)dlsym(libc, "gethostbyname_r"), path2, sizeof(path2));
	dlclose(libc);
	assert_true(want != 0 && path[0] == '/');
	assert_string_equal(path, path2);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(ulibs_elf_offsets(fd, funcs, 3, off), 0);
	close(fd);
	assert_int_equal(off[0], want);
	assert_int_equal(off[1], want2);
	assert_int_equal(off[2], 0);
}

static void test_not_elf(void **state)
{
	static const struct ulib_func funcs[] = { { "getaddrinfo", 0 } };
	uint64_t off[1];
	int fd = open("/proc/self/status", O_RDONLY);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(ulibs_elf_offsets(fd, funcs, 1, off), -ENOEXEC);
	close(fd);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(resolv_eai_name(EAI_NONAME), "EAI_NONAME");
	assert_string_equal(resolv_eai_name(EAI_AGAIN), "EAI_AGAIN");
	assert_string_equal(resolv_eai_name(EAI_FAIL), "EAI_FAIL");
	assert_string_equal(resolv_eai_name(EAI_SYSTEM), "EAI_SYSTEM");
	assert_string_equal(resolv_eai_name(EAI_NODATA), "EAI_NODATA");
	assert_string_equal(resolv_eai_name(EAI_IDN_ENCODE), "EAI_IDN_ENCODE");
	assert_null(resolv_eai_name(0));
	assert_null(resolv_eai_name(-13));
	assert_string_equal(resolv_herr_name(HOST_NOT_FOUND), "HOST_NOT_FOUND");
	assert_string_equal(resolv_herr_name(TRY_AGAIN), "TRY_AGAIN");
	assert_string_equal(resolv_herr_name(NO_RECOVERY), "NO_RECOVERY");
	assert_string_equal(resolv_herr_name(NO_DATA), "NO_DATA");
	assert_string_equal(resolv_herr_name(NETDB_INTERNAL), "NETDB_INTERNAL");
	assert_null(resolv_herr_name(0));
	assert_null(resolv_herr_name(5));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_offsets_match_the_mapping),
		cmocka_unit_test(test_not_elf),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
