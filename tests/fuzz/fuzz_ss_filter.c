/* libFuzzer target: the ss filter, end to end. The input is the filter's
 * text (as one word: the parser splits it again). A filter that parses is
 * compiled to inet_diag bytecode, which must pass the kernel's audit (as
 * restated in tests/unit/filter_kernel.h), and on a few fixed sockets the
 * kernel's run of that bytecode must agree with the user-space matcher.
 * Any disagreement aborts, so the fuzzer reports it as a crash. */
#include "fuzz_util.h"

/* filter_kernel.h reports through cmocka's macros: here they abort */
#define fail_msg(...) abort()
#define assert_int_equal(a, b) do { if ((a) != (b)) abort(); } while (0)
#define assert_non_null(p) do { if (!(p)) abort(); } while (0)
#include "../unit/filter_kernel.h"

static struct sock_rec sock_of(int family, const char *src, int sport, const char *dst, int dport)
{
	struct sock_rec s = { .kind = SK_TCP, .family = (uint8_t)family, .state = SS_ESTABLISHED };

	if (inet_pton(family, src, s.src) != 1 || inet_pton(family, dst, s.dst) != 1)
		abort();
	s.sport = (uint16_t)sport;
	s.dport = (uint16_t)dport;
	return s;
}

/* The user-space matcher and the kernel's run of the bytecode agree. */
static void check_agree(const struct ss_filter *f, const uint8_t *bc, int len)
{
	static struct sock_rec socks[4];
	static bool made;

	if (!made) {
		socks[0] = sock_of(AF_INET, "10.0.0.1", 22, "192.168.1.2", 40000);
		socks[1] = sock_of(AF_INET6, "2001:db8::1", 443, "fe80::2", 1024);
		socks[2] = sock_of(AF_INET6, "::ffff:10.1.2.3", 80, "::ffff:127.0.0.1", 65535);
		socks[3] = sock_of(AF_INET, "0.0.0.0", 0, "255.255.255.255", 8080);
		made = true;
	}
	for (size_t i = 0; i < sizeof(socks) / sizeof(socks[0]); i++)
		if (ss_filter_match(f, &socks[i]) != bc_run(bc, len, &socks[i]))
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_strndup(data, size);
	char *argv[1] = { text };
	struct ss_filter *f = NULL;
	struct ss_filter_error err;
	void *bc = NULL;
	size_t len = 0;
	int rc = ss_filter_parse(1, argv, &f, &err);

	if (rc == -EINVAL && (err.column < 1 || !memchr(err.msg, '\0', sizeof(err.msg))))
		abort(); /* an error always says where and what */
	(void)ss_filter_states(f, 0);
	if (rc == 0 && ss_filter_has_expr(f)) {
		rc = ss_filter_bytecode(f, &bc, &len);
		if (rc == 0) {
			if (bc_audit(bc, (int)len) != 0)
				abort(); /* the kernel would refuse it */
			check_agree(f, bc, (int)len);
		} else if (rc != -EOPNOTSUPP) {
			abort();
		}
	}
	free(bc);
	ss_filter_free(f);
	free(text);
	return 0;
}
