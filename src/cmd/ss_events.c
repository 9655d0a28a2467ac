/* netlens ss -E: destroyed sockets as a stream. TCP and UDP sockets as the
 * kernel destroys them, read from the sock_diag destroy groups, filtered as
 * ss.c planned and printed one row each with the time it was seen, until a
 * signal, --duration or a reader gone; then the events the kernel dropped. */
#include "base/json.h"
#include "base/output.h"
#include "cmd/ss_run.h"
#include "sources/nl.h"
#include "sources/sockdiag.h"
#include "ss/filter.h"
#include "ss/ss.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

static volatile sig_atomic_t stop_signal;
static void on_signal(int sig) { stop_signal = sig; }

static double now_mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int on_event(const struct sock_rec *s, void *arg)
{
	struct ss_run *r = arg;
	struct timespec now;

	if (!(r->o.kinds & KIND(s->kind)))
		return 0;
	if (!(s->family == AF_INET ? r->o.inet4 : r->o.inet6))
		return 0;
	if (!(r->states & (1u << (s->state == SS_NEW_SYN_RECV ? SS_SYN_RECV : s->state))))
		return 0;
	if (!ss_filter_match(r->filter, s))
		return 0;
	r->shown++;
	/* when it was seen, as tracer events carry it (JSON) */
	clock_gettime(CLOCK_REALTIME, &now);
	r->pr.time = (double)now.tv_sec + now.tv_nsec / 1e9;
	ss_print_sock(&r->pr, s);
	return 0;
}

/* Streams until SIGINT/SIGTERM, --duration, or a reader gone; then the
 * stream's closing record, {"lost_events":N} (in text, a line on stderr
 * when N > 0): the messages the kernel dropped on a full receive queue
 * (ENOBUFS), counted by the socket itself, so none is lost silently. */
int ss_run_events(struct ss_run *r, struct nl_dump *ev)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct pollfd pfd = { .fd = mnl_socket_get_fd(ev->nl), .events = POLLIN };
	double end = r->duration > 0 ? now_mono() + r->duration : 0;
	unsigned overflows = 0;
	int64_t lost;
	int err = 0;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL); /* no SA_RESTART: poll() ends (EINTR) */
	bool draining = false;

	out_flush();
	/* on a stop, what the kernel already queued is still read (draining),
	 * so a socket freed before the signal is not cut from the stream */
	while (!out_stdout_gone()) {
		double left = end ? end - now_mono() : 0.25;
		if (!draining && (stop_signal || (end && left <= 0)))
			draining = true;
		int n = draining ? 1 : poll(&pfd, 1, (int)((left < 0.25 ? left : 0.25) * 1000) + 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = out_error("waiting for socket events: %s", strerror(errno));
			break;
		}
		if (n == 0)
			continue;
		ssize_t len = recv(pfd.fd, ev->buf, ev->bufsize, MSG_DONTWAIT);
		if (len < 0) {
			if (errno == ENOBUFS) {
				overflows++; /* counted in the socket's drops, read at the end */
				continue;
			}
			if (errno == EAGAIN && draining)
				break;
			if (errno == EINTR || errno == EAGAIN)
				continue;
			err = out_error("reading socket events: %s", strerror(errno));
			break;
		}
		int rc = sockdiag_events_parse(ev->buf, (size_t)len, on_event, r);
		if (rc < 0) {
			err = out_error("malformed socket event from the kernel: %s", strerror(-rc));
			break;
		}
		out_flush();
	}
	lost = sockdiag_events_dropped(ev);
	if (lost < 0)
		out_warn("cannot read how many events the kernel dropped: %s%s", strerror((int)-lost),
			 overflows ? " (some were: the receive queue overflowed)" : "");
	if (out_is_json()) {
		struct json *w = out_record_begin();
		if (lost >= 0)
			json_field_u64(w, "lost_events", (uint64_t)lost);
		out_record_end(w);
	} else if (lost > 0) {
		fprintf(stderr, "%lld events lost\n", (long long)lost);
	}
	return err ? -EIO : 0;
}
