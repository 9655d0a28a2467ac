/* libFuzzer target: arbitrary bytes as SIOCETHTOOL replies, through the
 * reply parsers of sources/ethtool.c. The first byte picks the reply:
 * link settings, the old ETHTOOL_GSET, the string-set count, or driver
 * statistics; for statistics the next two bytes split the rest into the
 * ETHTOOL_GSTRINGS and ETHTOOL_GSTATS replies. */
#include "fuzz_util.h"
#include "sources/ethtool.h"

#include <linux/ethtool.h>

static void stats(struct fuzz_in *in)
{
	size_t slen = (size_t)fuzz_u8(in) << 8 | fuzz_u8(in);
	struct eth_stats out = { 0 };
	size_t room;

	if (slen > in->n)
		slen = in->n;
	/* arrays as ethtool_driver_stats() sizes them: the strings' room */
	room = slen / ETH_GSTRING_LEN + 1;
	out.name = calloc(room, sizeof(*out.name));
	out.val = calloc(room, sizeof(*out.val));
	if (!out.name || !out.val)
		abort();
	ethtool_parse_stats(in->p, slen, in->p + slen, in->n - slen, &out);
	for (size_t i = 0; i < out.n; i++)
		if (strlen(out.name[i]) >= ETH_STAT_NAME_LEN)
			abort();
	ethtool_stats_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	struct eth_link link;
	uint32_t n;
	/* replies are aligned buffers in the live path: so is this copy */
	uint8_t pick = fuzz_u8(&in);
	void *copy = malloc(in.n ? in.n : 1);

	if (!copy)
		abort();
	memcpy(copy, in.p, in.n);
	in.p = copy;
	switch (pick % 4) {
	case 0:
		if (ethtool_parse_link_settings(in.p, in.n, &link) == 0 && link.duplex > 1)
			abort();
		break;
	case 1:
		if (ethtool_parse_cmd(in.p, in.n, &link) == 0 && link.speed_mbps == 0)
			abort();
		break;
	case 2:
		ethtool_parse_sset_count(in.p, in.n, &n);
		break;
	case 3:
		stats(&in);
		break;
	}
	free(copy);
	return 0;
}
