/* The streaming JSON writer: see json.h. */
#include "base/json.h"
#include "base/text.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- strings ---- */

/* Bytes that cannot be copied as they are: controls, '"', '\\', DEL, and
 * every non-ASCII byte (checked as UTF-8). NUL ends the string. */
static const bool special[256] = {
	[0 ... 0x1f] = true, ['"'] = true, ['\\'] = true, [0x7f ... 0xff] = true,
};

/* Length of the leading run of s that needs no attention. */
static inline size_t plain_len(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (!special[p[0]]) {
		if (special[p[1]])
			return (size_t)(p + 1 - (const unsigned char *)s);
		if (special[p[2]])
			return (size_t)(p + 2 - (const unsigned char *)s);
		if (special[p[3]])
			return (size_t)(p + 3 - (const unsigned char *)s);
		p += 4;
	}
	return (size_t)(p - (const unsigned char *)s);
}

/* The special byte(s) at s, escaped or copied, appended to b; returns how
 * many bytes of s were consumed. */
static size_t escape_at(struct strbuf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char c = (unsigned char)s[0];
	char e[6] = { '\\', 'u', '0', '0' };

	if (c >= 0x80) {
		size_t n = utf8_len((const unsigned char *)s);
		if (n)
			json__put(b, s, n);
		else
			json__put(b, "\\ufffd", 6); /* one replacement per byte, as decoders do */
		return n ? n : 1;
	}
	switch (c) {
	case '"': json__put(b, "\\\"", 2); return 1;
	case '\\': json__put(b, "\\\\", 2); return 1;
	case '\n': json__put(b, "\\n", 2); return 1;
	case '\t': json__put(b, "\\t", 2); return 1;
	case '\r': json__put(b, "\\r", 2); return 1;
	}
	e[4] = hex[c >> 4];
	e[5] = hex[c & 15];
	json__put(b, e, 6);
	return 1;
}

/* s quoted and escaped, then `suffix` (':' after a key, or nothing): the
 * clean case, nearly every string, is one length scan and one copy. */
static inline __attribute__((always_inline)) void quote(struct strbuf *b, const char *s,
							 const char *suffix, size_t sn)
{
	size_t n = plain_len(s);

	if (!s[n]) {
		if (b->len + n + 2 + sn >= b->cap)
			sb_grow(b, n + 2 + sn);
		char *p = b->buf + b->len;
		p[0] = '"';
		memcpy(p + 1, s, n);
		p[n + 1] = '"';
		memcpy(p + n + 2, suffix, sn);
		b->len += n + 2 + sn;
		b->buf[b->len] = '\0';
		return;
	}
	json__putc(b, '"');
	for (;;) {
		if (n)
			json__put(b, s, n);
		s += n;
		if (!*s)
			break;
		s += escape_at(b, s);
		n = plain_len(s);
	}
	json__putc(b, '"');
	json__put(b, suffix, sn);
}

void json_quote(struct strbuf *b, const char *s) { quote(b, s, "", 0); }

/* ---- structure ---- */

void json__misuse(void) { abort(); }

void json_init(struct json *w, struct strbuf *out)
{
	/* up[] is written before it is read: not cleared (once per row) */
	w->out = out;
	w->cur = JSON_TOP;
	w->depth = 0;
}

static void begin(struct json *w, bool array)
{
	json__value_sep(w);
	if (w->depth >= JSON_MAX_DEPTH)
		json__misuse();
	w->up[w->depth++] = w->cur;
	w->cur = array ? JSON_ARR_EMPTY : JSON_OBJ_EMPTY;
	json__putc(w->out, array ? '[' : '{');
}

static void end(struct json *w, bool array)
{
	bool ok = array ? w->cur == JSON_ARR || w->cur == JSON_ARR_EMPTY
			: w->cur == JSON_OBJ || w->cur == JSON_OBJ_EMPTY;

	if (!ok || w->depth == 0)
		json__misuse();
	w->cur = w->up[--w->depth];
	json__putc(w->out, array ? ']' : '}');
}

void json_obj_begin(struct json *w) { begin(w, false); }
void json_obj_end(struct json *w) { end(w, false); }
void json_arr_begin(struct json *w) { begin(w, true); }
void json_arr_end(struct json *w) { end(w, true); }

void json_key(struct json *w, const char *key)
{
	json__key_sep(w);
	quote(w->out, key ? key : "", ":", 1);
}

void json_key_quote(struct strbuf *sb, const char *key)
{
	quote(sb, key ? key : "", ":", 1);
}

/* ---- values ---- */

void json_str(struct json *w, const char *s)
{
	json__value_sep(w);
	quote(w->out, s ? s : "", "", 0);
}

static size_t fmt_u64(char *buf, uint64_t v)
{
	char tmp[20], *end = tmp + sizeof(tmp), *p = end;

	do
		*--p = (char)('0' + v % 10);
	while (v /= 10);
	memcpy(buf, p, (size_t)(end - p));
	return (size_t)(end - p);
}

void json_u64(struct json *w, uint64_t v)
{
	char b[24];
	json_number(w, b, fmt_u64(b, v));
}

void json_i64(struct json *w, int64_t v)
{
	char b[24];
	size_t n = 0;

	if (v < 0)
		b[n++] = '-';
	n += fmt_u64(b + n, v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v);
	json_number(w, b, n);
}

void json_double(struct json *w, double v)
{
	char b[32];
	int n = 0;

	if (!isfinite(v)) {
		json_null(w);
		return;
	}
	for (int prec = 15; prec <= 17; prec++) {
		n = snprintf(b, sizeof(b), "%.*g", prec, v);
		if (strtod(b, NULL) == v)
			break;
	}
	json_number(w, b, (size_t)n);
}

void json_fixed(struct json *w, double v, int decimals)
{
	char b[352]; /* DBL_MAX has 309 integer digits */
	int n;

	if (!isfinite(v)) {
		json_null(w);
		return;
	}
	if (decimals < 0)
		decimals = 0;
	if (decimals > 9)
		decimals = 9;
	n = snprintf(b, sizeof(b), "%.*f", decimals, v);
	if (n < 0 || (size_t)n >= sizeof(b))
		n = 0;
	if (memchr(b, '.', (size_t)n)) {
		while (b[n - 1] == '0')
			n--;
		if (b[n - 1] == '.')
			n--;
	}
	if (n == 2 && b[0] == '-' && b[1] == '0')
		b[0] = '0', n = 1;
	json_number(w, b, (size_t)n);
}

void json_bool(struct json *w, bool v) { json_number(w, v ? "true" : "false", v ? 4 : 5); }
void json_null(struct json *w) { json_number(w, "null", 4); }

void json_field_str(struct json *w, const char *key, const char *s)
{
	json_key(w, key);
	json_str(w, s);
}

void json_field_u64(struct json *w, const char *key, uint64_t v)
{
	json_key(w, key);
	json_u64(w, v);
}

void json_field_i64(struct json *w, const char *key, int64_t v)
{
	json_key(w, key);
	json_i64(w, v);
}

void json_field_double(struct json *w, const char *key, double v)
{
	json_key(w, key);
	json_double(w, v);
}

void json_field_fixed(struct json *w, const char *key, double v, int decimals)
{
	json_key(w, key);
	json_fixed(w, v, decimals);
}

void json_field_bool(struct json *w, const char *key, bool v)
{
	json_key(w, key);
	json_bool(w, v);
}

void json_field_null(struct json *w, const char *key)
{
	json_key(w, key);
	json_null(w);
}
