/* Unit tests for the ss filter (src/ss/filter.c, src/ss/filter_bc.c).
 *
 * Besides table tests of the grammar, this file carries its own restatement of the
 * kernel's inet_diag_bc_audit() and inet_diag_bc_run() (net/ipv4/inet_diag.c), and a
 * seeded property test: random expressions (built here as trees, printed as text, with
 * an independent reference evaluator) over random sockets must give the same answer
 * from the reference, ss_filter_match() and the compiled bytecode.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <linux/inet_diag.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "ss/filter.h"

/* ---- helpers ---- */

static struct ss_filter *parse1(const char *text)
{
	char *argv[1] = { (char *)text };
	struct ss_filter *f = NULL;
	struct ss_filter_error err;
	int rc = ss_filter_parse(1, argv, &f, &err);

	if (rc)
		fail_msg("parse '%s': %d at column %d: %s", text, rc, err.column, err.msg);
	return f;
}

static struct sock_rec sk(int family, const char *src, int sport, const char *dst, int dport)
{
	struct sock_rec s = { .kind = SK_TCP, .family = (uint8_t)family, .state = SS_ESTABLISHED };

	assert_int_equal(inet_pton(family, src, s.src), 1);
	assert_int_equal(inet_pton(family, dst, s.dst), 1);
	s.sport = (uint16_t)sport;
	s.dport = (uint16_t)dport;
	return s;
}

/* ---- the kernel's rules, restated ---- */

static struct inet_diag_bc_op op_at(const uint8_t *bc)
{
	struct inet_diag_bc_op op;

	memcpy(&op, bc, sizeof(op));
	return op;
}

static bool valid_cc(const uint8_t *bc, int len, int cc)
{
	while (len >= 0) {
		struct inet_diag_bc_op op = op_at(bc);

		if (cc > len)
			return false;
		if (cc == len)
			return true;
		if (op.yes < 4 || (op.yes & 3))
			return false;
		len -= op.yes;
		bc += op.yes;
	}
	return false;
}

static int bc_audit(const uint8_t *prog, int plen)
{
	const uint8_t *bc = prog;
	int len = plen;

	if (plen < 4)
		return -EINVAL;
	while (len > 0) {
		struct inet_diag_bc_op op = op_at(bc);
		int min_len = 4;

		switch (op.code) {
		case INET_DIAG_BC_S_COND:
		case INET_DIAG_BC_D_COND: {
			struct inet_diag_hostcond hc;
			int alen;

			min_len += sizeof(hc);
			if (len < min_len)
				return -EINVAL;
			memcpy(&hc, bc + 4, sizeof(hc));
			if (hc.family == AF_UNSPEC)
				alen = 0;
			else if (hc.family == AF_INET)
				alen = 4;
			else if (hc.family == AF_INET6)
				alen = 16;
			else
				return -EINVAL;
			min_len += alen;
			if (len < min_len || hc.prefix_len > 8 * alen)
				return -EINVAL;
			break;
		}
		case INET_DIAG_BC_S_EQ: case INET_DIAG_BC_S_GE: case INET_DIAG_BC_S_LE:
		case INET_DIAG_BC_D_EQ: case INET_DIAG_BC_D_GE: case INET_DIAG_BC_D_LE:
			min_len += 4;
			if (len < min_len)
				return -EINVAL;
			break;
		case INET_DIAG_BC_JMP:
		case INET_DIAG_BC_NOP:
			break;
		default:
			return -EINVAL;
		}
		if (op.code != INET_DIAG_BC_NOP) {
			if (op.no < min_len || op.no > len + 4 || (op.no & 3))
				return -EINVAL;
			if (op.no < len && !valid_cc(prog, plen, len - op.no))
				return -EINVAL;
		}
		if (op.yes < min_len || op.yes > len + 4 || (op.yes & 3))
			return -EINVAL;
		bc += op.yes;
		len -= op.yes;
	}
	return len == 0 ? 0 : -EINVAL;
}

static bool bits_eq(const uint8_t *a, const uint8_t *b, int bits)
{
	int words = bits >> 5;

	bits &= 31;
	if (words && memcmp(a, b, (size_t)words * 4))
		return false;
	if (bits) {
		uint32_t w1, w2, mask = htonl(0xffffffffu << (32 - bits));

		memcpy(&w1, a + words * 4, 4);
		memcpy(&w2, b + words * 4, 4);
		if ((w1 ^ w2) & mask)
			return false;
	}
	return true;
}

static bool bc_run(const uint8_t *bc, int len, const struct sock_rec *s)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };

	while (len > 0) {
		struct inet_diag_bc_op op = op_at(bc), arg = { 0 };
		bool yes = true;

		if (op.code >= INET_DIAG_BC_S_GE && op.code <= INET_DIAG_BC_D_LE)
			arg = op_at(bc + 4);
		if (op.code == INET_DIAG_BC_S_EQ || op.code == INET_DIAG_BC_D_EQ)
			arg = op_at(bc + 4);

		switch (op.code) {
		case INET_DIAG_BC_NOP: break;
		case INET_DIAG_BC_JMP: yes = false; break;
		case INET_DIAG_BC_S_EQ: yes = s->sport == arg.no; break;
		case INET_DIAG_BC_S_GE: yes = s->sport >= arg.no; break;
		case INET_DIAG_BC_S_LE: yes = s->sport <= arg.no; break;
		case INET_DIAG_BC_D_EQ: yes = s->dport == arg.no; break;
		case INET_DIAG_BC_D_GE: yes = s->dport >= arg.no; break;
		case INET_DIAG_BC_D_LE: yes = s->dport <= arg.no; break;
		case INET_DIAG_BC_S_COND:
		case INET_DIAG_BC_D_COND: {
			bool src = op.code == INET_DIAG_BC_S_COND;
			const uint8_t *addr = src ? s->src : s->dst;
			struct inet_diag_hostcond hc;
			const uint8_t *caddr = bc + 4 + sizeof(hc);

			memcpy(&hc, bc + 4, sizeof(hc));
			if (hc.port != -1 && hc.port != (src ? s->sport : s->dport)) {
				yes = false;
				break;
			}
			if (hc.family != AF_UNSPEC && hc.family != s->family) {
				if (s->family == AF_INET6 && hc.family == AF_INET &&
				    !memcmp(addr, mapped, 12) && bits_eq(addr + 12, caddr, hc.prefix_len))
					break;
				yes = false;
				break;
			}
			if (hc.prefix_len == 0)
				break;
			yes = bits_eq(addr, caddr, hc.prefix_len);
			break;
		}
		default:
			fail_msg("unknown op %d", op.code);
		}
		bc += yes ? op.yes : op.no;
		len -= yes ? op.yes : op.no;
	}
	return len == 0;
}

/* Compile f, audit the program, and return it (caller frees). */
static uint8_t *compiled(const struct ss_filter *f, int *len)
{
	void *bc = NULL;
	size_t n = 0;

	assert_int_equal(ss_filter_bytecode(f, &bc, &n), 0);
	assert_non_null(bc);
	assert_int_equal(bc_audit(bc, (int)n), 0);
	*len = (int)n;
	return bc;
}

/* match() and the bytecode must agree; returns the answer. */
static bool both(const struct ss_filter *f, const struct sock_rec *s)
{
	int len;
	uint8_t *bc = compiled(f, &len);
	bool m = ss_filter_match(f, s), k = bc_run(bc, len, s);

	free(bc);
	if (m != k)
		fail_msg("'%s': match %d, bytecode %d", ss_filter_text(f), m, k);
	return m;
}

static bool matches(const char *text, const struct sock_rec *s)
{
	struct ss_filter *f = parse1(text);
	bool r = both(f, s);

	ss_filter_free(f);
	return r;
}

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

/* ---- random expressions with an independent reference ---- */

struct leaf {
	const char *text;
	int family, plen, port;
	const char *addr;
};

static const struct leaf addr_pool[] = {
	{ "*", AF_UNSPEC, 0, -1, NULL },
	{ "*:80", AF_UNSPEC, 0, 80, NULL },
	{ ":22", AF_UNSPEC, 0, 22, NULL },
	{ "10.0.0.1", AF_INET, 32, -1, "10.0.0.1" },
	{ "10.0.0.0/8", AF_INET, 8, -1, "10.0.0.0" },
	{ "10/8", AF_INET, 8, -1, "10.0.0.0" },
	{ "10.0.0.1:22", AF_INET, 32, 22, "10.0.0.1" },
	{ "10.0.0.0/16:http", AF_INET, 16, 80, "10.0.0.0" },
	{ "0.0.0.0/0", AF_INET, 0, -1, "0.0.0.0" },
	{ "192.168.1.128/25", AF_INET, 25, -1, "192.168.1.128" },
	{ "127.0.0.1", AF_INET, 32, -1, "127.0.0.1" },
	{ "[::1]", AF_INET6, 128, -1, "::1" },
	{ "::1", AF_INET6, 128, -1, "::1" },
	{ "[2001:db8::]/32", AF_INET6, 32, -1, "2001:db8::" },
	{ "[2001:db8::5]:80", AF_INET6, 128, 80, "2001:db8::5" },
	{ "2001:db8::/33", AF_INET6, 33, -1, "2001:db8::" },
	{ "[::ffff:10.0.0.1]", AF_INET6, 128, -1, "::ffff:10.0.0.1" },
	{ "[::]/0", AF_INET6, 0, -1, "::" },
};

struct portspec {
	const char *text;
	int port;
};

static const struct portspec port_pool[] = {
	{ ":22", 22 }, { "22", 22 }, { ":ssh", 22 }, { "ssh", 22 }, { ":http", 80 },
	{ ":80", 80 }, { "0", 0 }, { ":65535", 65535 }, { ":https", 443 }, { ":21", 21 },
};

static const char *const port_ops[] = { "", "=", "==", "eq", "!=", "ne", "neq", ">", "gt", "<",
					"lt", ">=", "ge", "geq", "<=", "le", "leq" };
static const char *const addr_ops[] = { "", "=", "==", "eq", "!=", "ne", "neq" };

enum { R_AND, R_OR, R_NOT, R_ADDR, R_PORT };

struct rnode {
	int kind, dst, op, spec;
	struct rnode *a, *b;
};

static struct rnode *gen(unsigned *seed, int depth)
{
	struct rnode *n = calloc(1, sizeof(*n));
	int r = depth <= 0 ? 3 + (int)(rand_r(seed) % 2) : (int)(rand_r(seed) % 9);

	assert_non_null(n);
	if (r >= 5)
		r = r - 5 < 2 ? R_ADDR + (r - 5) : R_AND + (r - 7); /* bias toward leaves */
	n->kind = r;
	n->dst = (int)(rand_r(seed) % 2);
	if (r == R_ADDR) {
		n->op = (int)(rand_r(seed) % (sizeof(addr_ops) / sizeof(addr_ops[0])));
		n->spec = (int)(rand_r(seed) % (sizeof(addr_pool) / sizeof(addr_pool[0])));
	} else if (r == R_PORT) {
		n->op = (int)(rand_r(seed) % (sizeof(port_ops) / sizeof(port_ops[0])));
		n->spec = (int)(rand_r(seed) % (sizeof(port_pool) / sizeof(port_pool[0])));
	} else {
		n->a = gen(seed, depth - 1);
		if (r != R_NOT)
			n->b = gen(seed, depth - 1);
		n->op = (int)(rand_r(seed) % 4); /* spelling of the connective */
	}
	return n;
}

static void rfree(struct rnode *n)
{
	if (n) {
		rfree(n->a);
		rfree(n->b);
		free(n);
	}
}

/* Print with as few parentheses as left-to-right grouping allows (sometimes
 * more, glued): a binary node on the right of another always needs them. */
static void show(const struct rnode *n, char *buf, size_t size, unsigned *seed, int parent)
{
	static const char *const ands[] = { "and", "&&", "&", "" };
	static const char *const ors[] = { "or", "||", "|", "or" };
	static const char *const nots[] = { "not", "!", "not", "!" };
	size_t at = strlen(buf);
	bool paren = (parent == R_AND && n->kind == R_OR) ||
		     (parent == R_NOT && (n->kind == R_AND || n->kind == R_OR)) ||
		     rand_r(seed) % 8 == 0;
	bool glue = rand_r(seed) % 2;

	if (paren)
		snprintf(buf + at, size - at, glue ? "(" : "( ");
	switch (n->kind) {
	case R_AND:
	case R_OR:
		show(n->a, buf, size, seed, n->kind);
		at = strlen(buf);
		snprintf(buf + at, size - at, " %s ", n->kind == R_AND ? ands[n->op] : ors[n->op]);
		/* and/or group left to right: a binary right side needs parentheses */
		show(n->b, buf, size, seed, R_NOT);
		break;
	case R_NOT:
		at = strlen(buf);
		snprintf(buf + at, size - at, "%s ", nots[n->op]);
		show(n->a, buf, size, seed, R_NOT);
		break;
	case R_ADDR:
		at = strlen(buf);
		snprintf(buf + at, size - at, "%s %s%s%s", n->dst ? "dst" : "src",
			 addr_ops[n->op], *addr_ops[n->op] ? " " : "", addr_pool[n->spec].text);
		break;
	case R_PORT:
		at = strlen(buf);
		snprintf(buf + at, size - at, "%s %s%s%s", n->dst ? "dport" : "sport",
			 port_ops[n->op], *port_ops[n->op] ? " " : "", port_pool[n->spec].text);
		break;
	}
	if (paren) {
		at = strlen(buf);
		snprintf(buf + at, size - at, glue ? ")" : " )");
	}
}

static bool ref_prefix(const uint8_t *a, const uint8_t *b, int bits)
{
	for (int i = 0; i < bits; i++) {
		int m = 0x80 >> (i % 8);

		if ((a[i / 8] & m) != (b[i / 8] & m))
			return false;
	}
	return true;
}

static bool ref_eval(const struct rnode *n, const struct sock_rec *s)
{
	switch (n->kind) {
	case R_AND:
		return ref_eval(n->a, s) && ref_eval(n->b, s);
	case R_OR:
		return ref_eval(n->a, s) || ref_eval(n->b, s);
	case R_NOT:
		return !ref_eval(n->a, s);
	case R_ADDR: {
		const struct leaf *l = &addr_pool[n->spec];
		const uint8_t *a = n->dst ? s->dst : s->src;
		int port = n->dst ? s->dport : s->sport;
		uint8_t want[16] = { 0 };
		bool r;

		if (l->addr)
			assert_int_equal(inet_pton(l->family, l->addr, want), 1);
		if (l->port >= 0 && l->port != port)
			r = false;
		else if (l->family == AF_UNSPEC || l->plen == 0)
			r = l->family == AF_UNSPEC || l->family == s->family ||
			    (l->family == AF_INET && s->family == AF_INET6 &&
			     IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)a));
		else if (l->family == s->family)
			r = ref_prefix(a, want, l->plen);
		else
			r = l->family == AF_INET && s->family == AF_INET6 &&
			    IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)a) &&
			    ref_prefix(a + 12, want, l->plen);
		return n->op >= 4 ? !r : r;
	}
	case R_PORT: {
		int port = n->dst ? s->dport : s->sport, p = port_pool[n->spec].port;
		const char *op = port_ops[n->op];

		if (!strcmp(op, "!=") || !strcmp(op, "ne") || !strcmp(op, "neq"))
			return port != p;
		if (!strcmp(op, ">") || !strcmp(op, "gt"))
			return port > p;
		if (!strcmp(op, "<") || !strcmp(op, "lt"))
			return port < p;
		if (!strcmp(op, ">=") || !strcmp(op, "ge") || !strcmp(op, "geq"))
			return port >= p;
		if (!strcmp(op, "<=") || !strcmp(op, "le") || !strcmp(op, "leq"))
			return port <= p;
		return port == p;
	}
	}
	return false;
}

static struct sock_rec random_sock(unsigned *seed)
{
	static const char *const v4[] = { "10.0.0.1", "10.0.0.2", "10.0.200.3", "192.168.1.200",
					  "192.168.1.5", "127.0.0.1", "11.0.0.1", "0.0.0.0" };
	static const char *const v6[] = { "::1", "2001:db8::5", "2001:db8:8000::1",
					  "::ffff:10.0.0.1", "::ffff:192.168.1.130",
					  "::ffff:127.0.0.1", "fe80::1", "::", "::10.0.0.1" };
	static const int ports[] = { 0, 21, 22, 23, 79, 80, 81, 443, 65535 };
	int fam = rand_r(seed) % 2 ? AF_INET6 : AF_INET;
	const char *const *pool = fam == AF_INET ? v4 : v6;
	int np = fam == AF_INET ? 8 : 9;
	int sp = rand_r(seed) % 4 ? ports[rand_r(seed) % 9] : (int)(rand_r(seed) % 65536);
	int dp = rand_r(seed) % 4 ? ports[rand_r(seed) % 9] : (int)(rand_r(seed) % 65536);

	return sk(fam, pool[rand_r(seed) % (unsigned)np], sp, pool[rand_r(seed) % (unsigned)np], dp);
}

static void test_property_random(void **state)
{
	unsigned seed = 20240601;
	int checked = 0;

	(void)state;
	for (int i = 0; i < 3000; i++) {
		struct rnode *tree = gen(&seed, 1 + i % 6);
		char text[8192] = "";
		struct ss_filter *f;
		uint8_t *bc;
		int len;

		show(tree, text, sizeof(text), &seed, R_OR);
		f = parse1(text);
		bc = compiled(f, &len);
		for (int k = 0; k < 60; k++) {
			struct sock_rec s = random_sock(&seed);
			bool want = ref_eval(tree, &s);

			if (ss_filter_match(f, &s) != want || bc_run(bc, len, &s) != want)
				fail_msg("'%s': reference %d, match %d, bytecode %d", text, want,
					 ss_filter_match(f, &s), bc_run(bc, len, &s));
			checked++;
		}
		free(bc);
		ss_filter_free(f);
		rfree(tree);
	}
	assert_true(checked == 3000 * 60);
}

/* Random and truncated token soup: never crash, sane errors, valid programs. */
static void test_fuzz_tokens(void **state)
{
	static const char *const vocab[] = {
		"src", "dst", "sport", "dport", "and", "or", "not", "!", "&&", "||", "&", "|",
		"(", ")", "((", "))", "!(", "(dport", ":ssh)", "=", "==", "!=", ">", "<", ">=",
		"<=", "eq", "ne", "gt", "lt", "ge", "le", ":22", "22", ":http", "*", "*:80",
		":80", "10.0.0.1", "10/8", "[::1]", "[::1]:22", "::1", "[2001:db8::]/32",
		"1.2.3.4/33", "[::1", "foo", "state", "exclude", "established", "all", ":",
		"", " ", "[", "]", "/", "1.2.3.4:", ":99999", "0x16", "-1", "()", ")(", "!=x",
		"[]", "[]:1", "*x", ":*", "1.2.3.4:*", "::ffff:1.2.3.4", "ssh", "\t",
	};
	unsigned seed = 7;
	int nv = (int)(sizeof(vocab) / sizeof(vocab[0])), ok = 0, bad = 0;

	(void)state;
	for (int i = 0; i < 40000; i++) {
		char *argv[14];
		int argc = (int)(rand_r(&seed) % 14);
		struct ss_filter *f = NULL;
		struct ss_filter_error err;
		int rc;

		for (int k = 0; k < argc; k++)
			argv[k] = (char *)vocab[rand_r(&seed) % (unsigned)nv];
		rc = ss_filter_parse(argc, argv, &f, &err);
		assert_non_null(f);
		if (rc == 0) {
			int len;

			if (ss_filter_has_expr(f)) {
				uint8_t *bc = compiled(f, &len);

				for (int k = 0; k < 5; k++) {
					struct sock_rec s = random_sock(&seed);

					assert_int_equal(ss_filter_match(f, &s), bc_run(bc, len, &s));
				}
				free(bc);
			}
			ok++;
		} else {
			assert_int_equal(rc, -EINVAL);
			assert_true(err.column >= 1);
			assert_true(err.column <= (int)strlen(ss_filter_text(f)) + 1);
			assert_true(err.msg[0] != '\0');
			bad++;
		}
		ss_filter_free(f);
	}
	assert_true(ok > 100 && bad > 100);
}

static void test_truncated(void **state)
{
	unsigned seed = 99;

	(void)state;
	for (int i = 0; i < 300; i++) {
		struct rnode *tree = gen(&seed, 4);
		char text[8192] = "", cut[8192];

		show(tree, text, sizeof(text), &seed, R_OR);
		for (size_t n = 0; n <= strlen(text); n++) {
			char *argv[1] = { cut };
			struct ss_filter *f = NULL;
			struct ss_filter_error err;
			int rc;

			memcpy(cut, text, n);
			cut[n] = '\0';
			rc = ss_filter_parse(1, argv, &f, &err);
			assert_true(rc == 0 || rc == -EINVAL);
			if (rc)
				assert_true(err.column >= 1 && err.column <= (int)n + 1);
			ss_filter_free(f);
		}
		rfree(tree);
	}
}

static void test_limits(void **state)
{
	size_t n = 1000;
	char *deep = malloc(n * 2 + 64), *wide;
	char *argv[1];
	struct ss_filter *f = NULL;
	struct ss_filter_error err;
	void *bc;
	size_t len;

	(void)state;
	/* deep nesting is refused, not a stack overflow */
	assert_non_null(deep);
	memset(deep, '(', n);
	strcpy(deep + n, "sport = :1");
	memset(deep + n + 10, ')', n);
	deep[2 * n + 10] = '\0';
	argv[0] = deep;
	assert_int_equal(ss_filter_parse(1, argv, &f, &err), -EINVAL);
	assert_string_equal(err.msg, "expression is nested too deeply");
	ss_filter_free(f);
	free(deep);

	/* a program over the 16-bit limit is -EOPNOTSUPP; user space still matches */
	wide = malloc(2400 * 24 + 1);
	assert_non_null(wide);
	for (int i = 0, at = 0; i < 2400; i++)
		at += sprintf(wide + at, i ? " or src [2001:db8::1]" : "src [2001:db8::1]");
	argv[0] = wide;
	assert_int_equal(ss_filter_parse(1, argv, &f, &err), 0);
	assert_int_equal(ss_filter_bytecode(f, &bc, &len), -EOPNOTSUPP);
	assert_null(bc);
	{
		struct sock_rec s = sk(AF_INET6, "2001:db8::1", 1, "::1", 2);

		assert_true(ss_filter_match(f, &s));
	}
	ss_filter_free(f);
	free(wide);
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
		cmocka_unit_test(test_property_random),
		cmocka_unit_test(test_fuzz_tokens),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
