/* DNS exchanges from dnssnoop's ring-buffer records (bpf/dnssnoop.h):
 * queries paired with their answers, timeouts, latency. Used by the
 * dnssnoop command (tracers/dnssnoop.c), which prints exchanges, and the
 * exporter's dns collector (export/dns.c), which counts them.
 *
 * A packet between two local namespaces is seen twice, leaving one and
 * entering the other (on loopback: leaving and entering the same one), so
 * an exchange is keyed by what does not depend on where it was seen:
 * protocol, client and server address and port, transaction id. The first
 * sighting of a query starts the exchange (its header gives the process
 * and namespace), the first sighting of its answer ends it, and later
 * sightings of either are duplicates until the exchange is forgotten:
 * the timeout after its query when unanswered (a DNS_TIMEOUT), 1 s after
 * its answer otherwise.
 *
 * All state is in a struct dns_match; one is used by one thread at a time.
 * Times are the records' (CLOCK_MONOTONIC, ns). Nothing here prints. */
#ifndef NETLENS_TRACERS_DNS_MATCH_H
#define NETLENS_TRACERS_DNS_MATCH_H

#include "bpf/netlens.h"
#include "tracers/dns_parse.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum dns_outcome {
	DNS_QUERY,    /* a query seen for the first time: an exchange begins */
	DNS_ANSWERED, /* its answer: answer and rcode are the answer's */
	DNS_UNREAD,   /* a TCP answer the kernel could not read: no answer, no rcode */
	DNS_TIMEOUT,  /* no answer within the timeout */
};

struct dns_exchange {
	enum dns_outcome outcome;
	uint8_t proto;   /* 17 UDP, 6 TCP */
	uint8_t family;  /* AF_INET, AF_INET6 */
	uint16_t id;     /* transaction id */
	uint16_t cport, sport;
	const uint8_t *caddr, *saddr; /* client and server, 16 bytes each */
	uint16_t qtype;
	const char *name; /* the question's name; "" when not known */
	/* the query's first sighting (process, namespace, cgroup), or the
	 * answer's for an answer whose query was not seen */
	const struct tr_hdr *h;
	bool has_latency; /* answered (or unread) and its query was seen */
	uint64_t latency_ns;
	const struct dns_msg *answer; /* DNS_ANSWERED only */
};

/* Called for each query, answer and timeout, in the order seen. */
typedef void dns_match_fn(void *arg, const struct dns_exchange *x);

/* Exchanges in flight at most; a query beyond is not followed (counted). */
#define DNS_MATCH_MAX (1u << 20)

struct dns_match;

/* A matcher whose unanswered queries time out after timeout_ns. NULL when
 * out of memory. */
struct dns_match *dns_match_new(uint64_t timeout_ns, dns_match_fn *fn, void *arg);
void dns_match_free(struct dns_match *dm);
/* One ring-buffer record of dnssnoop (at least offsetof(struct
 * dnssnoop_event, data) bytes). Reports what it completes, and first the
 * timeouts due by the record's time. */
void dns_match_event(struct dns_match *dm, const void *record);
/* Reports the exchanges timed out by now; returns how many. */
int dns_match_sweep(struct dns_match *dm, uint64_t now_ns);
/* Queries not followed: DNS_MATCH_MAX exchanges were in flight. */
uint64_t dns_match_untracked(const struct dns_match *dm);

#endif
