/* Parsers for the kernel's counter files; see counters.h for the contract. */
#include "sources/counters.h"
#include "sources/host.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *const constants[] = {
	"IpForwarding", "IpDefaultTTL", "TcpRtoAlgorithm", "TcpRtoMin",
	"TcpRtoMax",    "TcpMaxConn",   "TcpCurrEstab",
};

bool counters_is_constant(const char *name)
{
	for (size_t i = 0; i < sizeof(constants) / sizeof(constants[0]); i++)
		if (strcmp(name, constants[i]) == 0)
			return true;
	return false;
}

void counters_init(struct counter_set *s) { memset(s, 0, sizeof(*s)); }

void counters_free(struct counter_set *s)
{
	free(s->v);
	free(s->index);
	counters_init(s);
}

void counters_clear(struct counter_set *s)
{
	s->n = 0;
	s->nindex = 0;
}

static int add_n(struct counter_set *s, const char *prefix, size_t plen, const char *name,
		 size_t nlen, uint64_t v)
{
	if (plen + nlen >= COUNTER_NAME_MAX || nlen == 0)
		return -ENAMETOOLONG;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 512;
		struct counter *nv = realloc(s->v, cap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		s->v = nv;
		s->cap = cap;
	}
	struct counter *c = &s->v[s->n];
	memcpy(c->name, prefix, plen);
	memcpy(c->name + plen, name, nlen);
	c->name[plen + nlen] = '\0';
	if (counters_is_constant(c->name))
		return 0;
	c->value = v;
	s->n++;
	s->nindex = 0;
	return 0;
}

int counters_add(struct counter_set *s, const char *prefix, const char *name, uint64_t v)
{
	return add_n(s, prefix, strlen(prefix), name, strlen(name), v);
}

/* A cursor over one line: [p, end). */
struct span {
	const char *p, *end;
};

static bool next_line(const char **text, const char *end, struct span *line)
{
	const char *p = *text;

	if (p >= end)
		return false;
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	line->p = p;
	line->end = nl ? nl : end;
	*text = nl ? nl + 1 : end;
	return true;
}

static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r'; }

/* Next whitespace-separated token of a line; false at the end. */
static bool next_token(struct span *line, struct span *tok)
{
	while (line->p < line->end && is_space(*line->p))
		line->p++;
	if (line->p >= line->end)
		return false;
	tok->p = line->p;
	while (line->p < line->end && !is_space(*line->p))
		line->p++;
	tok->end = line->p;
	return true;
}

/* Decimal, optionally negative (wraps modulo 2^64 as nstat's %llu does). */
static bool parse_u64(struct span t, uint64_t *out)
{
	bool neg = false;
	uint64_t v = 0;

	if (t.p < t.end && *t.p == '-') {
		neg = true;
		t.p++;
	}
	if (t.p >= t.end)
		return false;
	for (; t.p < t.end; t.p++) {
		unsigned d = (unsigned)(*t.p - '0');
		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = neg ? (uint64_t)0 - v : v;
	return true;
}

/* "Prefix:" at the start of a line; returns its length without the colon. */
static bool line_prefix(struct span *line, struct span *prefix)
{
	struct span tok;

	if (!next_token(line, &tok) || tok.end - tok.p < 2 || tok.end[-1] != ':')
		return false;
	prefix->p = tok.p;
	prefix->end = tok.end - 1;
	return true;
}

static bool same(struct span a, struct span b)
{
	return a.end - a.p == b.end - b.p && memcmp(a.p, b.p, (size_t)(a.end - a.p)) == 0;
}

int counters_parse_table(struct counter_set *s, const char *text, size_t len)
{
	const char *end = text + len;
	struct span head, vals;
	int bad = 0;

	while (next_line(&text, end, &head)) {
		struct span hp, vp, name, val;

		if (head.p == head.end)
			continue;
		if (!line_prefix(&head, &hp) || !next_line(&text, end, &vals) ||
		    !line_prefix(&vals, &vp) || !same(hp, vp)) {
			bad = -EBADMSG;
			continue;
		}
		while (next_token(&head, &name)) {
			uint64_t v;
			if (!next_token(&vals, &val)) {
				bad = -EBADMSG; /* fewer values than names */
				break;
			}
			if (!parse_u64(val, &v)) {
				bad = -EBADMSG;
				continue;
			}
			int err = add_n(s, hp.p, (size_t)(hp.end - hp.p), name.p,
					(size_t)(name.end - name.p), v);
			if (err == -ENOMEM)
				return err;
			if (err)
				bad = -EBADMSG;
		}
	}
	return bad;
}

int counters_parse_pairs(struct counter_set *s, const char *text, size_t len)
{
	const char *end = text + len;
	struct span line, name, val, extra;
	int bad = 0;

	while (next_line(&text, end, &line)) {
		uint64_t v;

		if (!next_token(&line, &name))
			continue;
		if (!next_token(&line, &val) || next_token(&line, &extra) || !parse_u64(val, &v)) {
			bad = -EBADMSG;
			continue;
		}
		int err = add_n(s, "", 0, name.p, (size_t)(name.end - name.p), v);
		if (err == -ENOMEM)
			return err;
		if (err)
			bad = -EBADMSG;
	}
	return bad;
}

static const struct {
	const char *path;
	bool table;
	bool optional;
} files[] = {
	{ "/proc/net/sctp/snmp", false, true },
	{ "/proc/net/snmp", true, false },
	{ "/proc/net/snmp6", false, true },
	{ "/proc/net/netstat", true, false },
};

int counters_read(struct host *h, struct counter_set *s, const char **file)
{
	int bad = 0;

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char *buf;
		size_t len;
		int err = host_read_file(h, files[i].path, &buf, &len);

		if (err == -ENOENT && files[i].optional)
			continue;
		if (err) {
			if (file)
				*file = files[i].path;
			return err;
		}
		err = files[i].table ? counters_parse_table(s, buf, len)
				     : counters_parse_pairs(s, buf, len);
		free(buf);
		if (err == -ENOMEM)
			return err;
		if (err && !bad) {
			bad = err;
			if (file)
				*file = files[i].path;
		}
	}
	return bad;
}

static const struct counter_set *sort_set;

static int cmp_index(const void *a, const void *b)
{
	return strcmp(sort_set->v[*(const uint32_t *)a].name, sort_set->v[*(const uint32_t *)b].name);
}

const struct counter *counters_find(struct counter_set *s, const char *name)
{
	if (s->nindex != s->n) {
		uint32_t *ix = realloc(s->index, (s->n ? s->n : 1) * sizeof(*ix));
		if (!ix) {
			for (size_t i = 0; i < s->n; i++)
				if (strcmp(s->v[i].name, name) == 0)
					return &s->v[i];
			return NULL;
		}
		s->index = ix;
		for (size_t i = 0; i < s->n; i++)
			ix[i] = (uint32_t)i;
		sort_set = s;
		qsort(ix, s->n, sizeof(*ix), cmp_index);
		sort_set = NULL;
		s->nindex = s->n;
	}
	size_t lo = 0, hi = s->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(s->v[s->index[mid]].name, name);
		if (c == 0)
			return &s->v[s->index[mid]];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}
