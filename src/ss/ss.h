/* `netlens ss`: shared between the command (cmd/ss*.c: options, which dumps
 * to run, filtering, summary) and the row printer (ss/print.c). Only what
 * printing needs lives here: where sockets are read from (state_src, the
 * host) belongs to the command, so this header includes nothing from cmd/. */
#ifndef NETLENS_SS_H
#define NETLENS_SS_H

#include "base/output.h"
#include "sources/procfd.h"
#include "sources/rtnl.h"
#include "sources/sockdiag.h"

#include <stdbool.h>
#include <stdint.h>

struct ss_filter;

struct ss_opts {
	bool numeric, extended, memory, timers, info, processes, summary, no_header;
	bool oneline;          /* -O: details on the socket's line */
	bool threads;          /* -T: owners per thread, with tids (implies -p) */
	bool user_filter_only; /* --no-kernel-filter: evaluate the expression in user space */
	bool no_bpf, bpf;      /* --no-bpf, --bpf: never / always the iterator fast path */
	unsigned kinds;        /* bit per enum sock_kind */
	unsigned kinds_explicit; /* the kinds the user named */
	unsigned unix_types;   /* bit per SOCK_STREAM/SOCK_DGRAM/SOCK_SEQPACKET */
	unsigned packet_types; /* bit per SOCK_RAW/SOCK_DGRAM */
	bool inet4, inet6, want_unix, want_packet; /* families */
	int state_mode;        /* 0 connected (default), 'a' all, 'l' listening */
};

enum ss_col { SS_COL_NETID, SS_COL_STATE, SS_COL_RECVQ, SS_COL_SENDQ, SS_COL_LOCAL,
	      SS_COL_PEER, SS_COL_PROCESS, SS_NCOLS };

struct ss_printer {
	const struct ss_opts *o;
	struct table *t;
	const struct procfd_map *owners; /* NULL unless -p */
	bool show_netid, show_state;
	const char **svc_tcp, **svc_udp; /* port -> service name caches, lazily */
	char ifnames[64][16];            /* small ifindex -> name cache */
	/* the links of the host the sockets come from, when it is not this one
	 * (a snapshot): device names from there; NULL: this host's */
	const struct rtnl_links *links;
	bool stamp;                      /* JSON rows carry "time" (ss -E) */
	double time;                     /* that time, epoch seconds */
};

extern const struct out_col ss_columns[SS_NCOLS];

void ss_printer_init(struct ss_printer *p, const struct ss_opts *o, struct table *t,
		     const struct procfd_map *owners);
void ss_printer_free(struct ss_printer *p);
void ss_print_sock(struct ss_printer *p, const struct sock_rec *s);

#endif
