/* The event row and count table of soconnect and udpconnect. */
#include "tracers/so_connect.h"

#include "bpf/soconnect.h"
#include "tracers/so_util.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

void so_connect_event(struct trace_ctx *tc, const void *data)
{
	const struct soconnect_event *e = data;
	const char *type = so_type_name(e->sotype);
	uint16_t family;
	struct table *t = trace_row_begin(tc, &e->h);

	memcpy(&family, e->sa, sizeof(family));
	trace_cells_task(t, SOC_PID, e->h.pid, e->h.comm);
	out_cell_i64(t, SOC_FD, e->fd);
	out_cell_str(t, SOC_AF, e->addrlen >= 2 && so_family_name(family) ? so_family_name(family)
									    : "-");
	out_cell_fixed(t, SOC_LAT, (double)e->lat_ns / 1e6, 3);
	out_field_double(t, "latency_ms", NULL, (double)e->lat_ns / 1e6, 3);
	so_cells_result(t, SOC_RESULT, e->ret);
	so_cells_dest(t, SOC_DEST, e->sa, sizeof(e->sa), e->addrlen);
	if (type)
		out_field_str(t, "type", NULL, type);
	if (e->sotype)
		out_field_u64(t, "protocol", NULL, e->protocol);
	trace_row_end(tc, &e->h);
}

struct count_row {
	struct soconnect_key k;
	struct soconnect_val v;
};

static int cmp_count(const void *a, const void *b)
{
	const struct count_row *x = a, *y = b;

	return so_count_cmp(x->v.count, x->k.comm, y->v.count, y->k.comm);
}

void so_connect_counts(struct trace_ctx *tc, struct bpf_map *counts)
{
	static const struct out_col cols[] = { SO_COUNT_COLS, { "DEST", NULL, OUT_LAST, 0 } };
	struct count_row *rows;
	size_t n = TRACE_COUNT_ROWS(tc, counts, rows, cmp_count);
	struct table *t = trace_summary_begin(cols, 5);

	for (size_t i = 0; i < n; i++) {
		const struct count_row *r = &rows[i];
		unsigned addrlen = r->k.addrlen;
		uint16_t family;

		memcpy(&family, r->k.sa, sizeof(family));
		if (family == AF_INET)
			addrlen = 16; /* the key keeps what names the destination */
		else if (family == AF_INET6)
			addrlen = 28;
		trace_summary_row(t);
		so_count_cells(t, r->v.count, r->k.comm, r->k.ret, r->v.lat_ns);
		so_cells_dest(t, TRACE_COL0 + 4, r->k.sa, sizeof(r->k.sa), addrlen);
		out_row_end(t);
	}
	out_table_end(t);
	free(rows);
}
