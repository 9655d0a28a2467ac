/* Interval tables: see tables.h. */
#include "trace/tables.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#define MAX_TABLES 32 /* over every object loaded (the exporter loads several) */

static struct itable {
	const struct bpf_object *obj;
	const struct bpf_map *outer;
	enum bpf_map_type type;
	__u32 key_size, value_size, max_entries, flags;
	int cur, spare; /* inner maps: the programs', and the next (empty) */
} tabs[MAX_TABLES];
static int ntabs;

void trace_tables_prepare(struct bpf_object *obj, unsigned int max_keys)
{
	struct bpf_map *m;

	trace_tables_stop(obj);
	bpf_object__for_each_map(m, obj) {
		struct bpf_map *in;
		if (bpf_map__type(m) != BPF_MAP_TYPE_ARRAY_OF_MAPS)
			continue;
		in = bpf_map__inner_map(m);
		if (!in || ntabs == MAX_TABLES)
			abort(); /* a TR_INTERVAL_TABLE has its inner map's shape */
		/* not bpf_map__set_max_entries() on the template (libbpf 1.1
		 * faults on an inner map): the outer map takes hash maps of any
		 * size, and the inner ones are made here */
		tabs[ntabs++] = (struct itable){
			.obj = obj,
			.outer = m,
			.type = bpf_map__type(in),
			.key_size = bpf_map__key_size(in),
			.value_size = bpf_map__value_size(in),
			.max_entries = max_keys ? max_keys : bpf_map__max_entries(in),
			.flags = bpf_map__map_flags(in),
			.cur = -1,
			.spare = -1,
		};
	}
}

static int inner_new(const struct itable *t)
{
	LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = t->flags);
	int fd = bpf_map_create(t->type, "nl_interval", t->key_size, t->value_size,
				t->max_entries, &o);

	return fd < 0 ? -errno : fd;
}

/* Points t's slot at inner map fd: returns once no program runs on the
 * map it held. */
static int install(const struct itable *t, int fd)
{
	__u32 zero = 0;

	return bpf_map_update_elem(bpf_map__fd(t->outer), &zero, &fd, BPF_ANY) ? -errno : 0;
}

int trace_tables_start(const struct bpf_object *obj)
{
	for (int i = 0; i < ntabs; i++) {
		struct itable *t = &tabs[i];
		int err;
		if (t->obj != obj)
			continue;
		if ((t->cur = inner_new(t)) < 0 || (t->spare = inner_new(t)) < 0)
			return t->cur < 0 ? t->cur : t->spare;
		if ((err = install(t, t->cur)) < 0)
			return err;
	}
	return 0;
}

void trace_tables_stop(const struct bpf_object *obj)
{
	int kept = 0;

	for (int i = 0; i < ntabs; i++) {
		if (tabs[i].obj != obj) {
			tabs[kept++] = tabs[i];
			continue;
		}
		if (tabs[i].cur >= 0)
			close(tabs[i].cur);
		if (tabs[i].spare >= 0)
			close(tabs[i].spare);
	}
	ntabs = kept;
}

static struct itable *find(const struct bpf_map *m)
{
	for (int i = 0; i < ntabs; i++)
		if (tabs[i].outer == m)
			return &tabs[i];
	return NULL;
}

bool trace_table_is(const struct bpf_map *m)
{
	return find(m) != NULL;
}

void trace_table_shape(const struct bpf_map *m, size_t *key_size, size_t *value_size,
		       unsigned int *max_entries)
{
	const struct itable *t = find(m);

	if (!t)
		abort();
	*key_size = t->key_size;
	*value_size = t->value_size;
	*max_entries = t->max_entries;
}

int trace_table_take(const struct bpf_map *m, bool swap)
{
	struct itable *t = find(m);
	int old, err;

	if (!t || t->cur < 0)
		return -ENOENT;
	if (!swap)
		return t->cur;
	if ((err = install(t, t->spare)) < 0)
		return err;
	old = t->cur;
	t->cur = t->spare;
	t->spare = -1;
	return old;
}

void trace_table_done(const struct bpf_map *m, int fd)
{
	struct itable *t = find(m);

	if (!t || t->spare >= 0)
		abort(); /* one take at a time */
	t->spare = fd;
}
