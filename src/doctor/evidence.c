/* Doctor's evidence: read once from a host (live or snapshot), then only
 * looked at. The samples are read by evidence_gather(); what only some
 * rules need is read by the ev_*() accessors on first use and memoized in
 * struct ev_memo, which a const evidence points to (a cache: reading it
 * twice gives the same answer). See doctor.h. */
#include "doctor/doctor.h"
#include "sources/host.h"
#include "sources/procfd.h"
#include "sources/sockdiag.h"
#include "sources/sysctl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

static void missing(struct evidence *ev, const char *what, int err)
{
	sb_printf(&ev->missing, "%s%s (%s)", ev->missing.len ? "; " : "", what, strerror(-err));
}

/* A grown vector of ev_sock: the next free element, or NULL. */
static struct ev_sock *sock_push(struct ev_sock **v, size_t *n, size_t *cap)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 256;
		struct ev_sock *nv = realloc(*v, c * sizeof(*nv));
		if (!nv)
			return NULL;
		*v = nv;
		*cap = c;
	}
	struct ev_sock *e = &(*v)[(*n)++];
	memset(e, 0, sizeof(*e));
	return e;
}

static void copy_sock(struct ev_sock *e, const struct sock_rec *s)
{
	e->kind = s->kind;
	e->family = s->family;
	e->state = s->state;
	e->sport = s->sport;
	e->dport = s->dport;
	memcpy(e->src, s->src, 16);
	memcpy(e->dst, s->dst, 16);
	e->rqueue = s->rqueue;
	e->wqueue = s->wqueue;
	e->inode = s->inode;
	if (s->has & SKH_MEMINFO) {
		e->has_mem = true;
		e->rcvbuf = s->meminfo[1];
		e->sndbuf = s->meminfo[3];
		e->drops = s->meminfo[8];
	}
	if (s->has & SKH_TCPINFO) {
		struct tcp_info ti;
		memset(&ti, 0, sizeof(ti));
		memcpy(&ti, s->tcpi, s->tcpi_len < sizeof(ti) ? s->tcpi_len : sizeof(ti));
		e->has_tcpi = true;
		e->total_retrans = ti.tcpi_total_retrans;
		e->rtt_us = ti.tcpi_rtt;
		e->snd_cwnd = ti.tcpi_snd_cwnd;
		e->bytes_sent = ti.tcpi_bytes_sent;
		e->bytes_retrans = ti.tcpi_bytes_retrans;
		e->busy_us = ti.tcpi_busy_time;
		e->rwnd_limited_us = ti.tcpi_rwnd_limited;
		e->sndbuf_limited_us = ti.tcpi_sndbuf_limited;
		e->opt_sack = ti.tcpi_options & TCPI_OPT_SACK;
		e->opt_ts = ti.tcpi_options & TCPI_OPT_TIMESTAMPS;
		e->opt_wscale = ti.tcpi_options & TCPI_OPT_WSCALE;
	}
}

/* Half-open requests are kept apart (reqs) until they are counted against
 * their listeners: they carry no queues or internals of their own. */
struct sock_dump {
	struct evidence *ev;
	struct ev_sock *reqs;
	size_t nreqs, cap_reqs;
};

static int keep_sock(const struct sock_rec *s, void *arg)
{
	struct sock_dump *d = arg;
	struct evidence *ev = d->ev;
	struct ev_sock *e;

	if (s->state == SS_TIME_WAIT)
		return 0; /* counted by sockstat; ev_timewait() dumps them when asked */
	/* the kernel reports a request socket (NEW_SYN_RECV) as SYN-RECV */
	if (s->state == SS_NEW_SYN_RECV || s->state == SS_SYN_RECV)
		e = sock_push(&d->reqs, &d->nreqs, &d->cap_reqs);
	else
		e = sock_push(&ev->socks, &ev->nsocks, &ev->cap_socks);
	if (!e)
		return -ENOMEM;
	copy_sock(e, s);
	return 0;
}

static bool any_addr(const uint8_t *a)
{
	static const uint8_t zero[16];
	return memcmp(a, zero, 16) == 0;
}

/* Each request counts against the listener on its local port and address
 * (or the wildcard one). */
static void count_requests(struct evidence *ev, const struct sock_dump *d)
{
	for (size_t i = 0; i < d->nreqs; i++) {
		const struct ev_sock *q = &d->reqs[i];
		struct ev_sock *wild = NULL, *exact = NULL;
		for (size_t j = 0; j < ev->nsocks && !exact; j++) {
			struct ev_sock *l = &ev->socks[j];
			if (l->kind != SK_TCP || l->state != SS_LISTEN || l->sport != q->sport ||
			    l->family != q->family)
				continue;
			if (!memcmp(l->src, q->src, 16))
				exact = l;
			else if (any_addr(l->src))
				wild = l;
		}
		if (exact || wild)
			(exact ? exact : wild)->synq++;
	}
}

static int read_sockets(struct evidence *ev)
{
	static const struct { enum sock_kind kind; int family; } dumps[] = {
		{ SK_TCP, AF_INET }, { SK_TCP, AF_INET6 }, { SK_UDP, AF_INET }, { SK_UDP, AF_INET6 },
	};

	struct sock_dump d = { .ev = ev };
	int err = 0;

	for (size_t i = 0; i < sizeof(dumps) / sizeof(dumps[0]) && !err; i++) {
		struct sockdiag_query q = {
			.kind = dumps[i].kind,
			.family = dumps[i].family,
			.states = SS_ALL_STATES & ~(1u << SS_TIME_WAIT),
			.ext = SKX_MEMINFO | SKX_TCPINFO,
		};
		err = sockdiag_dump_host(ev->h, &q, keep_sock, &d);
		if (err == -ENOENT)
			err = 0;
	}
	if (!err)
		count_requests(ev, &d);
	free(d.reqs);
	return err;
}

static void read_sample(struct evidence *ev, unsigned s, bool last)
{
	const char *file = NULL;
	int err;

	ev->h->sample = s;
	err = counters_read(ev->h, &ev->ctr[s], &file);
	if (err && err != -EBADMSG)
		missing(ev, file ? file : "protocol counters", err);
	else
		ev->have_ctr = true;
	/* /proc/net/stat tables (conntrack, neighbour caches) as counters too */
	procstat_counters(ev->h, &ev->ctr[s]);
	err = softnet_read(ev->h, &ev->softnet[s]);
	if (err)
		missing(ev, "/proc/net/softnet_stat", err);
	else
		ev->have_softnet = true;
	err = rtnl_load_links(ev->h, &ev->links[s]);
	if (err)
		missing(ev, "interfaces (RTM_GETLINK)", err);
	else
		ev->have_links = true;
	err = rtnl_load_qdiscs(ev->h, &ev->qdiscs[s]);
	if (err)
		missing(ev, "qdiscs (RTM_GETQDISC)", err);
	else
		ev->have_qdiscs = true;
	if (!last)
		return;
	if ((err = rtnl_load_addrs(ev->h, &ev->addrs)))
		missing(ev, "addresses (RTM_GETADDR)", err);
	else
		ev->have_addrs = true;
	if ((err = sockmem_read_protocols(ev->h, &ev->protos)) && err != -EBADMSG)
		missing(ev, "/proc/net/protocols", err);
	else
		ev->have_protos = true;
	if ((err = sockstat_read(&ev->sockstat, ev->h, "/proc/net/sockstat")))
		missing(ev, "/proc/net/sockstat", err);
	else
		ev->have_sockstat = true;
	sockstat_read(&ev->sockstat, ev->h, "/proc/net/sockstat6");
	if ((err = read_sockets(ev)))
		missing(ev, "sockets (sock_diag)", err);
	else
		ev->have_socks = true;
}

enum { NSTAT_TABLES = 3 };
static const char *const stat_tables[NSTAT_TABLES] = { "nf_conntrack", "arp_cache", "ndisc_cache" };

struct memo_sysctl {
	char *name, *text; /* text NULL: unreadable */
};

/* Each part: done once read (successfully or not), err its result. */
struct ev_memo {
	struct memo_sysctl *sys;
	size_t nsys, cap_sys;
	bool routes_done, rules_done, carriers_done, pool_done, tw_done, cpus_done, owners_done;
	int routes_err, rules_err, carriers_err, pool_err, tw_err, owners_err;
	struct rt_routes routes;
	struct route_rules rules;
	struct link_carriers carriers;
	struct sockmem_pool_state pool;
	struct ev_sock *tw;
	size_t ntw, cap_tw;
	struct ev_cpu *cpus;
	size_t ncpus;
	struct procfd_map owners;
	struct { int ifindex, err; struct link_rps rps; } *rps;
	size_t nrps;
	bool neigh_done[2], stat_done[NSTAT_TABLES];
	int neigh_err[2], stat_err[NSTAT_TABLES];
	struct neigh_counts neigh[2];
	struct procstat stat[NSTAT_TABLES];
};

static void memo_free(struct ev_memo *m);

int evidence_gather(struct evidence *ev, struct host *h, double interval)
{
	memset(ev, 0, sizeof(*ev));
	ev->h = h;
	ev->live = host_is_live(h);
	ev->memo = calloc(1, sizeof(*ev->memo));
	if (!ev->memo)
		return -ENOMEM;
	for (int i = 0; i < 2; i++)
		counters_init(&ev->ctr[i]);
	if (!host_is_live(h))
		interval = host_snapshot_interval(h);
	ev->nsamples = interval > 0 ? 2 : 1;
	ev->interval = interval;
	read_sample(ev, 0, ev->nsamples == 1);
	if (ev->nsamples == 2) {
		if (host_is_live(h)) {
			struct timespec ts = { (time_t)interval,
					       (long)((interval - (double)(time_t)interval) * 1e9) };
			while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
				;
		}
		read_sample(ev, 1, true);
	}
	return 0;
}

static double monotonic_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int evidence_gather_after(struct evidence *ev, struct evidence *prev, struct host *h)
{
	int last = prev->nsamples - 1, err;

	if (prev->nsamples < 1) {
		evidence_free(prev);
		err = evidence_gather(ev, h, 0);
		ev->taken = monotonic_now();
		return err;
	}
	memset(ev, 0, sizeof(*ev));
	ev->h = h;
	ev->live = true;
	ev->memo = calloc(1, sizeof(*ev->memo));
	if (!ev->memo)
		return -ENOMEM;
	/* the previous last sample becomes sample 0: moved, not copied */
	ev->ctr[0] = prev->ctr[last];
	counters_init(&prev->ctr[last]);
	counters_init(&ev->ctr[1]);
	ev->softnet[0] = prev->softnet[last];
	memset(&prev->softnet[last], 0, sizeof(prev->softnet[last]));
	ev->links[0] = prev->links[last];
	memset(&prev->links[last], 0, sizeof(prev->links[last]));
	ev->qdiscs[0] = prev->qdiscs[last];
	memset(&prev->qdiscs[last], 0, sizeof(prev->qdiscs[last]));
	ev->nsamples = 2;
	ev->taken = monotonic_now();
	ev->interval = ev->taken - prev->taken;
	evidence_free(prev);
	read_sample(ev, 1, true);
	return 0;
}

void evidence_free(struct evidence *ev)
{
	for (int i = 0; i < 2; i++) {
		counters_free(&ev->ctr[i]);
		softnet_free(&ev->softnet[i]);
		rtnl_links_free(&ev->links[i]);
		rtnl_qdiscs_free(&ev->qdiscs[i]);
	}
	rtnl_addrs_free(&ev->addrs);
	sockmem_free(&ev->protos);
	free(ev->socks);
	sb_free(&ev->missing);
	memo_free(ev->memo);
	memset(ev, 0, sizeof(*ev));
}

static int last(const struct evidence *ev) { return ev->nsamples - 1; }

long long ev_counter(const struct evidence *ev, const char *name)
{
	const struct counter *c = counters_find((struct counter_set *)&ev->ctr[last(ev)], name);
	return c ? (long long)c->value : -1;
}

long long ev_delta(const struct evidence *ev, const char *name)
{
	const struct counter *b = counters_find((struct counter_set *)&ev->ctr[last(ev)], name);
	if (!b)
		return -1;
	if (ev->nsamples < 2)
		return 0;
	const struct counter *a = counters_find((struct counter_set *)&ev->ctr[0], name);
	return a && b->value >= a->value ? (long long)(b->value - a->value) : 0;
}

double ev_rate(const struct evidence *ev, const char *name)
{
	long long d = ev_delta(ev, name);
	if (d < 0 || ev->nsamples < 2 || ev->interval <= 0)
		return -1;
	return (double)d / ev->interval;
}

const char *ev_endpoint(const struct ev_sock *s, bool local, char *buf, size_t size)
{
	char a[INET6_ADDRSTRLEN];
	const uint8_t *addr = local ? s->src : s->dst;

	inet_ntop(s->family, addr, a, sizeof(a));
	snprintf(buf, size, s->family == AF_INET6 ? "[%s]:%u" : "%s:%u", a,
		 local ? s->sport : s->dport);
	return buf;
}


/* ---- read on first use ---- */

static void memo_free(struct ev_memo *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nsys; i++) {
		free(m->sys[i].name);
		free(m->sys[i].text);
	}
	free(m->sys);
	route_free(&m->routes);
	route_rule_free(&m->rules);
	link_carriers_free(&m->carriers);
	free(m->tw);
	free(m->cpus);
	if (m->owners_done && !m->owners_err)
		procfd_free(&m->owners);
	free(m->rps);
	for (int i = 0; i < NSTAT_TABLES; i++)
		procstat_free(&m->stat[i]);
	free(m);
}

/* The host positioned at the last sample (a snapshot has two). */
static struct host *host_at_last(const struct evidence *ev)
{
	ev->h->sample = (unsigned)last(ev);
	return ev->h;
}

static const struct memo_sysctl *sysctl_memo(const struct evidence *ev, const char *name)
{
	struct ev_memo *m = ev->memo;
	char buf[4096];

	for (size_t i = 0; i < m->nsys; i++)
		if (strcmp(m->sys[i].name, name) == 0)
			return &m->sys[i];
	if (m->nsys == m->cap_sys) {
		size_t cap = m->cap_sys ? m->cap_sys * 2 : 32;
		struct memo_sysctl *v = realloc(m->sys, cap * sizeof(*v));
		if (!v)
			return NULL;
		m->sys = v;
		m->cap_sys = cap;
	}
	struct memo_sysctl *e = &m->sys[m->nsys];
	if (!(e->name = strdup(name)))
		return NULL;
	e->text = sysctl_read(host_at_last(ev), name, buf, sizeof(buf)) == 0 ? strdup(buf) : NULL;
	m->nsys++;
	return e;
}

bool ev_sysctl_str(const struct evidence *ev, const char *name, char *buf, size_t size)
{
	const struct memo_sysctl *e = sysctl_memo(ev, name);

	if (!e || !e->text)
		return false;
	snprintf(buf, size, "%s", e->text);
	return true;
}

long long ev_sysctl(const struct evidence *ev, const char *name)
{
	const struct memo_sysctl *e = sysctl_memo(ev, name);
	char *end;

	if (!e || !e->text)
		return -1;
	long long v = strtoll(e->text, &end, 10);
	return end == e->text ? -1 : v;
}

bool ev_owner(const struct evidence *ev, uint64_t inode, char *buf, size_t size)
{
	struct ev_memo *m = ev->memo;
	const struct procfd_owner *o;

	if (!inode)
		return false;
	if (!m->owners_done) {
		/* a walk of /proc/PID/fd: only once a finding names a socket */
		m->owners_done = true;
		m->owners_err = ev->live ? procfd_scan(&m->owners, "/proc") : -ENOENT;
		if (m->owners_err && ev->live)
			procfd_free(&m->owners);
	}
	if (m->owners_err || !(o = procfd_lookup(&m->owners, inode)))
		return false;
	snprintf(buf, size, "%s (pid %d)", procfd_comm(&m->owners, o), o->pid);
	return true;
}

const struct rt_routes *ev_routes4(const struct evidence *ev, int *err)
{
	struct ev_memo *m = ev->memo;

	if (!m->routes_done) {
		m->routes_done = true;
		m->routes_err = route_load(host_at_last(ev), AF_INET, &m->routes);
	}
	if (err)
		*err = m->routes_err;
	return m->routes_err ? NULL : &m->routes;
}

const struct route_rules *ev_rules4(const struct evidence *ev, int *err)
{
	struct ev_memo *m = ev->memo;

	if (!m->rules_done) {
		m->rules_done = true;
		m->rules_err = route_rule_load(host_at_last(ev), AF_INET, &m->rules);
	}
	if (err)
		*err = m->rules_err;
	return m->rules_err ? NULL : &m->rules;
}

const struct link_carriers *ev_carriers(const struct evidence *ev)
{
	struct ev_memo *m = ev->memo;

	if (!m->carriers_done) {
		m->carriers_done = true;
		m->carriers_err = link_carriers_load(host_at_last(ev), &m->carriers);
	}
	return m->carriers_err ? NULL : &m->carriers;
}

int ev_rps(const struct evidence *ev, const struct rtnl_link *l, struct link_rps *out)
{
	struct ev_memo *m = ev->memo;

	for (size_t i = 0; i < m->nrps; i++)
		if (m->rps[i].ifindex == l->ifindex) {
			*out = m->rps[i].rps;
			return m->rps[i].err;
		}
	typeof(m->rps) v = realloc(m->rps, (m->nrps + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	m->rps = v;
	v[m->nrps].ifindex = l->ifindex;
	v[m->nrps].err = link_rps_read(host_at_last(ev), l->name, l->ifindex, &v[m->nrps].rps);
	*out = v[m->nrps].rps;
	return v[m->nrps++].err;
}

const struct sockmem_pool_state *ev_tcp_pool(const struct evidence *ev)
{
	struct ev_memo *m = ev->memo;

	if (!m->pool_done) {
		m->pool_done = true;
		m->pool_err = sockmem_pool_state(host_at_last(ev), &sockmem_pools[0], &ev->protos, &m->pool);
	}
	return m->pool_err ? NULL : &m->pool;
}

const struct neigh_counts *ev_neigh(const struct evidence *ev, int family)
{
	struct ev_memo *m = ev->memo;
	int i = family == AF_INET6;

	if (!m->neigh_done[i]) {
		m->neigh_done[i] = true;
		m->neigh_err[i] = neigh_load_counts(host_at_last(ev), family, &m->neigh[i]);
	}
	return m->neigh_err[i] ? NULL : &m->neigh[i];
}

const struct procstat *ev_stat_table(const struct evidence *ev, const char *table)
{
	struct ev_memo *m = ev->memo;
	char path[64];

	for (int i = 0; i < NSTAT_TABLES; i++) {
		if (strcmp(stat_tables[i], table) != 0)
			continue;
		if (!m->stat_done[i]) {
			m->stat_done[i] = true;
			snprintf(path, sizeof(path), "/proc/net/stat/%s", table);
			m->stat_err[i] = procstat_read(host_at_last(ev), path, &m->stat[i]);
		}
		return m->stat_err[i] ? NULL : &m->stat[i];
	}
	return NULL;
}

static int keep_tw(const struct sock_rec *s, void *arg)
{
	struct ev_memo *m = arg;
	struct ev_sock *e;

	if (s->state != SS_TIME_WAIT) /* a recording replays every state */
		return 0;
	if (!(e = sock_push(&m->tw, &m->ntw, &m->cap_tw)))
		return -ENOMEM;
	copy_sock(e, s);
	return 0;
}

const struct ev_sock *ev_timewait(const struct evidence *ev, size_t *n, int *err)
{
	struct ev_memo *m = ev->memo;
	static const int fams[] = { AF_INET, AF_INET6 };

	if (!m->tw_done) {
		m->tw_done = true;
		for (int i = 0; i < 2 && !m->tw_err; i++) {
			struct sockdiag_query q = { .kind = SK_TCP, .family = fams[i],
						    .states = 1u << SS_TIME_WAIT };
			m->tw_err = sockdiag_dump_host(host_at_last(ev), &q, keep_tw, m);
			if (m->tw_err == -ENOENT && i == 1)
				m->tw_err = 0; /* no IPv6 */
		}
	}
	*n = m->tw_err ? 0 : m->ntw;
	if (err)
		*err = m->tw_err;
	return m->tw_err ? NULL : m->tw;
}

const struct ev_cpu *ev_softnet_deltas(const struct evidence *ev, size_t *n)
{
	struct ev_memo *m = ev->memo;
	const struct softnet *a = &ev->softnet[0], *b = &ev->softnet[1];

	if (!m->cpus_done && ev->nsamples == 2 && ev->have_softnet &&
	    (m->cpus = calloc(b->n + 1, sizeof(*m->cpus)))) {
		for (size_t i = 0; i < b->n; i++) {
			const struct softnet_cpu *y = &b->cpu[i], *x = NULL;
			for (size_t j = 0; j < a->n && !x; j++)
				if (a->cpu[j].cpu == y->cpu)
					x = &a->cpu[j];
			if (x)
				m->cpus[m->ncpus++] = (struct ev_cpu){
					.cpu = y->cpu,
					.processed = y->processed - x->processed,
					.dropped = y->dropped - x->dropped,
					.squeeze = y->time_squeeze - x->time_squeeze,
					.rps = y->received_rps - x->received_rps,
					.flow_limit = y->flow_limit - x->flow_limit,
					.backlog = y->backlog,
				};
		}
	}
	m->cpus_done = true;
	*n = m->ncpus;
	return m->ncpus ? m->cpus : NULL;
}
