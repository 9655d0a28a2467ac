/* What soconnect and udpconnect share on the user side: the event row and
 * the -c table (their BPF programs are one source too, bpf/soconnect.bpf.h). */
#ifndef NETLENS_TRACERS_SO_CONNECT_H
#define NETLENS_TRACERS_SO_CONNECT_H

#include "base/output.h"
#include "trace/trace.h"

struct bpf_map;

/* The columns of a connect() event, from TRACE_COL0. */
enum { SOC_PID = TRACE_COL0, SOC_COMM, SOC_FD, SOC_AF, SOC_LAT, SOC_RESULT, SOC_DEST };
#define SO_CONNECT_COLS                                                                \
	TRACE_TASK_COLS, { "FD", "fd", OUT_RIGHT, 3 }, { "AF", NULL, 0, 5 },               \
	{ "LAT(ms)", NULL, OUT_RIGHT, 8 }, { "RESULT", NULL, 0, 12 },                      \
	{ "DEST", NULL, OUT_LAST, 0 }

/* The hooks of bpf/soconnect.bpf.h's programs. */
#define SO_CONNECT_HOOKS                                                               \
	{ "sys_enter_connect", { "soconnect_enter" } },                                    \
	{ "sys_exit_connect", { "soconnect_exit" } }

/* One struct soconnect_event as a row. */
void so_connect_event(struct trace_ctx *tc, const void *data);
/* The -c table: connects by command, result and destination, most first. */
void so_connect_counts(struct trace_ctx *tc, struct bpf_map *counts);

#endif
