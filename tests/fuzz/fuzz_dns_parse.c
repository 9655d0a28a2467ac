/* libFuzzer target: DNS messages as dnssnoop copies them (tracers/
 * dns_parse.c). Any bytes parse or are refused without reading past the
 * copy; a parsed name is a terminated string within DNS_NAME_MAX, the
 * addresses kept never exceed DNS_MAX_ADDRS nor the ones counted. */
#include "fuzz_util.h"
#include "tracers/dns_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a copy of exactly the input, so reading past it is caught */
	uint8_t *msg = malloc(size ? size : 1);
	struct dns_msg m;

	if (!msg)
		abort();
	memcpy(msg, data, size);
	if (dns_parse(msg, size, &m) == 0) {
		if (m.has_question && strnlen(m.name, DNS_NAME_MAX) >= DNS_NAME_MAX)
			abort();
		if (m.naddrs < 0 || m.naddrs > DNS_MAX_ADDRS || m.naddrs > m.naddrs_total)
			abort();
	}
	free(msg);
	return 0;
}
