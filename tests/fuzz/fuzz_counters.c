/* libFuzzer target: arbitrary bytes through the procfs text parsers of the
 * state views. The first byte picks the parser: counter tables (snmp,
 * netstat), counter pairs (snmp6, sctp/snmp), /proc/net/protocols, the nstat
 * history file, sockstat; names parsed are also looked up in the counter
 * and sysctl explanations and turned into sysctl paths. The rest is the file's text (not NUL-terminated,
 * so reads past the end show up under ASan). */
#include "sources/counters.h"
#include "sources/explain.h"
#include "sources/nstat_hist.h"
#include "sources/sockmem.h"
#include "sources/sockstat.h"
#include "sources/sysctl.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct nstat_hist_id id = { "boot-1", 4, 4026531833ULL };
	struct counter_set s;
	struct proto_list l = { 0 };
	struct nstat_hist h;
	struct sockstat ss = { 0 };
	volatile uint64_t sum = 0;

	if (size < 1)
		return 0;
	const char *text = (const char *)data + 1;
	size_t len = size - 1;
	char *copy = malloc(len + 1);
	if (!copy)
		return 0;
	memcpy(copy, text, len);
	copy[len] = '\0';
	counters_init(&s);
	switch (data[0] % 5) {
	case 0:
		counters_parse_table(&s, text, len);
		break;
	case 1:
		counters_parse_pairs(&s, text, len);
		break;
	case 2:
		sockmem_parse_protocols(&l, text, len);
		for (size_t i = 0; i < l.n; i++)
			sum += (uint64_t)l.v[i].memory + strlen(l.v[i].name);
		sockmem_free(&l);
		break;
	case 3:
		nstat_hist_parse(copy, len, &id, &h); /* takes copy */
		copy = NULL;
		for (size_t i = 0; i < h.prev.n; i++)
			sum += h.prev.v[i].value;
		for (size_t i = 0; i < h.nother; i++)
			sum += h.text[h.other[i].off + h.other[i].len - 1];
		nstat_hist_free(&h);
		break;
	case 4:
		sockstat_parse(&ss, copy);
		break;
	}
	for (size_t i = 0; i < s.n; i++) {
		struct explain e;
		char buf[200], path[256];
		sum += s.v[i].value + strlen(s.v[i].name);
		if (explain_counter(s.v[i].name, &e, buf, sizeof(buf)) == 0)
			sum += strlen(e.meaning);
		if (explain_sysctl(s.v[i].name, &e) == 0)
			sum += strlen(e.meaning);
		if (sysctl_path(s.v[i].name, path, sizeof(path)) == 0)
			sum += strlen(path);
		if (counters_find(&s, s.v[i].name) == NULL)
			abort(); /* every parsed name must be found again */
	}
	counters_free(&s);
	free(copy);
	return 0;
}
