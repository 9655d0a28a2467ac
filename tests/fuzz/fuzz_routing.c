/* libFuzzer target: arbitrary bytes as rtnetlink route, rule, neighbour
 * and link dumps (the doctor's readers), and as /proc/net/stat tables. */
#include "sources/linkextra.h"
#include "sources/neigh.h"
#include "sources/procstat.h"
#include "sources/route.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* netlink buffers are aligned; so is the copy the parsers get */
	void *copy = malloc(size ? size : 1);
	struct rt_routes rs = { 0 };
	struct route_rules ru = { 0 };
	struct neigh_counts nc;
	struct link_carriers lc = { 0 };
	struct procstat ps;

	memcpy(copy, data, size);
	route_parse(copy, size, &rs);
	route_free(&rs);
	route_rule_parse(copy, size, &ru);
	route_rule_free(&ru);
	memset(&nc, 0, sizeof(nc));
	neigh_count_parse(copy, size, &nc);
	link_carriers_parse(copy, size, &lc);
	link_carriers_free(&lc);
	memset(&ps, 0, sizeof(ps));
	if (procstat_parse(copy, size, &ps) == 0)
		procstat_col(&ps, "drop");
	procstat_free(&ps);
	free(copy);
	return 0;
}
