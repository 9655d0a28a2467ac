/* netlens routes, its text: the names iproute2 gives tables, protocols,
 * scopes, route types and families (tables also from /etc/iproute2/rt_tables
 * and the .conf files of rt_tables.d); interface names and indexes;
 * addresses and prefixes parsed and printed as ip prints them; the absent
 * cell and the route flag words. What routes.c (show, rules, neigh) and
 * routes_get.c print with; it calls neither of them. */
#include "cmd/routes.h"

#include "base/output.h"
#include "sources/rtnl.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* ---- names, as iproute2 gives them ---- */

static void names_add(struct names *ns, uint32_t id, const char *name)
{
	for (size_t i = 0; i < ns->n; i++)
		if (ns->v[i].id == id) {
			snprintf(ns->v[i].name, sizeof(ns->v[i].name), "%s", name);
			return;
		}
	if (ns->n == ns->cap) {
		size_t cap = ns->cap ? ns->cap * 2 : 16;
		struct tname *v = realloc(ns->v, cap * sizeof(*v));
		if (!v)
			return; /* a name less: the number is shown */
		ns->v = v;
		ns->cap = cap;
	}
	ns->v[ns->n].id = id;
	snprintf(ns->v[ns->n++].name, sizeof(ns->v[0].name), "%s", name);
}

/* "ID NAME" lines, '#' comments, as iproute2's rtnl_tab_initialize reads them */
static void names_read(struct names *ns, const char *path)
{
	FILE *f = fopen(path, "re");
	char line[256];

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *p = line, *end, name[64];
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '#' || !*p)
			continue;
		errno = 0;
		unsigned long id = strtoul(p, &end, 0);
		if (end == p || errno || id > 0xffffffffUL || sscanf(end, " %63[^ \t\n#]", name) != 1)
			continue;
		names_add(ns, (uint32_t)id, name);
	}
	fclose(f);
}

void routes_names_load(struct names *ns)
{
	const char *dir = getenv("NETLENS_IPROUTE2_DIR");
	char path[4096];

	if (!dir || !*dir)
		dir = "/etc/iproute2";
	names_add(ns, RT_TABLE_UNSPEC, "unspec");
	names_add(ns, RT_TABLE_DEFAULT, "default");
	names_add(ns, RT_TABLE_MAIN, "main");
	names_add(ns, RT_TABLE_LOCAL, "local");
	snprintf(path, sizeof(path), "%s/rt_tables", dir);
	names_read(ns, path);
	snprintf(path, sizeof(path), "%s/rt_tables.d", dir);
	DIR *d = opendir(path);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		size_t l = strlen(e->d_name);
		if (e->d_name[0] == '.' || l < 6 || strcmp(e->d_name + l - 5, ".conf"))
			continue;
		snprintf(path, sizeof(path), "%s/rt_tables.d/%s", dir, e->d_name);
		names_read(ns, path);
	}
	if (d)
		closedir(d);
}

const char *routes_table_name(const struct names *ns, uint32_t id, char *buf, size_t len)
{
	for (size_t i = 0; i < ns->n; i++)
		if (ns->v[i].id == id)
			return ns->v[i].name;
	snprintf(buf, len, "%u", id);
	return buf;
}

/* n[v], or the number when the table has no name for it */
static const char *tab_name(const char *const *n, size_t count, unsigned v, char *buf, size_t len)
{
	if (v < count && n[v])
		return n[v];
	snprintf(buf, len, "%u", v);
	return buf;
}

const char *routes_proto_name(unsigned p, char *buf, size_t len)
{
	static const char *const n[] = {
		[RTPROT_UNSPEC] = "unspec", [RTPROT_REDIRECT] = "redirect", [RTPROT_KERNEL] = "kernel",
		[RTPROT_BOOT] = "boot", [RTPROT_STATIC] = "static", [RTPROT_GATED] = "gated",
		[RTPROT_RA] = "ra", [RTPROT_MRT] = "mrt", [RTPROT_ZEBRA] = "zebra",
		[RTPROT_BIRD] = "bird", [RTPROT_DNROUTED] = "dnrouted", [RTPROT_XORP] = "xorp",
		[RTPROT_NTK] = "ntk", [RTPROT_DHCP] = "dhcp", [RTPROT_MROUTED] = "mrouted",
		[RTPROT_KEEPALIVED] = "keepalived", [RTPROT_BABEL] = "babel", [RTPROT_OPENR] = "openr",
		[RTPROT_BGP] = "bgp", [RTPROT_ISIS] = "isis", [RTPROT_OSPF] = "ospf",
		[RTPROT_RIP] = "rip", [RTPROT_EIGRP] = "eigrp",
	};
	return tab_name(n, sizeof(n) / sizeof(n[0]), p, buf, len);
}

const char *routes_scope_name(unsigned s, char *buf, size_t len)
{
	switch (s) {
	case RT_SCOPE_UNIVERSE: return "global";
	case RT_SCOPE_SITE: return "site";
	case RT_SCOPE_LINK: return "link";
	case RT_SCOPE_HOST: return "host";
	case RT_SCOPE_NOWHERE: return "nowhere";
	}
	snprintf(buf, len, "%u", s);
	return buf;
}

const char *routes_type_name(unsigned t, char *buf, size_t len)
{
	static const char *const n[] = {
		[RTN_UNSPEC] = "none", [RTN_UNICAST] = "unicast", [RTN_LOCAL] = "local",
		[RTN_BROADCAST] = "broadcast", [RTN_ANYCAST] = "anycast", [RTN_MULTICAST] = "multicast",
		[RTN_BLACKHOLE] = "blackhole", [RTN_UNREACHABLE] = "unreachable",
		[RTN_PROHIBIT] = "prohibit", [RTN_THROW] = "throw", [RTN_NAT] = "nat",
		[RTN_XRESOLVE] = "xresolve",
	};
	return tab_name(n, sizeof(n) / sizeof(n[0]), t, buf, len);
}

const char *routes_family_name(int f) { return f == AF_INET6 ? "inet6" : "inet"; }
size_t routes_addr_len(int f) { return f == AF_INET6 ? 16 : 4; }

/* ---- devices, addresses, cells and flags ---- */

const char *routes_dev_name(const struct routes_run *r, int ifindex, char *buf, size_t len)
{
	const struct rtnl_link *l = rtnl_link_by_index(&r->ls, ifindex);

	if (l)
		return l->name;
	snprintf(buf, len, "if%d", ifindex);
	return buf;
}

int routes_dev_index(const struct routes_run *r, const char *name)
{
	for (size_t i = 0; i < r->ls.n; i++)
		if (strcmp(r->ls.v[i].name, name) == 0)
			return r->ls.v[i].ifindex;
	return 0;
}

/* ADDR or ADDR/LEN of either family: 0, or -1 when it is not one */
int routes_parse_prefix(const char *s, int *family, uint8_t *addr, unsigned *plen)
{
	char buf[INET6_ADDRSTRLEN + 8];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);

	if (n >= sizeof(buf) - 1)
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, buf, addr) == 1)
		*family = AF_INET;
	else if (inet_pton(AF_INET6, buf, addr) == 1)
		*family = AF_INET6;
	else
		return -1;
	*plen = (unsigned)routes_addr_len(*family) * 8;
	if (slash) {
		char *end;
		const char *d = slash + 1;
		if (!isdigit((unsigned char)*d))
			return -1;
		errno = 0;
		unsigned long l = strtoul(d, &end, 10);
		if (*end || errno || l > *plen || end - d > 3)
			return -1;
		*plen = (unsigned)l;
	}
	return 0;
}

const char *routes_addr_text(int family, const uint8_t *a, char *buf, size_t len)
{
	if (!inet_ntop(family, a, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

/* "default", an address alone at full length (as ip prints it), else ADDR/LEN */
const char *routes_prefix_text(int family, const uint8_t *a, unsigned plen, char *buf, size_t len)
{
	char t[INET6_ADDRSTRLEN];

	if (plen == 0)
		snprintf(buf, len, "default");
	else if (plen == routes_addr_len(family) * 8)
		snprintf(buf, len, "%s", routes_addr_text(family, a, t, sizeof(t)));
	else
		snprintf(buf, len, "%s/%u", routes_addr_text(family, a, t, sizeof(t)), plen);
	return buf;
}

/* A text cell that JSON leaves out: what is absent is "-" in a table. */
void routes_cell_opt(struct table *t, int col, const char *s)
{
	if (s)
		out_cell_str(t, col, s);
	else
		out_cell_fmt(t, col, "-");
}

/* RTNH_F_* and RTM_F_* as ip's print_rt_flags() words */
void routes_flag_words(struct table *t, uint32_t flags)
{
	static const struct { uint32_t bit; const char *word; } w[] = {
		{ RTNH_F_DEAD, "dead" },         { RTNH_F_ONLINK, "onlink" },
		{ RTNH_F_PERVASIVE, "pervasive" }, { RTNH_F_OFFLOAD, "offload" },
		{ RTNH_F_TRAP, "trap" },         { RTM_F_NOTIFY, "notify" },
		{ RTNH_F_LINKDOWN, "linkdown" }, { RTNH_F_UNRESOLVED, "unresolved" },
		{ RTM_F_OFFLOAD, "rt_offload" }, { RTM_F_TRAP, "rt_trap" },
		{ RTM_F_OFFLOAD_FAILED, "rt_offload_failed" },
	};
	bool any = false;

	for (size_t i = 0; i < sizeof(w) / sizeof(w[0]); i++)
		any |= (flags & w[i].bit) != 0;
	out_arr_begin(t, "flags", any ? "flags" : NULL);
	for (size_t i = 0; i < sizeof(w) / sizeof(w[0]); i++)
		if (flags & w[i].bit)
			out_field_str(t, "flag", "", w[i].word);
	out_arr_end(t);
}
