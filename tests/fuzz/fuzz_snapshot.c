/* libFuzzer target: arbitrary bytes as a snapshot file, and, when they
 * parse, every reader doctor runs on a snapshot (counters, links,
 * addresses, qdiscs, routes, sockets, sockstat, softnet, sysctls) over
 * those recorded bytes.
 *
 * Random bytes almost never carry a valid trailer fingerprint, so a plain
 * mutator stops at the checksum. The custom mutator below mutates as
 * libFuzzer does, then walks the record headers and writes the right
 * fingerprint into the trailer (seven times in eight: the eighth keeps the
 * checksum check itself exercised), so mutations reach the parsers behind. */
#include "doctor/doctor.h"
#include "sources/host.h"
#include "sources/rtnl.h"
#include "sources/snapshot.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed);

enum { HDR_LEN = 24, REC_HDR = 16 };

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Offset of the trailer record whose data is the fingerprint, or 0. */
static size_t trailer_offset(const uint8_t *data, size_t size)
{
	size_t off = HDR_LEN;

	while (off <= size && size - off >= REC_HDR) {
		uint64_t body = ((uint64_t)le32(data + off + 8) + le32(data + off + 12) + 7) & ~7ull;
		if (le32(data + off) == SNAP_END)
			return size - off - REC_HDR >= 8 ? off : 0;
		if (body > size - off - REC_HDR)
			return 0;
		off += REC_HDR + (size_t)body;
	}
	return 0;
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
	size_t end;

	size = LLVMFuzzerMutate(data, size, max_size);
	if (seed % 8 == 0 || !(end = trailer_offset(data, size)))
		return size;
	uint64_t fp = fp_bytes(data, end);
	for (int i = 0; i < 8; i++)
		data[end + REC_HDR + i] = (uint8_t)(fp >> (8 * i));
	return size;
}

/* What doctor reads, and the views' own loaders, over a parsed snapshot. */
static void read_everything(struct snapshot *snap)
{
	struct host *h = host_recorded(snap);
	struct evidence ev;
	struct rtnl_addrs as = { 0 };
	struct rtnl_qdiscs qs = { 0 };

	if (!h) {
		snap_close(snap);
		free(snap);
		return;
	}
	/* loaders leave what they read to be freed, failing or not */
	evidence_gather(&ev, h, 0);
	evidence_free(&ev);
	rtnl_load_addrs(h, &as);
	rtnl_addrs_free(&as);
	rtnl_load_qdiscs(h, &qs);
	rtnl_qdiscs_free(&qs);
	host_close(h);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct snapshot *s = calloc(1, sizeof(*s));
	unsigned char *copy = malloc(size ? size : 1);
	char err[256];

	if (!s || !copy) {
		free(s);
		free(copy);
		return 0;
	}
	memcpy(copy, data, size);
	if (snap_parse(s, copy, size, err, sizeof(err)) == 0) {
		read_everything(s); /* the host owns s now */
		return 0;
	}
	snap_close(s);
	free(s);
	return 0;
}
