/* The exporter's dns collector: dnssnoop's BPF object (tracers/dnssnoop.h)
 * kept loaded, its records paired into exchanges by tracers/dns_match.h and
 * counted: queries by protocol and type, responses by rcode, timeouts, and
 * the response time as a histogram.
 *
 * The kernel streams every DNS message (it cannot parse names or pair
 * answers), so unlike the other BPF collectors this one has a ring buffer
 * to keep empty: a thread of its own reads it as records arrive (the
 * kernel wakes it at once for a lone record, at most every 5 ms or at a
 * quarter full under load; it also wakes every POLL_MS to time queries
 * out), not the scrape, which may come every 15 s or more. The scrape
 * copies the counts under the mutex the thread takes for each update.
 * Records the kernel could not queue (the buffer full) are counted in
 * the kernel and exported as netlens_dns_lost_events_total. */
#include "export/bpf.h"
#include "export/collect.h"

#include "base/prom.h"
#include "bpf/dnssnoop.h"
#include "trace/load.h"
#include "trace/trace.h"
#include "tracers/dns_match.h"
#include "tracers/dnssnoop.h"

#include <bpf/libbpf.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RINGBUF_SIZE (1UL << 20)
#define POLL_MS 100
#define TIMEOUT_NS (5 * 1000000000ull) /* dnssnoop's --timeout default */
#define HIST_SLOTS 32                   /* log2 of microseconds: 2 us to 2^31 us, +Inf */

/* Query types labelled by name; the rest are OTHER. */
static const uint16_t qtypes[] = { 1, 2, 5, 6, 12, 15, 16, 28, 33, 35, 43, 48, 64, 65, 255, 257 };
#define NQTYPES (sizeof(qtypes) / sizeof(qtypes[0]))
/* rcodes 0..10 by name (dns_rcode_name), then UNKNOWN (a TCP answer the
 * kernel could not read), then OTHER */
#define NRCODES     11
#define RC_UNKNOWN  NRCODES
#define RC_OTHER    (NRCODES + 1)
#define RC_SLOTS    (NRCODES + 2)

struct dns_counts {
	uint64_t queries[2][NQTYPES + 1]; /* [tcp][type], the last OTHER */
	uint64_t responses[RC_SLOTS];
	uint64_t timeouts;
	uint64_t slots[HIST_SLOTS];
	uint64_t sum_ns;
	uint64_t untracked; /* queries not followed: too many in flight */
};

struct dns_collector {
	struct trace_ctx tc;
	struct trace_loaded ld;
	struct ring_buffer *rb;
	struct dns_match *dm; /* the thread's alone */
	pthread_t thread;
	bool running;
	atomic_bool stop;
	pthread_mutex_t lock; /* n and err */
	struct dns_counts n;
	int err; /* the thread ended reading the ring buffer: -errno */
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static size_t qtype_index(uint16_t t)
{
	for (size_t i = 0; i < NQTYPES; i++)
		if (qtypes[i] == t)
			return i;
	return NQTYPES;
}

static int hist_slot(uint64_t ns)
{
	uint64_t us = ns / 1000;
	int s = us ? 63 - __builtin_clzll(us) : 0;

	return s < HIST_SLOTS ? s : HIST_SLOTS - 1;
}

/* dns_match's callback, on the thread. */
static void count(void *arg, const struct dns_exchange *x)
{
	struct dns_collector *d = arg;
	struct dns_counts *n = &d->n;

	pthread_mutex_lock(&d->lock);
	switch (x->outcome) {
	case DNS_QUERY:
		n->queries[x->proto == 6][qtype_index(x->qtype)]++;
		break;
	case DNS_ANSWERED:
	case DNS_UNREAD:
		if (x->outcome == DNS_UNREAD)
			n->responses[RC_UNKNOWN]++;
		else
			n->responses[x->answer->rcode < NRCODES ? x->answer->rcode : RC_OTHER]++;
		if (x->has_latency) {
			n->slots[hist_slot(x->latency_ns)]++;
			n->sum_ns += x->latency_ns;
		}
		break;
	case DNS_TIMEOUT:
		n->timeouts++;
		break;
	}
	pthread_mutex_unlock(&d->lock);
}

static int on_record(void *ctx, void *data, size_t len)
{
	struct dns_collector *d = ctx;

	if (len >= offsetof(struct dnssnoop_event, data))
		dns_match_event(d->dm, data);
	return 0;
}

/* The consumer: every record as it comes, timeouts every POLL_MS. */
static void *consume(void *arg)
{
	struct dns_collector *d = arg;
	int e = 0;

	while (!atomic_load(&d->stop)) {
		int n = ring_buffer__poll(d->rb, POLL_MS);
		/* wake-ups are batched: drain whatever arrived silently */
		int m = ring_buffer__consume(d->rb);
		if ((n < 0 && n != -EINTR) || (m < 0 && m != -EINTR)) {
			e = n < 0 && n != -EINTR ? n : m;
			break;
		}
		dns_match_sweep(d->dm, mono_ns());
		pthread_mutex_lock(&d->lock);
		d->n.untracked = dns_match_untracked(d->dm);
		pthread_mutex_unlock(&d->lock);
	}
	pthread_mutex_lock(&d->lock);
	d->err = e;
	pthread_mutex_unlock(&d->lock);
	return NULL;
}

void collect_dns_stop(void *state)
{
	struct dns_collector *d = state;

	if (!d)
		return;
	if (d->running) {
		atomic_store(&d->stop, true);
		pthread_join(d->thread, NULL);
	}
	ring_buffer__free(d->rb);
	dns_match_free(d->dm);
	trace_unload(&d->tc, &d->ld);
	pthread_mutex_destroy(&d->lock);
	free(d);
}

int collect_dns_start(const struct collect_ctx *c, void **state, char *err, size_t errlen)
{
	struct dns_collector *d = calloc(1, sizeof(*d));
	sigset_t all, old;
	int e, fd;

	if (!d)
		return snprintf(err, errlen, "out of memory"), -ENOMEM;
	pthread_mutex_init(&d->lock, NULL);
	d->tc.tr = dnssnoop_tracer();
	d->tc.o.ringbuf_size = RINGBUF_SIZE;
	if ((e = collect_bpf_load(&d->tc, &d->ld, c, err, errlen))) {
		pthread_mutex_destroy(&d->lock);
		free(d);
		return e;
	}
	fd = bpf_map__fd(bpf_object__find_map_by_name(d->tc.tr->skel_obj(d->tc.skel), "tr_events"));
	d->dm = dns_match_new(TIMEOUT_NS, count, d);
	d->rb = d->dm ? ring_buffer__new(fd, on_record, d, NULL) : NULL;
	if (!d->rb) {
		e = d->dm ? -errno : -ENOMEM;
		snprintf(err, errlen, "ring buffer: %s", strerror(-e));
		collect_dns_stop(d);
		return e;
	}
	/* the thread takes no signals: the exporter's main thread waits for
	 * them (sigwait), and they are not blocked yet */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	e = -pthread_create(&d->thread, NULL, consume, d);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e) {
		snprintf(err, errlen, "cannot start its thread: %s", strerror(-e));
		collect_dns_stop(d);
		return e;
	}
	d->running = true;
	*state = d;
	return 0;
}

void collect_dns_uncounted(void *state, uint64_t *runs_missed, uint64_t *dropped_keys)
{
	struct dns_collector *d = state;
	uint64_t untracked;

	pthread_mutex_lock(&d->lock);
	untracked = d->n.untracked;
	pthread_mutex_unlock(&d->lock);
	*runs_missed = trace_runs_skipped(&d->tc, &d->ld);
	*dropped_keys = trace_dropped_keys(&d->tc) + untracked;
}

static const char *rcode_label(int r)
{
	return r == RC_UNKNOWN ? "UNKNOWN" : r == RC_OTHER ? "OTHER" : dns_rcode_name((uint8_t)r);
}

int collect_dns(const struct collect_ctx *c, struct prom *p, char *err, size_t errlen)
{
	struct dns_collector *d = c->state;
	struct bpf_map *lost_map =
		bpf_object__find_map_by_name(d->tc.tr->skel_obj(d->tc.skel), "tr_lost");
	static const char *const protos[2] = { "udp", "tcp" };
	struct dns_counts n;
	int e;

	pthread_mutex_lock(&d->lock);
	n = d->n;
	e = d->err;
	pthread_mutex_unlock(&d->lock);
	if (e) {
		snprintf(err, errlen, "reading DNS messages from the kernel: %s", strerror(-e));
		return e;
	}
	/* every type and protocol that counted, and A over UDP always, so the
	 * family has a series from the first scrape */
	prom_family(p, "netlens_dns_queries_total", PROM_COUNTER,
		    "DNS queries seen (each once, however many times it crossed a device), by "
		    "protocol and query type (OTHER: a type not listed).");
	for (int t = 0; t < 2; t++)
		for (size_t q = 0; q <= NQTYPES; q++)
			if (n.queries[t][q] || (!t && !q))
				prom_sample(p, (double)n.queries[t][q], "protocol", protos[t], "qtype",
					    q < NQTYPES ? dns_type_name(qtypes[q]) : "OTHER", NULL);
	prom_family(p, "netlens_dns_responses_total", PROM_COUNTER,
		    "DNS responses seen, by response code (UNKNOWN: a TCP answer the kernel "
		    "could not read; OTHER: a code past NOTZONE).");
	for (int r = 0; r < RC_SLOTS; r++)
		if (n.responses[r] || !r)
			prom_sample(p, (double)n.responses[r], "rcode", rcode_label(r), NULL);
	prom_family(p, "netlens_dns_timeouts_total", PROM_COUNTER,
		    "DNS queries not answered within 5 seconds.");
	prom_sample(p, (double)n.timeouts, NULL);
	prom_family(p, "netlens_dns_response_duration_seconds", PROM_HISTOGRAM,
		    "Time from a DNS query's first sighting to its response's (responses whose "
		    "query was seen).");
	prom_histogram_log2(p, n.slots, HIST_SLOTS, 1e-6, (double)n.sum_ns * 1e-9, NULL);
	prom_family(p, "netlens_dns_lost_events_total", PROM_COUNTER,
		    "DNS messages the kernel could not hand to the collector (its ring buffer "
		    "was full): their exchanges are missing, or counted as timeouts.");
	prom_sample(p, (double)trace_percpu_sum(lost_map, 0), NULL);
	return 0;
}
