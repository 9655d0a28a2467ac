/* dnssnoop: DNS queries and their answers on the wire (UDP and TCP), one
 * line per exchange: who asked (where the kernel can tell), the server, the
 * name, type, rcode, answers and latency; TIMEOUT for a query unanswered
 * within --timeout. -c summarises by name, server and rcode instead.
 *
 * The kernel copies each DNS message it sees (bpf/dnssnoop.bpf.c); this side
 * parses it (dns_parse.h) and pairs it up (dns_match.h: each exchange once,
 * though a packet between local namespaces is seen twice), which the
 * exporter's dns collector shares. -p/--comm apply here, to the query's
 * process: answers arrive in softirq context. */
#include "bpf/dnssnoop.h"
#include "bpf/dnssnoop.skel.h"
#include "command.h"
#include "trace/opts.h"
#include "trace/trace.h"
#include "tracers/dns_match.h"
#include "tracers/dns_parse.h"
#include "tracers/dnssnoop.h"

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

/* ---- -c ---- */

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

#define NSLOW       10
#define RCODE_TIMEOUT 255
#define RCODE_UNKNOWN 254

/* The run's state (tc->priv): the exchanges (dns_match.h) and -c's tables. */
struct snoop {
	struct trace_ctx *tc;
	struct dns_match *dm;
	struct agg *aggs;
	struct server_hist *hists;
	struct slow slowest[NSLOW];
};

static bool counts;
static double timeout_secs = 5;

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
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

static void agg_add(struct snoop *st, const struct dns_exchange *x, uint8_t rcode)
{
	struct agg *a;
	struct server_hist *s;
	const char *name = x->name;
	uint64_t lat = x->latency_ns;

	for (a = st->aggs; a; a = a->next)
		if (a->rcode == rcode && a->port == x->sport && a->family == x->family &&
		    !memcmp(a->addr, x->saddr, 16) && !strcmp(a->name, name))
			break;
	if (!a) {
		a = calloc(1, sizeof(*a));
		if (!a || !(a->name = strdup(name))) {
			free(a);
			return;
		}
		a->rcode = rcode;
		a->port = x->sport;
		a->family = x->family;
		memcpy(a->addr, x->saddr, 16);
		a->next = st->aggs;
		st->aggs = a;
	}
	a->count++;
	if (!x->has_latency)
		return;
	a->nlat++;
	a->lat_sum += lat;
	if (lat > a->lat_max)
		a->lat_max = lat;
	for (s = st->hists; s; s = s->next)
		if (s->port == x->sport && s->family == x->family && !memcmp(s->addr, x->saddr, 16))
			break;
	if (!s && (s = calloc(1, sizeof(*s)))) {
		s->port = x->sport;
		s->family = x->family;
		memcpy(s->addr, x->saddr, 16);
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
	st->slowest[at] = (struct slow){ .name = copy, .qtype = x->qtype, .family = x->family,
					 .port = x->sport, .lat = lat };
	memcpy(st->slowest[at].addr, x->saddr, 16);
}

/* ---- rows ---- */

static const char *rcode_text(uint8_t rcode, char *buf, size_t cap)
{
	if (rcode == RCODE_TIMEOUT)
		return "TIMEOUT";
	return rcode == RCODE_UNKNOWN ? "UNKNOWN" : dns_rcode_str(rcode, buf, cap);
}

/* One exchange, answered (with its answer, or unread: rcode UNKNOWN) or
 * timed out: a row, or a count with -c. */
static void report(void *arg, const struct dns_exchange *x)
{
	struct snoop *st = arg;
	struct trace_ctx *tc = st->tc;
	const struct dns_msg *m = x->answer;
	const struct tr_hdr *h = x->h;
	uint8_t rcode = m ? m->rcode : x->outcome == DNS_UNREAD ? RCODE_UNKNOWN : RCODE_TIMEOUT;
	char tb[16], rb[16], a[64];

	if (x->outcome == DNS_QUERY || !want_task(tc, h))
		return;
	if (counts) {
		agg_add(st, x, rcode);
		return;
	}
	struct table *t = trace_row_begin(tc, h);
	trace_cells_task(t, C_PID, h->pid, h->comm);
	out_cell_str(t, C_PROTO, x->proto == 6 ? "TCP" : "UDP");
	out_cell_str(t, C_SERVER, trace_addr_str(a, x->family, x->saddr));
	out_cell_u64(t, C_SPORT, x->sport);
	out_cell_str(t, C_TYPE, dns_type_str(x->qtype, tb, sizeof(tb)));
	out_cell_str(t, C_RCODE, rcode_text(rcode, rb, sizeof(rb)));
	if (x->has_latency) {
		out_cell_fixed(t, C_LAT, (double)x->latency_ns / 1e6, 3);
		out_field_double(t, "latency_ms", NULL, (double)x->latency_ns / 1e6, 3);
	} else {
		out_cell_str(t, C_LAT, "-");
	}
	out_cell_str(t, C_NAME, x->name);
	out_field_u64(t, "id", NULL, x->id);
	out_field_str(t, "client", NULL, trace_addr_str(a, x->family, x->caddr));
	out_field_u64(t, "client_port", NULL, x->cport);
	out_field_u64(t, "ip", NULL, x->family == AF_INET6 ? 6 : 4);
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

static void event(struct trace_ctx *tc, const void *data)
{
	struct snoop *st = tc->priv;

	dns_match_event(st->dm, data);
}

static void batch_end(struct trace_ctx *tc)
{
	struct snoop *st = tc->priv;

	/* rows printed here, between batches, are flushed here */
	if (st && dns_match_sweep(st->dm, mono_ns()) && !counts)
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

/* The kernel side's settings: the DNS ports (53 unless -P), the salt. */
static int configure_kernel(struct trace_ctx *tc, void *skel)
{
	struct tr_filter *f = &((struct dnssnoop_bpf *)skel)->rodata->tr_filter;

	(void)tc;
	if (!f->nports) {
		f->ports[0] = 53;
		f->nports = 1;
	}
	((struct dnssnoop_bpf *)skel)->rodata->sock_salt =
		((uint64_t)rand() << 32 ^ (uint64_t)rand() ^ mono_ns()) | 1;
	return 0;
}

static int configure(struct trace_ctx *tc, void *skel)
{
	struct snoop *st = tc->priv;

	if (!st) { /* once: a load that fails configures again */
		st = calloc(1, sizeof(*st));
		if (!st || !(st->dm = dns_match_new((uint64_t)(timeout_secs * 1e9), report, st))) {
			free(st);
			return out_error("dnssnoop: out of memory");
		}
		st->tc = tc;
		tc->priv = st;
	}
	return configure_kernel(tc, skel);
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

static void print_aggs(const struct snoop *st)
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

static void print_slowest(const struct snoop *st)
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

static void clear_summary(struct snoop *st)
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
	struct snoop *st = tc->priv;
	char title[128], a[64];

	(void)skel;
	(void)final;
	if (!st)
		return;
	dns_match_sweep(st->dm, mono_ns());
	trace_interval_stamp(tc);
	print_aggs(st);
	for (struct server_hist *s = st->hists; s; s = s->next) {
		snprintf(title, sizeof(title), "DNS latency, server %s port %u",
			 trace_addr_str(a, s->family, s->addr), s->port);
		trace_hist_print_log2_with(title, "usecs", s->slots, 32, hist_fields, s);
	}
	print_slowest(st);
	clear_summary(st);
}

static void fini(struct trace_ctx *tc)
{
	struct snoop *st = tc->priv;

	counts = false;
	timeout_secs = 5;
	if (!st)
		return;
	if (dns_match_untracked(st->dm))
		out_warn("dnssnoop: %llu queries not followed: %u exchanges were in flight",
			 (unsigned long long)dns_match_untracked(st->dm), DNS_MATCH_MAX);
	dns_match_free(st->dm);
	clear_summary(st);
	free(st);
	tc->priv = NULL;
}

TRACE_TRACER(dnssnoop, "DNS queries and answers", TRACE_HOOKS(hooks), TRACE_COLS(cols),
	     .opts = opts, .opt = opt, .configure = configure, .event = event,
	     .event_size = __builtin_offsetof(struct dnssnoop_event, data),
	     .batch_end = batch_end, .summary = summary, .summary_events = true, .fini = fini);

/* The kernel side alone, for the exporter's dns collector (export/dns.c),
 * which reads the ring buffer itself (dns_match.h) and keeps it loaded. */
static const struct tracer dnssnoop_kernel = {
	.name = "dnssnoop", .doing = "DNS queries and answers", TRACE_SKEL(dnssnoop),
	TRACE_HOOKS(hooks), .configure = configure_kernel,
	.event_size = __builtin_offsetof(struct dnssnoop_event, data), .summary_events = true,
};

const struct tracer *dnssnoop_tracer(void) { return &dnssnoop_kernel; }

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
