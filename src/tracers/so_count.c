/* Shared by the counting socket tracers: see so_count.h. */
#include "tracers/so_count.h"

#include "bpf/sonew.h"
#include "tracers/so_util.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

const struct opt so_count_filter_rows[] = {
	{ 'p', "pid", "PID", "only calls made by process PID" },
	{ OPT_TR_COMM, "comm", "NAME", "only calls made by processes named NAME" },
	{ OPT_TR_NETNS, "netns", "NS", "only network namespace NS (name, path or inode)" },
	{ OPT_TR_CGROUP, "cgroup", "PATH", "only cgroup v2 PATH" },
	OPT_END,
};

const struct opt_group so_new_opts[] = {
	SO_COUNT_FILTER_GROUP, TRACE_RUN_GROUP, TRACE_INTERVAL_GROUP, TRACE_TABLE_GROUP,
	OPT_GROUPS_END,
};

const char *so_family_str(char *buf, size_t cap, unsigned family)
{
	static const struct { unsigned af; const char *name; } more[] = {
		{ AF_NETLINK, "netlink" }, { AF_PACKET, "packet" }, { AF_VSOCK, "vsock" },
		{ AF_BLUETOOTH, "bluetooth" }, { AF_CAN, "can" }, { AF_TIPC, "tipc" },
		{ AF_ALG, "alg" }, { AF_XDP, "xdp" }, { AF_SMC, "smc" }, { AF_KCM, "kcm" },
		{ AF_QIPCRTR, "qipcrtr" }, { AF_RDS, "rds" },
	};
	const char *n = so_family_name(family);

	if (n)
		return n;
	for (size_t i = 0; i < sizeof(more) / sizeof(more[0]); i++)
		if (more[i].af == family)
			return more[i].name;
	snprintf(buf, cap, "af%u", family);
	return buf;
}

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif

const char *so_protocol_str(char *buf, size_t cap, unsigned family, unsigned type,
			    unsigned protocol)
{
	char fam[16];
	const char *t = so_type_name(type);

	if (family == AF_INET || family == AF_INET6) {
		if (type == SOCK_RAW)
			return "raw";
		switch (protocol) {
		case IPPROTO_TCP:
			return "tcp";
		case IPPROTO_UDP:
			return "udp";
		case IPPROTO_UDPLITE:
			return "udplite";
		case IPPROTO_SCTP:
			return "sctp";
		case IPPROTO_MPTCP:
			return "mptcp";
		case IPPROTO_ICMP:
			return "icmp"; /* ping sockets */
		case IPPROTO_ICMPV6:
			return "icmpv6";
		}
	} else if (family == AF_UNIX && t) {
		snprintf(buf, cap, "unix-%s", t);
		return buf;
	}
	so_family_str(fam, sizeof(fam), family);
	if (t)
		snprintf(buf, cap, "%s-%s/%u", fam, t, protocol);
	else
		snprintf(buf, cap, "%s-type%u/%u", fam, type, protocol);
	return buf;
}

struct new_row {
	struct sonew_key k;
	struct sonew_val v;
};

static int cmp_new(const void *a, const void *b)
{
	const struct new_row *x = a, *y = b;
	uint64_t nx = x->v.accept + x->v.connect, ny = y->v.accept + y->v.connect;

	if (nx != ny)
		return nx < ny ? 1 : -1;
	if (x->k.pid != y->k.pid)
		return x->k.pid < y->k.pid ? -1 : 1;
	return memcmp(&x->k, &y->k, sizeof(x->k));
}

void so_new_counts(struct trace_ctx *tc, struct bpf_map *counts, enum so_new_by by)
{
	const struct out_col cols[] = {
		TRACE_TASK_COLS,
		by == SO_NEW_BY_FAMILY ? (struct out_col){ "FAMILY", "family", 0, 7 }
				       : (struct out_col){ "PROTOCOL", "protocol", 0, 11 },
		{ "ACCEPT", "accept", OUT_RIGHT, 7 },
		{ "CONNECT", "connect", OUT_RIGHT, 7 },
	};
	struct new_row *rows;
	size_t n = TRACE_COUNT_ROWS(tc, counts, rows, cmp_new);
	struct table *t = trace_summary_begin(cols, 5);

	for (size_t i = 0; i < n; i++) {
		const struct new_row *r = &rows[i];
		char name[64];

		trace_summary_row(t);
		trace_cells_task(t, TRACE_COL0, r->k.pid, r->k.comm);
		if (by == SO_NEW_BY_FAMILY) {
			out_cell_str(t, TRACE_COL0 + 2, so_family_str(name, sizeof(name), r->k.family));
			out_field_u64(t, "af", NULL, r->k.family);
		} else {
			out_cell_str(t, TRACE_COL0 + 2,
				     so_protocol_str(name, sizeof(name), r->k.family, r->k.type,
						     r->k.protocol));
			out_field_u64(t, "sotype", NULL, r->k.type);
			out_field_u64(t, "ipproto", NULL, r->k.protocol);
		}
		out_cell_u64(t, TRACE_COL0 + 3, r->v.accept);
		out_cell_u64(t, TRACE_COL0 + 4, r->v.connect);
		out_row_end(t);
	}
	out_table_end(t);
	free(rows);
}
