/* DNS messages put back together from TCP sends (dns_stream.h). */
#include "tracers/dns_stream.h"

#include "base/dlist.h"
#include "base/fnv.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Not the namespace: a packet of the stream may be seen in another (the
 * peer's, over a veth pair), and exchanges are matched without it too. */
struct skey {
	uint16_t family, sport, dport;
	uint8_t saddr[16], daddr[16];
};

/* Where a stream is: collecting a length (nlen < 2), or a message of mlen
 * bytes of which got have been sent and the first kept are in buf. */
struct sstate {
	uint8_t nlen, lenb[2];
	bool gap; /* a byte of the message was not copied: the rest is unknown */
	uint32_t mlen, got, kept;
	uint8_t buf[DNS_COPY_MAX];
};

struct dstream {
	struct skey k;
	struct dstream *hnext;       /* hash chain */
	struct dlist_node link;      /* in by_send */
	uint64_t last;
	struct sstate st;
};

#define NBUCKETS 1024u
/* Streams followed at most: the least recently active is forgotten. */
#define MAX_STREAMS 4096u

struct dns_streams {
	struct dstream *buckets[NBUCKETS];
	struct dlist by_send; /* by last send, oldest first */
	size_t n;
};

struct dns_streams *dns_streams_new(void)
{
	return calloc(1, sizeof(struct dns_streams));
}

static uint32_t skey_hash(const struct skey *k)
{
	return fnv1a32(k, sizeof(*k)) & (NBUCKETS - 1);
}

static struct dstream *d_of(struct dlist_node *n)
{
	return n ? DLIST_ENTRY(n, struct dstream, link) : NULL;
}

/* Takes d out of the table (not freed). */
static void s_detach(struct dns_streams *s, struct dstream *d)
{
	struct dstream **pp = &s->buckets[skey_hash(&d->k)];

	while (*pp && *pp != d)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = d->hnext;
	dlist_unlink(&s->by_send, &d->link);
	s->n--;
}

static void s_free(struct dns_streams *s, struct dstream *d)
{
	s_detach(s, d);
	free(d);
}

/* Puts d (its key set) in the table, the most recently active. */
static void s_attach(struct dns_streams *s, struct dstream *d)
{
	uint32_t b = skey_hash(&d->k);

	if (s->n >= MAX_STREAMS)
		s_free(s, d_of(s->by_send.head));
	d->hnext = s->buckets[b];
	s->buckets[b] = d;
	dlist_append(&s->by_send, &d->link);
	s->n++;
}

void dns_streams_free(struct dns_streams *s)
{
	if (!s)
		return;
	while (s->by_send.head)
		s_free(s, d_of(s->by_send.head));
	free(s);
}

size_t dns_streams_count(const struct dns_streams *s)
{
	return s->n;
}

void dns_streams_sweep(struct dns_streams *s, uint64_t now_ns, uint64_t idle_ns)
{
	struct dstream *d;

	while ((d = d_of(s->by_send.head)) && d->last + idle_ns <= now_ns)
		s_free(s, d);
}

static struct skey skey_of(const struct tr_tuple *t)
{
	struct skey k = { .family = t->family, .sport = t->sport, .dport = t->dport };

	memcpy(k.saddr, t->saddr, 16);
	memcpy(k.daddr, t->daddr, 16);
	return k;
}

static struct dstream *s_find(struct dns_streams *s, const struct skey *k)
{
	for (struct dstream *d = s->buckets[skey_hash(k)]; d; d = d->hnext)
		if (memcmp(&d->k, k, sizeof(*k)) == 0)
			return d;
	return NULL;
}

bool dns_streams_followed(struct dns_streams *s, const struct tr_tuple *t)
{
	struct skey k = skey_of(t);

	return s_find(s, &k) != NULL;
}

static size_t min_sz(size_t a, size_t b) { return a < b ? a : b; }

/* Runs the send's bytes through st; false when the stream cannot be
 * followed (a length not copied, or not a DNS length). */
static bool run(struct sstate *st, const struct dnssnoop_event *e, size_t total,
		dns_stream_fn *fn, void *arg)
{
	size_t cap = min_sz(e->caplen, DNS_COPY_MAX);

	for (size_t i = 0; i < total;) {
		if (st->nlen < 2) {
			if (i >= cap)
				return false;
			st->lenb[st->nlen++] = e->data[i++];
			if (st->nlen < 2)
				continue;
			st->mlen = (uint32_t)st->lenb[0] << 8 | st->lenb[1];
			st->got = st->kept = 0;
			st->gap = false;
			if (st->mlen < 12) /* shorter than a DNS header */
				return false;
			continue;
		}
		size_t take = min_sz(st->mlen - st->got, total - i);
		if (!st->gap) {
			size_t known = i < cap ? min_sz(take, cap - i) : 0;
			size_t c = min_sz(known, DNS_COPY_MAX - st->kept);
			memcpy(st->buf + st->kept, e->data + i, c);
			st->kept += (uint32_t)c;
			st->gap = known < take;
		}
		st->got += (uint32_t)take;
		i += take;
		if (st->got == st->mlen) {
			fn(arg, e, st->buf, st->kept);
			st->nlen = 0;
		}
	}
	return true;
}

void dns_streams_feed(struct dns_streams *s, const struct dnssnoop_event *e, dns_stream_fn *fn,
		      void *arg)
{
	struct skey k = skey_of(&e->t);
	size_t total = e->paylen;
	struct dstream *d = s_find(s, &k);

	/* out of the table while fn runs: it may sweep the table */
	if (d) {
		s_detach(s, d);
	} else {
		d = calloc(1, sizeof(*d));
		if (!d)
			return; /* the send is lost, nothing else */
		d->k = k;
	}
	/* paylen saturates at 0xffff: a send that large cannot be followed
	 * past what was copied of it */
	if (total >= 0xffff || total < e->caplen)
		total = min_sz(e->caplen, DNS_COPY_MAX);
	if (run(&d->st, e, total, fn, arg) && total == e->paylen) {
		d->last = e->h.ts_ns;
		s_attach(s, d);
	} else {
		free(d);
	}
}
