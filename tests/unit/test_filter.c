/* Unit tests for the ss filter (src/ss/filter.c, filter_match.c, filter_bc.c): table
 * tests of the grammar, the matcher and the bytecode, each checked against
 * the kernel's rules restated in filter_kernel.h. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "filter_kernel.h"

/* ---- tests ---- */

static void test_null_and_empty(void **state)
{
	struct sock_rec s = sk(AF_INET, "1.2.3.4", 1, "5.6.7.8", 2);
	struct ss_filter *f = NULL;
	void *bc = (void *)1;
	size_t len = 1;

	(void)state;
	assert_true(ss_filter_match(NULL, &s));
	assert_false(ss_filter_has_expr(NULL));
	assert_false(ss_filter_has_states(NULL));
	assert_int_equal(ss_filter_states(NULL, 0x42), 0x42);
	assert_string_equal(ss_filter_text(NULL), "");
	assert_int_equal(ss_filter_bytecode(NULL, &bc, &len), 0);
	assert_null(bc);
	assert_int_equal(len, 0);
	ss_filter_free(NULL);

	assert_int_equal(ss_filter_parse(0, NULL, &f, NULL), 0);
	assert_non_null(f);
	assert_false(ss_filter_has_expr(f));
	assert_true(ss_filter_match(f, &s));
	assert_string_equal(ss_filter_text(f), "");
	ss_filter_free(f);
}

static void test_argv_words(void **state)
{
	char *argv[] = { "state", "established", "(", "dport", "=", ":ssh", "or",
			 "sport", "=", ":http", ")" };
	struct ss_filter *f;
	struct ss_filter_error err;
	struct sock_rec a = sk(AF_INET, "10.0.0.1", 5000, "10.0.0.2", 22);
	struct sock_rec b = sk(AF_INET, "10.0.0.1", 80, "10.0.0.2", 5000);
	struct sock_rec c = sk(AF_INET, "10.0.0.1", 81, "10.0.0.2", 23);

	(void)state;
	assert_int_equal(ss_filter_parse(11, argv, &f, &err), 0);
	assert_string_equal(ss_filter_text(f),
			    "state established ( dport = :ssh or sport = :http )");
	assert_true(ss_filter_has_states(f));
	assert_true(ss_filter_has_expr(f));
	assert_int_equal(ss_filter_states(f, 0), 1u << SS_ESTABLISHED);
	assert_true(both(f, &a));
	assert_true(both(f, &b));
	assert_false(both(f, &c));
	ss_filter_free(f);
}

static void test_port_ops(void **state)
{
	static const struct {
		const char *ops[4];
		bool lt, eq, gt; /* answer for port 21, 22, 23 against 22 */
	} t[] = {
		{ { "=", "==", "eq", "" }, false, true, false },
		{ { "!=", "ne", "neq", NULL }, true, false, true },
		{ { ">", "gt", NULL }, false, false, true },
		{ { "<", "lt", NULL }, true, false, false },
		{ { ">=", "ge", "geq", NULL }, false, true, true },
		{ { "<=", "le", "leq", NULL }, true, true, false },
	};
	static const char *const specs[] = { ":22", "22", ":ssh", "ssh" };
	char text[64];

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		for (int o = 0; o < 4 && t[i].ops[o]; o++) {
			for (int sp = 0; sp < 4; sp++) {
				for (int side = 0; side < 2; side++) {
					bool want[3] = { t[i].lt, t[i].eq, t[i].gt };

					snprintf(text, sizeof(text), "%s %s %s", side ? "dport" : "sport",
						 t[i].ops[o], specs[sp]);
					for (int port = 21; port <= 23; port++) {
						struct sock_rec s = sk(AF_INET, "1.1.1.1", side ? 9 : port,
								       "2.2.2.2", side ? port : 9);

						if (matches(text, &s) != want[port - 21])
							fail_msg("'%s' port %d", text, port);
					}
				}
			}
		}
	}
}

static void test_addr_ops_and_specs(void **state)
{
	struct sock_rec s4 = sk(AF_INET, "10.1.2.3", 80, "192.168.1.200", 5555);
	struct sock_rec s6 = sk(AF_INET6, "2001:db8::5", 80, "::1", 22);

	(void)state;
	assert_true(matches("src 10.1.2.3", &s4));
	assert_true(matches("src = 10.1.2.3", &s4));
	assert_true(matches("src == 10.1.2.3", &s4));
	assert_true(matches("src eq 10.1.2.3", &s4));
	assert_false(matches("src != 10.1.2.3", &s4));
	assert_false(matches("src ne 10.1.2.3", &s4));
	assert_true(matches("src neq 10.1.2.4", &s4));
	assert_true(matches("src 10.0.0.0/8", &s4));
	assert_true(matches("src 10/8", &s4));
	assert_true(matches("src 10.1/16", &s4));
	assert_false(matches("src 10.2/16", &s4));
	assert_true(matches("src 10.1.2.3:80", &s4));
	assert_false(matches("src 10.1.2.3:81", &s4));
	assert_true(matches("src 10.0.0.0/8:http", &s4));
	assert_true(matches("src *:80", &s4));
	assert_true(matches("src :80", &s4));
	assert_true(matches("src *", &s4));
	assert_true(matches("src *:*", &s4));
	assert_true(matches("src 10.1.2.3:*", &s4));
	assert_true(matches("dst 192.168.1.128/25", &s4));
	assert_false(matches("dst 192.168.1.0/25", &s4));
	assert_true(matches("dst 192.168.1.200:5555", &s4));
	assert_false(matches("dst [::1]", &s4));
	assert_true(matches("dst [::1]", &s6));
	assert_true(matches("dst ::1", &s6));
	assert_true(matches("dst [::1]:22", &s6));
	assert_true(matches("dst [::1]:ssh", &s6));
	assert_false(matches("dst [::1]:23", &s6));
	assert_true(matches("src [2001:db8::]/32", &s6));
	assert_true(matches("src [2001:db8::]/32:80", &s6));
	assert_true(matches("src 2001:db8::/32", &s6));
	assert_false(matches("src 2001:db9::/32", &s6));
	assert_false(matches("src 10.0.0.0/8", &s6));
	assert_true(matches("src [::]/0", &s6));
	assert_false(matches("src [::]/0", &s4)); /* family differs */
	assert_true(matches("src 0.0.0.0/0", &s4));
	assert_false(matches("src 0.0.0.0/0", &s6)); /* not IPv4-mapped */
	assert_true(matches("src *", &s6));
}

static void test_prefixes(void **state)
{
	struct sock_rec s = sk(AF_INET, "10.129.255.1", 1, "0.0.0.0", 2);
	struct sock_rec s6 = sk(AF_INET6, "2001:db8:ffff:ff00::1", 1, "::", 2);

	(void)state;
	assert_true(matches("src 10.128.0.0/9", &s));
	assert_false(matches("src 10.0.0.0/9", &s));
	assert_true(matches("src 11.0.0.0/7", &s));
	assert_false(matches("src 11.0.0.0/8", &s));
	assert_true(matches("src 10.129.255.0/31", &s));
	assert_false(matches("src 10.129.255.0/32", &s));
	assert_true(matches("src 128.0.0.0/0", &s));
	assert_true(matches("src 0.0.0.0/1", &s));
	assert_false(matches("src 128.0.0.0/1", &s));
	assert_true(matches("src [2001:db8:ffff:ff00::]/56", &s6));
	assert_true(matches("src [2001:db8:ffff:ff80::]/56", &s6));
	assert_false(matches("src [2001:db8:ffff:ff80::]/57", &s6));
	assert_true(matches("src [2001:db8:ffff:ff00::]/127", &s6));
	assert_false(matches("src [2001:db8:ffff:ff00::]/128", &s6));
	assert_true(matches("src [2001:db8:ffff:ff00::1]/128", &s6));
	assert_true(matches("src [2001::]/16", &s6));
	assert_true(matches("src [2000::]/15", &s6));
	assert_false(matches("src [2000::]/16", &s6));
}

static void test_ipv4_mapped(void **state)
{
	struct sock_rec m = sk(AF_INET6, "::ffff:10.0.0.1", 80, "::ffff:192.168.1.130", 22);
	struct sock_rec notm = sk(AF_INET6, "::fffe:10.0.0.1", 80, "::10.0.0.1", 22);

	(void)state;
	assert_true(matches("src 10.0.0.1", &m));
	assert_true(matches("src 10.0.0.0/8", &m));
	assert_true(matches("src 10.0.0.1:80", &m));
	assert_false(matches("src 10.0.0.1:81", &m));
	assert_false(matches("src 10.0.0.2", &m));
	assert_true(matches("dst 192.168.1.128/25", &m));
	assert_true(matches("src 0.0.0.0/0", &m));
	assert_true(matches("src [::ffff:10.0.0.1]", &m));
	assert_true(matches("src [::ffff:0:0]/96", &m));
	assert_false(matches("src 10.0.0.1", &notm));
	assert_false(matches("dst 10.0.0.1", &notm));
	assert_false(matches("src 0.0.0.0/0", &notm));
}

static void test_connectives(void **state)
{
	struct sock_rec s = sk(AF_INET, "10.0.0.1", 22, "10.0.0.2", 5000);

	(void)state;
	/* a = true, b = false, c = true */
#define A "sport = :22"
#define B "dport = :22"
#define C "src 10.0.0.1"
	assert_true(matches(A " and " C, &s));
	assert_false(matches(A " and " B, &s));
	assert_false(matches(A " && " B, &s));
	assert_false(matches(A " & " B, &s));
	assert_false(matches(A " " B, &s)); /* juxtaposition */
	assert_true(matches(A " " C, &s));
	assert_true(matches(B " or " A, &s));
	assert_true(matches(B " || " A, &s));
	assert_true(matches(B " | " A, &s));
	assert_false(matches(B " or " B, &s));
	assert_true(matches("not " B, &s));
	assert_true(matches("! " B, &s));
	assert_true(matches("!" B, &s)); /* glued ! */
	assert_false(matches("not not " B, &s));
	assert_true(matches("! ! ! " B, &s));
	/* and and or have equal precedence, left to right, as in iproute2 */
	assert_false(matches(A " or " B " and " B, &s));
	assert_true(matches(A " or ( " B " and " B " )", &s));
	assert_false(matches("( " A " or " B " ) and " B, &s));
	assert_true(matches(B " and " B " or " A, &s));
	assert_false(matches(A " or " B " " B, &s)); /* juxtaposition is and */
	/* not binds tighter than and/or */
	assert_false(matches("not " A " or " B, &s));
	assert_true(matches("not " B " and " A, &s));
	assert_false(matches("not ( " B " or " A " )", &s));
	/* glued parentheses */
	assert_false(matches("(" A " or " B ") and " B, &s));
	assert_false(matches("((" A ") or (" B ")) and (" B ")", &s));
	assert_true(matches("!(dport = :22)", &s));
	assert_true(matches("(sport = :ssh)", &s));
	assert_true(matches("( ( ( sport = :22 ) ) )", &s));
	assert_true(matches("(((sport = :22)))", &s));
	assert_false(matches("not (((sport = :22)))", &s));
#undef A
#undef B
#undef C
}

static void test_states(void **state)
{
	static const struct {
		const char *text;
		uint32_t mask;
	} t[] = {
		{ "state established", 1u << SS_ESTABLISHED },
		{ "state syn-sent", 1u << SS_SYN_SENT },
		{ "state syn-recv", 1u << SS_SYN_RECV },
		{ "state syn-rcv", 1u << SS_SYN_RECV },
		{ "state fin-wait-1", 1u << SS_FIN_WAIT1 },
		{ "state fin-wait-2", 1u << SS_FIN_WAIT2 },
		{ "state time-wait", 1u << SS_TIME_WAIT },
		{ "state closed", 1u << SS_CLOSE },
		{ "state close-wait", 1u << SS_CLOSE_WAIT },
		{ "state last-ack", 1u << SS_LAST_ACK },
		{ "state listening", 1u << SS_LISTEN },
		{ "state listen", 1u << SS_LISTEN },
		{ "state LISTENING", 1u << SS_LISTEN },
		{ "state closing", 1u << SS_CLOSING },
		{ "state all", SS_ALL_STATES },
		{ "state connected", SS_ALL_STATES & ~((1u << SS_LISTEN) | (1u << SS_CLOSE) |
						       (1u << SS_BOUND_INACTIVE)) },
		{ "state synchronized", SS_ALL_STATES & ~((1u << SS_LISTEN) | (1u << SS_CLOSE) |
							  (1u << SS_BOUND_INACTIVE) |
							  (1u << SS_SYN_SENT)) },
		{ "state bucket", (1u << SS_SYN_RECV) | (1u << SS_TIME_WAIT) },
		{ "state big", SS_ALL_STATES & ~((1u << SS_SYN_RECV) | (1u << SS_TIME_WAIT) |
						 (1u << SS_NEW_SYN_RECV)) },
		{ "state established state listening", (1u << SS_ESTABLISHED) | (1u << SS_LISTEN) },
		{ "exclude listening", SS_ALL_STATES & ~(1u << SS_LISTEN) },
		{ "excl listening exclude closed",
		  SS_ALL_STATES & ~((1u << SS_LISTEN) | (1u << SS_CLOSE)) },
		{ "state connected exclude established",
		  SS_ALL_STATES & ~((1u << SS_LISTEN) | (1u << SS_CLOSE) | (1u << SS_BOUND_INACTIVE) |
				    (1u << SS_ESTABLISHED)) },
		{ "exclude listening state listening", SS_ALL_STATES },
		{ "state established exclude established", 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct ss_filter *f = parse1(t[i].text);

		if (ss_filter_states(f, 0x5a) != t[i].mask)
			fail_msg("'%s': 0x%x, want 0x%x", t[i].text, ss_filter_states(f, 0x5a),
				 t[i].mask);
		assert_true(ss_filter_has_states(f));
		assert_false(ss_filter_has_expr(f));
		ss_filter_free(f);
	}
	/* connected/synchronized keep time-wait and syn-recv, as iproute2 6.1 does */
	{
		struct ss_filter *f = parse1("state connected dport = :22");

		assert_true(ss_filter_states(f, 0) & (1u << SS_TIME_WAIT));
		assert_true(ss_filter_states(f, 0) & (1u << SS_SYN_RECV));
		assert_true(ss_filter_has_expr(f));
		ss_filter_free(f);
		f = parse1("dport = :22");
		assert_int_equal(ss_filter_states(f, 0x77), 0x77);
		assert_false(ss_filter_has_states(f));
		ss_filter_free(f);
	}
}

static void test_errors(void **state)
{
	static const struct {
		const char *text;
		int column;
		const char *msg;
	} t[] = {
		{ "dport = :x", 10, "expected a port after ':' but found 'x'" },
		{ "(dport = :x)", 11, "expected a port after ':' but found 'x'" },
		{ "dport = x", 9, "expected a port but found 'x'" },
		{ "state foo", 7, "unknown state 'foo'" },
		{ "state", 6, "expected a state name after 'state'" },
		{ "dport = :22 )", 13, "unbalanced ')'" },
		{ "dport = :22 ))", 13, "unbalanced ')'" },
		{ "( dport = :22", 1, "unbalanced '('" },
		{ "dport = :22 and", 16, "expected an expression after 'and'" },
		{ "sport = :22 or or dport 1", 16, "expected an expression after 'or'" },
		{ "not", 4, "expected an expression after 'not'" },
		{ "( )", 3, "expected an expression after '('" },
		{ "and dport 22", 1, "expected an expression but found 'and'" },
		{ "foo", 1, "expected an expression but found 'foo'" },
		{ "dport", 6, "expected a port after 'dport'" },
		{ "dport =", 8, "expected a port after 'dport ='" },
		{ "dport = and", 9, "expected a port after '=' but found 'and'" },
		{ "sport = :22 foo", 13, "unexpected 'foo'" },
		{ "dport = :22 state established", 13, "'state' must come before the expression" },
		{ "src localhost", 5,
		  "'localhost' is not an address: use a numeric address (no DNS lookups)" },
		{ "src > 1.2.3.4", 5, "'>' cannot be used with 'src': use '=' or '!='" },
		{ "src 10.0.0.0/33", 14, "bad prefix length '33' for an IPv4 address" },
		{ "src [2001:db8::]/200", 18, "bad prefix length '200' for an IPv6 address" },
		{ "dport = :70000", 10, "port 70000 is out of range (0-65535)" },
		{ "src 1.2.3.4:99999", 13, "port 99999 is out of range (0-65535)" },
		{ "src [::1", 5, "missing ']' in '[::1'" },
		{ "src [::1]:x", 11, "expected a port after ':' but found 'x'" },
		{ "src 1.2.3.4.5", 5, "expected an address but found '1.2.3.4.5'" },
		{ "src fe80::zz", 5, "expected an address but found 'fe80::zz'" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *argv[1] = { (char *)t[i].text };
		struct ss_filter *f = NULL;
		struct ss_filter_error err;
		int rc = ss_filter_parse(1, argv, &f, &err);

		if (rc != -EINVAL || err.column != t[i].column || strcmp(err.msg, t[i].msg))
			fail_msg("'%s': rc %d column %d '%s', want column %d '%s'", t[i].text, rc,
				 err.column, err.msg, t[i].column, t[i].msg);
		assert_non_null(f);
		assert_string_equal(ss_filter_text(f), t[i].text);
		assert_false(ss_filter_has_expr(f));
		assert_false(ss_filter_has_states(f));
		ss_filter_free(f);
	}
}

/* Fills the stack below the caller with `byte`, as an earlier call would
 * leave it, so uninitialised locals of the next call hold that byte. */
static __attribute__((noinline)) void dirty_stack(int byte)
{
	volatile uint8_t junk[8192];

	memset((void *)junk, byte, sizeof(junk));
}

static __attribute__((noinline)) size_t compile_after(int byte, const char *text, uint8_t *out,
						      size_t size)
{
	struct ss_filter *f = parse1(text);
	void *bc;
	size_t len;

	dirty_stack(byte);
	assert_int_equal(ss_filter_bytecode(f, &bc, &len), 0);
	assert_true(len <= size);
	memcpy(out, bc, len);
	free(bc);
	ss_filter_free(f);
	return len;
}

/* Every byte sent to the kernel is defined: the program for a src/dst
 * condition does not depend on what the stack held (inet_diag_hostcond
 * has 2 bytes of padding after prefix_len). */
static void test_bytecode_deterministic(void **state)
{
	static const char *const texts[] = {
		"src 10.0.0.0/8", "dst [2001:db8::1]:443", "src *:22", "not dst 1.2.3.4 or sport 5",
	};
	uint8_t a[512], b[512];

	(void)state;
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		size_t la = compile_after(0xa5, texts[i], a, sizeof(a));
		size_t lb = compile_after(0x5a, texts[i], b, sizeof(b));

		assert_int_equal(la, lb);
		if (memcmp(a, b, la))
			fail_msg("'%s': the program depends on stack contents", texts[i]);
	}
}

/* dev, cgroup and UNIX path globs: the matcher, the bytecode as the kernel
 * runs it (DEV_COND, CGROUP_COND; a UNIX glob is false for inet), and the
 * words kept for ss_filter_resolve(). */
static void test_dev_cgroup_unix(void **state)
{
	struct sock_rec s = sk(AF_INET, "10.0.0.1", 80, "10.0.0.2", 5000);
	struct ss_filter_error err;
	struct ss_filter *f;

	(void)state;
	s.ifindex = 7;
	s.cgroup_id = 0x1122334455667788ull;
	/* numbers resolve without the host; a snapshot refuses names */
	f = parse1("dev 7 or dev = 3");
	assert_int_equal(ss_filter_resolve(f, false, &err), 0);
	assert_true(both(f, &s));
	s.ifindex = 3;
	assert_true(both(f, &s));
	s.ifindex = 0;
	assert_false(both(f, &s));
	ss_filter_free(f);
	f = parse1("dev != 7 and sport = :80");
	assert_int_equal(ss_filter_resolve(f, false, &err), 0);
	assert_true(both(f, &s));
	ss_filter_free(f);
	f = parse1("dev nosuchdev0");
	assert_int_equal(ss_filter_resolve(f, false, &err), -ENODEV);
	assert_int_equal(err.column, 5);
	assert_non_null(strstr(err.msg, "give the index"));
	ss_filter_free(f);
	f = parse1("dev lo");
	assert_int_equal(ss_filter_resolve(f, true, &err), 0);
	ss_filter_free(f);

	/* cgroup ids compared whole (an unaligned u64 after the op) */
	f = parse1("cgroup /x");
	f->nodes[f->root].cgroup_id = 0x1122334455667788ull;
	assert_true(both(f, &s));
	f->nodes[f->root].cgroup_id = 0x1122334455667789ull;
	assert_false(both(f, &s));
	ss_filter_free(f);

	/* a UNIX glob never matches inet; for UNIX, src is the path */
	f = parse1("src unix:/run/*.sock or sport = :80");
	assert_true(both(f, &s));
	s.sport = 81;
	assert_false(both(f, &s));
	struct sock_rec u = { .kind = SK_UNIX, .family = AF_UNIX, .path = "/RUN/a.sock" };
	assert_true(ss_filter_match(f, &u)); /* case-insensitive, as iproute2 */
	u.path = "/run/a.socket";
	assert_false(ss_filter_match(f, &u));
	u.path = NULL; /* unnamed: "" */
	assert_false(ss_filter_match(f, &u));
	ss_filter_free(f);
	char *argv[] = { "dst", "*" };
	assert_int_equal(ss_filter_parse_family(2, argv, AF_UNIX, &f, &err), 0);
	assert_true(ss_filter_match(f, &u)); /* the peer's path is "" */
	assert_false(both(f, &s));
	ss_filter_free(f);

	/* misuse is one error with its column */
	assert_int_equal(ss_filter_parse(2, (char *[]){ "dev", ">" }, &f, &err), -EINVAL);
	assert_int_equal(err.column, 5);
	ss_filter_free(f);
	assert_int_equal(ss_filter_parse(1, (char *[]){ "cgroup" }, &f, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "expected a cgroup path"));
	ss_filter_free(f);
	assert_int_equal(ss_filter_parse(2, (char *[]){ "dev", "abcdefghijklmnopq" }, &f, &err),
			 -EINVAL);
	ss_filter_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_null_and_empty),
		cmocka_unit_test(test_argv_words),
		cmocka_unit_test(test_port_ops),
		cmocka_unit_test(test_addr_ops_and_specs),
		cmocka_unit_test(test_prefixes),
		cmocka_unit_test(test_ipv4_mapped),
		cmocka_unit_test(test_connectives),
		cmocka_unit_test(test_states),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_bytecode_deterministic),
		cmocka_unit_test(test_dev_cgroup_unix),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
