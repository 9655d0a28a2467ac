/* Packet load across a veth pair, for the per-packet tracers' bench
 * (bench/below_bench.py): a bulk TCP stream and a small-packet UDP flood,
 * each measured at the receiver.
 *
 *   veth_load tcp-sink ADDR PORT           accept one connection at a time,
 *                                          read and discard; print "ready"
 *   veth_load tcp-send ADDR PORT SECS      one connection, 256 KiB writes for
 *                                          SECS; print "BYTES SECONDS"
 *   veth_load udp-sink ADDR PORT SECS      print "ready", then count the
 *                                          datagrams received (recvmmsg) from
 *                                          the first one for SECS; print
 *                                          "PACKETS SECONDS"
 *   veth_load udp-flood ADDR PORT SIZE     sendmmsg batches of SIZE-byte
 *                                          datagrams until killed
 *
 * The UDP rate is what the receiver got: the sender outruns it on a veth,
 * and what a tracer costs shows as fewer datagrams delivered. Built by
 * bench/below_bench.py.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64

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

static struct sockaddr_in addr_of(const char *ip, const char *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port)) };

	if (inet_pton(AF_INET, ip, &a.sin_addr) != 1) {
		fprintf(stderr, "veth_load: bad IPv4 address '%s'\n", ip);
		exit(2);
	}
	return a;
}

static int bound(int type, struct sockaddr_in a)
{
	int one = 1, fd = socket(AF_INET, type, 0);

	if (fd < 0)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)))
		die("bind");
	return fd;
}

static void tcp_sink(struct sockaddr_in a)
{
	static char buf[1 << 18];
	int fd = bound(SOCK_STREAM, a);

	if (listen(fd, 16))
		die("listen");
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		int c = accept(fd, NULL, NULL);
		if (c < 0)
			die("accept");
		while (read(c, buf, sizeof(buf)) > 0)
			;
		close(c);
	}
}

static void tcp_send(struct sockaddr_in a, double secs)
{
	static char buf[1 << 18];
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	double t0, t;
	long long bytes = 0;

	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)))
		die("connect");
	t0 = now();
	do {
		ssize_t n = write(fd, buf, sizeof(buf));
		if (n <= 0)
			die("write");
		bytes += n;
		t = now();
	} while (t - t0 < secs);
	printf("%lld %.6f\n", bytes, t - t0);
	close(fd);
}

static void udp_sink(struct sockaddr_in a, double secs)
{
	static char bufs[BATCH][2048];
	struct mmsghdr m[BATCH];
	struct iovec iov[BATCH];
	struct timespec wait = { 0, 100 * 1000 * 1000 };
	int fd = bound(SOCK_DGRAM, a), big = 1 << 24;
	long long pkts = 0;
	double t0 = 0, t = 0;

	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
	for (int i = 0; i < BATCH; i++) {
		iov[i] = (struct iovec){ bufs[i], sizeof(bufs[i]) };
		m[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &iov[i], .msg_iovlen = 1 } };
	}
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		int n = recvmmsg(fd, m, BATCH, 0, t0 ? &wait : NULL);
		if (n < 0)
			die("recvmmsg");
		t = now();
		if (!t0) {
			t0 = t; /* count from the first datagram */
			continue;
		}
		pkts += n;
		if (t - t0 >= secs)
			break;
	}
	printf("%lld %.6f\n", pkts, t - t0);
}

static void udp_flood(struct sockaddr_in a, int size)
{
	static char buf[2048];
	struct mmsghdr m[BATCH];
	struct iovec iov = { buf, (size_t)size };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)))
		die("connect");
	for (int i = 0; i < BATCH; i++)
		m[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &iov, .msg_iovlen = 1 } };
	for (;;)
		if (sendmmsg(fd, m, BATCH, 0) < 0)
			usleep(100); /* ENOBUFS, ECONNREFUSED before the sink binds */
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (argc == 4 && !strcmp(argv[1], "tcp-sink"))
		tcp_sink(addr_of(argv[2], argv[3]));
	else if (argc == 5 && !strcmp(argv[1], "tcp-send"))
		tcp_send(addr_of(argv[2], argv[3]), atof(argv[4]));
	else if (argc == 5 && !strcmp(argv[1], "udp-sink"))
		udp_sink(addr_of(argv[2], argv[3]), atof(argv[4]));
	else if (argc == 5 && !strcmp(argv[1], "udp-flood") && atoi(argv[4]) > 0 &&
		 atoi(argv[4]) <= 2048)
		udp_flood(addr_of(argv[2], argv[3]), atoi(argv[4]));
	else {
		fprintf(stderr, "usage: veth_load tcp-sink ADDR PORT | tcp-send ADDR PORT SECS |"
				" udp-sink ADDR PORT SECS | udp-flood ADDR PORT SIZE\n");
		return 2;
	}
	return 0;
}
