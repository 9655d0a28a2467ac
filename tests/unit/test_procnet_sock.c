/* /proc/net socket tables (tests/fixtures/procnet, read in a namespace
 * holding a listener, an established pair with keepalive, a UNIX listener
 * bound with its NUL, packet and raw sockets) through the real parser,
 * then every truncation of them: parse or -EBADMSG, never a crash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "sources/procnet_sock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static char *load(const char *name)
{
	const char *dir = getenv("NETLENS_FIXTURES");
	char path[512];
	FILE *f;
	long n;
	char *b;

	snprintf(path, sizeof(path), "%s/procnet/%s", dir ? dir : "tests/fixtures", name);
	f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	b = calloc(1, (size_t)n + 1);
	assert_non_null(b);
	assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return b;
}

#define MAXR 16
struct got {
	unsigned n;
	struct sock_rec r[MAXR];
	char path[MAXR][64];
};

static int keep(const struct sock_rec *s, void *arg)
{
	struct got *g = arg;
	if (g->n < MAXR) {
		g->r[g->n] = *s;
		if (s->path)
			snprintf(g->path[g->n], sizeof(g->path[0]), "%s", s->path);
		g->r[g->n].path = NULL;
		g->n++;
	}
	return 0;
}

static void test_tcp(void **state)
{
	(void)state;
	char *t = load("tcp");
	struct got g = { 0 };

	assert_int_equal(procnet_sock_parse(SK_TCP, AF_INET, t, 100, keep, &g), 0);
	assert_int_equal(g.n, 3);
	/* the listener: 127.0.0.1:5555 */
	assert_int_equal(g.r[0].state, SS_LISTEN);
	assert_int_equal(g.r[0].sport, 5555);
	assert_memory_equal(g.r[0].src, "\x7f\x00\x00\x01", 4);
	assert_int_equal(g.r[0].inode, 98818);
	/* the server end holds the 1000 unread bytes in rx_queue */
	assert_int_equal(g.r[1].state, SS_ESTABLISHED);
	assert_int_equal(g.r[1].rqueue, 1000);
	/* the client: keepalive timer armed */
	assert_int_equal(g.r[2].timer, 2);
	assert_true(g.r[2].expires_ms > 60000);
	free(t);
}

static void test_raw6_unix_packet(void **state)
{
	(void)state;
	char *t = load("raw6");
	struct got g = { 0 };

	assert_int_equal(procnet_sock_parse(SK_RAW, AF_INET6, t, 100, keep, &g), 0);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.r[0].sport, 58); /* the protocol, ICMPv6 */
	assert_int_equal(g.r[0].state, SS_CLOSE);
	assert_int_equal(g.r[0].family, AF_INET6);
	free(t);

	t = load("unix");
	memset(&g, 0, sizeof(g));
	assert_int_equal(procnet_sock_parse(SK_UNIX, 0, t, 100, keep, &g), 0);
	assert_true(g.n >= 1);
	assert_int_equal(g.r[0].state, SS_LISTEN);
	assert_int_equal(g.r[0].type, SOCK_STREAM);
	assert_string_equal(g.path[0], "/tmp/sstry.sock");
	free(t);

	t = load("packet");
	memset(&g, 0, sizeof(g));
	assert_int_equal(procnet_sock_parse(SK_PACKET, 0, t, 100, keep, &g), 0);
	assert_int_equal(g.n, 3);
	assert_int_equal(g.r[0].protocol, 0x0800);
	assert_int_equal(g.r[0].type, SOCK_RAW);
	assert_int_equal(g.r[1].protocol, 0x0003);
	assert_int_equal(g.r[1].type, SOCK_DGRAM);
	free(t);
}

/* Every prefix of every file: a clean parse or -EBADMSG. */
static void test_truncated(void **state)
{
	(void)state;
	static const struct { const char *f; enum sock_kind k; int fam; } files[] = {
		{ "tcp", SK_TCP, AF_INET }, { "tcp6", SK_TCP, AF_INET6 }, { "udp", SK_UDP, AF_INET },
		{ "raw", SK_RAW, AF_INET }, { "raw6", SK_RAW, AF_INET6 }, { "unix", SK_UNIX, 0 },
		{ "packet", SK_PACKET, 0 },
	};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char *t = load(files[i].f);
		size_t len = strlen(t);
		for (size_t n = 0; n <= len; n++) {
			char *c = malloc(n + 1);
			struct got g = { 0 };
			memcpy(c, t, n);
			c[n] = '\0';
			int err = procnet_sock_parse(files[i].k, files[i].fam, c, 100, keep, &g);
			assert_true(err == 0 || err == -EBADMSG);
			free(c);
		}
		free(t);
	}
}

static void test_garbage(void **state)
{
	(void)state;
	struct got g = { 0 };
	assert_int_equal(procnet_sock_parse(SK_TCP, AF_INET, "hdr\n   0: zz:1 0:0 0A\n", 100, keep, &g),
			 -EBADMSG);
	assert_int_equal(procnet_sock_parse(SK_TCP, AF_INET,
					    "hdr\n   0: 0100007F:15B3 00000000:0000 FF 0:0 00:0 0 0 0 1\n",
					    100, keep, &g),
			 -EBADMSG); /* state out of range */
	assert_int_equal(procnet_sock_parse(SK_MPTCP, AF_INET, "hdr\n", 100, keep, &g), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp),
		cmocka_unit_test(test_raw6_unix_packet),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_garbage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
