/* A loop of getaddrinfo() calls for the gethostlatency bench: resolves NAME
 * (from /etc/hosts by default: no network, so the loop measures libc and
 * the probes) for SECS seconds and prints {"calls": N, "secs": S, "cpu": C}:
 * C is the CPU time the loop used (user and system: a uprobe's traps are
 * system time), which other load on the machine moves far less than S. 
 * Usage: gai_loop SECS [NAME] */
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

static double clock_s(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double now(void)
{
	return clock_s(CLOCK_MONOTONIC);
}

int main(int argc, char **argv)
{
	struct addrinfo hints, *res;
	double secs = argc > 1 ? atof(argv[1]) : 2, t0, t = 0, c0;
	const char *name = argc > 2 ? argv[2] : "localhost";
	unsigned long calls = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_INET;
	hints.ai_socktype = SOCK_STREAM;
	t0 = now();
	c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
	do {
		for (int i = 0; i < 100; i++) {
			if (getaddrinfo(name, NULL, &hints, &res) != 0) {
				fprintf(stderr, "gai_loop: %s does not resolve\n", name);
				return 1;
			}
			freeaddrinfo(res);
		}
		calls += 100;
		t = now() - t0;
	} while (t < secs);
	printf("{\"calls\": %lu, \"secs\": %.6f, \"cpu\": %.6f}\n", calls, t,
	       clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0);
	return 0;
}
