/* Pairing DNS queries with their answers (dns_match.h). */
#include "tracers/dns_match.h"

#include "base/dlist.h"
#include "base/fnv.h"
#include "bpf/dnssnoop.h"
#include "tracers/dns_stream.h"

#include <stdlib.h>
#include <string.h>

struct xkey {
	uint8_t proto, family;
	uint16_t id, cport, sport;
	uint8_t caddr[16], saddr[16];
};

struct xchg {
	struct xkey k;
	struct xchg *hnext;       /* hash chain */
	struct dlist_node link;   /* in dm->by_expiry */
	uint64_t expire;          /* forgotten then (and a timeout if unanswered) */
	uint64_t q_ts;            /* the query's first sighting; 0: not seen */
	bool answered;
	struct tr_hdr qh;         /* the query's sighting: process, netns, cgroup */
	uint16_t qtype;
	uint64_t sock;            /* the query left without a process: its socket */
	char *name;
};

#define NBUCKETS (1u << 16)

struct dns_match {
	struct xchg *buckets[NBUCKETS];
	struct dlist by_expiry;   /* oldest first */
	size_t nx;
	size_t tcp_pending;  /* unanswered TCP queries */
	uint64_t untracked;  /* queries not followed: DNS_MATCH_MAX in flight */
	uint64_t timeout_ns;
	dns_match_fn *fn;
	void *arg;
	struct dns_streams *streams; /* TCP sends put back into messages */
};

struct dns_match *dns_match_new(uint64_t timeout_ns, dns_match_fn *fn, void *arg)
{
	struct dns_match *dm = calloc(1, sizeof(*dm));

	if (!dm)
		return NULL;
	dm->streams = dns_streams_new();
	if (!dm->streams) {
		free(dm);
		return NULL;
	}
	dm->timeout_ns = timeout_ns;
	dm->fn = fn;
	dm->arg = arg;
	return dm;
}

uint64_t dns_match_untracked(const struct dns_match *dm)
{
	return dm->untracked;
}

static uint32_t key_hash(const struct xkey *k)
{
	return fnv1a32(k, sizeof(*k)) & (NBUCKETS - 1);
}

/* The exchange of a node of dm->by_expiry, NULL for none. */
static struct xchg *x_of(struct dlist_node *n)
{
	return n ? DLIST_ENTRY(n, struct xchg, link) : NULL;
}

static struct xchg *x_find(struct dns_match *dm, const struct xkey *k)
{
	for (struct xchg *x = dm->buckets[key_hash(k)]; x; x = x->hnext)
		if (memcmp(&x->k, k, sizeof(*k)) == 0)
			return x;
	return NULL;
}

/* Puts x last in expiry order, expiring then. */
static void x_append(struct dns_match *dm, struct xchg *x, uint64_t expire)
{
	x->expire = expire;
	dlist_append(&dm->by_expiry, &x->link);
}

/* A new exchange, last in expiry order (sightings come in time order);
 * NULL past DNS_MATCH_MAX in flight (a flood of unanswered queries), counted. */
static struct xchg *x_new(struct dns_match *dm, const struct xkey *k, uint64_t expire)
{
	struct xchg *x = dm->nx < DNS_MATCH_MAX ? calloc(1, sizeof(*x)) : NULL;
	uint32_t b = key_hash(k);

	if (!x) {
		dm->untracked++;
		return NULL;
	}
	x->k = *k;
	x->hnext = dm->buckets[b];
	dm->buckets[b] = x;
	x_append(dm, x, expire);
	dm->nx++;
	return x;
}

static void x_unlink(struct dns_match *dm, struct xchg *x)
{
	dlist_unlink(&dm->by_expiry, &x->link);
}

/* An answered exchange stays only to recognise the answer's second
 * sighting, LINGER_NS: last in expiry order (near enough: the tail expires
 * the timeout after its query, later unless the timeout is shorter). */
#define LINGER_NS 1000000000ull

static void x_linger(struct dns_match *dm, struct xchg *x, uint64_t now)
{
	uint64_t linger = dm->timeout_ns < LINGER_NS ? dm->timeout_ns : LINGER_NS;

	x_unlink(dm, x);
	x_append(dm, x, now + linger);
}

static void x_free(struct dns_match *dm, struct xchg *x)
{
	struct xchg **pp = &dm->buckets[key_hash(&x->k)];

	while (*pp && *pp != x)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = x->hnext;
	x_unlink(dm, x);
	dm->nx--;
	free(x->name);
	free(x);
}

void dns_match_free(struct dns_match *dm)
{
	if (!dm)
		return;
	while (dm->by_expiry.head)
		x_free(dm, x_of(dm->by_expiry.head));
	dns_streams_free(dm->streams);
	free(dm);
}

/* Hands x to the callback: m is the answer (DNS_ANSWERED), ah the header
 * of the sighting that ends the exchange (the query's for the others). */
static void report(struct dns_match *dm, const struct xchg *x, enum dns_outcome outcome,
		   const struct dns_msg *m, const struct tr_hdr *ah)
{
	bool has_lat = (outcome == DNS_ANSWERED || outcome == DNS_UNREAD) && x->q_ts;
	struct dns_exchange e = {
		.outcome = outcome,
		.proto = x->k.proto,
		.family = x->k.family,
		.id = x->k.id,
		.cport = x->k.cport,
		.sport = x->k.sport,
		.caddr = x->k.caddr,
		.saddr = x->k.saddr,
		.qtype = x->qtype,
		.name = x->name ? x->name : "",
		.h = x->q_ts ? &x->qh : ah,
		.has_latency = has_lat,
		.latency_ns = has_lat && ah->ts_ns > x->q_ts ? ah->ts_ns - x->q_ts : 0,
		.answer = m,
	};

	dm->fn(dm->arg, &e);
}

int dns_match_sweep(struct dns_match *dm, uint64_t now)
{
	int n = 0;

	/* a message half sent for longer than a query may wait is not coming */
	dns_streams_sweep(dm->streams, now, dm->timeout_ns);
	struct xchg *x;

	while ((x = x_of(dm->by_expiry.head)) && x->expire <= now) {
		if (!x->answered && x->q_ts) {
			if (x->k.proto == 6 && dm->tcp_pending)
				dm->tcp_pending--;
			report(dm, x, DNS_TIMEOUT, NULL, &x->qh);
			n++;
		}
		x_free(dm, x);
	}
	return n;
}

/* A TCP segment from a server whose message the kernel could not read
 * (page fragments: an answer from another host, or from a namespace not
 * traced): it answers the flow's oldest pending query, with an unknown
 * rcode. */
static void unread_tcp_answer(struct dns_match *dm, const struct dnssnoop_event *e)
{
	if (dns_streams_followed(dm->streams, &e->t))
		return; /* the server's sends are read: this is what they sent */
	for (struct xchg *x = x_of(dm->by_expiry.head); x && dm->tcp_pending;
	     x = x_of(x->link.next)) {
		if (x->k.proto != 6 || x->answered || !x->q_ts || x->k.sport != e->t.sport ||
		    x->k.cport != e->t.dport || memcmp(x->k.saddr, e->t.saddr, 16) ||
		    memcmp(x->k.caddr, e->t.daddr, 16))
			continue;
		x->answered = true;
		dm->tcp_pending--;
		x_linger(dm, x, e->h.ts_ns);
		report(dm, x, DNS_UNREAD, NULL, &e->h);
		return;
	}
}

/* The process of a query that left before its send returned: one of the
 * latest exchanges. */
static void owner(struct dns_match *dm, const struct dnssnoop_event *e)
{
	int n = 0;

	for (struct xchg *x = x_of(dm->by_expiry.tail); x && n < 256; x = x_of(x->link.prev), n++)
		if (x->sock == e->sock && !x->qh.pid) {
			x->qh.pid = e->h.pid;
			x->qh.tid = e->h.tid;
			x->qh.cgroup = e->h.cgroup;
			memcpy(x->qh.comm, e->h.comm, sizeof(x->qh.comm));
			x->sock = 0;
		}
}

/* The message of a packet's record: *len bytes at the returned pointer, or
 * NULL when there is none to parse (a TCP segment without a whole length:
 * segments are not put back together, sends are). */
static const uint8_t *message(const struct dnssnoop_event *e, size_t *len)
{
	const uint8_t *msg = e->data;

	*len = e->caplen > DNS_COPY_MAX ? DNS_COPY_MAX : e->caplen;
	if (e->proto != 6)
		return msg;
	/* TCP: the first message of the segment, after its length */
	if (*len < 2)
		return NULL;
	size_t mlen = (size_t)msg[0] << 8 | msg[1];
	msg += 2;
	*len -= 2;
	if (mlen < 12)
		return NULL;
	if (mlen < *len)
		*len = mlen;
	return msg;
}

static void on_message(void *arg, const struct dnssnoop_event *e, const uint8_t *msg,
		       size_t len);

void dns_match_event(struct dns_match *dm, const void *record)
{
	const struct dnssnoop_event *e = record;
	const uint8_t *msg;
	size_t len;

	if (e->dir == DNS_DIR_OWNER) {
		owner(dm, e);
		return;
	}
	if (e->proto == 6 && !e->ifindex) { /* a TCP send */
		dns_streams_feed(dm->streams, e, on_message, dm);
		return;
	}
	if (e->proto == 6 && e->caplen == 0) {
		unread_tcp_answer(dm, e);
		return;
	}
	if ((msg = message(e, &len)))
		on_message(dm, e, msg, len);
}

/* One DNS message msg[0..len) sighted in record e. */
static void on_message(void *arg, const struct dnssnoop_event *e, const uint8_t *msg,
		       size_t len)
{
	struct dns_match *dm = arg;
	struct dns_msg m;
	struct xkey k;
	struct xchg *x;

	if (dns_parse(msg, len, &m) != 0 || !m.has_question || m.opcode != 0)
		return;
	dns_match_sweep(dm, e->h.ts_ns);
	memset(&k, 0, sizeof(k));
	k.proto = e->proto;
	k.family = (uint8_t)e->t.family;
	k.id = m.id;
	if (m.qr) { /* server -> client */
		memcpy(k.saddr, e->t.saddr, 16);
		memcpy(k.caddr, e->t.daddr, 16);
		k.sport = e->t.sport;
		k.cport = e->t.dport;
	} else {
		memcpy(k.caddr, e->t.saddr, 16);
		memcpy(k.saddr, e->t.daddr, 16);
		k.cport = e->t.sport;
		k.sport = e->t.dport;
	}
	x = x_find(dm, &k);
	if (!m.qr) {
		if (x) { /* seen again (entering the server's namespace, a resend) */
			if (!x->qh.pid && e->h.pid)
				memcpy(&x->qh, &e->h, sizeof(x->qh));
			return;
		}
		x = x_new(dm, &k, e->h.ts_ns + dm->timeout_ns);
		if (!x)
			return;
		x->q_ts = e->h.ts_ns;
		x->qh = e->h;
		x->sock = e->sock;
		if (k.proto == 6)
			dm->tcp_pending++;
		x->qtype = m.qtype;
		x->name = strdup(m.name);
		report(dm, x, DNS_QUERY, NULL, &e->h);
		return;
	}
	if (x && x->answered)
		return; /* the same answer seen again */
	if (!x) { /* an answer to a query not seen (asked before the start) */
		x = x_new(dm, &k, e->h.ts_ns + dm->timeout_ns);
		if (!x)
			return;
		x->qtype = m.qtype;
		x->name = strdup(m.name);
	}
	if (k.proto == 6 && x->q_ts && dm->tcp_pending)
		dm->tcp_pending--;
	x->answered = true;
	x_linger(dm, x, e->h.ts_ns);
	report(dm, x, DNS_ANSWERED, &m, &e->h);
}
