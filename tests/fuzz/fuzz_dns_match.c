/* libFuzzer target: dnssnoop's records as user space takes them (tracers/
 * dns_match.c, which follows TCP sends with tracers/dns_stream.c and parses
 * with tracers/dns_parse.c). The input is a run of records: for each, a
 * byte of kind (protocol, direction, whether it is a send), two of the
 * client's port, two of paylen, one of caplen, then caplen bytes of data.
 * Any run is taken without reading past a record, and every exchange
 * reported names a known outcome, with an answer only when answered. */
#include "fuzz_util.h"
#include "bpf/dnssnoop.h"
#include "tracers/dns_match.h"

static void on_exchange(void *arg, const struct dns_exchange *x)
{
	(void)arg;
	if (x->outcome > DNS_TIMEOUT || !x->name || !x->h)
		abort();
	if ((x->answer != NULL) != (x->outcome == DNS_ANSWERED))
		abort();
	if (strnlen(x->name, DNS_NAME_MAX) >= DNS_NAME_MAX)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	struct dns_match *dm = dns_match_new(1000000000ull, on_exchange, NULL);
	struct dnssnoop_event *e = malloc(sizeof(*e));
	uint64_t ts = 1;

	if (!dm || !e)
		abort();
	while (in.n) {
		uint8_t kind = fuzz_u8(&in);
		uint16_t cport = (uint16_t)(fuzz_u8(&in) << 8 | fuzz_u8(&in));
		uint16_t paylen = (uint16_t)(fuzz_u8(&in) << 8 | fuzz_u8(&in));
		size_t caplen = fuzz_u8(&in) * 2u;

		memset(e, 0, sizeof(*e));
		if (caplen > in.n)
			caplen = in.n;
		memcpy(e->data, in.p, caplen);
		in.p += caplen;
		in.n -= caplen;
		ts += (uint64_t)(kind >> 4) * 100000000ull; /* up to 1.5 s on */
		e->h.ts_ns = ts;
		e->t.family = 2;
		e->t.saddr[0] = e->t.daddr[0] = 127;
		bool to_server = kind & 1;
		e->t.sport = to_server ? cport : 53;
		e->t.dport = to_server ? 53 : cport;
		e->proto = kind & 2 ? 6 : 17;
		e->dir = (kind >> 2) % 3;
		e->ifindex = kind & 8 ? 0 : 1; /* 0: a TCP send */
		e->caplen = (uint16_t)caplen;
		e->paylen = paylen;
		dns_match_event(dm, e);
	}
	dns_match_sweep(dm, ts + 10000000000ull);
	dns_match_free(dm);
	free(e);
	return 0;
}
