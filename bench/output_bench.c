/* Output-layer microbench: feeds synthetic tcplife events through the real
 * tcplife event printer (tracers/tcplife.c is included here, so its event()
 * is the one netlens runs) and the framework's row helpers, flushing stdout
 * once per batch as the ring-buffer loop does, and prints the user-space
 * cost per row on stderr. The rows go to stdout: send them to /dev/null to
 * time, to a file to compare two builds byte for byte (the data is fixed by
 * the seed and the clock offsets are constants).
 *
 *   output_bench [-j] [-t|-T] [-w] [-n ROWS] [-b BATCH] [-s SEED]
 *
 * Built by `make build/bench/output_bench`; bench/output_bench.py runs it.
 */
#include "tracers/tcplife.c"

#include <arpa/inet.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static uint64_t rng_state = 88172645463325252ull;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* Mostly what a loopback web workload looks like, with a few rarer shapes:
 * unknown owners, IPv6, names that need JSON escaping, long sessions. */
static void make_event(struct tcplife_event *e, uint64_t ts)
{
	static const char *const comms[] = { "nginx", "wrk", "nginx", "wrk", "curl",
					     "",      "a\"b\\c", "tab\there", "h\xc3\xa9llo" };
	uint64_t r = rnd();

	memset(e, 0, sizeof(*e));
	e->h.ts_ns = ts;
	e->h.cgroup = 4242 + (r & 3);
	e->h.netns = 4026531840u;
	const char *c = comms[(r >> 8) % (sizeof(comms) / sizeof(comms[0]))];
	strncpy(e->h.comm, c, TR_COMM_LEN);
	e->h.pid = c[0] ? 1000 + (uint32_t)((r >> 16) & 0xffff) : 0;
	e->h.tid = e->h.pid;
	if ((r >> 32) % 8 == 0) {
		e->t.family = AF_INET6;
		inet_pton(AF_INET6, "2001:db8::1", e->t.saddr);
		inet_pton(AF_INET6, (r >> 35) & 1 ? "::1" : "2001:db8:ffff::abcd", e->t.daddr);
	} else {
		e->t.family = AF_INET;
		inet_pton(AF_INET, "127.0.0.1", e->t.saddr);
		inet_pton(AF_INET, (r >> 35) & 1 ? "127.0.0.1" : "10.200.30.4", e->t.daddr);
	}
	e->t.sport = (r >> 36) & 1 ? 18080 : (uint16_t)(32768 + ((r >> 40) % 28000));
	e->t.dport = e->t.sport == 18080 ? (uint16_t)(32768 + ((r >> 44) % 28000)) : 18080;
	uint64_t s = rnd();
	e->tx_bytes = (s & 15) == 0 ? 0 : (s & 15) == 1 ? (s >> 4) : 100 + (s >> 20) % 5000;
	e->rx_bytes = (s & 0x30) == 0 ? 0 : 80 + (s >> 40) % 3000;
	e->dur_ns = (s >> 8) % 7 == 0 ? (s >> 12) % 10000000000ull : 20000 + (s >> 24) % 2000000;
	e->active = (r >> 50) & 1;
}

int main(int argc, char **argv)
{
	long rows = 1000000, batch = 200;
	bool json = false;
	struct trace_ctx tc = { .tr = &tcplife };
	int c;

	while ((c = getopt(argc, argv, "jtTwn:b:s:")) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 't': tc.o.ts = TS_REL; break;
		case 'T': tc.o.ts = TS_WALL; break;
		case 'w': tc.o.wide = true; break;
		case 'n': rows = atol(optarg); break;
		case 'b': batch = atol(optarg); break;
		case 's': rng_state = strtoull(optarg, NULL, 0) | 1; break;
		default:
			fprintf(stderr, "usage: output_bench [-j] [-t|-T] [-w] [-n ROWS] [-b BATCH] [-s SEED]\n");
			return 2;
		}
	}
	setenv("TZ", "UTC", 1);
	tzset();
	out_set_format(json ? OUT_JSON : OUT_TEXT);

	/* the event table trace_main() builds: TIME, the tracer's, NETNS, CGROUP */
	int nc = tcplife.ncols + 3;
	struct out_col *tcols = calloc((size_t)nc, sizeof(*tcols));
	tcols[0] = (struct out_col){ .title = tc.o.ts == TS_REL ? "TIME(s)" : tc.o.ts == TS_WALL ? "TIME" : NULL,
				    .width = tc.o.ts == TS_WALL ? 12 : 9,
				    .flags = tc.o.ts == TS_REL ? OUT_RIGHT : 0 };
	memcpy(&tcols[1], tcplife.cols, sizeof(*tcols) * (size_t)tcplife.ncols);
	tcols[nc - 2] = (struct out_col){ tc.o.wide ? "NETNS" : NULL, "netns", OUT_RIGHT, 10 };
	tcols[nc - 1] = (struct out_col){ tc.o.wide ? "CGROUP" : NULL, "cgroup", OUT_RIGHT, 8 };
	tc.t = out_table_begin(tcols, nc);
	out_table_stream(tc.t);
	tc.mono_start = 5000000000ull;
	tc.wall_offset = 1700000000123456789ll;

	/* events are made beforehand: only the printing is timed */
	enum { POOL = 4096 };
	struct tcplife_event *ev = malloc(POOL * sizeof(*ev));
	struct timespec c0, c1, w0, w1;
	uint64_t ts = tc.mono_start;
	for (int i = 0; i < POOL; i++)
		make_event(&ev[i], ts += 1 + rnd() % 100000);

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
	clock_gettime(CLOCK_MONOTONIC, &w0);
	for (long i = 0; i < rows; i++) {
		tcplife.event(&tc, &ev[i % POOL], sizeof(ev[0]));
		if ((i + 1) % batch == 0)
			fflush(stdout);
	}
	out_table_end(tc.t);
	fflush(stdout);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
	clock_gettime(CLOCK_MONOTONIC, &w1);
	double cpu = (double)(c1.tv_sec - c0.tv_sec) * 1e9 + (double)(c1.tv_nsec - c0.tv_nsec);
	double wall = (double)(w1.tv_sec - w0.tv_sec) * 1e9 + (double)(w1.tv_nsec - w0.tv_nsec);
	fprintf(stderr, "%s rows=%ld batch=%ld: %.1f ns/row cpu, %.1f ns/row wall\n",
		json ? "json" : "text", rows, batch, cpu / (double)rows, wall / (double)rows);
	free(ev);
	free(tcols);
	return out_finish(0);
}
