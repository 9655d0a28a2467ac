/* DNS message parsing for dnssnoop (dns_parse.h). */
#include "tracers/dns_parse.h"

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Appends c to name (escaped when not a plain character), keeping room for
 * the terminator; false when full. */
static bool put_char(char *name, size_t *n, uint8_t c)
{
	if (c > 0x20 && c < 0x7f && c != '.' && c != '\\') {
		if (*n + 1 >= DNS_NAME_MAX)
			return false;
		name[(*n)++] = (char)c;
		return true;
	}
	if (*n + 4 >= DNS_NAME_MAX)
		return false;
	snprintf(name + *n, 5, "\\%03u", c);
	*n += 4;
	return true;
}

/* Reads the name at *off (following pointers, each strictly backwards, so
 * no loop), into name (may be NULL to skip it); *off moves past the name
 * where it sits. Returns false on a name running off the buffer, a forward
 * or self pointer, or a reserved label type. */
static bool read_name(const uint8_t *msg, size_t len, size_t *off, char *name)
{
	size_t p = *off, n = 0, end = 0, total = 0;
	size_t limit = p; /* a pointer must go below the start of what it continues */
	bool jumped = false;

	for (;;) {
		if (p >= len)
			return false;
		uint8_t l = msg[p];
		if ((l & 0xc0) == 0xc0) {
			if (p + 1 >= len)
				return false;
			size_t to = (size_t)(l & 0x3f) << 8 | msg[p + 1];
			if (!jumped)
				end = p + 2;
			if (to >= limit)
				return false;
			jumped = true;
			limit = to;
			p = to;
			continue;
		}
		if (l & 0xc0)
			return false; /* 0x40/0x80: extended and reserved label types */
		if (l == 0) {
			if (!jumped)
				end = p + 1;
			break;
		}
		if (p + 1 + l > len)
			return false;
		total += (size_t)l + 1;
		if (total > 255)
			return false; /* longer than a name may be */
		if (name) {
			if (n) {
				if (n + 1 >= DNS_NAME_MAX)
					return false;
				name[n++] = '.'; /* a separator; a dot in a label is \046 */
			}
			for (size_t i = 0; i < l; i++)
				if (!put_char(name, &n, msg[p + 1 + i]))
					return false;
		}
		p += 1 + (size_t)l;
	}
	if (name) {
		if (n == 0)
			name[n++] = '.';
		name[n] = '\0';
	}
	*off = end;
	return true;
}

int dns_parse(const uint8_t *msg, size_t len, struct dns_msg *m)
{
	size_t off = 12;

	memset(m, 0, sizeof(*m));
	if (!msg || len < 12)
		return -1;
	m->id = rd16(msg);
	m->qr = msg[2] & 0x80;
	m->opcode = (msg[2] >> 3) & 0xf;
	m->tc = msg[2] & 0x02;
	m->rcode = msg[3] & 0xf;
	m->qdcount = rd16(msg + 4);
	m->ancount = rd16(msg + 6);
	if (m->qdcount == 0)
		return 0;
	if (!read_name(msg, len, &off, m->name) || off + 4 > len) {
		m->name[0] = '\0';
		return -1;
	}
	m->has_question = true;
	m->qtype = rd16(msg + off);
	m->qclass = rd16(msg + off + 2);
	off += 4;
	/* further questions (none in practice) */
	for (unsigned q = 1; q < m->qdcount; q++) {
		if (!read_name(msg, len, &off, NULL) || off + 4 > len)
			goto cut;
		off += 4;
	}
	for (unsigned a = 0; a < m->ancount; a++) {
		if (!read_name(msg, len, &off, NULL) || off + 10 > len)
			goto cut;
		uint16_t type = rd16(msg + off), class = rd16(msg + off + 2);
		uint16_t rdlen = rd16(msg + off + 8);
		off += 10;
		if (off + rdlen > len)
			goto cut;
		if (class == 1 && ((type == 1 && rdlen == 4) || (type == 28 && rdlen == 16))) {
			if (m->naddrs < DNS_MAX_ADDRS) {
				struct dns_addr *d = &m->addrs[m->naddrs++];
				d->family = type == 1 ? AF_INET : AF_INET6;
				memcpy(d->addr, msg + off, rdlen);
			}
			m->naddrs_total++;
		}
		off += rdlen;
	}
	return 0;
cut:
	m->partial = true;
	return 0;
}

static const struct {
	uint16_t v;
	const char *name;
} types[] = {
	{ 1, "A" },      { 2, "NS" },      { 5, "CNAME" },  { 6, "SOA" },   { 12, "PTR" },
	{ 13, "HINFO" }, { 15, "MX" },     { 16, "TXT" },   { 28, "AAAA" }, { 29, "LOC" },
	{ 33, "SRV" },   { 35, "NAPTR" },  { 39, "DNAME" }, { 41, "OPT" },  { 43, "DS" },
	{ 46, "RRSIG" }, { 47, "NSEC" },   { 48, "DNSKEY" }, { 52, "TLSA" }, { 64, "SVCB" },
	{ 65, "HTTPS" }, { 99, "SPF" },    { 252, "AXFR" }, { 255, "ANY" }, { 257, "CAA" },
};

static const char *const rcodes[] = {
	"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
	"YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE",
};

const char *dns_type_name(uint16_t type)
{
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (types[i].v == type)
			return types[i].name;
	return NULL;
}

const char *dns_rcode_name(uint8_t rcode)
{
	return rcode < sizeof(rcodes) / sizeof(rcodes[0]) ? rcodes[rcode] : NULL;
}

/* s, or prefix and the number in buf. */
static const char *or_number(const char *s, const char *prefix, unsigned v, char *buf,
			     size_t cap)
{
	if (s)
		return s;
	snprintf(buf, cap, "%s%u", prefix, v);
	return buf;
}

const char *dns_type_str(uint16_t type, char *buf, size_t cap)
{
	return or_number(dns_type_name(type), "TYPE", type, buf, cap);
}

const char *dns_rcode_str(uint8_t rcode, char *buf, size_t cap)
{
	return or_number(dns_rcode_name(rcode), "RCODE", rcode, buf, cap);
}
