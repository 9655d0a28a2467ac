/* --stacks of soconnect and soconnlat (see so_stacks.h). */
#include "tracers/so_stacks.h"

#include "bpf/soconnect.h"
#include "trace/ustack.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool stacks;

bool so_stacks_mine(int c)
{
	return c == SO_OPT_STACKS || stacks;
}

int so_stacks_opt(struct trace_ctx *tc, const struct opts *p, int c)
{
	if (c != SO_OPT_STACKS || tc->summary_mode)
		return opts_fail(p, "--stacks is a summary of its own: not with -c, --hist or --by");
	stacks = true;
	tc->summary_mode = true;
	return 0;
}

bool so_stacks_on(void)
{
	return stacks;
}

void so_stacks_configure(struct trace_ctx *tc, struct bpf_map *map)
{
	if (!stacks)
		return;
	bpf_map__set_max_entries(map, SO_STACK_MAP_ENTRIES);
	/* the entry counts and keeps nothing for the ends to find */
	trace_hook_off(tc, "sys_exit_connect");
	trace_hook_off(tc, "inet_sock_set_state");
	trace_hook_off(tc, "inet_sock_set_state (nested runs)");
}

struct stack_row {
	struct so_stack_key k;
	__u64 count;
};

static int cmp_row(const void *a, const void *b)
{
	const struct stack_row *x = a, *y = b;

	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	if (x->k.pid != y->k.pid)
		return x->k.pid < y->k.pid ? -1 : 1;
	return x->k.stack_id < y->k.stack_id ? -1 : x->k.stack_id > y->k.stack_id;
}

/* Why a counted connect has no stack (bpf_get_stackid's -errno). */
static const char *no_stack(int id, int fd, __u64 *ips)
{
	if (id == -17)
		return "stack not kept: the stack map had a different stack at its hash (EEXIST)";
	if (id == -14)
		return "no user stack could be read (EFAULT)";
	if (id < 0)
		return "stack not captured";
	if (bpf_map_lookup_elem(fd, &id, ips) != 0)
		return "stack no longer in the stack map";
	return NULL;
}

void so_stacks_summary(struct trace_ctx *tc, struct bpf_map *counts, struct bpf_map *map)
{
	static const struct out_col cols[] = {
		{ "COUNT", "count", OUT_RIGHT, 7 },
		{ "PID", "pid", OUT_RIGHT, 7 },
		{ "COMM", "comm", OUT_LAST, 0 },
	};
	struct stack_row *rows;
	size_t n = TRACE_SUMMARY_ROWS(tc, counts, rows, cmp_row);
	struct ustacks *u = ustacks_new();
	struct table *t = trace_summary_begin(cols, 3);
	int fd = bpf_map__fd(map);

	out_table_stream(t); /* each row's frames follow it */
	for (size_t i = 0; i < n; i++) {
		const struct stack_row *r = &rows[i];
		__u64 ips[SO_STACK_DEPTH] = { 0 };
		const char *why = no_stack(r->k.stack_id, fd, ips);
		bool known = u && ustacks_known(u, r->k.pid);
		char comm[TR_COMM_LEN + 1], frames[SO_STACK_DEPTH][256];
		int nf = 0;

		memcpy(comm, r->k.comm, TR_COMM_LEN);
		comm[TR_COMM_LEN] = '\0';
		for (; !why && nf < SO_STACK_DEPTH && ips[nf]; nf++) {
			if (known)
				ustacks_str(u, r->k.pid, ips[nf], nf > 0, frames[nf], sizeof(frames[nf]));
			else
				snprintf(frames[nf], sizeof(frames[nf]), "0x%llx",
					 (unsigned long long)ips[nf]);
		}
		if (!why && !known)
			why = "process exited: addresses not symbolized";
		trace_summary_row(t);
		out_cell_u64(t, TRACE_COL0, r->count);
		out_cell_u64(t, TRACE_COL0 + 1, r->k.pid);
		out_cell_str(t, TRACE_COL0 + 2, comm);
		out_arr_begin(t, "stack", NULL);
		for (int f = 0; f < nf; f++)
			out_field_str(t, "frame", NULL, frames[f]);
		out_arr_end(t);
		if (why)
			out_field_str(t, "note", NULL, why);
		out_row_end(t);
		if (out_is_json())
			continue;
		for (int f = 0; f < nf; f++)
			printf("        %s\n", frames[f]);
		if (why)
			printf("        [%s]\n", why);
	}
	out_table_end(t);
	ustacks_free(u);
	free(rows);
}
