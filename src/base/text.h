/* Text that reaches a terminal: what may be printed as it is.
 *
 * Strings that come from outside (command lines, file names, process
 * names, kernel data) can hold control bytes and invalid UTF-8: printed
 * raw they break a line into several, or send escape sequences to the
 * operator's terminal. text_escape() copies such a string with every
 * control byte (< 0x20, 0x7f) and every byte that is not part of a
 * well-formed UTF-8 sequence written as \xNN; everything else, valid
 * UTF-8 included, passes through. */
#ifndef NETLENS_TEXT_H
#define NETLENS_TEXT_H

#include "base/strbuf.h"

#include <stdbool.h>
#include <stddef.h>

/* Length of the well-formed UTF-8 sequence at p (Unicode table 3-7: no
 * overlong forms, no surrogates, nothing above U+10FFFF), or 0. p is
 * NUL-terminated, and NUL is no continuation byte, so reads stay in it. */
size_t utf8_len(const unsigned char *p);

/* True when s needs no escaping. */
bool text_is_clean(const char *s);

/* s, escaped as above, appended to sb. */
void text_escape(struct strbuf *sb, const char *s);

#endif
