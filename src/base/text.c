/* Text safe to print: see text.h. */
#include "base/text.h"

size_t utf8_len(const unsigned char *p)
{
	unsigned char c = p[0], lo = 0x80, hi = 0xbf;
	size_t n;

	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
	else
		return 0;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return n;
}

/* Bytes of the clean sequence at p: 1 for a printable ASCII byte, the
 * sequence's length for valid UTF-8, 0 for a byte to escape. */
static size_t clean_at(const unsigned char *p)
{
	if (*p >= 0x20 && *p < 0x7f)
		return 1;
	return *p >= 0x80 ? utf8_len(p) : 0;
}

bool text_is_clean(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;

	for (; *p; p += n)
		if (!(n = clean_at(p)))
			return false;
	return true;
}

void text_escape(struct strbuf *sb, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		size_t n = clean_at(p);
		if (n) {
			sb_add(sb, p, n);
			p += n;
		} else {
			char e[4] = { '\\', 'x', hex[*p >> 4], hex[*p & 15] };
			sb_add(sb, e, sizeof(e));
			p++;
		}
	}
}
