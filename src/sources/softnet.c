/* /proc/net/softnet_stat parser. See softnet.h. */
#include "sources/softnet.h"
#include "sources/host.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_COLS = 32 };

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* One line -> up to MAX_COLS values; returns the column count or -EBADMSG. */
static int parse_line(const char *p, const char *end, uint32_t *col)
{
	int n = 0;

	while (p < end) {
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (p >= end)
			break;
		uint64_t v = 0;
		int digits = 0;
		for (; p < end && *p != ' ' && *p != '\t'; p++, digits++) {
			int h = hexval(*p);
			if (h < 0 || digits >= 8)
				return -EBADMSG; /* the kernel prints %08x: at most 8 digits */
			v = v << 4 | (unsigned)h;
		}
		if (n < MAX_COLS)
			col[n] = (uint32_t)v;
		n++;
	}
	return n;
}

int softnet_parse(const char *text, size_t len, struct softnet *out)
{
	const char *p = text, *end = text + len;
	size_t cap = 0;

	memset(out, 0, sizeof(*out));
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		uint32_t c[MAX_COLS] = { 0 };
		int n = parse_line(p, le, c);
		p = nl ? nl + 1 : end;
		if (n == 0)
			continue;
		if (n < 3) {
			softnet_free(out);
			return -EBADMSG;
		}
		if (out->n == cap) {
			cap = cap ? cap * 2 : 16;
			struct softnet_cpu *v = realloc(out->cpu, cap * sizeof(*v));
			if (!v) {
				softnet_free(out);
				return -ENOMEM;
			}
			out->cpu = v;
		}
		if (out->n == 0) {
			out->ncols = (unsigned)n;
			out->cpu_from_file = n > 12;
		}
		struct softnet_cpu *s = &out->cpu[out->n];
		memset(s, 0, sizeof(*s));
		s->cpu = n > 12 ? c[12] : (unsigned)out->n;
		s->processed = c[0];
		s->dropped = c[1];
		s->time_squeeze = c[2];
		s->has_rps = n > 9;
		s->received_rps = c[9];
		s->has_flow_limit = n > 10;
		s->flow_limit = c[10];
		s->has_backlog = n > 11;
		s->backlog = c[11];
		out->n++;
	}
	return 0;
}

int softnet_read(struct host *h, struct softnet *out)
{
	char *buf = NULL;
	size_t len = 0;
	int err = host_read_file(h, "/proc/net/softnet_stat", &buf, &len);

	if (err)
		return err;
	err = softnet_parse(buf, len, out);
	free(buf);
	return err;
}

void softnet_free(struct softnet *s)
{
	free(s->cpu);
	memset(s, 0, sizeof(*s));
}
