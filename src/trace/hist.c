/* Histograms as bars (text) or bucket arrays (JSON). */
#include "trace/trace.h"

#include "base/stamp.h"

#include <stdio.h>
#include <string.h>

#define BAR_WIDTH 40

static void bar(uint64_t v, uint64_t max)
{
	int n = max ? (int)((v * BAR_WIDTH + max - 1) / max) : 0;

	putc_unlocked('|', stdout);
	for (int i = 0; i < BAR_WIDTH; i++)
		putc_unlocked(i < n ? '*' : ' ', stdout);
	putc_unlocked('|', stdout);
}

/* Slots [lo, hi) that hold anything: prints nothing for an empty histogram. */
static int span(const uint64_t *slots, int nslots, int *lo, int *hi, uint64_t *max)
{
	*lo = -1;
	*hi = -1;
	*max = 0;
	for (int i = 0; i < nslots; i++) {
		if (!slots[i])
			continue;
		if (*lo < 0)
			*lo = i;
		*hi = i + 1;
		if (slots[i] > *max)
			*max = slots[i];
	}
	return *lo >= 0;
}

static void json_hist(const char *title, const char *unit, const uint64_t *slots, int lo,
		      int hi, bool log2, uint64_t step, int nslots, trace_hist_fields_fn *fields,
		      const void *arg)
{
	static const struct out_col none[] = { { NULL, NULL, 0, 0 } };
	struct table *t = out_table_begin(none, 1);

	out_row_begin(t);
	if (trace_stamp())
		out_field_double(t, "time", NULL, trace_stamp()->epoch, 6);
	out_obj_begin(t, "histogram", NULL);
	out_field_str(t, "name", NULL, title);
	out_field_str(t, "unit", NULL, unit);
	out_field_str(t, "scale", NULL, log2 ? "log2" : "linear");
	if (fields)
		fields(t, arg);
	out_arr_begin(t, "buckets", NULL);
	for (int i = lo; i >= 0 && i < hi; i++) {
		uint64_t from = log2 ? (i ? 1ULL << i : 0) : (uint64_t)i * step;
		out_obj_begin(t, "", NULL); /* key ignored inside arrays */
		out_field_u64(t, "from", NULL, from);
		if (log2)
			out_field_u64(t, "to", NULL, (2ULL << i) - 1);
		else if (i < nslots - 1)
			out_field_u64(t, "to", NULL, from + step - 1);
		out_field_u64(t, "count", NULL, slots[i]);
		out_obj_end(t);
	}
	out_arr_end(t);
	out_obj_end(t);
	out_row_end(t);
	out_table_end(t);
}

void trace_hist_print_log2(const char *title, const char *unit, const uint64_t *slots,
			   int nslots)
{
	trace_hist_print_log2_with(title, unit, slots, nslots, NULL, NULL);
}

void trace_hist_print_log2_with(const char *title, const char *unit, const uint64_t *slots,
				int nslots, trace_hist_fields_fn *fields, const void *arg)
{
	int lo, hi;
	uint64_t max;
	bool any = span(slots, nslots, &lo, &hi, &max);

	if (out_is_json()) {
		json_hist(title, unit, slots, lo, hi, true, 0, nslots, fields, arg);
		return;
	}
	out_line("%s", title); /* a key from the host: a process or device name */
	if (!any) {
		out_line("  (no samples)");
		return;
	}
	printf("%24s : %-10s %s\n", unit, "count", "distribution");
	for (int i = 0; i < hi; i++) {
		char range[48];
		unsigned long long from = i ? 1ULL << i : 0, to = (2ULL << i) - 1;
		snprintf(range, sizeof(range), "%llu -> %llu", from, to);
		printf("%24s : %-10llu ", range, (unsigned long long)slots[i]);
		bar(slots[i], max);
		putc_unlocked('\n', stdout);
	}
}

void trace_hist_print_linear(const char *title, const char *unit, const uint64_t *slots,
			     int nslots, uint64_t step)
{
	trace_hist_print_linear_with(title, unit, slots, nslots, step, NULL, NULL);
}

void trace_hist_print_linear_with(const char *title, const char *unit, const uint64_t *slots,
				  int nslots, uint64_t step, trace_hist_fields_fn *fields,
				  const void *arg)
{
	int lo, hi;
	uint64_t max;
	bool any = span(slots, nslots, &lo, &hi, &max);

	if (out_is_json()) {
		json_hist(title, unit, slots, lo, hi, false, step, nslots, fields, arg);
		return;
	}
	out_line("%s", title); /* a key from the host: a process or device name */
	if (!any) {
		out_line("  (no samples)");
		return;
	}
	printf("%24s : %-10s %s\n", unit, "count", "distribution");
	for (int i = lo; i < hi; i++) {
		char range[48];
		unsigned long long from = (unsigned long long)i * step;
		if (i == nslots - 1)
			snprintf(range, sizeof(range), "%llu ->", from);
		else
			snprintf(range, sizeof(range), "%llu -> %llu", from, from + step - 1);
		printf("%24s : %-10llu ", range, (unsigned long long)slots[i]);
		bar(slots[i], max);
		putc_unlocked('\n', stdout);
	}
}
