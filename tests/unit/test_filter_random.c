/* Property and robustness tests for the ss filter: random expressions (built
 * here as trees, printed as text, with an independent reference evaluator)
 * over random sockets must get the same answer from the reference,
 * ss_filter_match() and the compiled bytecode run as the kernel runs it;
 * random and truncated token sequences must never crash. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "filter_kernel.h"

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
		cmocka_unit_test(test_property_random),
		cmocka_unit_test(test_fuzz_tokens),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
