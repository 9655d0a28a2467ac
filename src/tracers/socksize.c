/* socksize: log2 histograms of socket send and receive sizes per process and
 * direction, kept in the kernel. */
#include "bpf/socksize.h"
#include "bpf/socksize.skel.h"
#include "command.h"
#include "trace/opts.h"
#include "trace/trace.h"
#include "tracers/sockio_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

TRACE_SKEL_GLUE(socksize)

static const struct trace_hook hooks[] = { SOCKIO_HOOKS(socksize) };

static const struct opt_group opts[] = {
	TRACE_OWNER_GROUP, TRACE_FILTER_GROUP, TRACE_RUN_GROUP, TRACE_INTERVAL_GROUP,
	TRACE_TABLE_GROUP, OPT_GROUPS_END,
};

struct row {
	struct sockio_key k;
	struct socksize_hist h;
};

static int cmp_rows(const void *a, const void *b)
{
	return sockio_cmp_key(&((const struct row *)a)->k, &((const struct row *)b)->k);
}

/* The histogram's key and totals in its JSON record. */
static void hist_fields(struct table *t, const void *arg)
{
	const struct row *r = arg;
	char comm[TR_COMM_LEN + 1];

	snprintf(comm, sizeof(comm), "%.*s", TR_COMM_LEN, r->k.comm);
	out_field_u64(t, "pid", NULL, r->k.pid);
	out_field_str(t, "comm", NULL, comm);
	out_field_str(t, "dir", NULL, sockio_dir_name(r->k.dir));
	out_field_u64(t, "calls", NULL, r->h.calls);
	out_field_u64(t, "bytes", NULL, r->h.bytes);
}

static void summary(struct trace_ctx *tc, void *skel, bool final)
{
	struct row *rows;
	size_t n = TRACE_COUNT_ROWS(tc, ((struct socksize_bpf *)skel)->maps.sizes, rows, cmp_rows);

	(void)final;
	trace_interval_stamp(tc);
	if (n == 0 && !out_is_json())
		printf("Socket I/O sizes\n  (no samples)\n");
	for (size_t i = 0; i < n; i++) {
		const struct row *r = &rows[i];
		char title[96], comm[TR_COMM_LEN + 1];
		uint64_t slots[SOCKSIZE_SLOTS];

		snprintf(comm, sizeof(comm), "%.*s", TR_COMM_LEN, r->k.comm);
		snprintf(title, sizeof(title), "%s bytes, pid %u %s", sockio_dir_name(r->k.dir),
			 r->k.pid, comm);
		memcpy(slots, r->h.slots, sizeof(slots));
		trace_hist_print_log2_with(title, "bytes", slots, SOCKSIZE_SLOTS, hist_fields, r);
		if (!out_is_json() && r->h.calls)
			printf("%24s : %llu calls, %llu bytes, mean %llu bytes\n", "",
			       (unsigned long long)r->h.calls, (unsigned long long)r->h.bytes,
			       (unsigned long long)(r->h.bytes / r->h.calls));
	}
	free(rows);
}

TRACE_TRACER(socksize, "socket I/O sizes", TRACE_HOOKS(hooks), .opts = opts,
	     .summary = summary);

TRACE_COMMAND(socksize, opts,
		.summary = "histograms of socket send and receive sizes per process",
		.about = "The size of every socket send and receive that returns (sock:sock_send_length,\n"
			 "sock:sock_recv_length: send, recv, read, write, sendmsg, ... on any socket\n"
			 "family) in log2 histograms kept in the kernel, one per process and\n"
			 "direction, printed as bars on exit or every -i SECS (then cleared). Calls\n"
			 "that failed and recv(MSG_PEEK) are left out; a 0 return (end of stream)\n"
			 "counts in the first bucket. Before kernel 6.3 the send/recv system\n"
			 "calls stand in for the two tracepoints.\n");
