/* Recorded sock_diag replies (the .nl files in tests/fixtures, made with `netlens ss
 * --record` in a namespace holding tests/e2e/sockmaker.py's sockets) through
 * the real parser, then truncated and corrupted copies of them: the parser
 * must return an error or parse, and never read out of bounds (the suite
 * also runs under ASan/UBSan). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "sources/nl.h"
#include "sources/sockdiag.h"

#include <errno.h>
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <linux/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

struct blob {
	unsigned char *data;
	size_t len;
};

static struct blob load(const char *name)
{
	const char *dir = getenv("NETLENS_FIXTURES");
	char path[512];
	struct blob b = { 0 };
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir ? dir : "tests/fixtures", name);
	f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	b.len = (size_t)ftell(f);
	fseek(f, 0, SEEK_SET);
	b.data = malloc(b.len);
	assert_non_null(b.data);
	assert_int_equal(fread(b.data, 1, b.len, f), b.len);
	fclose(f);
	return b;
}

/* Length of the first dump in a recording (through its NLMSG_DONE). */
static size_t first_dump_len(const struct blob *b, size_t off)
{
	size_t p = off;

	while (p + sizeof(struct nlmsghdr) <= b->len) {
		const struct nlmsghdr *h = (const void *)(b->data + p);
		p += NLMSG_ALIGN(h->nlmsg_len);
		if (h->nlmsg_type == NLMSG_DONE)
			break;
	}
	return p - off;
}

struct tally {
	unsigned n, by_state[SS_STATE_MAX], with_info, with_mem, with_path;
	uint64_t bytes_sent;
};

static int count_cb(const struct sock_rec *s, void *arg)
{
	struct tally *t = arg;

	t->n++;
	if (s->state < SS_STATE_MAX)
		t->by_state[s->state]++;
	if (s->has & SKH_TCPINFO) {
		struct tcp_info ti = { 0 };
		memcpy(&ti, s->tcpi, s->tcpi_len < sizeof(ti) ? s->tcpi_len : sizeof(ti));
		t->with_info++;
		t->bytes_sent += ti.tcpi_bytes_sent;
	}
	if (s->has & SKH_MEMINFO)
		t->with_mem++;
	if (s->has & SKH_PATH)
		t->with_path++;
	return 0;
}

static void test_tcp_recording(void **state)
{
	(void)state;
	struct blob b = load("tcp_info.nl");
	struct sockdiag_query q = { .kind = SK_TCP };
	struct tally v4 = { 0 }, v6 = { 0 };
	size_t n4 = first_dump_len(&b, 0);

	assert_int_equal(sockdiag_parse(&q, b.data, n4, count_cb, &v4), 0);
	assert_int_equal(sockdiag_parse(&q, b.data + n4, b.len - n4, count_cb, &v6), 0);
	/* v4: 2 listeners, 1 pair, 3 queued pairs, 1 TIME-WAIT; v6: 1 listener, 1 pair */
	assert_int_equal(v4.by_state[SS_LISTEN], 2);
	assert_int_equal(v4.by_state[SS_ESTABLISHED], 8);
	assert_int_equal(v4.by_state[SS_TIME_WAIT], 1);
	assert_int_equal(v6.by_state[SS_LISTEN], 1);
	assert_int_equal(v6.by_state[SS_ESTABLISHED], 2);
	/* full sockets carry tcp_info and skmeminfo; TIME-WAIT ones do not */
	assert_int_equal(v4.with_info, v4.n - 1);
	assert_int_equal(v4.with_mem, v4.n - 1);
	/* the two clients each sent 1000 bytes */
	assert_int_equal(v4.bytes_sent + v6.bytes_sent, 2000);
	free(b.data);
}

static void test_unix_recording(void **state)
{
	(void)state;
	struct blob b = load("unix.nl");
	struct sockdiag_query q = { .kind = SK_UNIX };
	struct tally t = { 0 };

	assert_int_equal(sockdiag_parse(&q, b.data, b.len, count_cb, &t), 0);
	assert_int_equal(t.n, 4);
	assert_int_equal(t.by_state[SS_LISTEN], 1);
	assert_int_equal(t.by_state[SS_CLOSE], 1);
	assert_int_equal(t.with_path, 3); /* listener, its accepted end, dgram */
	assert_int_equal(t.with_mem, 4);
	free(b.data);
}

/* unix_nul.nl: a stream socket bound to "/tmp/sstry.sock" with a length
 * that counts the terminating NUL (as Python binds): its name is the path,
 * with no '@' (that marks abstract names only). */
static int first_path_cb(const struct sock_rec *s, void *arg)
{
	if (s->path)
		snprintf(arg, 64, "%s", s->path);
	return 0;
}

static void test_unix_path_with_nul(void **state)
{
	(void)state;
	struct blob b = load("unix_nul.nl");
	struct sockdiag_query q = { .kind = SK_UNIX };
	char path[64] = "";

	assert_int_equal(sockdiag_parse(&q, b.data, b.len, first_path_cb, path), 0);
	assert_string_equal(path, "/tmp/sstry.sock");
	free(b.data);
}

/* packet.nl: packet sockets for ETH_P_IP (raw), ETH_P_ALL (dgram) and
 * LLDP 0x88cc (raw): the protocol is the ethertype in host order. */
static int protos_cb(const struct sock_rec *s, void *arg)
{
	unsigned *p = arg;
	if (p[0] < 8)
		p[1 + p[0]++] = s->protocol;
	return 0;
}

static void test_packet_protocol_host_order(void **state)
{
	(void)state;
	struct blob b = load("packet.nl");
	struct sockdiag_query q = { .kind = SK_PACKET };
	unsigned p[9] = { 0 };

	assert_int_equal(sockdiag_parse(&q, b.data, b.len, protos_cb, p), 0);
	assert_int_equal(p[0], 3);
	assert_int_equal(p[1], 0x0800);
	assert_int_equal(p[2], 0x0003);
	assert_int_equal(p[3], 0x88cc);
	free(b.data);
}

static int noop_cb(const struct sock_rec *s, void *arg)
{
	/* touch every pointer the record offers, so ASan sees bad ones */
	size_t *sum = arg;
	if (s->tcpi)
		for (size_t i = 0; i < s->tcpi_len; i++)
			*sum += ((const unsigned char *)s->tcpi)[i];
	if (s->cong)
		*sum += strlen(s->cong);
	if (s->path)
		*sum += strlen(s->path);
	return 0;
}

/* Every prefix of a recording: error or success, never a crash. */
static void test_truncated(void **state)
{
	(void)state;
	const char *files[] = { "tcp_info.nl", "unix.nl", "udp.nl" };
	const enum sock_kind kinds[] = { SK_TCP, SK_UNIX, SK_UDP };

	for (size_t f = 0; f < 3; f++) {
		struct blob b = load(files[f]);
		struct sockdiag_query q = { .kind = kinds[f] };
		size_t sum = 0;
		for (size_t cut = 0; cut < b.len; cut++) {
			unsigned char *copy = malloc(cut ? cut : 1);
			memcpy(copy, b.data, cut);
			int r = sockdiag_parse(&q, copy, cut, noop_cb, &sum);
			assert_true(r == 0 || r == 1 || r == -EBADMSG);
			free(copy);
		}
		free(b.data);
	}
}

/* Flip each byte in turn; also shrink and grow declared lengths. */
static void test_corrupted(void **state)
{
	(void)state;
	struct blob b = load("tcp_info.nl");
	struct sockdiag_query q = { .kind = SK_TCP };
	size_t n = first_dump_len(&b, 0), sum = 0;
	unsigned char *copy = malloc(n);

	for (size_t i = 0; i < n; i++) {
		static const unsigned char masks[] = { 0xff, 0x01, 0x80 };
		for (size_t m = 0; m < 3; m++) {
			memcpy(copy, b.data, n);
			copy[i] ^= masks[m];
			int r = sockdiag_parse(&q, copy, n, noop_cb, &sum);
			assert_true(r <= 1);
		}
	}
	free(copy);
	free(b.data);
}

static size_t put_msg(unsigned char *buf, uint16_t type, const void *payload, size_t plen)
{
	struct nlmsghdr h = { .nlmsg_len = (uint32_t)NLMSG_LENGTH(plen), .nlmsg_type = type };

	memcpy(buf, &h, sizeof(h));
	memcpy(buf + NLMSG_HDRLEN, payload, plen);
	return NLMSG_ALIGN(h.nlmsg_len);
}

static void test_kernel_errors(void **state)
{
	(void)state;
	unsigned char buf[256];
	struct sockdiag_query q = { .kind = SK_TCP };
	struct nlmsgerr e = { .error = -EPERM };
	int done = -EINVAL;
	size_t sum = 0;

	put_msg(buf, NLMSG_ERROR, &e, sizeof(e));
	assert_int_equal(sockdiag_parse(&q, buf, NLMSG_LENGTH(sizeof(e)), noop_cb, &sum), -EPERM);
	put_msg(buf, NLMSG_DONE, &done, sizeof(done));
	assert_int_equal(sockdiag_parse(&q, buf, NLMSG_LENGTH(sizeof(done)), noop_cb, &sum), -EINVAL);
	/* a SOCK_DIAG message too short for its header */
	put_msg(buf, 20 /* SOCK_DIAG_BY_FAMILY */, "abcd", 4);
	assert_int_equal(sockdiag_parse(&q, buf, NLMSG_LENGTH(4), noop_cb, &sum), -EBADMSG);
	/* a length field that claims more than the buffer holds */
	struct nlmsghdr h = { .nlmsg_len = 4000, .nlmsg_type = 20 };
	memcpy(buf, &h, sizeof(h));
	assert_int_equal(sockdiag_parse(&q, buf, sizeof(h) + 8, noop_cb, &sum), -EBADMSG);
}

static int stop_cb(const struct sock_rec *s, void *arg)
{
	(void)s;
	(*(int *)arg)++;
	return 1;
}

static void test_callback_can_stop(void **state)
{
	(void)state;
	struct blob b = load("tcp_info.nl");
	struct sockdiag_query q = { .kind = SK_TCP };
	int calls = 0;

	assert_int_equal(sockdiag_parse(&q, b.data, b.len, stop_cb, &calls), 0);
	assert_int_equal(calls, 1);
	free(b.data);
}

/* SOCK_DESTROY names the socket by its whole id, in network order, and
 * asks for an ack; a record without a cookie sends "no cookie". */
static void test_destroy_request(void **state)
{
	struct sock_rec s = { .kind = SK_RAW, .family = AF_INET6, .sport = 58, .dport = 0,
			      .ifindex = 4, .cookie = 0x0000000100000002ull, .has = SKH_COOKIE };
	char buf[4096] = { 0 };
	struct nlmsghdr *nlh;
	const struct inet_diag_req_v2 *r;

	(void)state;
	s.src[15] = 1;
	nlh = sockdiag_destroy_request(&s, buf, 9);
	r = mnl_nlmsg_get_payload(nlh);
	assert_int_equal(nlh->nlmsg_type, SOCK_DESTROY);
	assert_int_equal(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
	assert_int_equal(nlh->nlmsg_seq, 9);
	assert_int_equal(r->sdiag_family, AF_INET6);
	assert_int_equal(r->sdiag_protocol, IPPROTO_RAW);
	assert_int_equal(r->pad, 58); /* sdiag_raw_protocol */
	assert_int_equal(ntohs(r->id.idiag_sport), 58);
	assert_int_equal(r->id.idiag_src[3], htonl(1));
	assert_int_equal(r->id.idiag_if, 4);
	assert_int_equal(r->id.idiag_cookie[0], 2);
	assert_int_equal(r->id.idiag_cookie[1], 1);
	s.has = 0;
	s.kind = SK_TCP;
	nlh = sockdiag_destroy_request(&s, buf, 10);
	r = mnl_nlmsg_get_payload(nlh);
	assert_int_equal(r->sdiag_protocol, IPPROTO_TCP);
	assert_int_equal(r->id.idiag_cookie[0], INET_DIAG_NOCOOKIE);
	assert_int_equal(r->id.idiag_cookie[1], INET_DIAG_NOCOOKIE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp_recording),   cmocka_unit_test(test_unix_recording),
		cmocka_unit_test(test_truncated),       cmocka_unit_test(test_corrupted),
		cmocka_unit_test(test_kernel_errors),   cmocka_unit_test(test_callback_can_stop),
		cmocka_unit_test(test_unix_path_with_nul),
		cmocka_unit_test(test_packet_protocol_host_order),
		cmocka_unit_test(test_destroy_request),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
