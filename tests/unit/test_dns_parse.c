/* DNS message parsing (tracers/dns_parse.c): questions, answers with
 * compression, and what damaged or hostile messages come out as: pointer
 * loops and forward pointers, names running off the copy, labels with dots
 * and unprintable bytes, over-long names, truncated answers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "tracers/dns_parse.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

struct buf {
	uint8_t b[2048];
	size_t n;
};

static void put(struct buf *m, const void *p, size_t n)
{
	memcpy(m->b + m->n, p, n);
	m->n += n;
}

static void put16(struct buf *m, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };
	put(m, b, 2);
}

static void put_name(struct buf *m, const char *name)
{
	while (*name) {
		const char *dot = strchr(name, '.');
		size_t l = dot ? (size_t)(dot - name) : strlen(name);
		uint8_t lb = (uint8_t)l;
		put(m, &lb, 1);
		put(m, name, l);
		name += l + (dot ? 1 : 0);
	}
	put(m, "", 1);
}

static void header(struct buf *m, uint16_t id, uint16_t flags, uint16_t qd, uint16_t an)
{
	m->n = 0;
	put16(m, id);
	put16(m, flags);
	put16(m, qd);
	put16(m, an);
	put16(m, 0);
	put16(m, 0);
}

static void answer_a(struct buf *m, uint16_t type, const uint8_t *addr, uint16_t len)
{
	put16(m, 0xc00c); /* the question's name */
	put16(m, type);
	put16(m, 1);
	put16(m, 0);
	put16(m, 60);
	put16(m, len);
	put(m, addr, len);
}

static void test_query(void **state)
{
	(void)state;
	struct buf m;
	struct dns_msg d;

	header(&m, 0x1234, 0x0100, 1, 0);
	put_name(&m, "www.example.com");
	put16(&m, 28);
	put16(&m, 1);
	assert_int_equal(dns_parse(m.b, m.n, &d), 0);
	assert_int_equal(d.id, 0x1234);
	assert_false(d.qr);
	assert_true(d.has_question);
	assert_string_equal(d.name, "www.example.com");
	assert_int_equal(d.qtype, 28);
	assert_string_equal(dns_type_name(d.qtype), "AAAA");
	assert_false(d.partial);
}

static void test_answer_with_compression(void **state)
{
	(void)state;
	struct buf m;
	struct dns_msg d;
	const uint8_t a1[4] = { 192, 0, 2, 1 }, a2[4] = { 192, 0, 2, 2 };
	uint8_t a6[16] = { 0x20, 0x01, 0x0d, 0xb8 };

	a6[15] = 1;
	header(&m, 7, 0x8183, 1, 7); /* NXDOMAIN flags, answers all the same */
	put_name(&m, "fast.test");
	put16(&m, 1);
	put16(&m, 1);
	/* a CNAME first: not an address */
	put16(&m, 0xc00c);
	put16(&m, 5);
	put16(&m, 1);
	put16(&m, 0);
	put16(&m, 60);
	put16(&m, 2);
	put16(&m, 0xc00c);
	answer_a(&m, 1, a1, 4);
	answer_a(&m, 28, a6, 16);
	answer_a(&m, 1, a2, 4);
	answer_a(&m, 1, a2, 4);
	answer_a(&m, 1, a2, 4);
	answer_a(&m, 1, a1, 3); /* A with a bad length: not an address */
	assert_int_equal(dns_parse(m.b, m.n, &d), 0);
	assert_true(d.qr);
	assert_int_equal(d.rcode, 3);
	assert_string_equal(dns_rcode_name(d.rcode), "NXDOMAIN");
	assert_int_equal(d.ancount, 7);
	assert_int_equal(d.naddrs, DNS_MAX_ADDRS);
	assert_int_equal(d.naddrs_total, 5);
	assert_int_equal(d.addrs[0].family, AF_INET);
	assert_memory_equal(d.addrs[0].addr, a1, 4);
	assert_int_equal(d.addrs[1].family, AF_INET6);
	assert_memory_equal(d.addrs[1].addr, a6, 16);
	assert_false(d.partial);

	/* cut in the middle of the answers: the question and the first ones */
	assert_int_equal(dns_parse(m.b, m.n - 20, &d), 0);
	assert_true(d.partial);
	assert_string_equal(d.name, "fast.test");
	assert_int_equal(d.naddrs_total, 4);
	/* cut in the question: not a message */
	assert_int_equal(dns_parse(m.b, 16, &d), -1);
	assert_int_equal(dns_parse(m.b, 11, &d), -1);
	assert_int_equal(dns_parse(NULL, 0, &d), -1);
}

static void test_pointer_loops_refused(void **state)
{
	(void)state;
	struct buf m;
	struct dns_msg d;

	/* the question's name points at itself */
	header(&m, 1, 0x0100, 1, 0);
	put16(&m, 0xc00c);
	put16(&m, 1);
	put16(&m, 1);
	assert_int_equal(dns_parse(m.b, m.n, &d), -1);
	/* a forward pointer */
	header(&m, 1, 0x0100, 1, 0);
	put16(&m, 0xc010);
	put16(&m, 1);
	put16(&m, 1);
	put_name(&m, "a");
	assert_int_equal(dns_parse(m.b, m.n, &d), -1);
	/* an answer whose name is two pointers at each other */
	header(&m, 1, 0x8100, 1, 1);
	put_name(&m, "x");
	put16(&m, 1);
	put16(&m, 1);
	size_t at = m.n;
	put16(&m, (uint16_t)(0xc000 | (at + 2)));
	put16(&m, (uint16_t)(0xc000 | at));
	assert_int_equal(dns_parse(m.b, m.n, &d), 0);
	assert_true(d.partial);
	assert_string_equal(d.name, "x");
	/* a pointer past the end */
	header(&m, 1, 0x0100, 1, 0);
	put16(&m, 0xc3ff);
	assert_int_equal(dns_parse(m.b, m.n, &d), -1);
	/* reserved label types */
	header(&m, 1, 0x0100, 1, 0);
	put(&m, "\x41", 1);
	put_name(&m, "a");
	put16(&m, 1);
	put16(&m, 1);
	assert_int_equal(dns_parse(m.b, m.n, &d), -1);
}

static void test_names_escaped_and_bounded(void **state)
{
	(void)state;
	struct buf m;
	struct dns_msg d;

	header(&m, 1, 0x0100, 1, 0);
	put(&m, "\x05" "a.b\\\x01" "\x01" "c\x00", 9);
	put16(&m, 12);
	put16(&m, 1);
	assert_int_equal(dns_parse(m.b, m.n, &d), 0);
	assert_string_equal(d.name, "a\\046b\\092\\001.c");
	assert_string_equal(dns_type_name(d.qtype), "PTR");

	/* the root */
	header(&m, 1, 0x0100, 1, 0);
	put(&m, "", 1);
	put16(&m, 2);
	put16(&m, 1);
	assert_int_equal(dns_parse(m.b, m.n, &d), 0);
	assert_string_equal(d.name, ".");

	/* longer than 255 bytes on the wire: refused */
	header(&m, 1, 0x0100, 1, 0);
	for (int i = 0; i < 5; i++) {
		uint8_t l = 63, lab[63];
		memset(lab, 0xff, sizeof(lab));
		put(&m, &l, 1);
		put(&m, lab, 63);
	}
	put(&m, "", 1);
	put16(&m, 1);
	put16(&m, 1);
	assert_int_equal(dns_parse(m.b, m.n, &d), -1);

	/* 4 labels of 63 unprintable bytes: 1016 characters escaped, fits */
	header(&m, 1, 0x0100, 1, 0);
	for (int i = 0; i < 4; i++) {
		uint8_t l = 62, lab[62];
		memset(lab, 0xff, sizeof(lab));
		put(&m, &l, 1);
		put(&m, lab, 62);
	}
	put(&m, "", 1);
	put16(&m, 1);
	put16(&m, 1);
	assert_int_equal(dns_parse(m.b, m.n, &d), 0);
	assert_int_equal(strlen(d.name), 4 * 62 * 4 + 3);
}

static void test_names_of_numbers(void **state)
{
	(void)state;
	char b[16];

	assert_string_equal(dns_type_str(65, b, sizeof(b)), "HTTPS");
	assert_string_equal(dns_type_str(15, b, sizeof(b)), "MX");
	assert_string_equal(dns_type_str(65280, b, sizeof(b)), "TYPE65280");
	assert_string_equal(dns_rcode_str(2, b, sizeof(b)), "SERVFAIL");
	assert_string_equal(dns_rcode_str(5, b, sizeof(b)), "REFUSED");
	assert_string_equal(dns_rcode_str(12, b, sizeof(b)), "RCODE12");
}

static void test_random_bytes_never_crash(void **state)
{
	(void)state;
	uint8_t b[600];
	struct dns_msg d;

	srand(13);
	for (int i = 0; i < 20000; i++) {
		size_t n = (size_t)rand() % sizeof(b);
		for (size_t j = 0; j < n; j++)
			b[j] = (uint8_t)rand();
		if (n > 5 && rand() % 2)
			b[4] = 0, b[5] = 1; /* one question */
		if (dns_parse(b, n, &d) == 0 && d.has_question)
			assert_true(strlen(d.name) < DNS_NAME_MAX);
		assert_true(d.naddrs <= DNS_MAX_ADDRS);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_query),
		cmocka_unit_test(test_answer_with_compression),
		cmocka_unit_test(test_pointer_loops_refused),
		cmocka_unit_test(test_names_escaped_and_bounded),
		cmocka_unit_test(test_names_of_numbers),
		cmocka_unit_test(test_random_bytes_never_crash),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
