/* Doctor's evidence: read once from a host (live or snapshot), then only
 * looked at. See doctor.h. */
#include "doctor/doctor.h"
#include "sources/host.h"
#include "sources/procstat.h"
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
	size_t n = strlen(ev->missing);

	if (n + 2 >= sizeof(ev->missing))
		return;
	snprintf(ev->missing + n, sizeof(ev->missing) - n, "%s%s (%s)", n ? "; " : "", what,
		 strerror(-err));
}

static int keep_sock(const struct sock_rec *s, void *arg)
{
	struct evidence *ev = arg;
	struct ev_sock *e;

	if (s->state == SS_TIME_WAIT || s->state == SS_NEW_SYN_RECV)
		return 0; /* counted by sockstat; they carry no queues or internals */
	if (ev->nsocks == ev->cap_socks) {
		size_t cap = ev->cap_socks ? ev->cap_socks * 2 : 256;
		struct ev_sock *v = realloc(ev->socks, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		ev->socks = v;
		ev->cap_socks = cap;
	}
	e = &ev->socks[ev->nsocks++];
	memset(e, 0, sizeof(*e));
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
	return 0;
}

static int read_sockets(struct evidence *ev)
{
	static const struct { enum sock_kind kind; int family; } dumps[] = {
		{ SK_TCP, AF_INET }, { SK_TCP, AF_INET6 }, { SK_UDP, AF_INET }, { SK_UDP, AF_INET6 },
	};

	for (size_t i = 0; i < sizeof(dumps) / sizeof(dumps[0]); i++) {
		struct sockdiag_query q = {
			.kind = dumps[i].kind,
			.family = dumps[i].family,
			.states = SS_ALL_STATES & ~((1u << SS_TIME_WAIT) | (1u << SS_SYN_RECV)),
			.ext = SKX_MEMINFO | SKX_TCPINFO,
		};
		int err = sockdiag_dump_host(ev->h, &q, keep_sock, ev);
		if (err && err != -ENOENT)
			return err;
	}
	return 0;
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
	/* owners cost a walk of /proc/PID/fd: only when a full listener needs naming */
	bool full = false;
	for (size_t i = 0; i < ev->nsocks && !full; i++)
		full = ev->socks[i].kind == SK_TCP && ev->socks[i].state == SS_LISTEN &&
		       ev->socks[i].wqueue && ev->socks[i].rqueue >= ev->socks[i].wqueue;
	if (full && host_is_live(ev->h) && procfd_scan(&ev->owners, "/proc") == 0)
		ev->have_owners = true;
}

int evidence_gather(struct evidence *ev, struct host *h, double interval)
{
	memset(ev, 0, sizeof(*ev));
	ev->h = h;
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
	if (ev->have_owners)
		procfd_free(&ev->owners);
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

bool ev_sysctl_str(const struct evidence *ev, const char *name, char *buf, size_t size)
{
	return sysctl_read(ev->h, name, buf, size) == 0;
}

long long ev_sysctl(const struct evidence *ev, const char *name)
{
	return sysctl_read_ll(ev->h, name);
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

bool ev_owner(const struct evidence *ev, uint64_t inode, char *buf, size_t size)
{
	const struct procfd_owner *o;

	if (!ev->have_owners || !(o = procfd_lookup(&ev->owners, inode)))
		return false;
	snprintf(buf, size, "%s (pid %d)", procfd_comm(&ev->owners, o), o->pid);
	return true;
}
