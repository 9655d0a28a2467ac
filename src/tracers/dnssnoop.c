/* dnssnoop: DNS queries and their answers on the wire (UDP and TCP), one
 * line per exchange: who asked (where the kernel can tell), the server, the
 * name, type, rcode, answers and latency; TIMEOUT for a query unanswered
 * within --timeout. -c summarises by name, server and rcode instead.
 *
 * The kernel copies each DNS message it sees (bpf/dnssnoop.bpf.c); this side
 * parses it (dns_parse.h) and pairs it up. A packet between two local
 * namespaces is seen twice, leaving one and entering the other (on
 * loopback: leaving and entering the same one), so an exchange is keyed by
 * what does not depend on where it was seen: protocol, client and server
 * address and port, transaction id. The first sighting of a query starts
 * the exchange (its header gives the process and namespace), the first
 * sighting of its answer ends it, and later sightings of either are
 * duplicates until the exchange is forgotten: --timeout after its query
 * when unanswered (a TIMEOUT), 1 s after its answer otherwise. -p/--comm
 * apply here, to the query's process: answers arrive in softirq context. */
#include "bpf/dnssnoop.h"
#include "bpf/dnssnoop.skel.h"
#include "command.h"
#include "trace/opts.h"
#include "trace/trace.h"
#include "tracers/dns_parse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

TRACE_SKEL_GLUE(dnssnoop)

enum {
	C_PID = TRACE_COL0,
	C_COMM,
	C_PROTO,
	C_SERVER,
	C_SPORT,
	C_TYPE,
	C_RCODE,
	C_LAT,
	C_NAME,
	C_ANSWERS,
};

static const struct out_col cols[] = {
	TRACE_TASK_COLS,
	{ "PROTO", "proto", 0, 5 },
	{ "SERVER", "server", 0, 15 },
	{ "PORT", "server_port", OUT_RIGHT, 5 },
	{ "TYPE", "type", 0, 5 },
	{ "RCODE", "rcode", 0, 8 },
	{ "LAT(ms)", NULL, OUT_RIGHT, 8 },
	{ "NAME", "name", 0, 28 },
	{ "ANSWERS", NULL, 0, 0 },
};

static const struct trace_hook hooks[] = {
	{ "net_dev_queue", { "dnssnoop_xmit_btf", "dnssnoop_xmit_raw" } },
	{ "netif_receive_skb", { "dnssnoop_recv_btf", "dnssnoop_recv_raw" } },
	{ "tcp_sendmsg_locked", { "dnssnoop_tcpsend_btf", "dnssnoop_tcpsend_raw" } },
	/* the sender of UDP packets that leave later, from a softirq */
	{ "sock_send_length", { "dnssnoop_sendlen_btf", "dnssnoop_sendlen_raw" },
	  .optional = true },
};

enum { OPT_TIMEOUT = 0x6d00 };

static const struct opt opt_rows[] = {
	{ 'c', "counts", NULL, "count exchanges by name, server and rcode; latency histograms" },
	{ OPT_TIMEOUT, "timeout", "SECS", "a query unanswered after SECS is a TIMEOUT (default 5)" },
	{ 'P', "port", "P[,P..]", "DNS server ports (default 53)" },
	{ '4', "ipv4", NULL, "IPv4 only" },
	{ '6', "ipv6", NULL, "IPv6 only" },
	{ OPT_TR_NETNS, "netns", "NS",
	  "only packets seen in network namespace NS (name, path or inode)" },
	OPT_END,
};

static const struct opt_group opts[] = {
	{ NULL, opt_rows }, TRACE_OWNER_GROUP, TRACE_EVENT_GROUP, TRACE_RUN_GROUP,
	TRACE_INTERVAL_GROUP, TRACE_TABLE_GROUP, OPT_GROUPS_END,
};

/* ---- exchanges ---- */

struct xkey {
	uint8_t proto, family;
	uint16_t id, cport, sport;
	uint8_t caddr[16], saddr[16];
};

struct xchg {
	struct xkey k;
	struct xchg *hnext;      /* hash chain */
	struct xchg *next, *prev; /* by expiry, oldest first */
	uint64_t expire;         /* forgotten then (and a TIMEOUT if unanswered) */
	uint64_t q_ts;           /* the query's first sighting; 0: not seen */
	bool answered;
	struct tr_hdr qh;        /* the query's sighting: process, netns, cgroup */
	uint16_t qtype;
	uint64_t sock;           /* the query left without a process: its socket */
	char *name;
};

struct agg { /* -c: one name, server and rcode */
	struct agg *next;
	char *name;
	uint8_t family, rcode; /* rcode 255: TIMEOUT */
	uint16_t port;
	uint8_t addr[16];
	uint64_t count, nlat, lat_sum, lat_max;
};

struct server_hist {
	struct server_hist *next;
	uint8_t family;
	uint16_t port;
	uint8_t addr[16];
	uint64_t slots[32];
};

struct slow {
	char *name;
	uint16_t qtype;
	uint8_t family;
	uint16_t port;
	uint8_t addr[16];
	uint64_t lat;
};

#define NBUCKETS    (1u << 16)
#define NSLOW       10
#define RCODE_TIMEOUT 255
#define RCODE_UNKNOWN 254

struct state {
	struct xchg *buckets[NBUCKETS];
	struct xchg *head, *tail;
	size_t nx;
	size_t tcp_pending;  /* unanswered TCP queries */
	uint64_t untracked;  /* queries not followed: MAX_XCHG in flight */
	uint64_t timeout_ns;
	struct agg *aggs;
	struct server_hist *hists;
	struct slow slowest[NSLOW];
};

static struct state *st;
static bool counts;
static double timeout_secs = 5;

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint32_t key_hash(const struct xkey *k)
{
	const uint8_t *p = (const uint8_t *)k;
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < sizeof(*k); i++)
		h = (h ^ p[i]) * 16777619u;
	return h & (NBUCKETS - 1);
}

static struct xchg *x_find(const struct xkey *k)
{
	for (struct xchg *x = st->buckets[key_hash(k)]; x; x = x->hnext)
		if (memcmp(&x->k, k, sizeof(*k)) == 0)
			return x;
	return NULL;
}

/* Puts x last in expiry order, expiring then. */
static void x_append(struct xchg *x, uint64_t expire)
{
	x->expire = expire;
	x->next = NULL;
	x->prev = st->tail;
	if (st->tail)
		st->tail->next = x;
	else
		st->head = x;
	st->tail = x;
}

/* A new exchange, last in expiry order (sightings come in time order);
 * NULL past MAX_XCHG in flight (a flood of unanswered queries), counted. */
#define MAX_XCHG (1u << 20)

static struct xchg *x_new(const struct xkey *k, uint64_t expire)
{
	struct xchg *x = st->nx < MAX_XCHG ? calloc(1, sizeof(*x)) : NULL;
	uint32_t b = key_hash(k);

	if (!x) {
		st->untracked++;
		return NULL;
	}
	x->k = *k;
	x->hnext = st->buckets[b];
	st->buckets[b] = x;
	x_append(x, expire);
	st->nx++;
	return x;
}

static void x_unlink(struct xchg *x)
{
	if (x->prev)
		x->prev->next = x->next;
	else
		st->head = x->next;
	if (x->next)
		x->next->prev = x->prev;
	else
		st->tail = x->prev;
	x->next = x->prev = NULL;
}

/* An answered exchange stays only to recognise the answer's second
 * sighting, LINGER_NS: last in expiry order (near enough: the tail expires
 * --timeout after its query, later unless --timeout is shorter). */
#define LINGER_NS 1000000000ull

static void x_linger(struct xchg *x, uint64_t now)
{
	uint64_t linger = st->timeout_ns < LINGER_NS ? st->timeout_ns : LINGER_NS;

	x_unlink(x);
	x_append(x, now + linger);
}

static void x_free(struct xchg *x)
{
	struct xchg **pp = &st->buckets[key_hash(&x->k)];

	while (*pp && *pp != x)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = x->hnext;
	x_unlink(x);
	st->nx--;
	free(x->name);
	free(x);
}

/* -p/--comm apply to the process that sent the query (user space: the
 * answer arrives in softirq context, where the kernel cannot tell). */
static bool want_task(const struct trace_ctx *tc, const struct tr_hdr *h)
{
	const struct tr_filter *f = &tc->o.filter;

	if (f->pid && h->pid != f->pid)
		return false;
	if (f->comm_set && strncmp(h->comm, f->comm, TR_COMM_LEN) != 0)
		return false;
	return true;
}

/* ---- -c ---- */

static void agg_add(const struct xchg *x, uint8_t rcode, bool has_lat, uint64_t lat)
{
	struct agg *a;
	struct server_hist *s;
	const char *name = x->name ? x->name : "";

	for (a = st->aggs; a; a = a->next)
		if (a->rcode == rcode && a->port == x->k.sport && a->family == x->k.family &&
		    !memcmp(a->addr, x->k.saddr, 16) && !strcmp(a->name, name))
			break;
	if (!a) {
		a = calloc(1, sizeof(*a));
		if (!a || !(a->name = strdup(name))) {
			free(a);
			return;
		}
		a->rcode = rcode;
		a->port = x->k.sport;
		a->family = x->k.family;
		memcpy(a->addr, x->k.saddr, 16);
		a->next = st->aggs;
		st->aggs = a;
	}
	a->count++;
	if (!has_lat)
		return;
	a->nlat++;
	a->lat_sum += lat;
	if (lat > a->lat_max)
		a->lat_max = lat;
	for (s = st->hists; s; s = s->next)
		if (s->port == x->k.sport && s->family == x->k.family &&
		    !memcmp(s->addr, x->k.saddr, 16))
			break;
	if (!s && (s = calloc(1, sizeof(*s)))) {
		s->port = x->k.sport;
		s->family = x->k.family;
		memcpy(s->addr, x->k.saddr, 16);
		s->next = st->hists;
		st->hists = s;
	}
	if (s) {
		uint64_t us = lat / 1000;
		int slot = 0;
		while (us > 1 && slot < 31)
			us >>= 1, slot++;
		s->slots[slot]++;
	}
	/* the slowest exchanges, one per name */
	int min = 0, same = -1;
	for (int i = 0; i < NSLOW; i++) {
		if (st->slowest[i].name && !strcmp(st->slowest[i].name, name))
			same = i;
		if (st->slowest[i].lat < st->slowest[min].lat)
			min = i;
	}
	int at = same >= 0 ? same : min;
	if (lat <= st->slowest[at].lat && st->slowest[at].name)
		return;
	char *copy = strdup(name);
	if (!copy)
		return;
	free(st->slowest[at].name);
	st->slowest[at] = (struct slow){ .name = copy, .qtype = x->qtype, .family = x->k.family,
					 .port = x->k.sport, .lat = lat };
	memcpy(st->slowest[at].addr, x->k.saddr, 16);
}

/* ---- rows ---- */

static const char *rcode_text(uint8_t rcode, char *buf, size_t cap)
{
	if (rcode == RCODE_TIMEOUT)
		return "TIMEOUT";
	return rcode == RCODE_UNKNOWN ? "UNKNOWN" : dns_rcode_str(rcode, buf, cap);
}

static void cells_server(struct table *t, const struct xchg *x)
{
	char a[64];

	out_cell_str(t, C_SERVER, trace_addr_str(a, x->k.family, x->k.saddr));
	out_cell_u64(t, C_SPORT, x->k.sport);
}

/* One exchange: m is the answer; NULL: a TIMEOUT, or with unread an answer
 * whose message could not be read (rcode UNKNOWN). */
static void report(struct trace_ctx *tc, struct xchg *x, const struct dns_msg *m,
		   const struct tr_hdr *ah, bool unread)
{
	bool has_lat = (m || unread) && x->q_ts;
	uint8_t rcode = m ? m->rcode : unread ? RCODE_UNKNOWN : RCODE_TIMEOUT;
	uint64_t lat = has_lat && ah->ts_ns > x->q_ts ? ah->ts_ns - x->q_ts : 0;
	const struct tr_hdr *h = x->q_ts ? &x->qh : ah;
	char tb[16], rb[16], a[64];

	if (!want_task(tc, h))
		return;
	if (counts) {
		agg_add(x, rcode, has_lat, lat);
		return;
	}
	struct table *t = trace_row_begin(tc, h);
	trace_cells_task(t, C_PID, h->pid, h->comm);
	out_cell_str(t, C_PROTO, x->k.proto == 6 ? "TCP" : "UDP");
	cells_server(t, x);
	out_cell_str(t, C_TYPE, dns_type_str(x->qtype, tb, sizeof(tb)));
	out_cell_str(t, C_RCODE, rcode_text(rcode, rb, sizeof(rb)));
	if (has_lat) {
		out_cell_fixed(t, C_LAT, (double)lat / 1e6, 3);
		out_field_double(t, "latency_ms", NULL, (double)lat / 1e6, 3);
	} else {
		out_cell_str(t, C_LAT, "-");
	}
	out_cell_str(t, C_NAME, x->name ? x->name : "");
	out_field_u64(t, "id", NULL, x->k.id);
	out_field_str(t, "client", NULL, trace_addr_str(a, x->k.family, x->k.caddr));
	out_field_u64(t, "client_port", NULL, x->k.cport);
	out_field_u64(t, "ip", NULL, x->k.family == AF_INET6 ? 6 : 4);
	if (m) {
		char text[4 * 48] = "", *p = text;
		out_field_u64(t, "ancount", NULL, m->ancount);
		if (m->tc)
			out_field_bool(t, "truncated", NULL, true);
		out_arr_begin(t, "answers", NULL);
		for (int i = 0; i < m->naddrs; i++) {
			trace_addr_str(a, m->addrs[i].family, m->addrs[i].addr);
			out_field_str(t, "addr", NULL, a);
			p += snprintf(p, sizeof(text) - (size_t)(p - text), "%s%s", i ? "," : "", a);
		}
		out_arr_end(t);
		if (m->naddrs_total > m->naddrs)
			snprintf(p, sizeof(text) - (size_t)(p - text), ",+%d",
				 m->naddrs_total - m->naddrs);
		out_cell_str(t, C_ANSWERS, text[0] ? text : "-");
	} else {
		out_cell_str(t, C_ANSWERS, "-");
	}
	trace_row_end(tc, h);
}

/* Exchanges whose time is up: TIMEOUT if unanswered, then forgotten.
 * Returns the TIMEOUTs reported. */
static int sweep(struct trace_ctx *tc, uint64_t now)
{
	int n = 0;

	while (st->head && st->head->expire <= now) {
		struct xchg *x = st->head;
		if (!x->answered && x->q_ts) {
			if (x->k.proto == 6 && st->tcp_pending)
				st->tcp_pending--;
			report(tc, x, NULL, &x->qh, false);
			n++;
		}
		x_free(x);
	}
	return n;
}

/* A TCP segment from a server whose message the kernel could not read
 * (page fragments: a large answer from another host): it answers the
 * flow's oldest pending query, with an unknown rcode. */
static void unread_tcp_answer(struct trace_ctx *tc, const struct dnssnoop_event *e)
{
	for (struct xchg *x = st->head; x && st->tcp_pending; x = x->next) {
		if (x->k.proto != 6 || x->answered || !x->q_ts || x->k.sport != e->t.sport ||
		    x->k.cport != e->t.dport || memcmp(x->k.saddr, e->t.saddr, 16) ||
		    memcmp(x->k.caddr, e->t.daddr, 16))
			continue;
		x->answered = true;
		st->tcp_pending--;
		x_linger(x, e->h.ts_ns);
		report(tc, x, NULL, &e->h, true);
		return;
	}
}

static void event(struct trace_ctx *tc, const void *data)
{
	const struct dnssnoop_event *e = data;
	const uint8_t *msg = e->data;
	size_t len = e->caplen > DNS_COPY_MAX ? DNS_COPY_MAX : e->caplen;
	struct dns_msg m;
	struct xkey k;
	struct xchg *x;

	if (e->dir == DNS_DIR_OWNER) {
		/* the process of a query that left before its send returned:
		 * one of the latest exchanges */
		int n = 0;
		for (x = st->tail; x && n < 256; x = x->prev, n++)
			if (x->sock == e->sock && !x->qh.pid) {
				x->qh.pid = e->h.pid;
				x->qh.tid = e->h.tid;
				x->qh.cgroup = e->h.cgroup;
				memcpy(x->qh.comm, e->h.comm, sizeof(x->qh.comm));
				x->sock = 0;
			}
		return;
	}
	if (e->proto == 6 && len == 0) {
		unread_tcp_answer(tc, e);
		return;
	}
	if (e->proto == 6) { /* the first message of the segment, after its length */
		if (len < 2)
			return;
		size_t mlen = (size_t)msg[0] << 8 | msg[1];
		msg += 2;
		len -= 2;
		if (mlen < 12)
			return;
		/* a send holds whole messages: one whose "length" runs past
		 * it is no length (a message written apart from its length;
		 * its packets then end the query, unread) */
		if (!e->ifindex && mlen + 2 > e->paylen)
			return;
		if (mlen < len)
			len = mlen;
	}
	if (dns_parse(msg, len, &m) != 0 || !m.has_question || m.opcode != 0)
		return;
	sweep(tc, e->h.ts_ns);
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
	x = x_find(&k);
	if (!m.qr) {
		if (x) { /* seen again (entering the server's namespace, a resend) */
			if (!x->qh.pid && e->h.pid)
				memcpy(&x->qh, &e->h, sizeof(x->qh));
			return;
		}
		x = x_new(&k, e->h.ts_ns + st->timeout_ns);
		if (!x)
			return;
		x->q_ts = e->h.ts_ns;
		x->qh = e->h;
		x->sock = e->sock;
		if (k.proto == 6)
			st->tcp_pending++;
		x->qtype = m.qtype;
		x->name = strdup(m.name);
		return;
	}
	if (x && x->answered)
		return; /* the same answer seen again */
	if (!x) { /* an answer to a query not seen (asked before the start) */
		x = x_new(&k, e->h.ts_ns + st->timeout_ns);
		if (!x)
			return;
		x->qtype = m.qtype;
		x->name = strdup(m.name);
	}
	if (k.proto == 6 && x->q_ts && st->tcp_pending)
		st->tcp_pending--;
	x->answered = true;
	x_linger(x, e->h.ts_ns);
	report(tc, x, &m, &e->h, false);
}

static void batch_end(struct trace_ctx *tc)
{
	/* rows printed here, between batches, are flushed here */
	if (st && sweep(tc, mono_ns()) && !counts)
		out_flush();
}

static int opt(struct trace_ctx *tc, const struct opts *p, int c)
{
	switch (c) {
	case 'c':
		counts = true;
		return trace_opt_summary(tc, p, c);
	case OPT_TIMEOUT:
		if (opts_secs(p, &timeout_secs))
			return EXIT_USAGE;
		if (!(timeout_secs > 0))
			return opts_fail(p, "give a time greater than 0");
		return 0;
	}
	return opts_fail(p, "not handled by dnssnoop");
}

static int configure(struct trace_ctx *tc, void *skel)
{
	struct tr_filter *f = &((struct dnssnoop_bpf *)skel)->rodata->tr_filter;

	(void)tc;
	if (!f->nports) {
		f->ports[0] = 53;
		f->nports = 1;
	}
	if (!st) {
		st = calloc(1, sizeof(*st));
		if (!st)
			return out_error("dnssnoop: out of memory");
	}
	st->timeout_ns = (uint64_t)(timeout_secs * 1e9);
	((struct dnssnoop_bpf *)skel)->rodata->sock_salt =
		((uint64_t)rand() << 32 ^ (uint64_t)rand() ^ mono_ns()) | 1;
	return 0;
}

/* ---- the summary ---- */

static int agg_cmp(const void *a, const void *b)
{
	const struct agg *x = *(struct agg *const *)a, *y = *(struct agg *const *)b;

	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return strcmp(x->name, y->name);
}

static int slow_cmp(const void *a, const void *b)
{
	const struct slow *x = a, *y = b;

	return x->lat < y->lat ? 1 : x->lat > y->lat ? -1 : 0;
}

static void hist_fields(struct table *t, const void *arg)
{
	const struct server_hist *s = arg;
	char a[64];

	out_field_str(t, "server", NULL, trace_addr_str(a, s->family, s->addr));
	out_field_u64(t, "server_port", NULL, s->port);
}

static void print_aggs(void)
{
	static const struct out_col acols[] = {
		{ "NAME", "name", 0, 0 },         { "SERVER", "server", 0, 0 },
		{ "PORT", "server_port", OUT_RIGHT, 0 }, { "RCODE", "rcode", 0, 0 },
		{ "COUNT", "count", OUT_RIGHT, 0 }, { "AVG(ms)", NULL, OUT_RIGHT, 0 },
		{ "MAX(ms)", NULL, OUT_RIGHT, 0 },
	};
	size_t n = 0, i = 0;
	char a[64], rb[16];

	for (struct agg *g = st->aggs; g; g = g->next)
		n++;
	struct agg **v = calloc(n ? n : 1, sizeof(*v));
	if (!v)
		return;
	for (struct agg *g = st->aggs; g; g = g->next)
		v[i++] = g;
	qsort(v, n, sizeof(*v), agg_cmp);
	struct table *t = trace_summary_begin(acols, 7);
	for (i = 0; i < n; i++) {
		const struct agg *g = v[i];
		trace_summary_row(t);
		out_cell_str(t, 1, g->name);
		out_cell_str(t, 2, trace_addr_str(a, g->family, g->addr));
		out_cell_u64(t, 3, g->port);
		out_cell_str(t, 4, rcode_text(g->rcode, rb, sizeof(rb)));
		out_cell_u64(t, 5, g->count);
		if (g->nlat) {
			double avg = (double)g->lat_sum / (double)g->nlat / 1e6;
			out_cell_fixed(t, 6, avg, 3);
			out_cell_fixed(t, 7, (double)g->lat_max / 1e6, 3);
			out_field_double(t, "avg_ms", NULL, avg, 3);
			out_field_double(t, "max_ms", NULL, (double)g->lat_max / 1e6, 3);
		} else {
			out_cell_str(t, 6, "-");
			out_cell_str(t, 7, "-");
		}
		out_row_end(t);
	}
	out_table_end(t);
	free(v);
}

static void print_slowest(void)
{
	static const struct out_col scols[] = {
		{ "SLOWEST", "name", 0, 0 }, { "TYPE", "type", 0, 0 }, { "SERVER", "server", 0, 0 },
		{ "PORT", "server_port", OUT_RIGHT, 0 }, { "LAT(ms)", NULL, OUT_RIGHT, 0 },
	};
	struct slow v[NSLOW];
	char a[64], tb[16];
	int n = 0;

	for (int i = 0; i < NSLOW; i++)
		if (st->slowest[i].name)
			v[n++] = st->slowest[i];
	if (!n)
		return;
	qsort(v, (size_t)n, sizeof(v[0]), slow_cmp);
	struct table *t = trace_summary_begin(scols, 5);
	for (int i = 0; i < n; i++) {
		trace_summary_row(t);
		if (out_is_json())
			out_obj_begin(t, "slowest", NULL);
		out_cell_str(t, 1, v[i].name);
		out_cell_str(t, 2, dns_type_str(v[i].qtype, tb, sizeof(tb)));
		out_cell_str(t, 3, trace_addr_str(a, v[i].family, v[i].addr));
		out_cell_u64(t, 4, v[i].port);
		out_cell_fixed(t, 5, (double)v[i].lat / 1e6, 3);
		out_field_double(t, "latency_ms", NULL, (double)v[i].lat / 1e6, 3);
		out_row_end(t);
	}
	out_table_end(t);
}

static void clear_summary(void)
{
	while (st->aggs) {
		struct agg *g = st->aggs;
		st->aggs = g->next;
		free(g->name);
		free(g);
	}
	while (st->hists) {
		struct server_hist *s = st->hists;
		st->hists = s->next;
		free(s);
	}
	for (int i = 0; i < NSLOW; i++)
		free(st->slowest[i].name);
	memset(st->slowest, 0, sizeof(st->slowest));
}

static void summary(struct trace_ctx *tc, void *skel, bool final)
{
	char title[128], a[64];

	(void)skel;
	(void)final;
	if (!st)
		return;
	sweep(tc, mono_ns());
	trace_interval_stamp(tc);
	print_aggs();
	for (struct server_hist *s = st->hists; s; s = s->next) {
		snprintf(title, sizeof(title), "DNS latency, server %s port %u",
			 trace_addr_str(a, s->family, s->addr), s->port);
		trace_hist_print_log2_with(title, "usecs", s->slots, 32, hist_fields, s);
	}
	print_slowest();
	clear_summary();
}

static void fini(struct trace_ctx *tc)
{
	(void)tc;
	if (!st)
		return;
	if (st->untracked)
		out_warn("dnssnoop: %llu queries not followed: %u exchanges were in flight",
			 (unsigned long long)st->untracked, MAX_XCHG);
	while (st->head)
		x_free(st->head);
	clear_summary();
	free(st);
	st = NULL;
	counts = false;
	timeout_secs = 5;
}

TRACE_TRACER(dnssnoop, "DNS queries and answers", TRACE_HOOKS(hooks), TRACE_COLS(cols),
	     .opts = opts, .opt = opt, .configure = configure, .event = event,
	     .event_size = __builtin_offsetof(struct dnssnoop_event, data),
	     .batch_end = batch_end, .summary = summary, .summary_events = true, .fini = fini);

TRACE_COMMAND(dnssnoop, opts,
		.summary = "trace DNS queries and answers on the wire, with latency",
		.about = "One line per DNS exchange the kernel carries, UDP or TCP, to or from the DNS\n"
			 "ports (-P, default 53), in every network namespace: the process that sent\n"
			 "the query (when it was sent in process context), the server, the query type\n"
			 "and name, the response code, the first A/AAAA answers and the latency from\n"
			 "the query to its answer (paired by transaction id and flow). A query with no\n"
			 "answer within --timeout prints as TIMEOUT. Seen on the wire, so resolvers\n"
			 "that bypass libc are seen too. -c summarises instead: exchanges by name,\n"
			 "server and rcode, latency histograms per server and the slowest names,\n"
			 "on exit or every -i SECS.\n");
