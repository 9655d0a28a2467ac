/* A streaming JSON writer: the one place that emits JSON punctuation.
 *
 * The writer appends to a caller's struct strbuf and owns everything between
 * the values: braces, brackets, commas, the colon after a key, the quotes
 * and escapes of every string. A caller says what comes next (a key, a value,
 * a container) and never prints a brace or a comma itself. Model: bpftool's
 * json_writer.c.
 *
 * Invariants:
 *   - Output is always valid JSON text (RFC 8259) for balanced calls:
 *     strings are escaped ('"', '\\', every byte < 0x20 and 0x7f), and
 *     invalid UTF-8 becomes U+FFFD (one "\ufffd" per bad byte) so a
 *     strict parser never rejects a line; valid UTF-8 passes through.
 *     A non-finite double (NaN, +-Inf) is written as null, never nan/inf.
 *   - Inside an object every value is preceded by json_key() (or use the
 *     json_field_*() shorthands); inside an array, and at the top level,
 *     values come bare. Breaking this, ending the wrong container or nesting
 *     deeper than JSON_MAX_DEPTH is a programming error and aborts.
 *   - The writer never allocates: it appends to *out (which grows as
 *     strbuf does, aborting when memory runs out) and never flushes it.
 *
 * Memory: the caller owns the strbuf and the struct json (usually on the
 * stack or inside a bigger struct); json_init() takes no ownership. Strings
 * passed in are copied into the buffer at once. To print one JSON record on
 * stdout, use out_record_begin()/out_record_end() in base/output.h, which
 * own a writer and a buffer for you.
 *
 *	struct strbuf sb = STRBUF_INIT;
 *	struct json w;
 *	json_init(&w, &sb);
 *	json_obj_begin(&w);
 *	json_field_u64(&w, "lost_events", n);   // {"lost_events":3
 *	json_key(&w, "hooks");
 *	json_arr_begin(&w);
 *	json_str(&w, "tcp_v4_connect");         // ,"hooks":["tcp_v4_connect"
 *	json_arr_end(&w);
 *	json_obj_end(&w);                       // ]}
 */
#ifndef NETLENS_JSON_H
#define NETLENS_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/strbuf.h"

enum { JSON_MAX_DEPTH = 64 };

/* Where the writer is: what the next call may write. */
enum json_state {
	JSON_TOP,       /* outside any container */
	JSON_OBJ_EMPTY, /* in an object, no member yet: a key may come */
	JSON_OBJ,       /* in an object after a member: a comma and a key */
	JSON_KEY,       /* after a key: its value */
	JSON_ARR_EMPTY, /* in an array, no element yet */
	JSON_ARR,       /* in an array after an element: a comma and a value */
};

struct json {
	struct strbuf *out;
	unsigned char cur; /* enum json_state of the innermost container */
	int depth;         /* open containers; 0 at the top level */
	unsigned char up[JSON_MAX_DEPTH]; /* the enclosing containers' states */
};

void json_init(struct json *w, struct strbuf *out);

void json_obj_begin(struct json *w);
void json_obj_end(struct json *w);
void json_arr_begin(struct json *w);
void json_arr_end(struct json *w);

/* The name of the next member of the current object. */
void json_key(struct json *w, const char *key);

/* Values: bare in an array or at the top level, after json_key() in an
 * object. A NULL string is written as "". */
void json_str(struct json *w, const char *s);
void json_u64(struct json *w, uint64_t v);
void json_i64(struct json *w, int64_t v);
/* The shortest decimal that reads back as exactly v (%.15g to %.17g). */
void json_double(struct json *w, double v);
/* At most `decimals` (0..9) digits after the point, trailing zeros trimmed:
 * 1.5 not 1.500000 (printf's rounding). */
void json_fixed(struct json *w, double v, int decimals);
void json_bool(struct json *w, bool v);
void json_null(struct json *w);

/* key + value in one call. */
void json_field_str(struct json *w, const char *key, const char *s);
void json_field_u64(struct json *w, const char *key, uint64_t v);
void json_field_i64(struct json *w, const char *key, int64_t v);
void json_field_double(struct json *w, const char *key, double v);
void json_field_fixed(struct json *w, const char *key, double v, int decimals);
void json_field_bool(struct json *w, const char *key, bool v);
void json_field_null(struct json *w, const char *key);

/* Hot paths for the output layer, which formats the same digits for text
 * and JSON and writes the same column keys on every row:
 *   json_key_quote() appends `"key":` (escaped) to sb, once per table;
 *   json_key_quoted() writes such a prepared key as the next member's name;
 *   json_number() writes a value the caller formatted: it must be a JSON
 *   number (optional '-', digits, optional '.' and digits), true, false or
 *   null (out_fmt_fixed() writes null for a non-finite double). */
void json_key_quote(struct strbuf *sb, const char *key);
static inline void json_key_quoted(struct json *w, const char *quoted, size_t n);
static inline void json_number(struct json *w, const char *num, size_t n);

/* s as a quoted, escaped JSON string appended to sb (no separator). */
void json_quote(struct strbuf *sb, const char *s);

/* ---- inline: the per-member work of every JSON row (output.c's hot
 * path), kept here so a row costs no more calls than a hand-built one ---- */

/* Aborts: the caller broke the rules above. */
void json__misuse(void) __attribute__((noreturn, cold));

static inline void json__put(struct strbuf *b, const char *s, size_t n)
{
	if (b->len + n >= b->cap)
		sb_grow(b, n);
	memcpy(b->buf + b->len, s, n);
	b->len += n;
	b->buf[b->len] = '\0';
}

static inline void json__putc(struct strbuf *b, char c)
{
	if (b->len + 1 >= b->cap)
		sb_grow(b, 1);
	b->buf[b->len++] = c;
	b->buf[b->len] = '\0';
}

/* Before a value: nothing after a key or at the top level (the caller
 * separates top-level values: JSON lines, '\n'); in an array, the comma
 * after the first element. */
static inline void json__value_sep(struct json *w)
{
	if (w->cur == JSON_KEY)
		w->cur = JSON_OBJ;
	else if (w->cur == JSON_ARR)
		json__putc(w->out, ',');
	else if (w->cur == JSON_ARR_EMPTY)
		w->cur = JSON_ARR;
	else if (w->cur != JSON_TOP)
		json__misuse(); /* a value in an object needs json_key() first */
}

/* Before a key: only in an object, and not right after another key. */
static inline void json__key_sep(struct json *w)
{
	if (w->cur == JSON_OBJ)
		json__putc(w->out, ',');
	else if (w->cur != JSON_OBJ_EMPTY)
		json__misuse();
	w->cur = JSON_KEY;
}

static inline void json_key_quoted(struct json *w, const char *quoted, size_t n)
{
	json__key_sep(w);
	json__put(w->out, quoted, n);
}

static inline void json_number(struct json *w, const char *num, size_t n)
{
	json__value_sep(w);
	json__put(w->out, num, n);
}

#endif
