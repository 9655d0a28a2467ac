/* Interval tables: kernel tables that a summary reads and empties every
 * -i interval without losing what the programs add meanwhile.
 *
 * Deleting the entries of a live hash map loses what a program adds to an
 * entry it looked up just before the delete (its update lands in a freed
 * element). TR_INTERVAL_TABLE (bpf/netlens.bpf.h) declares the table as a
 * one-slot array of hash maps, which the programs look up on each use;
 * every interval user space points the slot at an empty hash map, and the
 * update returns only once no program still runs on the old one (the
 * kernel waits for an RCU grace period on every update of an array of
 * maps: maybe_wait_bpf_programs()). The old map is then read, emptied and
 * kept for the next interval. Counters, maxima, names and stack ids alike
 * are exact per interval, with no difference taken.
 *
 * The framework calls trace_tables_prepare() before the object is loaded
 * (libbpf forgets the inner map's shape once the outer exists; --max-keys
 * sizes the inner maps), trace_tables_start() after it, before attaching,
 * and trace_tables_stop() when it unloads, each for one object (a process
 * may hold several: the exporter's collectors). trace_map_read() and the
 * TRACE_*_ROWS readers take the outer map as they take a hash map. */
#ifndef NETLENS_TRACE_TABLES_H
#define NETLENS_TRACE_TABLES_H

#include <stdbool.h>
#include <stddef.h>

struct bpf_map;
struct bpf_object;

void trace_tables_prepare(struct bpf_object *obj, unsigned int max_keys);
/* 0, or -errno when an inner map cannot be made or installed. */
int trace_tables_start(const struct bpf_object *obj);
void trace_tables_stop(const struct bpf_object *obj);

/* True when m is an interval table (its outer map). */
bool trace_table_is(const struct bpf_map *m);
/* The inner maps' key and value sizes and entries. */
void trace_table_shape(const struct bpf_map *m, size_t *key_size, size_t *value_size,
		       unsigned int *max_entries);
/* The fd of m's inner map to read: with swap, the one the programs used
 * until now, after they moved to an empty one (trace_table_done() gives it
 * back, empty); else the current one. -errno when the swap fails. */
int trace_table_take(const struct bpf_map *m, bool swap);
/* After a swap: fd (from trace_table_take) emptied and kept for the next. */
void trace_table_done(const struct bpf_map *m, int fd);

#endif
