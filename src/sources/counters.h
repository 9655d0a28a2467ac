/* Protocol counters: /proc/net/snmp, /proc/net/netstat, /proc/net/snmp6 and
 * /proc/net/sctp/snmp, named as iproute2's nstat names them.
 *
 * Two formats exist. snmp and netstat are "tables": a header line
 * "TcpExt: SyncookiesSent SyncookiesRecv ..." followed by a value line
 * "TcpExt: 0 0 ..."; each counter is prefix + field (TcpExtSyncookiesSent).
 * snmp6 and sctp/snmp are "pairs": one "Ip6InReceives 123" per line.
 * Values pair left to right (as nstat does); surplus values are ignored.
 * The constants nstat leaves out (IpForwarding, IpDefaultTTL, TcpRtoAlgorithm,
 * TcpRtoMin, TcpRtoMax, TcpMaxConn, TcpCurrEstab) are left out here too, so a
 * set holds exactly what `nstat -az` prints, in nstat's order (sctp, snmp,
 * snmp6, netstat).
 *
 * Guarantees: parsers never read past len and never trust the input's shape;
 * a line that does not fit the format is skipped and reported as -EBADMSG
 * after everything else has been parsed. Names longer than
 * COUNTER_NAME_MAX-1 are skipped.
 * Memory: a counter_set owns its array; counters_free() releases it. Library
 * code: returns 0 or -errno, never prints.
 */
#ifndef NETLENS_COUNTERS_H
#define NETLENS_COUNTERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct host;

enum { COUNTER_NAME_MAX = 64 };

struct counter {
	char name[COUNTER_NAME_MAX];
	uint64_t value;
};

struct counter_set {
	struct counter *v;
	size_t n, cap;
	uint32_t *index; /* sorted by name, built by counters_find() on demand */
	size_t nindex;
};

void counters_init(struct counter_set *s);
void counters_free(struct counter_set *s);
/* Empties the set, keeping its memory. */
void counters_clear(struct counter_set *s);

/* Appends prefix+name (prefix may be ""); -ENAMETOOLONG when too long. */
int counters_add(struct counter_set *s, const char *prefix, const char *name, uint64_t v);

/* Parsers over text of length len (need not be NUL-terminated). */
int counters_parse_table(struct counter_set *s, const char *text, size_t len);
int counters_parse_pairs(struct counter_set *s, const char *text, size_t len);

/* Reads every counter file from host h into s (appending). snmp6 and
 * sctp/snmp may be missing (IPv6 disabled, no SCTP module). On error *file
 * (if non-NULL) names the file at fault; -EBADMSG means a malformed line was
 * skipped and s still holds everything else. */
int counters_read(struct host *h, struct counter_set *s, const char **file);

/* Exact lookup; NULL when absent. Builds a sorted index on first use;
 * counters_add() invalidates it. */
const struct counter *counters_find(struct counter_set *s, const char *name);

/* True for the constants nstat leaves out. */
bool counters_is_constant(const char *name);

#endif
