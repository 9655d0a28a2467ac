/* ss filter: tokenizer, parser (words -> AST) and state masks; resolution and the
 * user-space matcher are in filter_match.c.
 *
 * Grammar (keywords as in iproute2's ss; parentheses and a leading '!' may be glued to
 * words, e.g. "(dport" or ":ssh)"):
 *
 *   filter  := { ("state" | "exclude" | "excl") STATE } [ expr ]
 *   expr    := unary { [ "and" | "&&" | "&" | "or" | "||" | "|" ] unary }
 *                                                         -- juxtaposition is "and"
 *   unary   := ("not" | "!") unary | "(" expr ")" | prim
 *   prim    := ("src" | "dst") [ EQ | NE ] ADDRSPEC
 *            | ("src" | "dst") [ EQ | NE ] ["unix:"]GLOB   -- UNIX paths (below)
 *            | ("sport" | "dport") [ OP ] PORTSPEC
 *            | "dev" [ EQ | NE ] (IFNAME | IFINDEX)
 *            | "cgroup" [ EQ | NE ] PATH
 *
 * A src/dst word is a UNIX path glob (fnmatch, case-insensitive, as
 * iproute2) when it starts with "unix:" or the filter is parsed for AF_UNIX
 * (only UNIX sockets asked for); it matches no other kind of socket. dst is
 * the peer's path, which sock_diag does not give: "" as iproute2 has it.
 * Device names and cgroup paths are kept as words and resolved later
 * (ss_filter_resolve(), filter_match.c), once the command is in the namespace it reads.
 *
 * "and" and "or" have equal precedence and group left to right, as iproute2 reads them:
 * "a or b and c" is "(a or b) and c".
 * '>' is not '<=', '<' is not '>=', '!=' is not '=': the AST has only what the kernel
 * can test.
 *
 * Memory: everything hangs off struct ss_filter and goes with ss_filter_free().
 */
#include "ss/filter.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <net/if.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

enum { MAX_DEPTH = 200, MAX_WORD = 256, MAX_TOKENS = 10000 };

struct tok {
	int start, len; /* in the joined text */
};

struct parser {
	struct ss_filter *f;
	const char *text;
	struct tok *toks;
	int ntoks, pos, depth;
	struct ss_filter_error *err;
	int rc; /* 0, or the first error */
	int family; /* AF_UNIX: src/dst words are UNIX path globs */
};

/* ---- errors and tokens ---- */

static void fail(struct parser *p, int column, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void fail(struct parser *p, int column, const char *fmt, ...)
{
	va_list ap;

	if (p->rc)
		return;
	p->rc = -EINVAL;
	p->err->column = column;
	va_start(ap, fmt);
	vsnprintf(p->err->msg, sizeof(p->err->msg), fmt, ap);
	va_end(ap);
}

/* Copy token i into buf (truncated with "..." for messages). */
static const char *tok_str(const struct parser *p, int i, char *buf, size_t size)
{
	const struct tok *t = &p->toks[i];
	size_t n = (size_t)t->len;

	if (n >= size) {
		n = size - 4;
		snprintf(buf, size, "%.*s...", (int)n, p->text + t->start);
		return buf;
	}
	memcpy(buf, p->text + t->start, n);
	buf[n] = '\0';
	return buf;
}

static bool tok_is(const struct parser *p, int i, const char *word)
{
	return i < p->ntoks && (size_t)p->toks[i].len == strlen(word) &&
	       memcmp(p->text + p->toks[i].start, word, strlen(word)) == 0;
}

static bool tok_any(const struct parser *p, int i, const char *const *words)
{
	for (; *words; words++)
		if (tok_is(p, i, *words))
			return true;
	return false;
}

static int tok_col(const struct parser *p, int i)
{
	return i < p->ntoks ? p->toks[i].start + 1 : (int)strlen(p->text) + 1;
}

static int add_tok(struct tok **toks, int *n, int *cap, int start, int len)
{
	if (*n == *cap) {
		int ncap = *cap ? *cap * 2 : 32;
		struct tok *t = realloc(*toks, (size_t)ncap * sizeof(*t));

		if (!t)
			return -ENOMEM;
		*toks = t;
		*cap = ncap;
	}
	(*toks)[(*n)++] = (struct tok){ start, len };
	return 0;
}

/* Split on blanks, then peel leading '(' and '!' (not "!=") and trailing ')'. */
static int tokenize(const char *s, struct tok **toks, int *ntoks)
{
	int n = 0, cap = 0, i = 0;

	*toks = NULL;
	while (s[i]) {
		int b, e, close = 0;

		if (s[i] == ' ' || s[i] == '\t') {
			i++;
			continue;
		}
		b = i;
		while (s[i] && s[i] != ' ' && s[i] != '\t')
			i++;
		e = i;
		for (; b < e; b++) {
			if (s[b] == '(' || (s[b] == '!' && b + 1 < e && s[b + 1] != '=')) {
				if (add_tok(toks, &n, &cap, b, 1))
					goto nomem;
			} else {
				break;
			}
		}
		while (e > b && s[e - 1] == ')') {
			e--;
			close++;
		}
		if (e > b && add_tok(toks, &n, &cap, b, e - b))
			goto nomem;
		for (; close > 0; close--, e++)
			if (add_tok(toks, &n, &cap, e, 1))
				goto nomem;
	}
	*ntoks = n;
	return 0;
nomem:
	free(*toks);
	*toks = NULL;
	return -ENOMEM;
}

/* ---- states ---- */

#define SB(x) (1u << (x))

static const struct {
	const char *name;
	uint32_t mask;
} state_names[] = {
	{ "established", SB(SS_ESTABLISHED) },
	{ "syn-sent", SB(SS_SYN_SENT) },
	{ "syn-recv", SB(SS_SYN_RECV) },
	{ "syn-rcv", SB(SS_SYN_RECV) },
	{ "fin-wait-1", SB(SS_FIN_WAIT1) },
	{ "fin-wait-2", SB(SS_FIN_WAIT2) },
	{ "time-wait", SB(SS_TIME_WAIT) },
	{ "closed", SB(SS_CLOSE) },
	{ "close", SB(SS_CLOSE) },
	{ "unconnected", SB(SS_CLOSE) },
	{ "close-wait", SB(SS_CLOSE_WAIT) },
	{ "last-ack", SB(SS_LAST_ACK) },
	{ "listening", SB(SS_LISTEN) },
	{ "listen", SB(SS_LISTEN) },
	{ "closing", SB(SS_CLOSING) },
	{ "bound-inactive", SB(SS_BOUND_INACTIVE) },
	/* Classes as iproute2 6.1 sends them (checked with strace on its requests). */
	{ "all", SS_ALL_STATES },
	{ "connected", SS_ALL_STATES & ~(SB(SS_LISTEN) | SB(SS_CLOSE) | SB(SS_BOUND_INACTIVE)) },
	{ "synchronized", SS_ALL_STATES & ~(SB(SS_LISTEN) | SB(SS_CLOSE) | SB(SS_BOUND_INACTIVE) |
					    SB(SS_SYN_SENT)) },
	{ "bucket", SB(SS_SYN_RECV) | SB(SS_TIME_WAIT) },
	{ "big", SS_ALL_STATES & ~(SB(SS_SYN_RECV) | SB(SS_TIME_WAIT) | SB(SS_NEW_SYN_RECV)) },
};

static bool scan_state(const char *name, uint32_t *mask)
{
	for (size_t i = 0; i < sizeof(state_names) / sizeof(state_names[0]); i++) {
		if (strcasecmp(name, state_names[i].name) == 0) {
			*mask = state_names[i].mask;
			return true;
		}
	}
	return false;
}

static void parse_states(struct parser *p)
{
	static const char *const kw[] = { "state", "exclude", "excl", NULL };
	char w[MAX_WORD], kwbuf[16];

	while (!p->rc && p->pos < p->ntoks && tok_any(p, p->pos, kw)) {
		struct ss_filter *f = p->f;
		struct ss_filter_state_clause *c;
		int k = p->pos++;
		uint32_t mask;

		tok_str(p, k, kwbuf, sizeof(kwbuf));
		if (p->pos >= p->ntoks) {
			fail(p, tok_col(p, p->pos), "expected a state name after '%s'", kwbuf);
			return;
		}
		if (!scan_state(tok_str(p, p->pos, w, sizeof(w)), &mask)) {
			fail(p, tok_col(p, p->pos), "unknown state '%s'", w);
			return;
		}
		c = realloc(f->states, (size_t)(f->nstates + 1) * sizeof(*c));
		if (!c) {
			p->rc = -ENOMEM;
			return;
		}
		f->states = c;
		c[f->nstates++] = (struct ss_filter_state_clause){ mask, kwbuf[0] == 'e' };
		p->pos++;
	}
}

/* ---- AST ---- */

static int new_node(struct parser *p, const struct ssf_node *n)
{
	struct ss_filter *f = p->f;

	if (p->rc)
		return -1;
	if (f->nnodes == f->cap) {
		int ncap = f->cap ? f->cap * 2 : 16;
		struct ssf_node *v = realloc(f->nodes, (size_t)ncap * sizeof(*v));

		if (!v) {
			p->rc = -ENOMEM;
			return -1;
		}
		f->nodes = v;
		f->cap = ncap;
	}
	f->nodes[f->nnodes] = *n;
	return f->nnodes++;
}

static int node2(struct parser *p, enum ssf_kind kind, int a, int b)
{
	return new_node(p, &(struct ssf_node){ .kind = kind, .a = a, .b = b });
}

/* ---- ports and addresses ---- */

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

/* A port number or a service name (looked up as "tcp" in /etc/services). */
static bool port_value(struct parser *p, const char *s, int column, long *port)
{
	if (all_digits(s)) {
		if (strlen(s) > 5 || (*port = strtol(s, NULL, 10)) > 65535) {
			fail(p, column, "port %s is out of range (0-65535)", s);
			return false;
		}
		return true;
	}
	for (const char *c = s; *c; c++) {
		if (!isalnum((unsigned char)*c) && !strchr("-_.+", *c))
			return false;
	}
	if (*s) {
		struct servent *se = getservbyname(s, "tcp");

		if (se) {
			*port = ntohs((uint16_t)se->s_port);
			return true;
		}
	}
	return false;
}

/* IPv4 in iproute2's short forms too: "10" is 10.0.0.0, "10.1" is 10.1.0.0. */
static bool ipv4_value(const char *s, uint8_t out[4])
{
	int parts = 0;

	memset(out, 0, 4);
	while (parts < 4) {
		int v = 0, digits = 0;

		while (isdigit((unsigned char)*s) && digits < 4)
			v = v * 10 + (*s++ - '0'), digits++;
		if (!digits || v > 255)
			return false;
		out[parts++] = (uint8_t)v;
		if (*s == '\0')
			return true;
		if (*s++ != '.')
			return false;
	}
	return false;
}

/* "ADDR[/LEN]" without port into n. Returns false when it is not an address. */
static bool prefix_value(struct parser *p, char *s, int column, struct ssf_node *n)
{
	char *slash = strchr(s, '/');
	int maxlen;

	if (slash)
		*slash = '\0';
	if (strchr(s, ':')) {
		if (inet_pton(AF_INET6, s, n->addr) != 1)
			return false;
		n->family = AF_INET6;
		maxlen = 128;
	} else {
		if (!ipv4_value(s, n->addr))
			return false;
		n->family = AF_INET;
		maxlen = 32;
	}
	n->prefix_len = (uint8_t)maxlen;
	if (slash) {
		char *len = slash + 1;

		if (!all_digits(len) || strlen(len) > 3 || atoi(len) > maxlen) {
			fail(p, column + (int)(len - s), "bad prefix length '%s' for an %s address",
			     len, maxlen == 32 ? "IPv4" : "IPv6");
			return false;
		}
		n->prefix_len = (uint8_t)atoi(len);
	}
	return true;
}

/* PORTSPEC: ":PORT" or "PORT"; PORT is a number or a service name. */
static bool parse_portspec(struct parser *p, int i, long *port)
{
	char w[MAX_WORD];
	const char *s = tok_str(p, i, w, sizeof(w));
	int col = tok_col(p, i);

	if (*s == ':') {
		if (!port_value(p, s + 1, col + 1, port))
			fail(p, col + 1, "expected a port after ':' but found '%s'", s + 1);
	} else if (!port_value(p, s, col, port)) {
		fail(p, col, "expected a port but found '%s'", s);
	}
	return !p->rc;
}

/* ADDRSPEC: "*", "*:P", ":P", "A", "A/N", "A:P", "A/N:P", "[A6]", "[A6]/N", "[A6]:P",
 * "[A6]/N:P", or a bare IPv6 "A6[/N]" (two or more ':' and no brackets: no port). */
static bool parse_addrspec(struct parser *p, int i, struct ssf_node *n)
{
	char w[MAX_WORD], orig[MAX_WORD];
	char *s = w, *port = NULL;
	int col = tok_col(p, i), bracket = 0;

	if (p->toks[i].len >= MAX_WORD) {
		fail(p, col, "address is too long");
		return false;
	}
	tok_str(p, i, w, sizeof(w));
	strcpy(orig, w);
	n->family = AF_UNSPEC;
	n->prefix_len = 0;
	n->port = -1;
	memset(n->addr, 0, sizeof(n->addr));

	if (*s == '[') {
		char *close = strchr(s, ']');

		if (!close) {
			fail(p, col, "missing ']' in '%s'", orig);
			return false;
		}
		memmove(close, close + 1, strlen(close + 1) + 1); /* "[A]/N:P" -> "[A/N:P" */
		s++;
		bracket = 1;
		port = strchr(close, ':');
	} else if (*s == '*') {
		if (s[1] != '\0' && s[1] != ':') {
			fail(p, col, "expected an address but found '%s'", orig);
			return false;
		}
		port = s + 1;
		s = (char *)"";
	} else if (strchr(s, ':') != strrchr(s, ':')) {
		port = NULL; /* bare IPv6 */
	} else if (*s == ':') {
		port = s;
		s = (char *)"";
	} else {
		port = strchr(s, ':');
	}
	if (port && *port == ':') {
		long v;
		int pcol;

		*port++ = '\0';
		pcol = col + (int)(port - w) + bracket;
		if (*port != '*') {
			if (!port_value(p, port, pcol, &v))
				fail(p, pcol, "expected a port after ':' but found '%s'", port);
			if (p->rc)
				return false;
			n->port = (int32_t)v;
		} else if (port[1]) {
			fail(p, pcol, "expected a port after ':' but found '%s'", port);
			return false;
		}
	}
	if (*s == '\0')
		return true; /* any address */
	/* prefix_value reports the column of a prefix length, after any ']' */
	if (prefix_value(p, s, col + 2 * bracket, n))
		return true;
	if (!p->rc) {
		bool name = isalpha((unsigned char)*s) && !strchr(orig, ':');

		fail(p, col, name ? "'%s' is not an address: use a numeric address (no DNS lookups)"
				  : "expected an address but found '%s'", orig);
	}
	return false;
}

/* ---- expressions ---- */

static const char *const kw_not[] = { "not", "!", NULL };
static const char *const kw_and[] = { "and", "&&", "&", NULL };
static const char *const kw_or[] = { "or", "||", "|", NULL };
static const char *const kw_eq[] = { "=", "==", "eq", NULL };
static const char *const kw_ne[] = { "!=", "ne", "neq", NULL };
static const char *const kw_ge[] = { ">=", "ge", "geq", NULL };
static const char *const kw_le[] = { "<=", "le", "leq", NULL };
static const char *const kw_gt[] = { ">", "gt", NULL };
static const char *const kw_lt[] = { "<", "lt", NULL };
static const char *const kw_prim[] = { "src", "dst", "sport", "dport", "dev", "cgroup", NULL };

static bool starts_unary(const struct parser *p, int i)
{
	return i < p->ntoks && (tok_any(p, i, kw_not) || tok_is(p, i, "(") || tok_any(p, i, kw_prim));
}

static bool is_op(const struct parser *p, int i)
{
	return tok_any(p, i, kw_eq) || tok_any(p, i, kw_ne) || tok_any(p, i, kw_ge) ||
	       tok_any(p, i, kw_le) || tok_any(p, i, kw_gt) || tok_any(p, i, kw_lt);
}

static int parse_expr(struct parser *p);

static bool is_keyword(const struct parser *p, int i)
{
	return tok_any(p, i, kw_not) || tok_any(p, i, kw_and) || tok_any(p, i, kw_or) ||
	       tok_any(p, i, kw_prim) || tok_is(p, i, "(") || tok_is(p, i, ")");
}

/* Keeps a copy of token i for the node; its index, or -1 (p->rc set). */
static int keep_word(struct parser *p, int i, int skip)
{
	struct ss_filter *f = p->f;
	char **v = realloc(f->strs, (size_t)(f->nstrs + 1) * sizeof(*v));
	char *w;

	if (!v) {
		p->rc = -ENOMEM;
		return -1;
	}
	f->strs = v;
	w = strndup(p->text + p->toks[i].start + skip, (size_t)(p->toks[i].len - skip));
	if (!w) {
		p->rc = -ENOMEM;
		return -1;
	}
	f->strs[f->nstrs] = w;
	return f->nstrs++;
}

/* "dev" / "cgroup" [= | !=] WORD, and src/dst with a UNIX path glob. */
static int parse_word_prim(struct parser *p, int k, enum ssf_kind kind)
{
	char kw[8], opw[8], w[64];
	int op = -1, id, skip = 0;
	const char *what = kind == SSF_DEV ? "an interface" : kind == SSF_CGROUP ? "a cgroup path"
									 : "a UNIX path";
	struct ssf_node n = { .kind = (uint8_t)kind, .dst = tok_is(p, k, "dst") };

	tok_str(p, k, kw, sizeof(kw));
	if (p->pos < p->ntoks && is_op(p, p->pos))
		op = p->pos++;
	if (op >= 0 && !tok_any(p, op, kw_eq) && !tok_any(p, op, kw_ne)) {
		fail(p, tok_col(p, op), "'%s' cannot be used with '%s': use '=' or '!='",
		     tok_str(p, op, opw, sizeof(opw)), kw);
		return -1;
	}
	if (p->pos >= p->ntoks || is_keyword(p, p->pos)) {
		if (p->pos >= p->ntoks)
			fail(p, tok_col(p, p->pos), "expected %s after '%s'", what,
			     op >= 0 ? tok_str(p, op, opw, sizeof(opw)) : kw);
		else
			fail(p, tok_col(p, p->pos), "expected %s after '%s' but found '%s'", what,
			     op >= 0 ? tok_str(p, op, opw, sizeof(opw)) : kw,
			     tok_str(p, p->pos, w, sizeof(w)));
		return -1;
	}
	if (kind == SSF_UNIX && tok_str(p, p->pos, w, sizeof(w)) && !strncmp(w, "unix:", 5))
		skip = 5;
	if (kind == SSF_DEV && p->toks[p->pos].len >= IF_NAMESIZE) {
		fail(p, tok_col(p, p->pos), "'%s' is not an interface name (at most %d characters)",
		     tok_str(p, p->pos, w, sizeof(w)), IF_NAMESIZE - 1);
		return -1;
	}
	n.column = tok_col(p, p->pos);
	n.str = keep_word(p, p->pos++, skip);
	if (n.str < 0)
		return -1;
	id = new_node(p, &n);
	if (op >= 0 && tok_any(p, op, kw_ne))
		id = node2(p, SSF_NOT, id, -1);
	return id;
}

static bool unix_word(const struct parser *p, int i)
{
	return i < p->ntoks && (p->family == AF_UNIX ||
				(p->toks[i].len >= 5 && !memcmp(p->text + p->toks[i].start, "unix:", 5)));
}

static int parse_prim(struct parser *p)
{
	char kw[8], opw[8], w[64];
	int k = p->pos++, op = -1;

	if (tok_is(p, k, "dev"))
		return parse_word_prim(p, k, SSF_DEV);
	if (tok_is(p, k, "cgroup"))
		return parse_word_prim(p, k, SSF_CGROUP);
	if ((tok_is(p, k, "src") || tok_is(p, k, "dst")) &&
	    unix_word(p, p->pos < p->ntoks && is_op(p, p->pos) ? p->pos + 1 : p->pos))
		return parse_word_prim(p, k, SSF_UNIX);

	bool addr = tok_is(p, k, "src") || tok_is(p, k, "dst");
	struct ssf_node n = { .dst = tok_is(p, k, "dst") || tok_is(p, k, "dport") };
	int id;

	tok_str(p, k, kw, sizeof(kw));
	if (p->pos < p->ntoks && is_op(p, p->pos))
		op = p->pos++;
	if (p->pos >= p->ntoks) {
		if (op >= 0)
			fail(p, tok_col(p, p->pos), "expected %s after '%s %s'",
			     addr ? "an address" : "a port", kw, tok_str(p, op, opw, sizeof(opw)));
		else
			fail(p, tok_col(p, p->pos), "expected %s after '%s'",
			     addr ? "an address" : "a port", kw);
		return -1;
	}
	if (is_keyword(p, p->pos)) {
		fail(p, tok_col(p, p->pos), "expected %s after '%s' but found '%s'",
		     addr ? "an address" : "a port", op >= 0 ? tok_str(p, op, opw, sizeof(opw)) : kw,
		     tok_str(p, p->pos, w, sizeof(w)));
		return -1;
	}
	if (addr) {
		if (op >= 0 && !tok_any(p, op, kw_eq) && !tok_any(p, op, kw_ne)) {
			fail(p, tok_col(p, op), "'%s' cannot be used with '%s': use '=' or '!='",
			     tok_str(p, op, opw, sizeof(opw)), kw);
			return -1;
		}
		n.kind = SSF_HOST;
		if (!parse_addrspec(p, p->pos++, &n))
			return -1;
	} else {
		long port = 0;

		if (!parse_portspec(p, p->pos++, &port))
			return -1;
		n.kind = SSF_PORT;
		n.port = (int32_t)port;
		n.cmp = SSF_EQ;
		if (op >= 0 && (tok_any(p, op, kw_ge) || tok_any(p, op, kw_lt)))
			n.cmp = SSF_GE;
		if (op >= 0 && (tok_any(p, op, kw_le) || tok_any(p, op, kw_gt)))
			n.cmp = SSF_LE;
	}
	id = new_node(p, &n);
	if (op >= 0 && (tok_any(p, op, kw_ne) || tok_any(p, op, kw_gt) || tok_any(p, op, kw_lt)))
		id = node2(p, SSF_NOT, id, -1);
	return id;
}

static void fail_expected(struct parser *p, int after)
{
	char w[64], a[64];

	if (p->pos >= p->ntoks || tok_is(p, p->pos, ")") || tok_any(p, p->pos, kw_and) ||
	    tok_any(p, p->pos, kw_or))
		fail(p, tok_col(p, p->pos), "expected an expression after '%s'",
		     tok_str(p, after, a, sizeof(a)));
	else
		fail(p, tok_col(p, p->pos), "expected an expression but found '%s'",
		     tok_str(p, p->pos, w, sizeof(w)));
}

static int parse_unary(struct parser *p)
{
	char w[64];
	int id;

	if (p->rc)
		return -1;
	if (++p->depth > MAX_DEPTH) {
		fail(p, tok_col(p, p->pos), "expression is nested too deeply");
		return -1;
	}
	if (tok_any(p, p->pos, kw_not)) {
		int k = p->pos++;

		if (!starts_unary(p, p->pos)) {
			fail_expected(p, k);
			return -1;
		}
		id = node2(p, SSF_NOT, parse_unary(p), -1);
	} else if (tok_is(p, p->pos, "(")) {
		int open = p->pos++;

		if (!starts_unary(p, p->pos)) {
			fail_expected(p, open);
			return -1;
		}
		id = parse_expr(p);
		if (!p->rc && !tok_is(p, p->pos, ")")) {
			if (p->pos >= p->ntoks)
				fail(p, tok_col(p, open), "unbalanced '('");
			else
				fail(p, tok_col(p, p->pos), "expected ')' but found '%s'",
				     tok_str(p, p->pos, w, sizeof(w)));
		}
		p->pos++;
	} else if (tok_any(p, p->pos, kw_prim)) {
		id = parse_prim(p);
	} else if (tok_is(p, p->pos, "state") || tok_is(p, p->pos, "exclude")) {
		fail(p, tok_col(p, p->pos), "'%s' must come before the expression",
		     tok_str(p, p->pos, w, sizeof(w)));
		return -1;
	} else {
		fail(p, tok_col(p, p->pos), "expected an expression but found '%s'",
		     tok_str(p, p->pos, w, sizeof(w)));
		return -1;
	}
	p->depth--;
	return p->rc ? -1 : id;
}

/* `and`, `or` and juxtaposition (an implied `and`) have equal precedence and
 * group left to right, as iproute2's ss grammar does: `a or b and c` is
 * `(a or b) and c`. Compatibility beats the usual convention here, so that a
 * filter copied from an ss command line selects the same sockets. */
static int parse_expr(struct parser *p)
{
	int id = parse_unary(p);

	while (!p->rc && p->pos < p->ntoks) {
		enum ssf_kind kind = SSF_AND;

		if (tok_any(p, p->pos, kw_and) || tok_any(p, p->pos, kw_or)) {
			int k = p->pos++;

			kind = tok_any(p, k, kw_or) ? SSF_OR : SSF_AND;
			if (!starts_unary(p, p->pos)) {
				fail_expected(p, k);
				break;
			}
		} else if (!starts_unary(p, p->pos)) {
			break;
		}
		id = node2(p, kind, id, parse_unary(p));
	}
	return p->rc ? -1 : id;
}

/* ---- public ---- */

static char *join_words(int argc, char **argv)
{
	size_t n = 1;
	char *s;

	for (int i = 0; i < argc; i++)
		n += strlen(argv[i]) + 1;
	s = malloc(n);
	if (!s)
		return NULL;
	s[0] = '\0';
	for (int i = 0, at = 0; i < argc; i++) {
		size_t l = strlen(argv[i]);

		if (i)
			s[at++] = ' ';
		memcpy(s + at, argv[i], l + 1);
		at += (int)l;
	}
	return s;
}

static void free_strs(struct ss_filter *f)
{
	for (int i = 0; i < f->nstrs; i++)
		free(f->strs[i]);
	free(f->strs);
	f->strs = NULL;
	f->nstrs = 0;
}

static void reset_expr(struct ss_filter *f)
{
	free(f->states);
	free(f->nodes);
	free_strs(f);
	f->states = NULL;
	f->nodes = NULL;
	f->nstates = f->nnodes = f->cap = 0;
	f->root = -1;
}

int ss_filter_parse(int argc, char **argv, struct ss_filter **out, struct ss_filter_error *err)
{
	return ss_filter_parse_family(argc, argv, AF_UNSPEC, out, err);
}

int ss_filter_parse_family(int argc, char **argv, int family, struct ss_filter **out,
			   struct ss_filter_error *err)
{
	struct ss_filter_error dummy;
	struct ss_filter *f = calloc(1, sizeof(*f));
	struct parser p = { .f = f, .err = err ? err : &dummy, .family = family };
	char w[64];

	*out = NULL;
	p.err->column = 0;
	p.err->msg[0] = '\0';
	if (!f || !(f->text = join_words(argc, argv)) || tokenize(f->text, &p.toks, &p.ntoks)) {
		ss_filter_free(f);
		return -ENOMEM;
	}
	f->root = -1;
	p.text = f->text;
	if (p.ntoks > MAX_TOKENS)
		fail(&p, tok_col(&p, MAX_TOKENS), "the filter is too long (more than %d words)",
		     MAX_TOKENS);
	parse_states(&p);
	if (!p.rc && p.pos < p.ntoks) {
		f->root = parse_expr(&p);
		if (!p.rc && p.pos < p.ntoks) {
			if (tok_is(&p, p.pos, ")"))
				fail(&p, tok_col(&p, p.pos), "unbalanced ')'");
			else if (tok_is(&p, p.pos, "state") || tok_is(&p, p.pos, "exclude"))
				fail(&p, tok_col(&p, p.pos), "'%s' must come before the expression",
				     tok_str(&p, p.pos, w, sizeof(w)));
			else
				fail(&p, tok_col(&p, p.pos), "unexpected '%s'",
				     tok_str(&p, p.pos, w, sizeof(w)));
		}
	}
	free(p.toks);
	if (p.rc == -ENOMEM) {
		ss_filter_free(f);
		return -ENOMEM;
	}
	if (p.rc)
		reset_expr(f);
	*out = f;
	return p.rc;
}

const char *ss_filter_text(const struct ss_filter *f)
{
	return f ? f->text : "";
}

uint32_t ss_filter_states(const struct ss_filter *f, uint32_t default_states)
{
	uint32_t m;

	if (!f || f->nstates == 0)
		return default_states;
	m = f->states[0].exclude ? SS_ALL_STATES : 0;
	for (int i = 0; i < f->nstates; i++) {
		if (f->states[i].exclude)
			m &= ~f->states[i].mask;
		else
			m |= f->states[i].mask;
	}
	return m;
}

bool ss_filter_has_states(const struct ss_filter *f)
{
	return f && f->nstates > 0;
}

bool ss_filter_has_expr(const struct ss_filter *f)
{
	return f && f->root >= 0;
}

void ss_filter_free(struct ss_filter *f)
{
	if (!f)
		return;
	free(f->text);
	free(f->states);
	free(f->nodes);
	free_strs(f);
	free(f);
}
