/* What soconnlat and so1stbyte share on the user side (their BPF side is
 * one header too, bpf/soconnpend.bpf.h): the event row, the --hist and
 * --by options and the histograms. */
#ifndef NETLENS_TRACERS_SO_LAT_H
#define NETLENS_TRACERS_SO_LAT_H

#include "base/output.h"
#include "trace/opts.h"
#include "trace/trace.h"

struct bpf_map;

/* The columns of an event, from TRACE_COL0; so1stbyte hides MODE and
 * RESULT (SO_LAT_HIDDEN). */
enum { SOL_PID = TRACE_COL0, SOL_COMM, SOL_AF, SOL_MODE, SOL_LAT, SOL_RESULT, SOL_DEST };
#define SO_LAT_HIDDEN { NULL, NULL, 0, 0 }
#define SO_LAT_COLS(mode, result)                                                      \
	TRACE_TASK_COLS, { "AF", NULL, 0, 5 }, mode, { "LAT(ms)", NULL, OUT_RIGHT, 8 },     \
	result, { "DEST", NULL, OUT_LAST, 0 }
#define SO_LAT_MODE_COL   { "MODE", NULL, 0, 8 }
#define SO_LAT_RESULT_COL { "RESULT", NULL, 0, 12 }

/* The hooks of bpf/soconnpend.bpf.h's connect() programs, attached after
 * the tracer's own (which end what these start). */
#define SO_LAT_CONNECT_HOOKS                                                           \
	{ "sys_exit_connect", { "soconnect_exit" } },                                      \
	{ "sys_enter_connect", { "soconnect_enter" } }

/* The option table of both: --hist, --by (so_lat_opt_rows) and the shared
 * groups. */
extern const struct opt so_lat_opt_rows[];
extern const struct opt_group so_lat_opts[];

/* The tracer's opt() for --hist and --by; so_lat_by() is the choice
 * (SOLAT_BY_* bits) for the BPF side's hist_by. */
int so_lat_opt(struct trace_ctx *tc, const struct opts *p, int c);
unsigned so_lat_by(void);

/* The struct tracer fields both set alike (after SO_LAT_CALLBACKS and an
 * event() of the tracer's own). */
#define SO_LAT_TRACER_FIELDS                                                           \
	.opts = so_lat_opts, .opt = so_lat_opt, .configure = configure,                    \
	TRACE_EVENTS(event, struct solat_event), .summary = summary

/* configure() and summary() of tracer n (its skeleton n_bpf): hist_by,
 * and so_lat_hists() of its hist map. */
#define SO_LAT_CALLBACKS(n, title, with_failed)                                       \
	static int configure(struct trace_ctx *tc, void *skel)                         \
	{                                                                              \
		(void)tc;                                                              \
		((struct n##_bpf *)skel)->rodata->hist_by = (__u8)so_lat_by();         \
		return 0;                                                              \
	}                                                                              \
	static void summary(struct trace_ctx *tc, void *skel, bool final)              \
	{                                                                              \
		(void)final;                                                           \
		so_lat_hists(tc, ((struct n##_bpf *)skel)->maps.hist, title, with_failed); \
	}

/* An event's row up to its cells (PID, COMM, AF, LAT, DEST); the caller
 * adds its own and ends it with trace_row_end(). */
struct solat_event;
struct table *so_lat_row(struct trace_ctx *tc, const struct solat_event *e);

/* The histograms of the hist map, one per key, in key order: title (e.g.
 * "connect latency") and the key, then in text a line with the count
 * (and failures when with_failed), in JSON a "group" record. */
void so_lat_hists(struct trace_ctx *tc, struct bpf_map *hist, const char *title,
		  bool with_failed);

#endif
