/* DNS messages (RFC 1035) as dnssnoop sees them: the header, the first
 * question and the first A/AAAA answers, from a copy that may be cut short.
 * Never reads past the buffer; compression pointers must point backwards
 * (no loops), names are printed with unprintable bytes escaped (\DDD). */
#ifndef NETLENS_TRACERS_DNS_PARSE_H
#define NETLENS_TRACERS_DNS_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DNS_NAME_MAX    1024 /* presentation form, escapes included */
#define DNS_MAX_ADDRS   4    /* answers' addresses kept */

struct dns_addr {
	uint16_t family; /* AF_INET or AF_INET6 */
	uint8_t addr[16];
};

struct dns_msg {
	uint16_t id;
	bool qr;          /* an answer */
	bool tc;          /* truncated by the server */
	bool partial;     /* the copy ended before the message did */
	uint8_t opcode;
	uint8_t rcode;
	uint16_t qdcount, ancount;
	bool has_question;
	uint16_t qtype, qclass;
	char name[DNS_NAME_MAX];  /* "." for the root */
	int naddrs;               /* in addrs */
	int naddrs_total;         /* A/AAAA records among the answers parsed */
	struct dns_addr addrs[DNS_MAX_ADDRS];
};

/* Parses msg[0..len). Returns 0, or -1 when not even a DNS header and a
 * question could be read (len < 12, a name running off the end, a bad
 * pointer in the question). Answers past a damaged record are dropped and
 * set partial. */
int dns_parse(const uint8_t *msg, size_t len, struct dns_msg *out);

/* "A", "AAAA", ... or NULL for a type without a name here. */
const char *dns_type_name(uint16_t type);
/* "NOERROR", "NXDOMAIN", ... or NULL. */
const char *dns_rcode_name(uint8_t rcode);
/* The name, or the number in buf ("TYPE65280", "RCODE12"). */
const char *dns_type_str(uint16_t type, char *buf, size_t cap);
const char *dns_rcode_str(uint8_t rcode, char *buf, size_t cap);

#endif
