/* The event row, options and histograms of soconnlat and so1stbyte. */
#include "tracers/so_lat.h"

#include "base/stamp.h"
#include "bpf/solat.h"
#include "tracers/so_util.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static unsigned by = SOLAT_BY_PROCESS;

enum { OPT_HIST = OPT_LONG, OPT_BY };

const struct opt so_lat_opt_rows[] = {
	{ OPT_HIST, "hist", NULL, "log2 histograms kept in the kernel, one per process (see --by)" },
	{ OPT_BY, "by", "process|dest|both",
	  "one histogram per process, destination, or both (implies --hist)" },
	OPT_END,
};

const struct opt_group so_lat_opts[] = {
	{ NULL, so_lat_opt_rows }, TRACE_OWNER_GROUP, SO_FILTER_GROUP, TRACE_EVENT_GROUP,
	TRACE_RUN_GROUP, TRACE_INTERVAL_GROUP, TRACE_TABLE_GROUP, OPT_GROUPS_END,
};

int so_lat_opt(struct trace_ctx *tc, const struct opts *p, int c)
{
	tc->summary_mode = true;
	if (c == OPT_HIST)
		return 0;
	if (strcmp(p->arg, "process") == 0)
		by = SOLAT_BY_PROCESS;
	else if (strcmp(p->arg, "dest") == 0)
		by = SOLAT_BY_DEST;
	else if (strcmp(p->arg, "both") == 0)
		by = SOLAT_BY_PROCESS | SOLAT_BY_DEST;
	else
		return opts_fail(p, "expected process, dest or both, got '%s'", p->arg);
	return 0;
}

unsigned so_lat_by(void)
{
	return by;
}

struct table *so_lat_row(struct trace_ctx *tc, const struct solat_event *e)
{
	struct table *t = trace_row_begin(tc, &e->h);
	const char *fam;
	uint16_t family;

	memcpy(&family, e->sa, sizeof(family));
	fam = so_family_name(family);
	trace_cells_task(t, SOL_PID, e->h.pid, e->h.comm);
	out_cell_str(t, SOL_AF, fam ? fam : "-");
	out_cell_fixed(t, SOL_LAT, (double)e->lat_ns / 1e6, 3);
	out_field_double(t, "latency_ms", NULL, (double)e->lat_ns / 1e6, 3);
	so_cells_dest(t, SOL_DEST, e->sa, sizeof(e->sa), e->addrlen);
	out_field_bool(t, "nonblock", NULL, e->nonblock);
	return t;
}

struct hist_row {
	struct solat_hist_key k;
	struct solat_hist v;
};

static int cmp_key(const void *a, const void *b)
{
	const struct solat_hist_key *x = a, *y = b;
	int r;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	r = strncmp(x->comm, y->comm, sizeof(x->comm));
	if (r)
		return r;
	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	r = memcmp(x->addr, y->addr, sizeof(x->addr));
	if (r)
		return r;
	return x->port < y->port ? -1 : x->port > y->port;
}

/* The key as title text ("pid 42 (curl) to 10.0.0.1:443") and, in JSON, as
 * fields of t. */
static const char *key_str(char *buf, size_t cap, const struct solat_hist_key *k)
{
	char a[64], comm[TR_COMM_LEN + 1];
	int n = 0;

	memcpy(comm, k->comm, TR_COMM_LEN);
	comm[TR_COMM_LEN] = '\0';
	buf[0] = '\0';
	if (by & SOLAT_BY_PROCESS)
		n = snprintf(buf, cap, "pid %u (%s)", k->pid, comm);
	if (by & SOLAT_BY_DEST) {
		trace_addr_str(a, k->family, k->addr);
		snprintf(buf + n, cap - (size_t)n, "%s%s%s%s:%u", n ? " to " : "",
			 k->family == AF_INET6 ? "[" : "", a, k->family == AF_INET6 ? "]" : "",
			 k->port);
	}
	return buf;
}

static void json_group(const struct solat_hist_key *k, const struct solat_hist *v,
		       bool with_failed)
{
	static const struct out_col none[] = { { NULL, NULL, 0, 0 } };
	struct table *t = out_table_begin(none, 1);
	char a[64], comm[TR_COMM_LEN + 1];

	out_row_begin(t);
	if (trace_stamp())
		out_field_double(t, "time", NULL, trace_stamp()->epoch, 6);
	out_obj_begin(t, "group", NULL);
	if (by & SOLAT_BY_PROCESS) {
		memcpy(comm, k->comm, TR_COMM_LEN);
		comm[TR_COMM_LEN] = '\0';
		out_field_u64(t, "pid", NULL, k->pid);
		out_field_str(t, "comm", NULL, comm);
	}
	if (by & SOLAT_BY_DEST) {
		out_field_str(t, "family", NULL, so_family_name(k->family) ? so_family_name(k->family) : "-");
		out_field_str(t, "raddr", NULL, trace_addr_str(a, k->family, k->addr));
		out_field_u64(t, "rport", NULL, k->port);
	}
	out_field_u64(t, "count", NULL, v->count);
	if (with_failed)
		out_field_u64(t, "failed", NULL, v->failed);
	out_field_double(t, "mean_ms", NULL, v->count ? (double)v->sum_ns / (double)v->count / 1e6 : 0, 3);
	out_obj_end(t);
	out_row_end(t);
	out_table_end(t);
}

void so_lat_hists(struct trace_ctx *tc, struct bpf_map *hist, const char *title,
		  bool with_failed)
{
	struct hist_row *rows;
	size_t n = TRACE_COUNT_ROWS(tc, hist, rows, cmp_key);

	trace_interval_stamp(tc);
	if (n == 0 && !out_is_json())
		printf("%s\n  (no samples)\n", title);
	for (size_t i = 0; i < n; i++) {
		const struct solat_hist *v = &rows[i].v;
		uint64_t slots[SOLAT_SLOTS];
		char name[256], key[160];

		memcpy(slots, v->slots, sizeof(slots));
		snprintf(name, sizeof(name), "%s, %s", title, key_str(key, sizeof(key), &rows[i].k));
		trace_hist_print_log2(name, "usecs", slots, SOLAT_SLOTS);
		if (out_is_json()) {
			json_group(&rows[i].k, v, with_failed);
			continue;
		}
		printf("%24s : %llu connects, mean %.3f ms", "", (unsigned long long)v->count,
		       v->count ? (double)v->sum_ns / (double)v->count / 1e6 : 0);
		if (with_failed)
			printf(", %llu failed", (unsigned long long)v->failed);
		putchar('\n');
	}
	free(rows);
}
