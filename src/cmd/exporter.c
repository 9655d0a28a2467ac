/* netlens exporter: the host's network state as Prometheus metrics.
 *
 * HTTP is libmicrohttpd's, one internal thread on epoll: scrapes never
 * overlap, and idle or slow connections cost a file descriptor each, not
 * a thread. Within a scrape the enabled collectors (export/collect.h) run
 * on up to one thread per CPU, each collector always on the same one
 * (struct scrape_team): they share nothing but the read-only context, each
 * writing its own buffer, joined in a fixed order. Connections are limited in number
 * (--web.max-connections), idle time (--web.timeout) and request size
 * (the memory libmicrohttpd gives a connection: a larger header is
 * refused with 431). The listening socket is bound here, before entering
 * a namespace with -N, so a bind error is ours to name and the exporter
 * can serve another namespace's state from the host's address.
 */
#include "base/opts.h"
#include "base/output.h"
#include "base/prom.h"
#include "base/strbuf.h"
#include "cmd/state_src.h"
#include "command.h"
#include "doctor/doctor.h"
#include "export/collect.h"
#include "export/webconfig.h"
#include "sources/host.h"

#include <errno.h>
#include <malloc.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_LISTEN "127.0.0.1:9465"
#define MAX_COLLECTORS 16
#define MAX_SCRAPE_THREADS 4

enum {
	OPT_LISTEN = OPT_LONG,
	OPT_MAX_CONN,
	OPT_TIMEOUT,
	OPT_MAX_LISTENERS,
	OPT_WEB_CONFIG,
	OPT_BPF_ALL_NETNS,
	OPT_TCP_PER_REMOTE,
	OPT_SCRAPE_THREADS,
	OPT_COLLECTOR_ON = OPT_LONG + 32,          /* + collector index */
	OPT_COLLECTOR_OFF = OPT_LONG + 32 + MAX_COLLECTORS,
};

static const char exporter_about[] =
	"Serves the host's network state as Prometheus metrics: /metrics (text format\n"
	"0.0.4, or OpenMetrics 1.0 when the scraper asks for it), a landing page at /\n"
	"and /-/healthy. Each collector can be turned on or off; each reports\n"
	"netlens_scrape_collector_success and netlens_scrape_collector_duration_seconds.\n"
	"Every family, its labels and its most series: docs/exporter.md.\n";

#define COLLECTOR_ROWS(i, name)                                                          \
	{ OPT_COLLECTOR_ON + (i), "collector." name, NULL, "enable the " name " collector" }, \
	{ OPT_COLLECTOR_OFF + (i), "no-collector." name, NULL, "disable the " name " collector" }

static const struct opt exporter_rows[] = {
	{ OPT_LISTEN, "listen", "ADDR:PORT",
	  "address to serve on (default " DEFAULT_LISTEN "; [::1]:PORT, :PORT for every address)" },
	{ OPT_MAX_CONN, "web.max-connections", "N", "concurrent HTTP connections (default 4096)" },
	{ OPT_TIMEOUT, "web.timeout", "SECS", "close a connection idle this long (default 10)" },
	{ OPT_WEB_CONFIG, "web.config.file", "FILE",
	  "TLS and basic authentication (exporter-toolkit's format: tls_server_config, "
	  "basic_auth_users)" },
	{ OPT_MAX_LISTENERS, "max-listeners", "N",
	  "TCP listeners labelled one by one (default 512; the rest are counted)" },
	{ OPT_SCRAPE_THREADS, "scrape.threads", "N",
	  "threads a scrape's collectors run on (default: the CPUs the exporter may use, "
	  "at most 4; 1: one after another, as node_exporter's --runtime.gomaxprocs=1)" },
	{ OPT_BPF_ALL_NETNS, "bpf.all-netns", NULL,
	  "BPF collectors count every network namespace (containers too), not only the "
	  "one served" },
	{ OPT_TCP_PER_REMOTE, "tcp.per-remote", "K",
	  "the tcp collector's connects and retransmits for up to K remote addresses "
	  "(the first K seen; the rest as remote=\"other\"; default 0: none, at most 1000)" },
	OPT_END,
};

/* Must follow collectors[] in export/state.c, in order (checked at start). */
static const struct opt collector_rows[] = {
	COLLECTOR_ROWS(0, "sockets"), COLLECTOR_ROWS(1, "listeners"), COLLECTOR_ROWS(2, "netstat"),
	COLLECTOR_ROWS(3, "netdev"),  COLLECTOR_ROWS(4, "softnet"),   COLLECTOR_ROWS(5, "qdisc"),
	COLLECTOR_ROWS(6, "sockmem"), COLLECTOR_ROWS(7, "tables"),    COLLECTOR_ROWS(8, "doctor"),
	COLLECTOR_ROWS(9, "tcp"),     COLLECTOR_ROWS(10, "drops"),    COLLECTOR_ROWS(11, "qdisclat"),
	COLLECTOR_ROWS(12, "dns"),    OPT_END,
};

/* state_src_rows without --from: the exporter serves a live host */
static const struct opt netns_rows[] = {
	{ 'N', "net", "NAME", "serve the state of the `ip netns` namespace NAME" },
	{ OPT_SRC_NETNS, "netns", "PATH", "serve the state of the namespace at PATH" },
	OPT_END,
};

static const struct opt_group exporter_opts[] = {
	{ NULL, exporter_rows },
	{ "Collectors (all on by default but qdisclat and dns; tcp, drops, qdisclat and dns load "
	  "BPF programs: CAP_BPF and CAP_PERFMON)", collector_rows },
	{ "Source (the HTTP socket stays in the exporter's own namespace)", netns_rows },
	OPT_GROUPS_END,
};

/* One collector's part of a scrape. The buffer is kept from scrape to
 * scrape (reset, not freed). */
struct scrape_part {
	struct strbuf out;
	char err[256];
	double took; /* seconds */
	bool ok;
	size_t thread; /* the team's thread that runs it: 0 is the server's */
};

struct exporter;

/* A scrape's threads: libmicrohttpd's, which serves it (thread 0), and up
 * to MAX_SCRAPE_THREADS - 1 workers started once with the server (they
 * inherit its namespace and blocked signals; threads made per scrape cost
 * their start-up each time), waiting for the next scrape. The first scrape
 * runs every collector on thread 0 and times them; then each collector is
 * given to one thread for good, slowest first to the least loaded
 * (team_assign()). Always the same thread: what a collector allocates is
 * freed where it was allocated, and each thread's allocator arena sees the
 * same pattern every scrape. Taking the next collector from a shared queue
 * instead made the resident size grow ~35 KB every thousand scrapes. */
struct scrape_team {
	struct exporter *x;
	bool openmetrics;
	bool assigned; /* the parts' threads are set */
	struct scrape_part part[MAX_COLLECTORS];
	pthread_mutex_t mu;
	pthread_cond_t go, done;
	unsigned long scrapes; /* parallel scrapes begun: a new one wakes the workers */
	size_t busy;           /* workers still on the current one */
	bool stop;
	size_t nworkers;
	pthread_t tid[MAX_SCRAPE_THREADS];
	struct team_seat {
		struct scrape_team *t;
		size_t me; /* the worker's thread number, from 1 */
	} seat[MAX_SCRAPE_THREADS];
};

struct exporter {
	struct host *h;
	struct collect_ctx ctx;
	bool on[MAX_COLLECTORS];
	bool failing[MAX_COLLECTORS]; /* warned about, until it recovers */
	void *state[MAX_COLLECTORS];  /* what a collector's start() made */
	char *why_off[MAX_COLLECTORS]; /* a collector asked for that could not start */
	size_t ncollectors;
	struct scrape_team team;
	struct evidence doctor_prev; /* zeroed: no sample yet */
	struct web_config web;       /* users and TLS; empty without --web.config.file */
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void uncounted_family(const struct exporter *x, struct prom *p, const char *name,
			     const char *help, const uint64_t *v)
{
	prom_family(p, name, PROM_COUNTER, help);
	for (size_t i = 0; i < x->ncollectors; i++)
		if (x->on[i] && collectors[i].uncounted)
			prom_sample(p, (double)v[i], "collector", collectors[i].name, NULL);
}

/* What the kernel could not count for each BPF collector that runs. */
static void uncounted(const struct exporter *x, struct prom *p)
{
	uint64_t missed[MAX_COLLECTORS], dropped[MAX_COLLECTORS];
	bool any = false;

	for (size_t i = 0; i < x->ncollectors; i++)
		if (x->on[i] && collectors[i].uncounted) {
			collectors[i].uncounted(x->state[i], &missed[i], &dropped[i]);
			any = true;
		}
	if (!any)
		return;
	uncounted_family(x, p, "netlens_bpf_runs_missed_total",
			 "BPF program runs the kernel skipped (a program nested in itself on one "
			 "CPU) that no backup program made up for: events possibly not counted.",
			 missed);
	uncounted_family(x, p, "netlens_bpf_dropped_keys_total",
			 "Updates that found one of the collector's kernel tables full: what they "
			 "would have tracked is not counted.",
			 dropped);
}

/* The collectors given to thread me, in the collectors' order. */
static void team_run(struct scrape_team *t, size_t me)
{
	for (size_t i = 0; i < t->x->ncollectors; i++) {
		struct scrape_part *pt = &t->part[i];
		struct collect_ctx ctx = t->x->ctx;
		struct prom po = PROM_INIT(&pt->out, t->openmetrics);
		double t0;

		if (!t->x->on[i] || pt->thread != me)
			continue;
		ctx.state = t->x->state[i];
		sb_reset(&pt->out);
		t0 = now_s();
		pt->ok = collectors[i].collect(&ctx, &po, pt->err, sizeof(pt->err)) == 0;
		pt->took = now_s() - t0;
	}
}

static void *team_worker(void *arg)
{
	const struct team_seat *seat = arg;
	struct scrape_team *t = seat->t;
	unsigned long seen = 0;

	pthread_mutex_lock(&t->mu);
	for (;;) {
		while (!t->stop && t->scrapes == seen)
			pthread_cond_wait(&t->go, &t->mu);
		if (t->stop)
			break;
		seen = t->scrapes;
		pthread_mutex_unlock(&t->mu);
		team_run(t, seat->me);
		pthread_mutex_lock(&t->mu);
		if (--t->busy == 0)
			pthread_cond_signal(&t->done);
	}
	pthread_mutex_unlock(&t->mu);
	return NULL;
}

/* Up to threads - 1 workers; one that cannot be started leaves its share
 * to the others. */
static void team_start(struct scrape_team *t, struct exporter *x, size_t threads)
{
	t->x = x;
	pthread_mutex_init(&t->mu, NULL);
	pthread_cond_init(&t->go, NULL);
	pthread_cond_init(&t->done, NULL);
	while (t->nworkers + 1 < threads) {
		struct team_seat *seat = &t->seat[t->nworkers];

		*seat = (struct team_seat){ t, t->nworkers + 1 };
		if (pthread_create(&t->tid[t->nworkers], NULL, team_worker, seat))
			break;
		t->nworkers++;
	}
}

static void team_stop(struct scrape_team *t)
{
	pthread_mutex_lock(&t->mu);
	t->stop = true;
	pthread_cond_broadcast(&t->go);
	pthread_mutex_unlock(&t->mu);
	while (t->nworkers)
		pthread_join(t->tid[--t->nworkers], NULL);
	pthread_cond_destroy(&t->done);
	pthread_cond_destroy(&t->go);
	pthread_mutex_destroy(&t->mu);
	for (size_t i = 0; i < MAX_COLLECTORS; i++)
		sb_free(&t->part[i].out);
}

/* Each enabled collector to a thread, by the times of the first scrape:
 * the slowest first, each to the thread with the least time so far. */
static void team_assign(struct scrape_team *t)
{
	double load[MAX_SCRAPE_THREADS] = { 0 };
	bool done[MAX_COLLECTORS] = { false };

	for (;;) {
		size_t slow = MAX_COLLECTORS, least = 0;

		for (size_t i = 0; i < t->x->ncollectors; i++)
			if (t->x->on[i] && !done[i] &&
			    (slow == MAX_COLLECTORS || t->part[i].took > t->part[slow].took))
				slow = i;
		if (slow == MAX_COLLECTORS)
			break;
		for (size_t k = 1; k <= t->nworkers; k++)
			if (load[k] < load[least])
				least = k;
		t->part[slow].thread = least;
		load[least] += t->part[slow].took;
		done[slow] = true;
	}
	t->assigned = true;
}

/* Every enabled collector, each on its thread: the scrape lasts about as
 * long as its slowest thread's share (the kernel's walk of the TCP tables,
 * or the doctor) rather than the sum of all. */
static void team_collect(struct scrape_team *t, bool openmetrics)
{
	t->openmetrics = openmetrics;
	if (!t->assigned || !t->nworkers) {
		team_run(t, 0); /* every part's thread is still 0 */
		if (t->nworkers)
			team_assign(t);
		return;
	}
	pthread_mutex_lock(&t->mu);
	t->busy = t->nworkers;
	t->scrapes++;
	pthread_cond_broadcast(&t->go);
	pthread_mutex_unlock(&t->mu);
	team_run(t, 0);
	pthread_mutex_lock(&t->mu);
	while (t->busy)
		pthread_cond_wait(&t->done, &t->mu);
	pthread_mutex_unlock(&t->mu);
}

/* One scrape: every enabled collector, then what each cost. */
static void scrape(struct exporter *x, struct strbuf *out, bool openmetrics)
{
	struct prom p = PROM_INIT(out, openmetrics);
	const struct scrape_part *part = x->team.part;

	team_collect(&x->team, openmetrics);
	for (size_t i = 0; i < x->ncollectors; i++) {
		const struct scrape_part *pt = &part[i];

		if (!x->on[i])
			continue;
		if (pt->ok && pt->out.len)
			sb_add(out, pt->out.buf, pt->out.len);
		if (!pt->ok && !x->failing[i])
			out_warn("collector %s failed: %s (its series are left out until it "
				 "recovers)", collectors[i].name, pt->err);
		else if (pt->ok && x->failing[i])
			out_warn("collector %s recovered", collectors[i].name);
		x->failing[i] = !pt->ok;
	}
	prom_family(&p, "netlens_scrape_collector_success", PROM_GAUGE,
		    "1 when the collector's last scrape succeeded.");
	for (size_t i = 0; i < x->ncollectors; i++)
		if (x->on[i])
			prom_sample(&p, part[i].ok, "collector", collectors[i].name, NULL);
	prom_family(&p, "netlens_scrape_collector_duration_seconds", PROM_GAUGE,
		    "Time the collector's last scrape took.");
	for (size_t i = 0; i < x->ncollectors; i++)
		if (x->on[i])
			prom_sample(&p, part[i].took, "collector", collectors[i].name, NULL);
	uncounted(x, &p);
	prom_end(&p);
	/* give back what the collectors freed: with a thread per share the
	 * allocator's arenas kept their high-water marks, and the resident
	 * size crept up by steps for thousands of scrapes */
	malloc_trim(0);
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const char *type,
			     char *body, size_t len, enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body, mode);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result reply_text(struct MHD_Connection *conn, unsigned status, const char *s)
{
	return reply(conn, status, "text/plain; charset=utf-8", (char *)s, strlen(s),
		     MHD_RESPMEM_PERSISTENT);
}

static enum MHD_Result landing(struct exporter *x, struct MHD_Connection *conn)
{
	struct strbuf sb = STRBUF_INIT;

	sb_puts(&sb, "<!DOCTYPE html>\n<html><head><title>netlens exporter</title></head><body>\n"
		     "<h1>netlens exporter</h1>\n<p><a href=\"/metrics\">Metrics</a></p>\n"
		     "<p>Collectors:</p>\n<ul>\n");
	for (size_t i = 0; i < x->ncollectors; i++)
		sb_printf(&sb, "<li>%s (%s): %s</li>\n", collectors[i].name,
			  x->on[i] ? "on" : x->why_off[i] ? "off: could not start, see the log" : "off",
			  collectors[i].help);
	sb_printf(&sb, "</ul>\n<p>netlens %s</p>\n</body></html>\n", NETLENS_VERSION);
	return reply(conn, MHD_HTTP_OK, "text/html; charset=utf-8", sb.buf, sb.len,
		     MHD_RESPMEM_MUST_FREE);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_size, void **req)
{
	static char headers_seen; /* what *req points to after a request's first call */
	struct exporter *x = cls;

	(void)version;
	(void)upload;
	if (!*req) {
		/* The first call has the headers only. An answer queued then makes
		 * libmicrohttpd (0.9.7x) close the connection after it, the body
		 * unread: a scraper would connect anew every time, and each
		 * connection leave a TIME-WAIT socket here. Answer at the next. */
		*req = &headers_seen;
		return MHD_YES;
	}
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET and HEAD\n");
	if (*upload_size) {
		*upload_size = 0; /* a GET with a body: ignore it */
		return MHD_YES;
	}
	if (x->web.nusers) {
		char *pass = NULL, *user = MHD_basic_auth_get_username_password(conn, &pass);
		bool ok = web_config_auth(&x->web, user, pass);
		MHD_free(user);
		MHD_free(pass);
		if (!ok) {
			static const char msg[] = "unauthorized\n";
			struct MHD_Response *r = MHD_create_response_from_buffer(
				sizeof(msg) - 1, (void *)msg, MHD_RESPMEM_PERSISTENT);
			enum MHD_Result ret;
			if (!r)
				return MHD_NO;
			ret = MHD_queue_basic_auth_fail_response(conn, "netlens", r);
			MHD_destroy_response(r);
			return ret;
		}
	}
	if (!strcmp(url, "/metrics")) {
		const char *accept = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
								 MHD_HTTP_HEADER_ACCEPT);
		bool om = accept && strstr(accept, "application/openmetrics-text");
		struct strbuf sb = STRBUF_INIT;
		scrape(x, &sb, om);
		return reply(conn, MHD_HTTP_OK, om ? PROM_OPENMETRICS_TYPE : PROM_TEXT_TYPE,
			     sb.buf ? sb.buf : strdup(""), sb.len, MHD_RESPMEM_MUST_FREE);
	}
	if (!strcmp(url, "/-/healthy"))
		return reply_text(conn, MHD_HTTP_OK, "OK\n");
	if (!strcmp(url, "/"))
		return landing(x, conn);
	return reply_text(conn, MHD_HTTP_NOT_FOUND, "not found: see /metrics\n");
}

/* "HOST:PORT", "[V6]:PORT" or ":PORT" (every address, IPv6 and IPv4). */
static int parse_listen(const char *s, struct addrinfo **res, char *err, size_t errlen)
{
	char host[128];
	const char *colon = strrchr(s, ':'), *port;
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	size_t n;
	int e;

	if (!colon || !colon[1]) {
		snprintf(err, errlen, "'%s' has no port: expected ADDR:PORT, [ADDR6]:PORT or :PORT",
			 s);
		return -1;
	}
	port = colon + 1;
	n = (size_t)(colon - s);
	if (n && s[0] == '[') {
		if (s[n - 1] != ']') {
			snprintf(err, errlen, "'%s': an IPv6 address goes in brackets: [::1]:9465", s);
			return -1;
		}
		s++;
		n -= 2;
	}
	if (n >= sizeof(host)) {
		snprintf(err, errlen, "address too long");
		return -1;
	}
	memcpy(host, s, n);
	host[n] = '\0';
	if (!n)
		hints.ai_family = AF_INET6; /* [::], dual stack */
	e = getaddrinfo(n ? host : NULL, port, &hints, res);
	if (e) {
		snprintf(err, errlen, "'%s': %s", n ? host : port, gai_strerror(e));
		return -1;
	}
	return 0;
}

static int listen_socket(const char *spec)
{
	struct addrinfo *ai;
	char err[256];
	int fd, one = 1, zero = 0;

	if (parse_listen(spec, &ai, err, sizeof(err)) < 0)
		return out_error("--listen: %s", err), -EXIT_USAGE;
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		int e = errno;
		freeaddrinfo(ai);
		return out_error("--listen %s: socket: %s", spec, strerror(e)), -EXIT_FAIL;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ai->ai_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 1024) < 0) {
		int e = errno;
		freeaddrinfo(ai);
		close(fd);
		if (e == EADDRINUSE)
			out_error("--listen %s: the address is in use (another exporter?): choose "
				  "another with --listen ADDR:PORT", spec);
		else if (e == EADDRNOTAVAIL)
			out_error("--listen %s: no interface has that address", spec);
		else if (e == EACCES)
			out_error("--listen %s: a port below 1024 needs CAP_NET_BIND_SERVICE", spec);
		else
			out_error("--listen %s: %s", spec, strerror(e));
		return -EXIT_FAIL;
	}
	freeaddrinfo(ai);
	return fd;
}

/* Collectors with a start() (the BPF ones) load now; one that cannot is
 * turned off with a warning naming what it lacks, and the rest serve. */
static void start_collectors(struct exporter *x)
{
	for (size_t i = 0; i < x->ncollectors; i++) {
		char err[1024] = "";
		if (!x->on[i] || !collectors[i].start)
			continue;
		if (collectors[i].start(&x->ctx, &x->state[i], err, sizeof(err)) == 0)
			continue;
		out_warn("collector %s disabled: %s (--no-collector.%s silences this)",
			 collectors[i].name, err, collectors[i].name);
		x->on[i] = false;
		x->why_off[i] = strdup(err);
	}
}

/* The CPUs this process may run on (its affinity: a container's cpuset),
 * at most MAX_SCRAPE_THREADS. */
static size_t scrape_threads(void)
{
	cpu_set_t set;
	int n;

	if (sched_getaffinity(0, sizeof(set), &set) < 0 || (n = CPU_COUNT(&set)) < 1)
		return 1;
	return n < MAX_SCRAPE_THREADS ? (size_t)n : MAX_SCRAPE_THREADS;
}

static void stop_collectors(struct exporter *x)
{
	for (size_t i = 0; i < x->ncollectors; i++) {
		if (x->state[i] && collectors[i].stop)
			collectors[i].stop(x->state[i]);
		x->state[i] = NULL;
		free(x->why_off[i]);
		x->why_off[i] = NULL;
	}
}

struct exporter_args {
	struct state_src src;
	const char *listen, *web_config;
	unsigned long max_conn, max_listeners;
	unsigned long scrape_threads; /* 0: scrape_threads() */
	double timeout;
	bool on[MAX_COLLECTORS];
	bool bpf_all_netns;
	unsigned long tcp_per_remote;
};

static int parse_args(struct exporter_args *a, size_t ncollectors, int argc, char **argv)
{
	struct opts p;
	int c;

	if (opts_begin(&p, "exporter", exporter_opts, argc, argv))
		return EXIT_USAGE;
	while ((c = opts_next(&p)) > 0) {
		if (state_src_opt(&a->src, c, p.arg))
			continue;
		if (c >= OPT_COLLECTOR_ON && c < OPT_COLLECTOR_ON + (int)ncollectors) {
			a->on[c - OPT_COLLECTOR_ON] = true;
			continue;
		}
		if (c >= OPT_COLLECTOR_OFF && c < OPT_COLLECTOR_OFF + (int)ncollectors) {
			a->on[c - OPT_COLLECTOR_OFF] = false;
			continue;
		}
		switch (c) {
		case OPT_LISTEN:
			a->listen = p.arg;
			break;
		case OPT_MAX_CONN:
			if (opts_ulong(&p, 1, 16384, &a->max_conn))
				return EXIT_USAGE;
			break;
		case OPT_TIMEOUT:
			if (opts_secs_range(&p, 1, 3600, &a->timeout))
				return EXIT_USAGE;
			break;
		case OPT_WEB_CONFIG:
			a->web_config = p.arg;
			break;
		case OPT_BPF_ALL_NETNS:
			a->bpf_all_netns = true;
			break;
		case OPT_TCP_PER_REMOTE:
			if (opts_ulong(&p, 0, 1000, &a->tcp_per_remote))
				return EXIT_USAGE;
			break;
		case OPT_SCRAPE_THREADS:
			if (opts_ulong(&p, 1, MAX_SCRAPE_THREADS, &a->scrape_threads))
				return EXIT_USAGE;
			break;
		case OPT_MAX_LISTENERS:
			if (opts_ulong(&p, 0, 1000000, &a->max_listeners))
				return EXIT_USAGE;
			break;
		}
	}
	if (c < 0)
		return EXIT_USAGE;
	if (p.next < argc)
		return opts_fail_cmd(&p, "unexpected argument '%s'", argv[p.next]);
	return 0;
}

static int cmd_exporter(int argc, char **argv)
{
	struct exporter_args a = { .listen = DEFAULT_LISTEN, .max_conn = 4096, .timeout = 10,
				   .max_listeners = 512 };
	struct exporter x = { 0 };
	struct MHD_Daemon *d;
	sigset_t sigs;
	int fd, sig = 0, err;

	while (collectors[x.ncollectors].name)
		x.ncollectors++;
	for (size_t i = 0; i < x.ncollectors; i++) {
		/* the option rows name the collectors in collectors[]'s order */
		if (x.ncollectors > MAX_COLLECTORS || !collector_rows[2 * i].name ||
		    strcmp(collector_rows[2 * i].name + strlen("collector."), collectors[i].name))
			abort();
		a.on[i] = collectors[i].on_by_default;
	}
	if ((err = parse_args(&a, x.ncollectors, argc, argv)))
		return err;
	if (a.web_config) {
		char msg[512];
		if (web_config_load(a.web_config, &x.web, msg, sizeof(msg)) < 0)
			return out_error("--web.config.file %s", msg);
	}
	fd = listen_socket(a.listen);
	if (fd < 0) {
		web_config_free(&x.web);
		return -fd;
	}
	x.h = state_src_open(&a.src);
	if (!x.h) {
		close(fd);
		web_config_free(&x.web);
		return EXIT_FAIL;
	}
	x.ctx = (struct collect_ctx){ .h = x.h, .max_listeners = a.max_listeners,
				      .doctor_prev = &x.doctor_prev,
				      .tcp_per_remote = a.tcp_per_remote };
	if (!a.bpf_all_netns) {
		struct stat st;
		if (stat("/proc/self/ns/net", &st) == 0)
			x.ctx.bpf_netns = (uint32_t)st.st_ino;
	}
	memcpy(x.on, a.on, sizeof(x.on));
	start_collectors(&x);
	/* loading parsed the kernel's BTF: give those megabytes back now, not
	 * whenever the allocator gets round to it */
	malloc_trim(0);
	/* signals are taken here, by sigwait(); the server's thread inherits the mask */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	team_start(&x.team, &x, a.scrape_threads ? a.scrape_threads : scrape_threads());
	{
		struct MHD_OptionItem o[] = {
			{ MHD_OPTION_LISTEN_SOCKET, fd, NULL },
			{ MHD_OPTION_CONNECTION_LIMIT, (intptr_t)a.max_conn, NULL },
			{ MHD_OPTION_CONNECTION_TIMEOUT, (intptr_t)a.timeout, NULL },
			{ MHD_OPTION_CONNECTION_MEMORY_LIMIT, 32768, NULL },
			{ MHD_OPTION_HTTPS_MEM_KEY, 0, x.web.key_pem },
			{ MHD_OPTION_HTTPS_MEM_CERT, 0, x.web.cert_pem },
			{ MHD_OPTION_END, 0, NULL },
		};
		unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
		if (x.web.cert_pem)
			flags |= MHD_USE_TLS;
		else
			o[4].option = MHD_OPTION_END; /* no TLS: the key and cert are not options */
		d = MHD_start_daemon(flags, 0, NULL, NULL, handle, &x, MHD_OPTION_ARRAY, o,
				     MHD_OPTION_END);
	}
	if (!d) {
		team_stop(&x.team);
		stop_collectors(&x);
		close(fd);
		host_close(x.h);
		web_config_free(&x.web);
		return out_error(x.web.cert_pem ? "could not start the HTTPS server: the TLS "
						  "certificate or key was refused (do they match?)"
						: "could not start the HTTP server (libmicrohttpd): out of "
						  "memory or threads?");
	}
	fprintf(stderr, "netlens exporter: serving %s://%s/metrics%s\n",
		x.web.cert_pem ? "https" : "http", a.listen,
		x.web.nusers ? " (basic authentication)" : "");
	while (sigwait(&sigs, &sig) == 0 && sig == SIGHUP)
		; /* nothing to reload yet */
	MHD_stop_daemon(d); /* finishes the scrape in progress */
	team_stop(&x.team);
	stop_collectors(&x);
	close(fd);
	evidence_free(&x.doctor_prev);
	web_config_free(&x.web);
	host_close(x.h);
	fprintf(stderr, "netlens exporter: stopped (%s)\n", strsignal(sig));
	return EXIT_OK;
}

NETLENS_COMMAND(exporter,
	.name = "exporter",
	.run = cmd_exporter,
	.summary = "serve network state as Prometheus metrics (/metrics)",
	.synopsis = "[options]",
	.about = exporter_about,
	.opts = exporter_opts,
	.notes = "Example: netlens exporter --listen 0.0.0.0:9465 --no-collector.qdisc\n");
