/* /proc/net/stat/ tables. See procstat.h. */
#include "sources/procstat.h"
#include "sources/counters.h"
#include "sources/host.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *line_end(const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	return nl ? nl : end;
}

int procstat_parse(const char *text, size_t len, struct procstat *out)
{
	const char *p = text, *end = text + len;
	const char *le = line_end(p, end);
	size_t cap = 0;

	memset(out, 0, sizeof(*out));
	/* header: names separated by blanks */
	while (p < le) {
		while (p < le && isspace((unsigned char)*p))
			p++;
		if (p == le)
			break;
		const char *s = p;
		while (p < le && !isspace((unsigned char)*p))
			p++;
		if (out->ncols == PROCSTAT_MAX_COLS)
			break; /* later columns are ignored (rows are cut to match) */
		size_t n = (size_t)(p - s) < sizeof(out->names[0]) ? (size_t)(p - s)
								   : sizeof(out->names[0]) - 1;
		memcpy(out->names[out->ncols], s, n);
		out->names[out->ncols++][n] = '\0';
	}
	if (!out->ncols || !isalpha((unsigned char)out->names[0][0]))
		return -EBADMSG;
	unsigned all_cols = 0; /* columns the header really has */
	for (const char *q = text; q < le;) {
		while (q < le && isspace((unsigned char)*q))
			q++;
		if (q < le)
			all_cols++;
		while (q < le && !isspace((unsigned char)*q))
			q++;
	}
	for (p = le; p < end;) {
		p++; /* the newline */
		le = line_end(p, end);
		const char *q = p;
		while (q < le && isspace((unsigned char)*q))
			q++;
		if (q == le) {
			p = le;
			continue;
		}
		if (out->nrows == cap) {
			size_t nc = cap ? cap * 2 : 8;
			uint32_t *v = realloc(out->v, nc * out->ncols * sizeof(*v));
			if (!v) {
				procstat_free(out);
				return -ENOMEM;
			}
			out->v = v;
			cap = nc;
		}
		uint32_t *row = out->v + out->nrows * out->ncols;
		unsigned col = 0;
		while (q < le) {
			const char *s = q;
			unsigned long long x = 0;
			while (q < le && isxdigit((unsigned char)*q)) {
				x = x * 16 + (unsigned)(isdigit((unsigned char)*q) ? *q - '0'
										    : (tolower((unsigned char)*q) - 'a' + 10));
				if (x > UINT32_MAX)
					break;
				q++;
			}
			if (q == s || x > UINT32_MAX || (q < le && !isspace((unsigned char)*q))) {
				procstat_free(out);
				return -EBADMSG;
			}
			if (col < out->ncols)
				row[col] = (uint32_t)x;
			col++;
			while (q < le && isspace((unsigned char)*q))
				q++;
		}
		if (col != all_cols) {
			procstat_free(out);
			return -EBADMSG;
		}
		out->nrows++;
		p = le;
	}
	return 0;
}

int procstat_read(struct host *h, const char *path, struct procstat *out)
{
	char *buf;
	size_t len;
	int err = host_read_file(h, path, &buf, &len);

	if (err) {
		memset(out, 0, sizeof(*out));
		return err;
	}
	err = procstat_parse(buf, len, out);
	free(buf);
	return err;
}

void procstat_free(struct procstat *ps)
{
	free(ps->v);
	memset(ps, 0, sizeof(*ps));
}

int procstat_col(const struct procstat *ps, const char *name)
{
	for (unsigned i = 0; i < ps->ncols; i++)
		if (strcmp(ps->names[i], name) == 0)
			return (int)i;
	return -1;
}

long long procstat_first(const struct procstat *ps, const char *name)
{
	int c = procstat_col(ps, name);
	return c < 0 || !ps->nrows ? -1 : (long long)ps->v[c];
}

long long procstat_sum(const struct procstat *ps, const char *name)
{
	int c = procstat_col(ps, name);
	long long s = 0;

	if (c < 0)
		return -1;
	for (size_t r = 0; r < ps->nrows; r++)
		s += ps->v[r * ps->ncols + (unsigned)c];
	return s;
}

long long procstat_delta(const struct procstat *a, const struct procstat *b, const char *name)
{
	int ca = procstat_col(a, name), cb = procstat_col(b, name);
	long long d = 0;

	if (ca < 0 || cb < 0 || a->nrows != b->nrows)
		return -1;
	for (size_t r = 0; r < a->nrows; r++)
		d += (uint32_t)(b->v[r * b->ncols + (unsigned)cb] - a->v[r * a->ncols + (unsigned)ca]);
	return d;
}

int procstat_counters(struct host *h, struct counter_set *s)
{
	static const char *const tables[] = { "nf_conntrack", "arp_cache", "ndisc_cache" };
	int added = 0;

	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
		char path[64], prefix[32];
		struct procstat ps;
		snprintf(path, sizeof(path), "/proc/net/stat/%s", tables[t]);
		if (procstat_read(h, path, &ps))
			continue;
		snprintf(prefix, sizeof(prefix), "%s:", tables[t]);
		for (unsigned c = 0; c < ps.ncols; c++)
			if (strcmp(ps.names[c], "entries") != 0)
				counters_add(s, prefix, ps.names[c], (uint64_t)procstat_sum(&ps, ps.names[c]));
		procstat_free(&ps);
		added++;
	}
	return added;
}
