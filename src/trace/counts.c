/* Per-endpoint count maps (struct tr_endpoint -> struct tr_counts), printed
 * as a table sorted by count. */
#include "trace/trace.h"
#include "trace/tables.h"

#include "base/stamp.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>

struct row {
	struct tr_endpoint k;
	struct tr_counts v;
};

static int cmp_rows(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	uint64_t tx = x->v.ok + x->v.failed, ty = y->v.ok + y->v.failed;

	return tx < ty ? 1 : tx > ty ? -1 : 0;
}

void trace_print_counts(const struct trace_ctx *tc, struct bpf_map *map, const char *addr_title,
			const char *addr_key, const char *port_title, const char *port_key,
			bool with_failed)
{
	const struct out_col cols[] = {
		{ addr_title, addr_key, 0, 15 },
		{ port_title, port_key, OUT_RIGHT, 5 },
		{ "COUNT", "count", OUT_RIGHT, 6 },
		{ with_failed ? "FAILED" : NULL, with_failed ? "failed" : NULL, OUT_RIGHT, 6 },
	};
	struct row *rows;
	size_t n = TRACE_COUNT_ROWS(tc, map, rows, cmp_rows);
	struct table *t;

	t = trace_summary_begin(cols, 4);
	for (size_t i = 0; i < n; i++) {
		char a[64];
		trace_summary_row(t);
		out_field_u64(t, "ip", NULL, rows[i].k.family == AF_INET6 ? 6 : 4);
		out_cell_str(t, TRACE_COL0, trace_addr_str(a, rows[i].k.family, rows[i].k.addr));
		out_cell_u64(t, TRACE_COL0 + 1, rows[i].k.port);
		out_cell_u64(t, TRACE_COL0 + 2, rows[i].v.ok + rows[i].v.failed);
		if (with_failed)
			out_cell_u64(t, TRACE_COL0 + 3, rows[i].v.failed);
		out_row_end(t);
	}
	out_table_end(t);
	free(rows);
}

/* Where a record's value starts (the key rounded up to 8) and the record's
 * size (the value rounded up to 8 after it): trace_map_read()'s layout. */
static size_t val_off(size_t ks) { return (ks + 7) & ~(size_t)7; }
static size_t rec_size(size_t ks, size_t vs) { return (val_off(ks) + vs + 7) & ~(size_t)7; }

/* The records of the map at fd (keys of ks bytes, values of vs): see
 * trace_map_read(). */
static size_t read_fd(int fd, size_t ks, size_t vs, void **out)
{
	size_t voff = val_off(ks), rs = rec_size(ks, vs);
	char *recs = NULL, *key = malloc(ks), *prev = NULL;
	size_t n = 0, cap = 0;

	if (!key)
		abort();
	for (;;) {
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			recs = realloc(recs, cap * rs);
			if (!recs)
				abort();
		}
		char *r = recs + n * rs;
		memset(r, 0, rs);
		if (bpf_map_get_next_key(fd, prev, r) != 0)
			break;
		if (bpf_map_lookup_elem(fd, r, r + voff) == 0)
			n++;
		memcpy(key, r, ks);
		prev = key;
	}
	free(key);
	*out = recs;
	return n;
}

/* An interval table (trace/tables.h): with clear, the table the programs
 * filled until now, read once they moved to an empty one, then emptied
 * (no program writes it any more: nothing is lost). */
static size_t table_read(struct bpf_map *map, void **out, bool clear)
{
	size_t ks, vs, rs, n;
	unsigned int max;
	int fd = trace_table_take(map, clear);

	trace_table_shape(map, &ks, &vs, &max);
	if (fd < 0) {
		*out = NULL;
		return 0;
	}
	n = read_fd(fd, ks, vs, out);
	if (clear) {
		rs = rec_size(ks, vs);
		for (size_t i = 0; i < n; i++)
			bpf_map_delete_elem(fd, (char *)*out + i * rs);
		trace_table_done(map, fd);
	}
	return n;
}

size_t trace_map_read(struct bpf_map *map, void **out, bool clear)
{
	size_t ks = bpf_map__key_size(map), vs = bpf_map__value_size(map);
	size_t voff = val_off(ks), rs = rec_size(ks, vs);
	int fd = bpf_map__fd(map);
	size_t n;

	if (trace_table_is(map))
		return table_read(map, out, clear);
	n = read_fd(fd, ks, vs, out);
	if (clear) {
		/* read and delete in one step (hash maps, 5.14+): counts the kernel
		 * adds between the walk above and the delete are in the value read
		 * here, not lost (but not what a program adds to an entry it
		 * looked up before the delete: interval tables have no such
		 * loss); elsewhere the walk's value, then a delete */
		char *recs = *out;
		size_t kept = 0;
		for (size_t i = 0; i < n; i++) {
			char *r = recs + i * rs;
			int e = bpf_map_lookup_and_delete_elem(fd, r, r + voff);
			if (e == -ENOENT)
				continue; /* gone meanwhile */
			if (e < 0) /* not for this map type or kernel */
				bpf_map_delete_elem(fd, r);
			if (kept != i)
				memcpy(recs + kept * rs, r, rs);
			kept++;
		}
		n = kept;
	}
	return n;
}

/* Aborts unless map's records are row_size bytes. */
static void check_row_size(const struct trace_ctx *tc, struct bpf_map *map, size_t row_size)
{
	size_t ks = bpf_map__key_size(map), vs = bpf_map__value_size(map), rs;
	unsigned int max;

	if (trace_table_is(map))
		trace_table_shape(map, &ks, &vs, &max);
	rs = rec_size(ks, vs);

	if (rs != row_size) {
		fprintf(stderr, "netlens: bug: %s: map %s holds %zu-byte records, the rows are %zu\n",
			tc->tr->name, bpf_map__name(map), rs, row_size);
		abort();
	}
}

/* ---- counters read as increments ----
 * Deleting an entry every interval loses counts: a program that looked the
 * entry up a moment before the delete adds to the freed copy. So a map of
 * counters keeps its entries while they count; each interval reports what
 * every entry gained since the previous one (kept here, sorted by key), and
 * only an entry that gained nothing for a whole interval is deleted: read
 * and deleted at once, anything it gained since the walk reported. */
struct count_map {
	const struct bpf_map *map;
	char *recs; /* the previous interval's records, sorted by key */
	size_t n;
};

static struct count_map count_maps[8];
static size_t count_key_size;

static int cmp_key(const void *a, const void *b)
{
	return memcmp(a, b, count_key_size);
}

static struct count_map *count_map_of(const struct bpf_map *map)
{
	for (size_t i = 0; i < sizeof(count_maps) / sizeof(count_maps[0]); i++) {
		if (count_maps[i].map == map || !count_maps[i].map) {
			count_maps[i].map = map;
			return &count_maps[i];
		}
	}
	abort(); /* more counting maps than any tracer has */
}

/* r's counters minus p's (p NULL: none); true when any grew. */
static bool count_sub(char *r, const char *p, size_t voff, size_t vs)
{
	bool grew = false;

	for (size_t o = 0; p && o + 8 <= vs; o += 8) {
		uint64_t a, b;

		memcpy(&a, r + voff + o, 8);
		memcpy(&b, p + voff + o, 8);
		a -= b;
		grew |= a != 0;
		memcpy(r + voff + o, &a, 8);
	}
	if (!p)
		for (size_t o = 0; o < vs && !grew; o++)
			grew = r[voff + o] != 0;
	return grew;
}

static size_t count_rows_read(struct bpf_map *map, void **out)
{
	size_t ks = bpf_map__key_size(map), vs = bpf_map__value_size(map);
	size_t voff = val_off(ks), rs = rec_size(ks, vs);
	struct count_map *c = count_map_of(map);
	char *cur, *rows, *was = malloc(rs);
	size_t n = trace_map_read(map, (void **)&cur, false), m = 0, kept = 0;
	bool *keep = calloc(n ? n : 1, sizeof(*keep));
	int fd = bpf_map__fd(map);

	rows = malloc((n ? n : 1) * rs);
	if (!rows || !was || !keep)
		abort();
	count_key_size = ks;
	qsort(cur, n, rs, cmp_key);
	for (size_t i = 0; i < n; i++) {
		char *r = cur + i * rs, *row = rows + m * rs;
		const char *p = c->n ? bsearch(r, c->recs, c->n, rs, cmp_key) : NULL;

		memcpy(row, r, rs);
		if (count_sub(row, p, voff, vs)) {
			keep[i] = true;
			m++;
			continue;
		}
		/* idle for an interval: deleted; what came since the walk counts */
		memcpy(was, r, rs);
		if (bpf_map_lookup_and_delete_elem(fd, r, r + voff) != 0) {
			if (bpf_map_delete_elem(fd, r) != 0) /* gone meanwhile */
				continue;
			memcpy(r, was, rs); /* a map without the one-step delete */
		}
		memcpy(row, r, rs);
		if (count_sub(row, was, voff, vs))
			m++;
	}
	/* the next interval's base: the entries left in the map, sorted */
	for (size_t i = 0; i < n; i++)
		if (keep[i])
			memmove(cur + kept++ * rs, cur + i * rs, rs);
	free(c->recs);
	c->recs = cur;
	c->n = kept;
	free(keep);
	free(was);
	*out = rows;
	return m;
}

size_t trace_count_rows(const struct trace_ctx *tc, struct bpf_map *map, void **rows,
			size_t row_size, int (*cmp)(const void *, const void *))
{
	size_t n;

	check_row_size(tc, map, row_size);
	if (trace_table_is(map)) {
		/* swapped whole each interval: no difference to take */
		n = trace_map_read(map, rows, tc->o.interval > 0);
	} else {
		if (bpf_map__value_size(map) % 8)
			abort(); /* not u64 counters */
		n = tc->o.interval > 0 ? count_rows_read(map, rows) : trace_map_read(map, rows, false);
	}
	if (cmp && n > 1)
		qsort(*rows, n, row_size, cmp);
	return n;
}

size_t trace_summary_rows(const struct trace_ctx *tc, struct bpf_map *map, void **rows,
			  size_t row_size, int (*cmp)(const void *, const void *))
{
	size_t n;

	check_row_size(tc, map, row_size);
	n = trace_map_read(map, rows, tc->o.interval > 0);
	if (cmp && n > 1)
		qsort(*rows, n, row_size, cmp);
	return n;
}

void trace_interval_stamp(const struct trace_ctx *tc)
{
	const struct interval_stamp *st = trace_stamp();

	(void)tc;
	if (!st || out_is_json())
		return;
	out_blank();
	out_line("%s", st->clock);
}

struct table *trace_summary_begin(const struct out_col *cols, int ncols)
{
	static struct out_col c[32];

	if (ncols + 1 > (int)(sizeof(c) / sizeof(c[0])))
		abort();
	c[0] = (struct out_col){ trace_stamp() ? "TIME" : NULL, NULL, 0, 8 };
	memcpy(&c[1], cols, sizeof(*cols) * (size_t)ncols);
	return out_table_begin(c, ncols + 1);
}

void trace_summary_row(struct table *t)
{
	const struct interval_stamp *st = trace_stamp();

	out_row_begin(t);
	if (st) {
		out_cell_str(t, 0, st->clock);
		out_field_double(t, "time", NULL, st->epoch, 6);
	}
}

size_t trace_rows_merge(void *rows, size_t n, size_t row_size,
			int (*cmp)(const void *, const void *), void (*add)(void *to, const void *from))
{
	char *r = rows;
	size_t out = 0;

	for (size_t i = 0; i < n; i++) {
		char *to = out ? r + (out - 1) * row_size : NULL, *from = r + i * row_size;
		if (to && cmp(to, from) == 0) {
			add(to, from);
			continue;
		}
		if (out != i)
			memcpy(r + out * row_size, from, row_size);
		out++;
	}
	return out;
}

int trace_percpu_array_sum(struct bpf_map *m, uint32_t nentries, uint64_t *out, size_t n)
{
	int ncpu_i = libbpf_num_possible_cpus();
	size_t vsz = n * sizeof(uint64_t), ncpu = ncpu_i > 0 ? (size_t)ncpu_i : 0;
	uint32_t *keys, count = nentries, out_batch = 0;
	uint64_t *v;
	int e;

	if (!ncpu || bpf_map__value_size(m) != vsz || bpf_map__max_entries(m) != nentries)
		return -EINVAL;
	keys = calloc(nentries, sizeof(*keys));
	v = calloc((size_t)nentries * ncpu, vsz);
	if (!keys || !v) {
		free(keys);
		free(v);
		return -ENOMEM;
	}
	e = bpf_map_lookup_batch(bpf_map__fd(m), NULL, &out_batch, keys, v, &count, NULL);
	if (e == -ENOENT) /* the whole map in one batch: "no more" is success */
		e = 0;
	if (!e && count != nentries)
		e = -EIO;
	memset(out, 0, vsz * nentries);
	for (uint32_t i = 0; !e && i < count; i++) {
		if (keys[i] >= nentries)
			continue;
		for (size_t cpu = 0; cpu < ncpu; cpu++)
			for (size_t j = 0; j < n; j++)
				out[(size_t)keys[i] * n + j] += v[((size_t)i * ncpu + cpu) * n + j];
	}
	free(keys);
	free(v);
	return e;
}
