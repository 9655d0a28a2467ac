/* Load for bench/dns_bench.py (Python cannot reach the rates):
 *
 *   dns_load bulk-server PORT            TCP sink on 127.0.0.1:PORT; prints "ready"
 *   dns_load bulk-client PORT SECS       writes 128 KiB buffers for SECS; prints
 *                                        "BYTES SECONDS"
 *   dns_load dns-server PORT             UDP DNS responder on 127.0.0.1:PORT: any
 *                                        query gets NOERROR and one A record
 *   dns_load dns-client PORT SECS RATE   RATE queries a second (0: as fast as 256
 *                                        in flight allow) over 64 sockets, paced;
 *                                        prints "SENT ANSWERED SECONDS"
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define NSOCK    64
#define INFLIGHT 256

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct sockaddr_in loopback(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

static int bulk_server(int port)
{
	struct sockaddr_in a = loopback(port);
	int one = 1, l = socket(AF_INET, SOCK_STREAM, 0);
	static char buf[1 << 17];

	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 16)) {
		perror("bulk-server");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		int c = accept(l, NULL, NULL);
		if (c < 0)
			continue;
		while (read(c, buf, sizeof(buf)) > 0)
			;
		close(c);
	}
}

static int bulk_client(int port, double secs)
{
	struct sockaddr_in a = loopback(port);
	int s = socket(AF_INET, SOCK_STREAM, 0);
	static char buf[1 << 17];
	unsigned long long bytes = 0;
	double t0, t;

	if (connect(s, (struct sockaddr *)&a, sizeof(a))) {
		perror("bulk-client");
		return 1;
	}
	t0 = now();
	do {
		ssize_t n = write(s, buf, sizeof(buf));
		if (n <= 0)
			return 1;
		bytes += (unsigned long long)n;
	} while ((t = now()) - t0 < secs);
	printf("%llu %.6f\n", bytes, t - t0);
	return 0;
}

static int dns_server(int port)
{
	struct sockaddr_in a = loopback(port), peer;
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	int rcv = 8 << 20;
	uint8_t b[600];

	setsockopt(s, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	if (bind(s, (struct sockaddr *)&a, sizeof(a))) {
		perror("dns-server");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		socklen_t pl = sizeof(peer);
		ssize_t n = recvfrom(s, b, 512, 0, (struct sockaddr *)&peer, &pl);
		if (n < 17)
			continue;
		b[2] = 0x81;
		b[3] = 0x80;
		b[6] = 0;
		b[7] = 1; /* one answer: the question's name, A, 192.0.2.1 */
		static const uint8_t ans[] = { 0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1 };
		memcpy(b + n, ans, sizeof(ans));
		sendto(s, b, (size_t)n + sizeof(ans), 0, (struct sockaddr *)&peer, pl);
	}
}

static size_t query(uint8_t *b, uint16_t id, unsigned name)
{
	size_t n = 0;
	int l = snprintf((char *)b + 13, 16, "q%u", name);

	b[0] = (uint8_t)(id >> 8);
	b[1] = (uint8_t)id;
	b[2] = 1;
	b[3] = 0;
	b[4] = 0;
	b[5] = 1;
	memset(b + 6, 0, 6);
	b[12] = (uint8_t)l;
	n = 13 + (size_t)l;
	memcpy(b + n, "\5bench\4test\0\0\1\0\1", 15);
	return n + 15;
}

static int dns_client(int port, double secs, double rate)
{
	struct sockaddr_in a = loopback(port);
	struct pollfd p[NSOCK];
	unsigned long long sent = 0, answered = 0;
	uint16_t id[NSOCK] = { 0 };
	uint8_t b[600];
	double t0, t, end;

	for (int i = 0; i < NSOCK; i++) {
		p[i].fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
		p[i].events = POLLIN;
		if (p[i].fd < 0 || connect(p[i].fd, (struct sockaddr *)&a, sizeof(a))) {
			perror("dns-client");
			return 1;
		}
	}
	t0 = now();
	end = t0 + secs;
	while ((t = now()) < end) {
		/* send what the pace allows, keeping at most INFLIGHT out */
		unsigned long long due = rate > 0 ? (unsigned long long)((t - t0) * rate) : ~0ull;
		while (sent < due && sent - answered < INFLIGHT) {
			int i = (int)(sent % NSOCK);
			size_t n = query(b, ++id[i], (unsigned)(sent % 16));
			if (send(p[i].fd, b, n, 0) < 0 && errno != EAGAIN)
				return 1;
			sent++;
		}
		int r = poll(p, NSOCK, 1);
		for (int i = 0; r > 0 && i < NSOCK; i++)
			if (p[i].revents & POLLIN)
				while (recv(p[i].fd, b, sizeof(b), 0) > 0)
					answered++;
	}
	/* answers still on their way */
	double drain = now() + 0.2;
	while (answered < sent && now() < drain) {
		int r = poll(p, NSOCK, 10);
		for (int i = 0; r > 0 && i < NSOCK; i++)
			if (p[i].revents & POLLIN)
				while (recv(p[i].fd, b, sizeof(b), 0) > 0)
					answered++;
	}
	printf("%llu %llu %.6f\n", sent, answered, t - t0);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "bulk-server"))
		return bulk_server(atoi(argv[2]));
	if (argc >= 4 && !strcmp(argv[1], "bulk-client"))
		return bulk_client(atoi(argv[2]), atof(argv[3]));
	if (argc >= 3 && !strcmp(argv[1], "dns-server"))
		return dns_server(atoi(argv[2]));
	if (argc >= 5 && !strcmp(argv[1], "dns-client"))
		return dns_client(atoi(argv[2]), atof(argv[3]), atof(argv[4]));
	fprintf(stderr, "usage: see the top of bench/dns_load.c\n");
	return 2;
}
