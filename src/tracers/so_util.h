/* The socket-layer tracers' shared parts (soconnect, udpconnect, solisten,
 * soaccept): naming families and socket types, and the destination of a
 * connect() from the sockaddr bytes the caller passed. */
#ifndef NETLENS_TRACERS_SO_UTIL_H
#define NETLENS_TRACERS_SO_UTIL_H

#include "base/output.h"
#include "trace/opts.h"
#include "trace/trace.h"

#include <stddef.h>
#include <stdint.h>

/* "inet", "inet6", "unix", "unspec"; NULL for another family. */
const char *so_family_name(unsigned family);
/* "stream", "dgram", "raw", "seqpacket"; NULL for another type (0: not a
 * socket). */
const char *so_type_name(unsigned type);

/* A sockaddr as text into buf (cap >= 64): "1.2.3.4:80", "[::1]:80", a
 * UNIX path, "@name" for an abstract one (NUL bytes in the name as '@',
 * as ss shows them), "-" for AF_UNSPEC, else "family N". sa holds
 * min(addrlen, cap_sa) bytes of what the caller passed. */
const char *so_sockaddr_str(char *buf, size_t cap, const uint8_t *sa, size_t cap_sa,
			    unsigned addrlen);

/* The destination of a connect(): the text cell at col and the JSON
 * fields family, then raddr and rport (inet) or path (unix). */
void so_cells_dest(struct table *t, int col, const uint8_t *sa, size_t cap_sa,
		   unsigned addrlen);

/* A UNIX socket's own name, n bytes of its sockaddr_un at sa: the text
 * cell at col (a path, "@name", "(unnamed)"; not the column's JSON key,
 * which holds an IP address) and, when bound, JSON "path". */
void so_cells_unix_name(struct table *t, int col, const uint8_t *sa, size_t n);

/* A syscall's result: text cell at col ("ok" or the errno's name) and
 * JSON "result", "ok" and, when it failed, "errno". */
void so_cells_result(struct table *t, int col, int ret);

/* -c count tables (soconnect, udpconnect, soaccept): the first four
 * columns; the tracer's own last one follows. */
#define SO_COUNT_COLS                                                              \
	{ "COUNT", "count", OUT_RIGHT, 6 }, { "COMM", "comm", 0, 15 },              \
		{ "RESULT", NULL, 0, 12 }, { "AVG(ms)", NULL, OUT_RIGHT, 8 }
/* Their cells: count, command (TR_COMM_LEN bytes, maybe unterminated), the
 * result, the mean latency from a sum; JSON also latency_avg_ms. */
void so_count_cells(struct table *t, uint64_t count, const char *comm, int ret,
		    uint64_t lat_ns_sum);
/* Their order: most first, then by command. */
int so_count_cmp(uint64_t ca, const char *comma, uint64_t cb, const char *commb);

/* The socket filters of these tracers: -P (a connect's destination port,
 * a listener's own), -4, -6, --netns, --cgroup; -U is a tracer's own row. */
extern const struct opt so_filter_rows[];
#define SO_FILTER_GROUP { "Socket filters", so_filter_rows }
#define SO_UNIX_ROW { 'U', "unix", NULL, "UNIX-domain sockets only (paths and abstract names)" }

/* -U, --unix: the family filter's value for UNIX-domain sockets. */
int so_opt_unix(struct trace_ctx *tc, const struct opts *p, int c);

#endif
