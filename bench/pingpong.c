/* Loopback 1-byte request/response ping-pong over TCP: per message, the
 * client does one send() and one recv(), the server one recv() and one
 * send(). The worst case for tracers that run on every socket call
 * (socketio, socksize, sockstat): the work per call is as small as it gets.
 *
 *   pingpong server PORT            listen on 127.0.0.1:PORT, print "ready",
 *                                   echo each byte on each connection (one
 *                                   process per connection) until EOF
 *   pingpong client PORT SECS       one connection; print "MESSAGES SECONDS"
 *
 * TCP_NODELAY on both ends, blocking sockets. Built by bench/sockio_bench.py.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct sockaddr_in addr(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port) };

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

static void nodelay(int fd)
{
	int one = 1;

	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)))
		die("TCP_NODELAY");
}

static void echo(int fd)
{
	char c;

	nodelay(fd);
	while (recv(fd, &c, 1, 0) == 1)
		if (send(fd, &c, 1, 0) != 1)
			break;
	_exit(0);
}

static _Noreturn void server(int port)
{
	struct sockaddr_in a = addr(port);
	int one = 1, ls = socket(AF_INET, SOCK_STREAM, 0);

	signal(SIGCHLD, SIG_IGN);
	if (ls < 0 || setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(ls, (struct sockaddr *)&a, sizeof(a)) || listen(ls, 16))
		die("listen");
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		int fd = accept(ls, NULL, NULL);
		if (fd < 0)
			continue;
		if (fork() == 0) {
			close(ls);
			echo(fd);
		}
		close(fd);
	}
}

static int client(int port, double secs)
{
	struct sockaddr_in a = addr(port);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	unsigned long n = 0;
	double t0, t;
	char c = 'x';

	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)))
		die("connect");
	nodelay(fd);
	t0 = now();
	do {
		for (int i = 0; i < 256; i++, n++)
			if (send(fd, &c, 1, 0) != 1 || recv(fd, &c, 1, 0) != 1)
				die("ping-pong");
		t = now() - t0;
	} while (t < secs);
	close(fd);
	printf("%lu %.6f\n", n, t);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "server") == 0)
		server(atoi(argv[2]));
	if (argc == 4 && strcmp(argv[1], "client") == 0)
		return client(atoi(argv[2]), atof(argv[3]));
	fprintf(stderr, "usage: pingpong server PORT | pingpong client PORT SECS\n");
	return 2;
}
