/* The trimmed kernel BTF (trace/btfmin.c) from hand-built kernel BTF blobs:
 * a well-formed one is trimmed; malformed ones (a typedef of itself, a
 * typedef cycle, a pointer to itself, a chain of typedefs deeper than any
 * kernel's) are refused with an error instead of looping for ever or
 * overflowing the stack. The object is tcpsynbl's: its CO-RE relocations
 * read struct sock's __sk_common.skc_family and sk_protocol. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "bpf/tcpsynbl.h"
#include "bpf/tcpsynbl.skel.h"
#include "trace/btfmin.h"

#include <bpf/btf.h>
#include <errno.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

/* What goes where a member's type should be. */
enum shape {
	SHAPE_INT,        /* sk_protocol is a plain integer: well-formed */
	SHAPE_SELF,       /* sk_protocol's type is a typedef of itself */
	SHAPE_CYCLE,      /* __sk_common's type is typedef A -> typedef B -> A */
	SHAPE_PTR_SELF,   /* sk_protocol is a pointer to itself */
	SHAPE_DEEP,       /* sk_protocol: 200000 typedefs, then an integer */
};

/* The id the next type added to b gets. */
static int next_id(const struct btf *b)
{
	return (int)btf__type_cnt(b);
}

/* The type of sk_protocol for shape s, added to b. */
static int protocol_type(struct btf *b, enum shape s, int u16)
{
	int id = next_id(b);

	switch (s) {
	case SHAPE_SELF:
		return btf__add_typedef(b, "self_t", id);
	case SHAPE_PTR_SELF:
		return btf__add_ptr(b, id);
	case SHAPE_DEEP:
		for (int i = 0; i < 200000; i++)
			assert_true(btf__add_typedef(b, "deep_t", i ? id + i - 1 : u16) > 0);
		return id + 200000 - 1;
	default:
		return u16;
	}
}

/* A kernel BTF in a memfd; path names it. Returns the fd. */
static int kernel_btf(enum shape s, char *path, size_t size)
{
	struct btf *b = btf__new_empty();
	int u16, common, proto, fd;
	const void *raw;
	uint32_t len;

	assert_non_null(b);
	u16 = btf__add_int(b, "short unsigned int", 2, 0);
	common = btf__add_struct(b, "sock_common", 136);
	assert_int_equal(btf__add_field(b, "skc_family", u16, 128, 0), 0);
	if (s == SHAPE_CYCLE) {
		int a = next_id(b);

		assert_int_equal(btf__add_typedef(b, "cycle_a", a + 1), a);
		assert_int_equal(btf__add_typedef(b, "cycle_b", a), a + 1);
		common = a;
	}
	proto = protocol_type(b, s, u16);
	assert_true(proto > 0);
	assert_true(btf__add_struct(b, "sock", 784) > 0);
	assert_int_equal(btf__add_field(b, "__sk_common", common, 0, 0), 0);
	assert_int_equal(btf__add_field(b, "sk_protocol", proto, 4256, 0), 0);
	raw = btf__raw_data(b, &len);
	assert_non_null(raw);
	fd = memfd_create("test-btfmin", MFD_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, raw, len), (ssize_t)len);
	btf__free(b);
	snprintf(path, size, "/proc/self/fd/%d", fd);
	return fd;
}

/* trace_btf_trim() over the kernel BTF of shape s: its result, with any
 * memfd it returned closed. A hang is a failure too (SIGALRM). */
static int trim(enum shape s)
{
	struct tcpsynbl_bpf *skel = tcpsynbl_bpf__open();
	char path[64];
	size_t sz = 0;
	const void *elf = tcpsynbl_bpf__elf_bytes(&sz);
	int kfd, fd;

	assert_non_null(skel);
	kfd = kernel_btf(s, path, sizeof(path));
	alarm(20);
	fd = trace_btf_trim(skel->obj, elf, sz, path, NULL, 0);
	alarm(0);
	if (fd >= 0)
		close(fd);
	close(kfd);
	tcpsynbl_bpf__destroy(skel);
	return fd < 0 ? fd : 0;
}

static void test_well_formed(void **state)
{
	(void)state;
	assert_int_equal(trim(SHAPE_INT), 0);
}

static void test_typedef_of_itself(void **state)
{
	(void)state;
	assert_int_equal(trim(SHAPE_SELF), -ELOOP);
}

static void test_typedef_cycle(void **state)
{
	(void)state;
	assert_true(trim(SHAPE_CYCLE) < 0);
}

static void test_pointer_to_itself(void **state)
{
	(void)state;
	assert_int_equal(trim(SHAPE_PTR_SELF), -ELOOP);
}

static void test_deep_chain(void **state)
{
	(void)state;
	assert_int_equal(trim(SHAPE_DEEP), -ELOOP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_well_formed),
		cmocka_unit_test(test_typedef_of_itself),
		cmocka_unit_test(test_typedef_cycle),
		cmocka_unit_test(test_pointer_to_itself),
		cmocka_unit_test(test_deep_chain),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
