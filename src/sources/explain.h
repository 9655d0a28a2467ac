/* What a counter or a sysctl means, in one sentence, and what usually raises
 * it (counters) or when to change it (sysctls).
 *
 * Counter names are nstat's (TcpExtListenOverflows). IPv6 and UDP-Lite
 * variants (Ip6*, Udp6*, UdpLite*, UdpLite6*) share the IPv4/UDP text, and
 * ICMP per-type counters (IcmpMsgInType3, Icmp6OutType135) are described
 * from their type number. Sysctl names are dotted (net.core.somaxconn);
 * per-interface names (net.ipv4.conf.eth0.rp_filter) use the
 * net.ipv4.conf.all.* text.
 *
 * Memory: results point to static text, or into the caller's buf when the
 * sentence is built (buf must outlive the use). Never prints.
 */
#ifndef NETLENS_EXPLAIN_H
#define NETLENS_EXPLAIN_H

#include <stddef.h>

struct explain {
	const char *meaning; /* what it counts / sets */
	const char *cause;   /* what usually raises it / when to tune it; may be NULL */
};

/* 0 when known (and *e filled), -ENOENT otherwise. buf: >= 160 bytes. */
int explain_counter(const char *name, struct explain *e, char *buf, size_t size);
int explain_sysctl(const char *name, struct explain *e);

/* Counter name prefixes, most common first, for resolving a short name
 * (ListenOverflows -> TcpExtListenOverflows). NULL-terminated. */
extern const char *const explain_prefixes[];

#endif
