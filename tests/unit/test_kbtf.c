/* The kernel BTF walked in place (trace/kbtf.c) and the enum reader built on
 * it, against libbpf's own parse of the same file, and against damaged
 * copies: truncated, wrong magic, a kind this code does not know, a string
 * section without its final NUL. Skipped where the kernel has no BTF. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "trace/kbtf.h"
#include "tracers/btfenum_util.h"

#include <bpf/btf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define VMLINUX "/sys/kernel/btf/vmlinux"

static int count_type(void *arg, uint32_t id, const struct btf_type *t, uint32_t pos)
{
	uint32_t *n = arg;

	(void)t;
	(void)pos;
	assert_int_equal(id, *n + 1);
	*n = id;
	return 0;
}

static void test_walk_matches_libbpf(void **state)
{
	struct kbtf k;
	struct btf *b;
	uint32_t n = 0;

	(void)state;
	if (access(VMLINUX, R_OK))
		skip();
	assert_int_equal(kbtf_open(&k, NULL), 0);
	assert_int_equal(kbtf_walk(&k, count_type, &n), 0);
	b = btf__parse(VMLINUX, NULL);
	assert_non_null(b);
	assert_int_equal(n + 1, btf__type_cnt(b));
	/* names come out the same through both */
	for (uint32_t id = 1; id < btf__type_cnt(b); id += 997) {
		const struct btf_type *t = btf__type_by_id(b, id);
		const char *mine = kbtf_str(&k, t->name_off);
		assert_non_null(mine);
		assert_string_equal(mine, btf__name_by_offset(b, t->name_off));
	}
	assert_null(kbtf_str(&k, k.strs_len));
	btf__free(b);
	kbtf_close(&k);
}

static void test_enum_matches_libbpf(void **state)
{
	struct btfenum_names e;
	struct btf *b;
	const struct btf_type *t;
	int id;
	long long v;

	(void)state;
	if (access(VMLINUX, R_OK))
		skip();
	b = btf__parse(VMLINUX, NULL);
	assert_non_null(b);
	id = btf__find_by_name_kind(b, "tcp_ca_state", BTF_KIND_ENUM);
	if (id < 0) {
		btf__free(b);
		skip();
	}
	t = btf__type_by_id(b, (uint32_t)id);
	assert_int_equal(btfenum_load("tcp_ca_state", "TCP_CA_", &e), 0);
	assert_int_equal(e.n, btf_vlen(t));
	for (size_t i = 0; i < e.n; i++) {
		const struct btf_enum *en = btf_enum(t) + i;
		const char *full = btf__name_by_offset(b, en->name_off);
		assert_string_equal(e.names[i], full + strlen("TCP_CA_"));
		assert_int_equal(e.vals[i], en->val);
	}
	assert_string_equal(btfenum_name(&e, 4), "Loss");
	assert_true(btfenum_value(&e, "Open", &v));
	assert_false(btfenum_value(&e, "TCP_CA_Open", &v));
	assert_int_equal(v, 0);
	btfenum_free(&e);
	assert_int_equal(btfenum_load("no_such_enum_in_any_kernel", "", &e), -ENOENT);
	assert_int_equal(e.n, 0);
	btf__free(b);
}

/* A copy of the kernel BTF with `edit` applied, opened and walked. */
static int open_edited(void (*edit)(uint8_t *buf, size_t *len))
{
	static uint8_t *buf;
	char path[] = "/tmp/netlens-kbtf-XXXXXX";
	struct kbtf k;
	size_t len;
	FILE *f = fopen(VMLINUX, "rb");
	int fd, err;
	uint32_t n = 0;

	assert_non_null(f);
	buf = realloc(buf, 16 << 20);
	assert_non_null(buf);
	len = fread(buf, 1, 16 << 20, f);
	fclose(f);
	edit(buf, &len);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	close(fd);
	err = kbtf_open(&k, path);
	unlink(path);
	if (err == 0) {
		err = kbtf_walk(&k, count_type, &n);
		kbtf_close(&k);
	}
	free(buf);
	buf = NULL;
	return err;
}

static struct btf_header *hdr(uint8_t *buf) { return (struct btf_header *)buf; }

static void cut_header(uint8_t *buf, size_t *len) { (void)buf; *len = 10; }
static void bad_magic(uint8_t *buf, size_t *len) { (void)len; hdr(buf)->magic = 0x1234; }
static void cut_types(uint8_t *buf, size_t *len)
{
	/* the type section ends mid-type; the string section is moved out of
	 * the way so only the walk can notice */
	struct btf_header *h = hdr(buf);
	(void)len;
	h->type_len -= 2;
}
static void unknown_kind(uint8_t *buf, size_t *len)
{
	struct btf_header *h = hdr(buf);
	struct btf_type *t = (struct btf_type *)(buf + h->hdr_len + h->type_off);
	(void)len;
	t->info = (t->info & ~(0x1fU << 24)) | (31U << 24);
}
static void no_final_nul(uint8_t *buf, size_t *len)
{
	struct btf_header *h = hdr(buf);
	(void)len;
	buf[h->hdr_len + h->str_off + h->str_len - 1] = 'x';
}
static void cut_file(uint8_t *buf, size_t *len) { (void)buf; *len /= 2; }

static void test_damaged_copies(void **state)
{
	(void)state;
	if (access(VMLINUX, R_OK))
		skip();
	assert_int_equal(open_edited(cut_header), -EINVAL);
	assert_int_equal(open_edited(bad_magic), -EINVAL);
	assert_int_equal(open_edited(cut_types), -EINVAL);
	assert_int_equal(open_edited(unknown_kind), -EOPNOTSUPP);
	assert_int_equal(open_edited(no_final_nul), -EINVAL);
	assert_int_equal(open_edited(cut_file), -EINVAL);
	{
		struct kbtf k;
		assert_int_equal(kbtf_open(&k, "/nonexistent/btf"), -ENOENT);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_walk_matches_libbpf),
		cmocka_unit_test(test_enum_matches_libbpf),
		cmocka_unit_test(test_damaged_copies),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
