/* What the counting socket tracers share on the user side (sockstat,
 * sofamily, soprotocol): their filters, and the new-socket count table of
 * sofamily and soprotocol (their BPF programs are one source too,
 * bpf/sonew.bpf.h). */
#ifndef NETLENS_TRACERS_SO_COUNT_H
#define NETLENS_TRACERS_SO_COUNT_H

#include "base/opts.h"
#include "trace/opts.h"
#include "trace/trace.h"

#include <stddef.h>

/* -p, --comm (the calling process), --netns, --cgroup. */
extern const struct opt so_count_filter_rows[];
#define SO_COUNT_FILTER_GROUP { "Filters", so_count_filter_rows }

/* The hooks of bpf/sonew.bpf.h's programs in tracer n's object. */
#define SO_NEW_HOOKS(n)                                                                \
	{ "sys_exit_accept4", { #n "_accept4_exit" } },                                    \
	{ "sys_exit_accept", { #n "_accept_exit" } },                                      \
	{ "sys_enter_connect", { #n "_connect_enter" } },                                  \
	{ "sys_exit_connect", { #n "_connect_exit" } }

/* The whole of sofamily or soprotocol (n) but its texts: the skeleton glue,
 * hooks, the summary (the count table by `by`), the tracer and the
 * command. Needs "bpf/sonew.h", "bpf/n.skel.h" and "command.h". */
#define SO_NEW_TRACER(n, by, doing, summary_, about_)                                  \
	TRACE_SKEL_GLUE(n)                                                             \
	static const struct trace_hook n##_hooks[] = { SO_NEW_HOOKS(n) };              \
	static void n##_summary(struct trace_ctx *tc, void *skel, bool final)          \
	{                                                                              \
		(void)final;                                                           \
		so_new_counts(tc, ((struct n##_bpf *)skel)->maps.counts, (by));        \
	}                                                                              \
	TRACE_TRACER(n, doing, TRACE_HOOKS(n##_hooks), .opts = so_new_opts,            \
		     .summary = n##_summary);                                          \
	TRACE_COMMAND(n, so_new_opts, .summary = (summary_), .about = (about_))

/* The option groups of sofamily and soprotocol. */
extern const struct opt_group so_new_opts[];

struct bpf_map;
enum so_new_by { SO_NEW_BY_FAMILY, SO_NEW_BY_PROTOCOL };

/* The table of new sockets (struct sonew_key -> struct sonew_val) by
 * process and family or protocol, most first. */
void so_new_counts(struct trace_ctx *tc, struct bpf_map *counts, enum so_new_by by);

/* "inet", "inet6", "unix", "netlink", ...; "af<N>" for a family without a
 * name here (buf: >= 16 bytes). */
const char *so_family_str(char *buf, size_t cap, unsigned family);
/* "tcp", "udp", "unix-stream", "raw", "sctp", "mptcp", ...; else
 * "<family>-<type>/<protocol>" (buf: >= 64 bytes). */
const char *so_protocol_str(char *buf, size_t cap, unsigned family, unsigned type,
			    unsigned protocol);

#endif
