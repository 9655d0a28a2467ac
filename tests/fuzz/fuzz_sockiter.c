/* libFuzzer target: arbitrary bytes as what the ss BPF iterator wrote,
 * through its record parser (sources/sockiter.c). The first byte picks the
 * family filter (0, AF_INET, AF_INET6), the next four the state mask; the
 * rest are records. Every record handed on must pass the filters, and the
 * bytes used are whole records. */
#include "fuzz_util.h"
#include "bpf/ss_iter.h"
#include "sources/sockiter.h"

#include <sys/socket.h>

struct want {
	int family;
	uint32_t states;
	size_t seen;
};

static int check(const struct sock_rec *s, void *arg)
{
	struct want *w = arg;

	if ((w->family && s->family != w->family) || s->state >= 32 ||
	    !(w->states & (1u << s->state)) || s->kind != SK_TCP)
		abort();
	return ++w->seen == 1000; /* a callback that stops the walk */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int families[] = { 0, AF_INET, AF_INET6 };
	struct fuzz_in in = { data, size };
	struct want w;
	size_t used;
	int rc;

	w.family = families[fuzz_u8(&in) % 3];
	w.states = fuzz_u32(&in);
	w.seen = 0;
	rc = sockiter_parse(in.p, in.n, w.family, w.states, check, &w, &used);
	if (used > in.n || (rc == 0 && in.n - used >= sizeof(struct ss_iter_rec)))
		abort();
	return 0;
}
