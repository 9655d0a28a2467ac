/* trace/features.c: probes read the kernel BTF; on fixture BTFs (written
 * with libbpf's BTF writer) with and without the type that marks the
 * feature, and on a missing or broken file (the probe then says no, the
 * choice that works everywhere). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "trace/features.h"
#include "trace/kbtf.h"

#include <bpf/btf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char path[64];

/* A BTF file with an int, a struct `name` (or none) and a function
 * `fn_name` (a name alone must not count). */
static void write_btf(const char *name, const char *fn_name)
{
	struct btf *b = btf__new_empty();
	const void *raw;
	__u32 sz;
	int fd, i;

	assert_non_null(b);
	i = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	assert_true(i > 0);
	if (name) {
		assert_true(btf__add_struct(b, name, 4) > 0);
		assert_int_equal(btf__add_field(b, "x", i, 0, 0), 0);
	}
	if (fn_name) {
		int proto = btf__add_func_proto(b, i);
		assert_true(proto > 0);
		assert_true(btf__add_func(b, fn_name, BTF_FUNC_GLOBAL, proto) > 0);
	}
	raw = btf__raw_data(b, &sz);
	assert_non_null(raw);
	strcpy(path, "/tmp/netlens-feat-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, raw, sz), (ssize_t)sz);
	close(fd);
	btf__free(b);
}

static void test_runtime_hash(void **state)
{
	(void)state;
	write_btf("bpf_mem_alloc", NULL);
	assert_true(trace_feat_tracing_runtime_hash(path));
	unlink(path);
	/* the allocator's functions came with it: they mark it too */
	write_btf("bpf_htab", "bpf_mem_alloc");
	assert_true(trace_feat_tracing_runtime_hash(path));
	unlink(path);
	/* before 6.1: neither; a longer name that contains it does not count */
	write_btf("bpf_htab", "bpf_mem_alloc_init");
	assert_false(trace_feat_tracing_runtime_hash(path));
	unlink(path);
	write_btf("xbpf_mem_alloc", NULL);
	assert_false(trace_feat_tracing_runtime_hash(path));
	unlink(path);
	write_btf(NULL, NULL);
	assert_false(trace_feat_tracing_runtime_hash(path));
	unlink(path);
}

static void test_unreadable(void **state)
{
	(void)state;
	FILE *f;

	assert_false(trace_feat_tracing_runtime_hash("/nonexistent/vmlinux"));
	strcpy(path, "/tmp/netlens-feat-XXXXXX");
	close(mkstemp(path));
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("not BTF at all", f);
	fclose(f);
	assert_false(trace_feat_tracing_runtime_hash(path));
	unlink(path);
}

static void test_kbtf_find(void **state)
{
	(void)state;
	struct kbtf k;

	write_btf("bpf_mem_alloc", "some_fn");
	assert_int_equal(kbtf_open(&k, path), 0);
	unlink(path);
	assert_int_equal(kbtf_find(&k, BTF_KIND_INT, "int"), 1);
	assert_int_equal(kbtf_find(&k, BTF_KIND_STRUCT, "bpf_mem_alloc"), 2);
	assert_int_equal(kbtf_find(&k, BTF_KIND_FUNC, "some_fn"), 4);
	assert_int_equal(kbtf_find(&k, BTF_KIND_STRUCT, "some_fn"), -ENOENT);
	assert_int_equal(kbtf_find(&k, BTF_KIND_STRUCT, "bpf_mem"), -ENOENT);
	assert_true(kbtf_has_str(&k, "bpf_mem_alloc"));
	assert_true(kbtf_has_str(&k, "int"));
	assert_false(kbtf_has_str(&k, "bpf_mem"));
	assert_false(kbtf_has_str(&k, "mem_alloc"));
	kbtf_close(&k);
}

/* The running kernel (6.1 or later here): the probe says yes, and what it
 * costs each tracer start. */
static void test_running_kernel(void **state)
{
	(void)state;
	struct timespec a, b;

	if (access("/sys/kernel/btf/vmlinux", R_OK) != 0)
		skip();
	clock_gettime(CLOCK_MONOTONIC, &a);
	assert_true(trace_feat_tracing_runtime_hash(NULL));
	clock_gettime(CLOCK_MONOTONIC, &b);
	fprintf(stderr, "probe: %.2f ms\n",
		(double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_runtime_hash),
		cmocka_unit_test(test_unreadable),
		cmocka_unit_test(test_kbtf_find),
		cmocka_unit_test(test_running_kernel),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
