/* The exporter's BPF collectors: programs loaded once at start, counting
 * in per-CPU arrays in the kernel (bpf/export_tcp.bpf.c,
 * bpf/export_drops.bpf.c), read and summed over CPUs at each scrape.
 * Nothing is streamed, so nothing is lost to a full ring buffer; what the
 * kernel could not count (a program run skipped for nesting, a full
 * table) is exported by the scrape for every BPF collector
 * (collect_bpf_uncounted()).
 *
 * Loading is the tracers' (trace/load.h: hook fallback, trimmed BTF);
 * a collector that cannot load (a capability missing, a kernel without
 * the hook) is refused at start with the reason, and the exporter serves
 * without it.
 *
 * Histograms are Prometheus histograms of seconds with log2 buckets: the
 * kernel counts log2 slots of microseconds (slot i: [2^i, 2^(i+1)) us),
 * so bucket i's upper bound is 2^(i+1) us; the last slot is +Inf. */
#include "export/collect.h"
#include "export/bpf.h"

#include "base/privs.h"
#include "base/prom.h"
#include "bpf/export_drops.h"
#include "bpf/export_drops.skel.h"
#include "bpf/export_tcp.h"
#include "bpf/export_tcp.skel.h"
#include "bpf/qdisclat.h"
#include "trace/format.h"
#include "trace/load.h"
#include "trace/trace.h"
#include "tracers/btfenum_util.h"
#include "tracers/qdisclat.h"
#include "tracers/skbtime_util.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

TRACE_SKEL_GLUE(export_tcp)
TRACE_SKEL_GLUE(export_drops)

static const struct trace_hook tcp_hooks[] = {
	TRACE_STATE_HOOK(export_tcp),
	{ "tcp_retransmit_skb", { "export_tcp_retrans_btf", "export_tcp_retrans_raw" } },
	{ "tcp_retransmit_synack", { "export_tcp_synack_btf", "export_tcp_synack_raw" },
	  .optional = true },
	{ "tcp_send_reset", { "export_tcp_rst_send_btf", "export_tcp_rst_send_raw" } },
	{ "tcp_receive_reset", { "export_tcp_rst_recv_btf", "export_tcp_rst_recv_raw" } },
};

static const struct trace_hook drop_hooks[] = {
	{ "kfree_skb", { "export_drops_btf", "export_drops_raw" } },
};

/* Tracers only in the loader's sense: hooks and a skeleton. */
static int tcp_configure(struct trace_ctx *tc, void *skel);
static const struct tracer tcp_tracer = { .name = "exporter tcp collector", TRACE_SKEL(export_tcp),
					  TRACE_HOOKS(tcp_hooks), .configure = tcp_configure };
static const struct tracer drops_tracer = { .name = "exporter drops collector",
					    TRACE_SKEL(export_drops), TRACE_HOOKS(drop_hooks) };
/* the qdisclat collector loads the qdisclat tracer itself (tracers/qdisclat.c) */

/* --tcp.per-remote K: the remotes with series of their own. A remote joins
 * while there is room, in the order of its activity when first seen, and
 * stays; the others are folded into "other" in user space and deleted from
 * the kernel's table, so every series only grows and the table holds the
 * members and what arrived since the last scrape. */
struct remote_row {
	struct exp_remote_key k;
	struct exp_remote_val v;
};

struct bpf_collector {
	struct trace_ctx tc;
	struct trace_loaded ld;
	struct btfenum_names reasons; /* sk_rst_reason or skb_drop_reason; may be empty */
	size_t per_remote;            /* K; 0: off */
	struct exp_remote_key *members; /* per_remote of them at most */
	size_t nmembers;
	struct exp_remote_val other;  /* everything folded from non-members */
};

static int tcp_configure(struct trace_ctx *tc, void *skel)
{
	const struct bpf_collector *b = tc->priv;

	((struct export_tcp_bpf *)skel)->rodata->per_remote = b->per_remote > 0;
	return 0;
}

int collect_bpf_load(struct trace_ctx *tc, struct trace_loaded *ld, const struct collect_ctx *c,
		     char *err, size_t errlen)
{
	const char *missing = privs_missing_for_bpf();
	char why[768] = "";
	int status;

	if (missing) {
		snprintf(err, errlen, "needs %s to load BPF programs (CAP_BPF and CAP_PERFMON, "
				      "or CAP_SYS_ADMIN)", missing);
		return -EPERM;
	}
	tc->summary_mode = true;
	tc->o.filter.netns = c->bpf_netns;
	status = trace_load(tc, ld, why, sizeof(why));
	trace_load_log_free();
	if (status) {
		snprintf(err, errlen, "%s", why[0] ? why : "could not load its BPF programs");
		trace_unload(tc, ld);
		return -EINVAL;
	}
	return 0;
}

static int start(const struct tracer *tr, const struct collect_ctx *c, void **state, char *err,
		 size_t errlen)
{
	struct bpf_collector *b = calloc(1, sizeof(*b));
	int e;

	if (!b)
		return snprintf(err, errlen, "out of memory"), -ENOMEM;
	b->tc.tr = tr;
	b->tc.priv = b;
	b->per_remote = tr == &tcp_tracer ? c->tcp_per_remote : 0;
	if ((e = collect_bpf_load(&b->tc, &b->ld, c, err, errlen))) {
		free(b);
		return e;
	}
	*state = b;
	return 0;
}

void collect_bpf_stop(void *state)
{
	struct bpf_collector *b = state;

	if (!b)
		return;
	if (b->tc.tr->fini) /* the tracer's state (qdisclat: its mapped slots) */
		b->tc.tr->fini(&b->tc);
	trace_unload(&b->tc, &b->ld);
	btfenum_free(&b->reasons);
	free(b->members);
	free(b);
}

int collect_tcp_start(const struct collect_ctx *c, void **state, char *err, size_t errlen)
{
	int e = start(&tcp_tracer, c, state, err, errlen);

	if (!e)
		btfenum_load("sk_rst_reason", "SK_RST_REASON_", &((struct bpf_collector *)*state)->reasons);
	return e;
}

int collect_drops_start(const struct collect_ctx *c, void **state, char *err, size_t errlen)
{
	int e = start(&drops_tracer, c, state, err, errlen);

	if (!e)
		btfenum_load("skb_drop_reason", "SKB_DROP_REASON_",
			     &((struct bpf_collector *)*state)->reasons);
	return e;
}

int collect_qdisclat_start(const struct collect_ctx *c, void **state, char *err, size_t errlen)
{
	return start(qdisclat_tracer(), c, state, err, errlen);
}

/* The per-CPU array map of the collector's tracer named map
 * (trace_percpu_array_sum()). */
static int percpu_read(const struct bpf_collector *b, const char *map, uint32_t nentries,
		       uint64_t *out, size_t n)
{
	struct bpf_map *m = bpf_object__find_map_by_name(b->tc.tr->skel_obj(b->tc.skel), map);

	return m ? trace_percpu_array_sum(m, nentries, out, n) : -EINVAL;
}

static int read_failed(char *err, size_t errlen, const char *map, int e)
{
	snprintf(err, errlen, "reading BPF map %s: %s", map, strerror(-e));
	return e;
}

void collect_bpf_uncounted(void *state, uint64_t *runs_missed, uint64_t *dropped_keys)
{
	struct bpf_collector *b = state;

	*runs_missed = trace_runs_skipped(&b->tc, &b->ld);
	*dropped_keys = trace_dropped_keys(&b->tc);
}

/* The label of reason r of a table of last + 1 slots: the kernel's name,
 * else the number; the last slot holds everything past the table. */
static const char *reason_label(const struct btfenum_names *names, int r, int last, char *buf,
				size_t len)
{
	const char *name = btfenum_name(names, r);

	if (r == last)
		return "OTHER";
	if (name)
		return name;
	snprintf(buf, len, "%d", r);
	return buf;
}

static const char *const families[2] = { "ipv4", "ipv6" };

/* A histogram family's series for one family label: log2 slots of
 * microseconds, served in seconds. */
static void hist_samples(struct prom *p, const char *family, const struct exp_hist *h)
{
	const char *labels[] = { "family", family, NULL };
	uint64_t slots[EXP_HIST_SLOTS];

	for (int i = 0; i < EXP_HIST_SLOTS; i++)
		slots[i] = h->slots[i];
	prom_histogram_log2(p, slots, EXP_HIST_SLOTS, 1e-6, (double)h->sum_ns * 1e-9, labels);
}

static int cmp_activity(const void *a, const void *b)
{
	const struct remote_row *x = a, *y = b;
	uint64_t n = x->v.connects + x->v.failures + x->v.retransmits;
	uint64_t m = y->v.connects + y->v.failures + y->v.retransmits;

	return n < m ? 1 : n > m ? -1 : memcmp(&x->k, &y->k, sizeof(x->k));
}

static bool is_member(const struct bpf_collector *b, const struct exp_remote_key *k)
{
	for (size_t i = 0; i < b->nmembers; i++)
		if (!memcmp(&b->members[i], k, sizeof(*k)))
			return true;
	return false;
}

static void val_add(struct exp_remote_val *to, const struct exp_remote_val *v)
{
	to->connects += v->connects;
	to->connect_ns += v->connect_ns;
	to->failures += v->failures;
	to->retransmits += v->retransmits;
}

/* The members' current counts (members[i] -> vals[i]) after folding the
 * rest into b->other. */
static int remotes_read(struct bpf_collector *b, struct exp_remote_val *vals)
{
	struct bpf_map *m = bpf_object__find_map_by_name(b->tc.tr->skel_obj(b->tc.skel), "remotes");
	struct remote_row *rows = NULL;
	size_t n;

	if (!m)
		return -EINVAL;
	n = trace_map_read(m, (void **)&rows, false);
	qsort(rows, n, sizeof(*rows), cmp_activity);
	memset(vals, 0, sizeof(*vals) * b->per_remote);
	for (size_t i = 0; i < n; i++) {
		struct exp_remote_val v;
		if (!is_member(b, &rows[i].k) && b->nmembers < b->per_remote)
			b->members[b->nmembers++] = rows[i].k;
		if (!is_member(b, &rows[i].k)) {
			/* deleted as read: what the kernel adds meanwhile lands in a new entry */
			if (bpf_map_lookup_and_delete_elem(bpf_map__fd(m), &rows[i].k, &v) == 0)
				val_add(&b->other, &v);
			continue;
		}
		for (size_t j = 0; j < b->nmembers; j++)
			if (!memcmp(&b->members[j], &rows[i].k, sizeof(rows[i].k)))
				vals[j] = rows[i].v;
	}
	free(rows);
	return 0;
}

/* netlens_tcp_remote_*: one series per member and "other". */
static void remote_families(struct prom *p, const struct bpf_collector *b,
			    const struct exp_remote_val *vals)
{
	static const struct {
		const char *name, *help;
		size_t off;
		double scale;
	} fams[] = {
		{ "netlens_tcp_remote_connects_total",
		  "Active TCP opens that reached ESTABLISHED, by remote address (--tcp.per-remote).",
		  offsetof(struct exp_remote_val, connects), 1 },
		{ "netlens_tcp_remote_connect_duration_seconds_total",
		  "Their connect durations summed: divided by the connects, the mean.",
		  offsetof(struct exp_remote_val, connect_ns), 1e-9 },
		{ "netlens_tcp_remote_connect_failures_total",
		  "Active TCP opens that failed, by remote address.",
		  offsetof(struct exp_remote_val, failures), 1 },
		{ "netlens_tcp_remote_retransmits_total",
		  "TCP segments retransmitted, by remote address.",
		  offsetof(struct exp_remote_val, retransmits), 1 },
	};

	for (size_t f = 0; f < sizeof(fams) / sizeof(fams[0]); f++) {
		uint64_t v;
		prom_family(p, fams[f].name, PROM_COUNTER, fams[f].help);
		for (size_t i = 0; i <= b->nmembers; i++) {
			const struct exp_remote_val *r = i < b->nmembers ? &vals[i] : &b->other;
			char addr[INET6_ADDRSTRLEN] = "other";
			if (i < b->nmembers)
				inet_ntop((int)b->members[i].family, b->members[i].addr, addr,
					  sizeof(addr));
			memcpy(&v, (const char *)r + fams[f].off, sizeof(v));
			prom_sample(p, (double)v * fams[f].scale, "remote", addr, NULL);
		}
	}
}

int collect_tcp(const struct collect_ctx *c, struct prom *p, char *err, size_t errlen)
{
	static const struct {
		const char *name, *help;
	} hist_fams[EXP_HIST_KINDS] = {
		[EXP_HIST_CONNECT] = { "netlens_tcp_connect_duration_seconds",
				       "Active TCP opens from SYN sent to ESTABLISHED (connect "
				       "latency, the handshake's round trip and any SYN "
				       "retransmits)." },
		[EXP_HIST_SRTT] = { "netlens_tcp_smoothed_rtt_seconds",
				    "Each TCP connection's smoothed RTT as it left ESTABLISHED "
				    "(one observation per connection that ended)." },
	};
	struct bpf_collector *b = c->state;
	struct exp_hist h[EXP_HIST_KINDS][2];
	struct exp_tcp_counts n;
	int e;

	if ((e = percpu_read(b, "hists", EXP_HIST_KINDS * 2, (uint64_t *)h,
			     sizeof(h[0][0]) / sizeof(uint64_t))))
		return read_failed(err, errlen, "hists", e);
	if ((e = percpu_read(b, "counts", 1, (uint64_t *)&n, sizeof(n) / sizeof(uint64_t))))
		return read_failed(err, errlen, "counts", e);

	for (int k = 0; k < EXP_HIST_KINDS; k++) {
		prom_family(p, hist_fams[k].name, PROM_HISTOGRAM, hist_fams[k].help);
		for (int f = 0; f < 2; f++)
			hist_samples(p, families[f], &h[k][f]);
	}
	prom_family(p, "netlens_tcp_connect_failures_total", PROM_COUNTER,
		    "Active TCP opens that left SYN_SENT for CLOSE: refused (a reset), timed "
		    "out, unreachable, or closed before the handshake completed.");
	for (int f = 0; f < 2; f++)
		prom_sample(p, (double)n.connect_failed[f], "family", families[f], NULL);

	/* by state: every state that counted, and ESTABLISHED always, so the
	 * family has a series from the first scrape */
	prom_family(p, "netlens_tcp_retransmits_total", PROM_COUNTER,
		    "TCP segments retransmitted (SYN-ACKs under SYN_RECV), by the socket's state.");
	for (int s = 0; s < EXP_TCP_STATES; s++)
		if (n.retrans[s] || s == 1)
			prom_sample(p, (double)n.retrans[s], "state", tcp_state_name(s), NULL);
	prom_family(p, "netlens_tcp_retransmit_failures_total", PROM_COUNTER,
		    "TCP retransmits the stack could not send (a qdisc drop, no memory, ...), by "
		    "the socket's state.");
	for (int s = 0; s < EXP_TCP_STATES; s++)
		if (n.retrans_failed[s] || s == 1)
			prom_sample(p, (double)n.retrans_failed[s], "state", tcp_state_name(s), NULL);
	prom_family(p, "netlens_tcp_resets_received_total", PROM_COUNTER,
		    "TCP resets received and accepted, by the socket's state.");
	for (int s = 0; s < EXP_TCP_STATES; s++)
		if (n.rst_recv[s] || s == 1)
			prom_sample(p, (double)n.rst_recv[s], "state", tcp_state_name(s), NULL);
	prom_family(p, "netlens_tcp_resets_sent_total", PROM_COUNTER,
		    "TCP resets sent, by the kernel's reason (enum sk_rst_reason).");
	for (int r = 0; r < EXP_RST_REASONS; r++) {
		char num[16];
		if (n.rst_sent[r] || !r)
			prom_sample(p, (double)n.rst_sent[r], "reason",
				    reason_label(&b->reasons, r, EXP_RST_REASONS - 1, num, sizeof(num)),
				    NULL);
	}
	if (b->per_remote) {
		struct exp_remote_val *vals = calloc(b->per_remote, sizeof(*vals));
		if (!b->members)
			b->members = calloc(b->per_remote, sizeof(*b->members));
		if (!vals || !b->members) {
			free(vals);
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
		if ((e = remotes_read(b, vals)) == 0)
			remote_families(p, b, vals);
		free(vals);
		if (e)
			return read_failed(err, errlen, "remotes", e);
	}
	return 0;
}

/* Packets or bytes by reason: the reasons that counted, and NOT_SPECIFIED
 * (2) always, so the family has a series from the first scrape. */
static void drop_family(struct prom *p, const struct bpf_collector *b,
			const struct exp_drop_count *d, bool bytes, const char *name, const char *help)
{
	prom_family(p, name, PROM_COUNTER, help);
	for (int r = 0; r < EXP_DROP_REASONS; r++) {
		char num[16];
		if (d[r].packets || r == 2)
			prom_sample(p, (double)(bytes ? d[r].bytes : d[r].packets), "reason",
				    reason_label(&b->reasons, r, EXP_DROP_REASONS - 1, num, sizeof(num)),
				    NULL);
	}
}

int collect_drops(const struct collect_ctx *c, struct prom *p, char *err, size_t errlen)
{
	struct bpf_collector *b = c->state;
	struct exp_drop_count d[EXP_DROP_REASONS];
	int e;

	if ((e = percpu_read(b, "drops", EXP_DROP_REASONS, (uint64_t *)d, 2)))
		return read_failed(err, errlen, "drops", e);
	drop_family(p, b, d, false, "netlens_packet_drops_total",
		    "Packets the kernel freed as dropped (skb:kfree_skb), by drop reason (enum "
		    "skb_drop_reason; OTHER: subsystem reasons and values past the table).");
	drop_family(p, b, d, true, "netlens_packet_drops_bytes_total",
		    "Bytes of the packets counted by netlens_packet_drops_total (skb->len).");
	return 0;
}

/* ---- qdisclat: time in each root qdisc ---- */

struct qdisc_row {
	struct qdisclat_key k;
	struct qdisclat_hist v;
};

/* One series per device, kind and handle (and namespace with
 * --bpf.all-netns): a qdisc replaced by another of the same handle, at a
 * new address, adds to the same series, so it only grows. */
static int cmp_qdisc(const void *a, const void *b)
{
	const struct qdisc_row *x = a, *y = b;
	int c;

	if (x->v.netns != y->v.netns)
		return x->v.netns < y->v.netns ? -1 : 1;
	if ((c = strncmp(x->v.ifname, y->v.ifname, QDISCLAT_NAMSIZ)))
		return c;
	if ((c = strncmp(x->v.kind, y->v.kind, QDISCLAT_NAMSIZ)))
		return c;
	return x->k.handle < y->k.handle ? -1 : x->k.handle > y->k.handle;
}

int collect_qdisclat(const struct collect_ctx *c, struct prom *p, char *err, size_t errlen)
{
	struct bpf_collector *b = c->state;
	struct bpf_map *m = bpf_object__find_map_by_name(b->tc.tr->skel_obj(b->tc.skel), "hists");
	struct qdisc_row *rows = NULL;
	size_t n;

	(void)err;
	(void)errlen;
	/* starts of packets freed out of sight, deleted at most once a second */
	skbtime_tick(&b->tc, b->tc.skel);
	n = m ? trace_map_read(m, (void **)&rows, false) : 0;
	qsort(rows, n, sizeof(*rows), cmp_qdisc);
	prom_family(p, "netlens_qdisc_latency_seconds", PROM_HISTOGRAM,
		    "Time packets spent in a device's root qdisc, enqueue to dequeue "
		    "(qdisc:qdisc_enqueue to qdisc:qdisc_dequeue).");
	for (size_t i = 0; i < n;) {
		uint64_t slots[SKBTIME_SLOTS], sum_ns = rows[i].v.h.sum_ns;
		char dev[QDISCLAT_NAMSIZ + 1], kind[QDISCLAT_NAMSIZ + 1], handle[24], ns[16];
		size_t j = i + 1;

		for (int s = 0; s < SKBTIME_SLOTS; s++)
			slots[s] = rows[i].v.h.slots[s];
		for (; j < n && !cmp_qdisc(&rows[i], &rows[j]); j++) {
			for (int s = 0; s < SKBTIME_SLOTS; s++)
				slots[s] += rows[j].v.h.slots[s];
			sum_ns += rows[j].v.h.sum_ns;
		}
		snprintf(dev, sizeof(dev), "%.*s", QDISCLAT_NAMSIZ, rows[i].v.ifname);
		snprintf(kind, sizeof(kind), "%.*s", QDISCLAT_NAMSIZ, rows[i].v.kind);
		snprintf(handle, sizeof(handle), "%x:%x", rows[i].k.handle >> 16,
			 rows[i].k.handle & 0xffff);
		snprintf(ns, sizeof(ns), "%u", rows[i].v.netns);
		const char *labels[] = { "device", dev, "kind", kind, "handle", handle,
					 c->bpf_netns ? NULL : "netns", ns, NULL };
		prom_histogram_log2(p, slots, SKBTIME_SLOTS, 1e-6, (double)sum_ns * 1e-9, labels);
		i = j;
	}
	free(rows);
	return 0;
}
