/* The workload of test_trace_stacks.py, built with frame pointers
 * (cc -O0 -fno-omit-frame-pointer -g): prints {"pid": N}, waits for a line
 * on stdin, makes N TCP connect() calls to 127.0.0.1:PORT through
 * nlt_outer -> nlt_connect_twice -> nlt_connect_one -> connect(), prints
 * {"done": N} and, with "stay", lives on until stdin closes (so a tracer's
 * summary still finds it).
 *
 * usage: stacks_prog PORT N [stay] */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* connect() in libc keeps no frame pointer: a frame-pointer walk misses
 * the return address into its caller, which is this helper, so the
 * functions the test looks for are the ones above it */
__attribute__((noinline)) int nlt_connect_one(int fd, const struct sockaddr_in *a)
{
	return connect(fd, (const struct sockaddr *)a, sizeof(*a));
}

__attribute__((noinline)) int nlt_connect_twice(int port, int n)
{
	struct sockaddr_in a;
	int done = 0;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((unsigned short)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (int i = 0; i < n; i++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0)
			return -1;
		nlt_connect_one(fd, &a);
		close(fd);
		done++;
	}
	return done;
}

__attribute__((noinline)) int nlt_outer(int port, int n)
{
	return nlt_connect_twice(port, n);
}

int main(int argc, char **argv)
{
	char line[64];
	int done;

	if (argc < 3)
		return 2;
	printf("{\"pid\": %d}\n", (int)getpid());
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return 1;
	done = nlt_outer(atoi(argv[1]), atoi(argv[2]));
	printf("{\"done\": %d}\n", done);
	fflush(stdout);
	if (argc > 3)
		while (fgets(line, sizeof(line), stdin))
			;
	return done < 0;
}
