/* A growable byte buffer.
 *
 * Invariant: when buf is non-NULL, buf[len] == '\0', so the contents can be
 * used as a C string (it may also hold embedded NULs, which callers that do
 * that track themselves). Allocation failure aborts: the tool cannot do
 * anything useful without memory, and every caller would do the same.
 */
#ifndef NETLENS_STRBUF_H
#define NETLENS_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

struct strbuf {
	char *buf;
	size_t len, cap;
};

#define STRBUF_INIT { NULL, 0, 0 }

void sb_init(struct strbuf *sb);
void sb_free(struct strbuf *sb);
void sb_reset(struct strbuf *sb);
void sb_grow(struct strbuf *sb, size_t extra);
void sb_add(struct strbuf *sb, const void *data, size_t n);
void sb_puts(struct strbuf *sb, const char *s);
void sb_putc(struct strbuf *sb, char c);
void sb_printf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_vprintf(struct strbuf *sb, const char *fmt, va_list ap);

#endif
