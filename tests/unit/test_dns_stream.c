/* DNS over TCP put back together from sends (tracers/dns_stream.c): a
 * length and its message apart, a message over many sends, several in
 * one, bytes the kernel did not copy, lengths lost in a gap, the table's
 * bounds and sweep, and random cuts of a random stream. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "tracers/dns_stream.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* What the callback saw. */
struct seen {
	int n;
	size_t len[64];
	uint8_t msg[64][DNS_COPY_MAX];
};

static void on_msg(void *arg, const struct dnssnoop_event *e, const uint8_t *msg, size_t len)
{
	struct seen *s = arg;

	(void)e;
	assert_true(s->n < 64);
	assert_true(len <= DNS_COPY_MAX);
	s->len[s->n] = len;
	memcpy(s->msg[s->n], msg, len);
	s->n++;
}

static struct dnssnoop_event ev; /* too large for the stack of every test */

/* Sends bytes b[0..paylen) on flow (sport -> 53), of which the first
 * caplen were copied, at time ts. */
static void send_part(struct dns_streams *d, struct seen *s, const uint8_t *b, size_t paylen,
		      size_t caplen, uint16_t sport, uint64_t ts)
{
	memset(&ev, 0, sizeof(ev));
	ev.h.ts_ns = ts;
	ev.t.family = AF_INET;
	ev.t.saddr[0] = 127, ev.t.saddr[3] = 1;
	ev.t.daddr[0] = 127, ev.t.daddr[3] = 1;
	ev.t.sport = sport;
	ev.t.dport = 53;
	ev.proto = 6;
	ev.paylen = (uint16_t)(paylen > 0xffff ? 0xffff : paylen);
	ev.caplen = (uint16_t)(caplen > DNS_COPY_MAX ? DNS_COPY_MAX : caplen);
	memcpy(ev.data, b, ev.caplen);
	dns_streams_feed(d, &ev, on_msg, s);
}

static void send_all(struct dns_streams *d, struct seen *s, const uint8_t *b, size_t n)
{
	send_part(d, s, b, n, n, 40000, 1);
}

/* A message of n bytes (n >= 12) with its length before it, at out;
 * returns n + 2. Byte i of the message is (seed + i) & 0xff. */
static size_t framed(uint8_t *out, size_t n, unsigned seed)
{
	out[0] = (uint8_t)(n >> 8);
	out[1] = (uint8_t)n;
	for (size_t i = 0; i < n; i++)
		out[2 + i] = (uint8_t)(seed + i);
	return n + 2;
}

static void assert_msg(const struct seen *s, int i, size_t n, unsigned seed)
{
	size_t kept = n < DNS_COPY_MAX ? n : DNS_COPY_MAX;

	assert_int_equal(s->len[i], kept);
	for (size_t j = 0; j < kept; j++)
		assert_int_equal(s->msg[i][j], (uint8_t)(seed + j));
}

static void test_whole_and_apart(void **state)
{
	(void)state;
	struct dns_streams *d = dns_streams_new();
	struct seen s = { 0 };
	uint8_t b[200];
	size_t n = framed(b, 40, 7);

	send_all(d, &s, b, n); /* length and message at once */
	assert_int_equal(s.n, 1);
	assert_msg(&s, 0, 40, 7);
	send_all(d, &s, b, 2); /* the length alone: nothing yet */
	assert_int_equal(s.n, 1);
	send_all(d, &s, b + 2, 20); /* half the message */
	assert_int_equal(s.n, 1);
	send_all(d, &s, b + 22, n - 22);
	assert_int_equal(s.n, 2);
	assert_msg(&s, 1, 40, 7);
	for (size_t i = 0; i < n; i++) /* a byte a send */
		send_all(d, &s, b + i, 1);
	assert_int_equal(s.n, 3);
	assert_msg(&s, 2, 40, 7);
	dns_streams_free(d);
}

static void test_several_in_one_send(void **state)
{
	(void)state;
	struct dns_streams *d = dns_streams_new();
	struct seen s = { 0 };
	uint8_t b[400];
	size_t n = framed(b, 30, 1);

	n += framed(b + n, 50, 2);
	n += framed(b + n, 12, 3);
	send_part(d, &s, b, n - 5, n - 5, 40000, 1); /* the third's end in the next */
	assert_int_equal(s.n, 2);
	send_all(d, &s, b + n - 5, 5);
	assert_int_equal(s.n, 3);
	assert_msg(&s, 0, 30, 1);
	assert_msg(&s, 1, 50, 2);
	assert_msg(&s, 2, 12, 3);
	dns_streams_free(d);
}

static void test_bytes_not_copied(void **state)
{
	(void)state;
	struct dns_streams *d = dns_streams_new();
	struct seen s = { 0 };
	static uint8_t b[3000];
	size_t n = framed(b, 1500, 9);

	/* a long message: the send's first DNS_COPY_MAX bytes, its length
	 * and the message's first DNS_COPY_MAX - 2 */
	send_part(d, &s, b, n, DNS_COPY_MAX, 40000, 1);
	assert_int_equal(s.n, 1);
	assert_msg(&s, 0, DNS_COPY_MAX - 2, 9);
	/* a message over two sends, the first copied only in part: what
	 * follows the hole is not appended */
	n = framed(b, 300, 4);
	send_part(d, &s, b, 100, 50, 40000, 2);
	send_all(d, &s, b + 100, n - 100);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.len[1], 48);
	for (size_t j = 0; j < 48; j++)
		assert_int_equal(s.msg[1][j], (uint8_t)(4 + j));
	/* the stream goes on at the next message */
	send_all(d, &s, b, n);
	assert_int_equal(s.n, 3);
	assert_msg(&s, 2, 300, 4);
	dns_streams_free(d);
}

static void test_lost_length_drops_the_stream(void **state)
{
	(void)state;
	struct dns_streams *d = dns_streams_new();
	struct seen s = { 0 };
	static uint8_t b[3000];
	size_t n = framed(b, 600, 5);

	n += framed(b + n, 40, 6);
	/* the second message's length falls where nothing was copied */
	send_part(d, &s, b, n, 100, 40000, 1);
	assert_int_equal(s.n, 1);
	assert_false(dns_streams_followed(d, &ev.t));
	/* a send that starts a message is read again */
	send_all(d, &s, b + 602, 42);
	assert_int_equal(s.n, 2);
	assert_msg(&s, 1, 40, 6);
	/* a length shorter than a DNS header is no length */
	uint8_t bad[14] = { 0, 5 };
	send_all(d, &s, bad, sizeof(bad));
	assert_int_equal(s.n, 2);
	assert_false(dns_streams_followed(d, &ev.t));
	/* a send too large to be counted (paylen saturates): what was copied
	 * is read, the stream is not followed after it */
	n = framed(b, 20, 8);
	memset(b + n, 0, 100);
	send_part(d, &s, b, 70000, n + 100, 40000, 3);
	assert_int_equal(s.n, 3);
	assert_msg(&s, 2, 20, 8);
	assert_false(dns_streams_followed(d, &ev.t));
	dns_streams_free(d);
}

static void test_streams_apart_swept_and_bounded(void **state)
{
	(void)state;
	struct dns_streams *d = dns_streams_new();
	struct seen s = { 0 };
	uint8_t b[100];
	size_t n = framed(b, 20, 3);

	/* two flows interleaved, each half a message at a time */
	send_part(d, &s, b, 10, 10, 40001, 1);
	send_part(d, &s, b, 15, 15, 40002, 1);
	send_part(d, &s, b + 10, n - 10, n - 10, 40001, 2);
	assert_int_equal(s.n, 1);
	send_part(d, &s, b + 15, n - 15, n - 15, 40002, 2);
	assert_int_equal(s.n, 2);
	assert_msg(&s, 0, 20, 3);
	assert_msg(&s, 1, 20, 3);
	assert_int_equal(dns_streams_count(d), 2);
	assert_true(dns_streams_followed(d, &ev.t));
	dns_streams_sweep(d, 2 + 1000, 1000);
	assert_int_equal(dns_streams_count(d), 0);
	assert_false(dns_streams_followed(d, &ev.t));
	for (unsigned i = 0; i < 5000; i++)
		send_part(d, &s, b, 5, 5, (uint16_t)(1000 + i), 10 + i);
	assert_int_equal(dns_streams_count(d), 4096);
	dns_streams_free(d);
}

static void test_random_cuts(void **state)
{
	(void)state;
	static uint8_t b[64 * 1100];
	struct seen s;
	size_t sizes[64];
	unsigned seeds[64];

	srand(11);
	for (int round = 0; round < 300; round++) {
		struct dns_streams *d = dns_streams_new();
		int nmsg = 1 + rand() % 40;
		size_t n = 0;
		memset(&s, 0, sizeof(s));
		for (int i = 0; i < nmsg; i++) {
			sizes[i] = 12 + (size_t)rand() % 1000;
			seeds[i] = (unsigned)rand();
			n += framed(b + n, sizes[i], seeds[i]);
		}
		for (size_t off = 0; off < n;) {
			size_t cut = 1 + (size_t)rand() % DNS_COPY_MAX; /* copied whole */
			if (cut > n - off)
				cut = n - off;
			send_part(d, &s, b + off, cut, cut, 40000, off + 1);
			off += cut;
		}
		assert_int_equal(s.n, nmsg);
		for (int i = 0; i < nmsg; i++)
			assert_msg(&s, i, sizes[i], seeds[i]);
		dns_streams_free(d);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_whole_and_apart),
		cmocka_unit_test(test_several_in_one_send),
		cmocka_unit_test(test_bytes_not_copied),
		cmocka_unit_test(test_lost_length_drops_the_stream),
		cmocka_unit_test(test_streams_apart_swept_and_bounded),
		cmocka_unit_test(test_random_cuts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
