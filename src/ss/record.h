/* What `ss --from FILE` reads, recorded through a recording host
 * (host_recording(), or a live host whose rec is set): used by
 * `ss --record FILE` and by `netlens snapshot`, so both files replay every
 * ss option.
 *
 * Every socket dump is recorded whole: all kinds, both families, every
 * state and every extension, with no kernel filter (a replay filters in user
 * space). For a kind whose diag module is missing (raw_diag often is), its
 * /proc/net table is recorded instead, which is what the live command would
 * have fallen back to; tables of kinds whose dump was recorded are not read
 * (a large host's /proc/net/tcp duplicates the dump at many megabytes). */
#ifndef NETLENS_SS_RECORD_H
#define NETLENS_SS_RECORD_H

#include "sources/sockdiag.h"

struct host;

struct ss_record_stats {
	unsigned files, dumps, skipped; /* skipped: absent here (no MPTCP, no SCTP) */
};

/* Kinds whose diag module is to be treated as missing: the test hook
 * NETLENS_SS_NO_DIAG=raw,udp,... ("all": every kind with a /proc/net
 * table), so the /proc/net fallback runs on kernels that have every module.
 * A bit per enum sock_kind. */
unsigned ss_diag_disabled(void);

/* The files `ss -s` reads (sockstat, sockstat6, snmp), first, before any
 * netlink socket of ours counts in them; then ss_record_sockets(). */
int ss_record(struct host *h, struct ss_record_stats *st);

/* The socket dumps, and the /proc/net tables of kinds without one. */
int ss_record_sockets(struct host *h, struct ss_record_stats *st);

#endif
