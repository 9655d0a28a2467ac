/* The tracers' option groups and their parsing (base/opts.h tables).
 *
 * Every tracer parses its own rows plus the shared groups it names in its
 * option table, so an option it does not support is refused as unknown and
 * its -h lists only what it accepts:
 *
 *	static const struct opt rows[] = { { 'c', "counts", NULL, "..." }, OPT_END };
 *	static const struct opt_group opts[] = {
 *		{ NULL, rows }, TRACE_OWNER_GROUP, TRACE_FILTER_GROUP, TRACE_EVENT_GROUP,
 *		TRACE_RUN_GROUP, TRACE_INTERVAL_GROUP, OPT_GROUPS_END,
 *	};
 *
 *   owner:    -p/--pid, --comm           (sockets whose process is known)
 *   filter:   -P/--port, --lport, --rport, -4, -6, --netns, --cgroup
 *   event:    -t, -T, -w, --ringbuf-size (tracers that stream events)
 *   run:      -d, -n/--count, --stats    (every tracer)
 *   interval: -i                         (tracers with a summary mode)
 *   table:    --max-keys                 (tracers with kernel tables)
 *   dev:      --dev                      (packet tracers, with filter)
 *   devns:    --netns, --dev             (device tracers without sockets)
 *
 * -n/--count stops after N events, or after N intervals with -i. `-c` is
 * --counts (count mode) in the tracers that have one, nowhere else.
 */
#ifndef NETLENS_TRACE_OPTS_H
#define NETLENS_TRACE_OPTS_H

#include "base/opts.h"
#include "trace/trace.h"

/* Ids of the shared long-only options (base/opts.h's OPT_SHARED range). */
enum {
	OPT_TR_COMM = 0x5400,
	OPT_TR_LPORT,
	OPT_TR_RPORT,
	OPT_TR_NETNS,
	OPT_TR_CGROUP,
	OPT_TR_STATS,
	OPT_TR_RINGBUF,
	OPT_TR_ROUNDS,
	OPT_TR_MAX_KEYS,
	OPT_TR_DEV,
};

extern const struct opt trace_owner_rows[], trace_filter_rows[], trace_event_rows[],
	trace_run_rows[], trace_interval_rows[], trace_table_rows[], trace_dev_rows[], trace_devns_rows[];

#define TRACE_OWNER_GROUP    { "Process filters", trace_owner_rows }
#define TRACE_FILTER_GROUP   { "Socket filters", trace_filter_rows }
#define TRACE_EVENT_GROUP    { "Event output", trace_event_rows }
#define TRACE_RUN_GROUP      { "Run", trace_run_rows }
#define TRACE_INTERVAL_GROUP { "Summaries", trace_interval_rows }
#define TRACE_TABLE_GROUP    { "Kernel tables", trace_table_rows }
#define TRACE_DEV_GROUP      { "Device filters", trace_dev_rows }
#define TRACE_DEVNS_GROUP    { "Device filters", trace_devns_rows }

/* Text after a tracer's options in -h. */
#define TRACE_NOTES                                                                    \
	"Stops on Ctrl-C, SIGTERM, -d or -n. JSON output ends with {\"lost_events\":N}\n"  \
	"(events dropped because the ring buffer was full); text mode reports them on\n" \
	"stderr. With -i, each summary row starts with the time (JSON: \"time\",\n"  \
	"epoch seconds).\n"

/* Parses argv into tc->o, handing the tracer's own options to tr->opt.
 * Returns 0, or EXIT_USAGE after one line naming the option and the fix. */
int trace_parse_opts(struct trace_ctx *tc, int argc, char **argv);

/* For option handlers: PORT[,PORT...] (1-65535) appended to ports, at most
 * TR_MAX_PORTS. 0, or EXIT_USAGE after opts_fail(). */
int trace_opt_ports(const struct opts *p, __u16 *ports, __u8 *n);

#endif
