/* Short-connection load whose client closes with a reset, for
 * bench/tracer_bench.py (built by it; no other dependency).
 *
 *   rst_load server PORT
 *       Listens on 127.0.0.1:PORT; for each connection, answers every
 *       request (whatever it reads) with a 100-byte reply and closes the
 *       socket once the peer has gone (EOF or reset). Runs until killed.
 *   rst_load client PORT SECS CONCURRENCY [fin]
 *       Keeps CONCURRENCY connections going for SECS seconds: connect,
 *       send a 100-byte request, read the reply, close with SO_LINGER 0
 *       (a reset: the server's socket goes to CLOSE in a softirq, with no
 *       close() of its own yet: tcplife's "no owner at CLOSE" path).
 *       With "fin", closes normally instead (the graceful path, for
 *       comparison). Prints "CONNS SECONDS" (completed connections).
 *
 * One thread each, epoll, non-blocking sockets.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MSG 100

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static struct sockaddr_in addr_of(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

static _Noreturn void server(int port)
{
	struct sockaddr_in a = addr_of(port);
	struct epoll_event ev, evs[256];
	char buf[4096], reply[MSG];
	int one = 1, lfd, ep;

	memset(reply, 'r', sizeof(reply));
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (lfd < 0)
		die("socket");
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&a, sizeof(a)) || listen(lfd, 4096))
		die("bind/listen");
	ep = epoll_create1(0);
	ev.events = EPOLLIN;
	ev.data.fd = lfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		int n = epoll_wait(ep, evs, 256, -1);

		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd == lfd) {
				int c;

				while ((c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
					ev.events = EPOLLIN | EPOLLRDHUP;
					ev.data.fd = c;
					epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
				}
				continue;
			}
			for (;;) {
				ssize_t r = read(fd, buf, sizeof(buf));

				if (r > 0) {
					if (write(fd, reply, sizeof(reply)) < 0 && errno != EAGAIN)
						r = -1;
					else
						continue;
				}
				if (r < 0 && errno == EAGAIN)
					break;
				close(fd); /* EOF or reset: the peer is gone */
				break;
			}
		}
	}
}

struct conn {
	int fd;
	int got;
};

static int start(int ep, struct conn *c, const struct sockaddr_in *a)
{
	struct epoll_event ev = { .events = EPOLLOUT, .data.ptr = c };

	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (c->fd < 0)
		die("socket");
	c->got = 0;
	if (connect(c->fd, (const struct sockaddr *)a, sizeof(*a)) && errno != EINPROGRESS)
		die("connect");
	return epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
}

static int client(int port, double secs, int conc, int fin)
{
	struct sockaddr_in a = addr_of(port);
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	struct epoll_event evs[256];
	struct conn *cs = calloc(conc, sizeof(*cs));
	char req[MSG], buf[4096];
	long done = 0;
	double t0 = now(), end = t0 + secs;
	int ep = epoll_create1(0);

	memset(req, 'q', sizeof(req));
	for (int i = 0; i < conc; i++)
		start(ep, &cs[i], &a);
	while (now() < end) {
		int n = epoll_wait(ep, evs, 256, 100);

		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;

			if (evs[i].events & EPOLLOUT) {
				struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };

				if (evs[i].events & (EPOLLERR | EPOLLHUP)) {
					fprintf(stderr, "rst_load: connect failed\n");
					exit(1);
				}
				if (write(c->fd, req, sizeof(req)) != sizeof(req))
					die("write");
				epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
				continue;
			}
			for (;;) {
				ssize_t r = read(c->fd, buf, sizeof(buf));

				if (r <= 0)
					break;
				c->got += r;
			}
			if (c->got < MSG)
				continue;
			if (!fin)
				setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
			close(c->fd);
			done++;
			start(ep, c, &a);
		}
	}
	printf("%ld %.6f\n", done, now() - t0);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "server"))
		server(atoi(argv[2]));
	if ((argc == 5 || argc == 6) && !strcmp(argv[1], "client"))
		return client(atoi(argv[2]), atof(argv[3]), atoi(argv[4]),
			      argc == 6 && !strcmp(argv[5], "fin"));
	fprintf(stderr, "usage: rst_load server PORT | client PORT SECS CONCURRENCY [fin]\n");
	return 2;
}
