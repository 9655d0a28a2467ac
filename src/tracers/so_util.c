/* Shared by the socket-layer tracers: see so_util.h. */
#include "tracers/so_util.h"

#include "base/opts.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

const struct opt so_filter_rows[] = {
	{ 'P', "port", "P[,P..]", "only port P: a connect's destination, a listener's own" },
	{ '4', "ipv4", NULL, "IPv4 only" },
	{ '6', "ipv6", NULL, "IPv6 only" },
	{ OPT_TR_NETNS, "netns", "NS", "only sockets of network namespace NS (name, path or inode)" },
	{ OPT_TR_CGROUP, "cgroup", "PATH", "only sockets of cgroup v2 PATH" },
	OPT_END,
};

const char *so_family_name(unsigned family)
{
	switch (family) {
	case AF_INET:
		return "inet";
	case AF_INET6:
		return "inet6";
	case AF_UNIX:
		return "unix";
	case AF_UNSPEC:
		return "unspec";
	}
	return NULL;
}

const char *so_type_name(unsigned type)
{
	switch (type) {
	case SOCK_STREAM:
		return "stream";
	case SOCK_DGRAM:
		return "dgram";
	case SOCK_RAW:
		return "raw";
	case SOCK_SEQPACKET:
		return "seqpacket";
	}
	return NULL;
}

/* sun_path of a UNIX sockaddr: "/path", or "@name" for an abstract one. */
static const char *unix_path(char *buf, size_t cap, const uint8_t *sa, size_t n)
{
	const size_t off = offsetof(struct sockaddr_un, sun_path);
	size_t len = n > off ? n - off : 0, o = 0;

	if (len > sizeof(((struct sockaddr_un *)0)->sun_path))
		len = sizeof(((struct sockaddr_un *)0)->sun_path);
	if (len == 0)
		return "(unnamed)";
	if (sa[off] == '\0') {
		/* abstract: every byte of the name counts, NULs included */
		buf[o++] = '@';
		for (size_t i = 1; i < len && o + 1 < cap; i++) {
			uint8_t c = sa[off + i];
			buf[o++] = c == '\0' ? '@' : (c < 0x20 || c > 0x7e) ? '?' : (char)c;
		}
	} else {
		for (size_t i = 0; i < len && sa[off + i] && o + 1 < cap; i++) {
			uint8_t c = sa[off + i];
			buf[o++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
		}
	}
	buf[o] = '\0';
	return buf;
}

const char *so_sockaddr_str(char *buf, size_t cap, const uint8_t *sa, size_t cap_sa,
			    unsigned addrlen)
{
	size_t n = addrlen < cap_sa ? addrlen : cap_sa;
	uint16_t family, port;
	char a[INET6_ADDRSTRLEN];

	if (n < sizeof(family))
		return "-";
	memcpy(&family, sa, sizeof(family));
	memcpy(&port, sa + 2, sizeof(port));
	switch (family) {
	case AF_INET:
		if (n < sizeof(struct sockaddr_in))
			break;
		snprintf(buf, cap, "%s:%u", trace_addr_str(a, AF_INET, sa + 4), ntohs(port));
		return buf;
	case AF_INET6:
		if (n < 24)
			break;
		snprintf(buf, cap, "[%s]:%u", trace_addr_str(a, AF_INET6, sa + 8), ntohs(port));
		return buf;
	case AF_UNIX:
		return unix_path(buf, cap, sa, n);
	case AF_UNSPEC:
		return "-";
	}
	snprintf(buf, cap, "family %u", family);
	return buf;
}

void so_cells_dest(struct table *t, int col, const uint8_t *sa, size_t cap_sa, unsigned addrlen)
{
	size_t n = addrlen < cap_sa ? addrlen : cap_sa;
	uint16_t family = 0, port;
	const char *fam;
	char buf[256], a[INET6_ADDRSTRLEN];

	out_cell_str(t, col, so_sockaddr_str(buf, sizeof(buf), sa, cap_sa, addrlen));
	if (n >= sizeof(family))
		memcpy(&family, sa, sizeof(family));
	fam = so_family_name(family);
	if (fam)
		out_field_str(t, "family", NULL, fam);
	else
		out_field_u64(t, "family", NULL, family);
	memcpy(&port, sa + 2, sizeof(port));
	if (family == AF_INET && n >= sizeof(struct sockaddr_in)) {
		out_field_str(t, "raddr", NULL, trace_addr_str(a, AF_INET, sa + 4));
		out_field_u64(t, "rport", NULL, ntohs(port));
	} else if (family == AF_INET6 && n >= 24) {
		out_field_str(t, "raddr", NULL, trace_addr_str(a, AF_INET6, sa + 8));
		out_field_u64(t, "rport", NULL, ntohs(port));
	} else if (family == AF_UNIX) {
		out_field_str(t, "path", NULL, unix_path(buf, sizeof(buf), sa, n));
	}
}

void so_cells_unix_name(struct table *t, int col, const uint8_t *sa, size_t n)
{
	char buf[256];

	out_cell_fmt(t, col, "%s", unix_path(buf, sizeof(buf), sa, n)); /* JSON: "path" */
	if (n > offsetof(struct sockaddr_un, sun_path))
		out_field_str(t, "path", NULL, buf);
}

void so_count_cells(struct table *t, uint64_t count, const char *comm, int ret,
		    uint64_t lat_ns_sum)
{
	double avg = count ? (double)lat_ns_sum / (double)count / 1e6 : 0;
	char c[TR_COMM_LEN + 1];

	memcpy(c, comm, TR_COMM_LEN);
	c[TR_COMM_LEN] = '\0';
	out_cell_u64(t, TRACE_COL0, count);
	out_cell_str(t, TRACE_COL0 + 1, c);
	so_cells_result(t, TRACE_COL0 + 2, ret);
	out_cell_fixed(t, TRACE_COL0 + 3, avg, 3);
	out_field_double(t, "latency_avg_ms", NULL, avg, 3);
}

int so_count_cmp(uint64_t ca, const char *comma, uint64_t cb, const char *commb)
{
	if (ca != cb)
		return ca < cb ? 1 : -1;
	return strncmp(comma, commb, TR_COMM_LEN);
}

void so_cells_result(struct table *t, int col, int ret)
{
	char name[32];

	trace_xmit_err_name(name, sizeof(name), ret);
	out_cell_str(t, col, name);
	out_field_str(t, "result", NULL, name);
	out_field_bool(t, "ok", NULL, ret == 0);
	if (ret < 0)
		out_field_i64(t, "errno", NULL, -ret);
}

int so_opt_unix(struct trace_ctx *tc, const struct opts *p, int c)
{
	(void)p;
	(void)c;
	tc->o.filter.family = AF_UNIX;
	return 0;
}
