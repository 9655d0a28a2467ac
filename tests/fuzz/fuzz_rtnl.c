/* libFuzzer target: arbitrary bytes as rtnetlink link, address and qdisc
 * dumps, and as /proc/net/softnet_stat. The first byte picks the parser; the
 * rest is copied to an aligned buffer, as a dump from the kernel would be. */
#include "sources/rtnl.h"
#include "sources/softnet.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile size_t sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t n = size - 1;
	char *buf = malloc(n ? n : 1);
	if (!buf)
		return 0;
	memcpy(buf, data + 1, n);
	switch (data[0] % 4) {
	case 0: {
		struct rtnl_links ls = { 0 };
		rtnl_parse_links(buf, n, &ls);
		for (size_t i = 0; i < ls.n; i++) {
			sink += strlen(ls.v[i].name) + strlen(ls.v[i].kind) + ls.v[i].ninfo;
			for (unsigned k = 0; k < ls.v[i].ninfo; k++)
				sink += strlen(ls.v[i].info[k].key) + strlen(ls.v[i].info[k].s);
			for (unsigned k = 0; k < ls.v[i].nslave_info; k++)
				sink += strlen(ls.v[i].slave_info[k].s);
		}
		rtnl_links_free(&ls);
		break;
	}
	case 1: {
		struct rtnl_addrs as = { 0 };
		rtnl_parse_addrs(buf, n, &as);
		for (size_t i = 0; i < as.n; i++)
			sink += strlen(as.v[i].text);
		rtnl_addrs_free(&as);
		break;
	}
	case 2: {
		struct rtnl_qdiscs qs = { 0 };
		char hb[16];
		rtnl_parse_qdiscs(buf, n, &qs);
		for (size_t i = 0; i < qs.n; i++)
			sink += strlen(qs.v[i].kind) + strlen(rtnl_tc_handle(qs.v[i].parent, hb, sizeof(hb)));
		rtnl_qdiscs_free(&qs);
		break;
	}
	default: {
		struct softnet sn;
		if (softnet_parse(buf, n, &sn) == 0) {
			for (size_t i = 0; i < sn.n; i++)
				sink += sn.cpu[i].processed;
			softnet_free(&sn);
		}
		break;
	}
	}
	free(buf);
	return 0;
}
