/* netlens routes, the parts its files share: iproute2's names (struct names),
 * the run (struct routes_run: what the command line chose, the host, its
 * interfaces), the text helpers routes_text.c defines, and the lookup
 * routes_get.c answers. Private to src/cmd/routes*.c: routes.c calls
 * routes_get.c and routes_text.c, routes_get.c calls routes_text.c, and
 * routes_text.c calls neither (no call cycle between them). */
#ifndef NETLENS_CMD_ROUTES_H
#define NETLENS_CMD_ROUTES_H

#include "base/opts.h"
#include "base/output.h"
#include "sources/rtnl.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct host;

/* table numbers and their names (routes_text.c) */

struct tname {
	uint32_t id;
	char name[64];
};

struct names {
	struct tname *v;
	size_t n, cap;
};

/* ---- the run ---- */

struct routes_run {
	struct host *h;
	struct rtnl_links ls;
	struct names names;
	int family;           /* 0: both */
	bool has_table, all;
	uint32_t table;
	const char *dev;
	int dev_index;
	bool has_to;
	int to_family;
	unsigned to_len;
	uint8_t to[16];
};

/* routes_text.c: names, as iproute2 gives them */
void routes_names_load(struct names *ns);
const char *routes_table_name(const struct names *ns, uint32_t id, char *buf, size_t len);
const char *routes_proto_name(unsigned p, char *buf, size_t len);
const char *routes_scope_name(unsigned s, char *buf, size_t len);
const char *routes_type_name(unsigned t, char *buf, size_t len);
const char *routes_family_name(int f);
size_t routes_addr_len(int f);

/* routes_text.c: devices, addresses, cells and flags */
const char *routes_dev_name(const struct routes_run *r, int ifindex, char *buf, size_t len);
int routes_dev_index(const struct routes_run *r, const char *name);
int routes_parse_prefix(const char *s, int *family, uint8_t *addr, unsigned *plen);
const char *routes_addr_text(int family, const uint8_t *a, char *buf, size_t len);
const char *routes_prefix_text(int family, const uint8_t *a, unsigned plen, char *buf, size_t len);
void routes_cell_opt(struct table *t, int col, const char *s);
void routes_flag_words(struct table *t, uint32_t flags);

/* routes_get.c: `routes get ADDR [from ADDR] [iif DEV] [oif DEV] [mark N]`,
 * av/ac the words after "get" */
int route_get_cmd(struct routes_run *r, struct opts *p, char **av, int ac);

#endif
