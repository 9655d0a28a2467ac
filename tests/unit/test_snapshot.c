/* Snapshot files: round trip, and every kind of damage rejected with the
 * message that names it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "sources/snapshot.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A small snapshot in memory: two files, a dump, a meta, over two samples. */
static unsigned char *make(size_t *len)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);
	struct snap_writer w;
	unsigned char key[8];

	assert_int_equal(snap_begin(&w, f, 1234567890123ull), 0);
	assert_int_equal(snap_add(&w, SNAP_META, 0, "kernel", 6, "6.18", 4), 0);
	assert_int_equal(snap_add(&w, SNAP_FILE, 0, "/proc/net/snmp", 14, "Ip: a b\nIp: 1 2\n", 16), 0);
	assert_int_equal(snap_add(&w, SNAP_FILE, 1, "/proc/net/snmp", 14, "Ip: a b\nIp: 3 4\n", 16), 0);
	snap_dump_key(key, 4, 20, 2, 6);
	assert_int_equal(snap_add(&w, SNAP_NLDUMP, 0, key, 8, "\x01\x02\x03", 3), 0);
	assert_int_equal(snap_add(&w, SNAP_FILE, 0, "/empty", 6, "", 0), 0);
	assert_int_equal(snap_finish(&w), 0);
	fclose(f);
	*len = n;
	return (unsigned char *)buf;
}

static int parse_copy(const unsigned char *src, size_t len, char *err, size_t errlen)
{
	struct snapshot s;
	unsigned char *copy = malloc(len ? len : 1);
	memcpy(copy, src, len);
	int r = snap_parse(&s, copy, len, err, errlen);
	snap_close(&s); /* frees copy */
	return r;
}

static void test_round_trip(void **state)
{
	(void)state;
	size_t len;
	unsigned char *b = make(&len);
	struct snapshot s;
	char err[256];
	unsigned char key[8];

	assert_int_equal(len % 8, 0);
	assert_int_equal(snap_parse(&s, b, len, err, sizeof(err)), 0);
	assert_int_equal(s.created_ns, 1234567890123ull);
	assert_int_equal(s.nrecs, 5);
	const struct snap_rec *r = snap_find(&s, SNAP_FILE, 1, "/proc/net/snmp", 14);
	assert_non_null(r);
	assert_memory_equal(r->data, "Ip: a b\nIp: 3 4\n", 16);
	assert_null(snap_find(&s, SNAP_FILE, 1, "/proc/net/snmp6", 15));
	snap_dump_key(key, 4, 20, 2, 6);
	r = snap_find(&s, SNAP_NLDUMP, 0, key, 8);
	assert_non_null(r);
	assert_int_equal(r->data_len, 3);
	r = snap_find(&s, SNAP_FILE, 0, "/empty", 6);
	assert_non_null(r);
	assert_int_equal(r->data_len, 0);
	snap_close(&s);
}

static void test_every_truncation_rejected(void **state)
{
	(void)state;
	size_t len;
	unsigned char *b = make(&len);
	char err[256];

	for (size_t cut = 0; cut < len; cut++) {
		int r = parse_copy(b, cut, err, sizeof(err));
		assert_true(r < 0);
		assert_true(strstr(err, "truncated") || strstr(err, "magic") || strstr(err, "checksum") ||
			    strstr(err, "header") || strstr(err, "corrupt"));
	}
	free(b);
}

static void test_every_bit_flip_rejected(void **state)
{
	(void)state;
	size_t len;
	unsigned char *b = make(&len);
	char err[256];

	for (size_t i = 0; i < len; i++)
		for (int bit = 0; bit < 8; bit++) {
			b[i] ^= (unsigned char)(1 << bit);
			int r = parse_copy(b, len, err, sizeof(err));
			b[i] ^= (unsigned char)(1 << bit);
			/* a flip in the zero padding changes no field, but the checksum */
			assert_true(r < 0);
		}
	free(b);
}

static void test_named_failures(void **state)
{
	(void)state;
	size_t len;
	unsigned char *b = make(&len);
	char err[256];

	b[8] = 2; /* version */
	assert_int_equal(parse_copy(b, len, err, sizeof(err)), -EPROTONOSUPPORT);
	assert_non_null(strstr(err, "version 2 is not supported"));
	b[8] = 1;
	/* first record's data length: oversized */
	b[24 + 12] = 0xff, b[24 + 13] = 0xff, b[24 + 14] = 0xff, b[24 + 15] = 0x7f;
	assert_int_equal(parse_copy(b, len, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "claims"));
	free(b);
	b = make(&len);
	memcpy(b, "NOTSNAP!", 8);
	assert_int_equal(parse_copy(b, len, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "bad magic"));
	free(b);
	b = make(&len);
	unsigned char *longer = calloc(1, len + 8);
	memcpy(longer, b, len);
	assert_int_equal(parse_copy(longer, len + 8, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "stray bytes"));
	free(longer);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_every_truncation_rejected),
		cmocka_unit_test(test_every_bit_flip_rejected),
		cmocka_unit_test(test_named_failures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
