/* Shared by socketio and socksize: see sockio_util.h. */
#include "tracers/sockio_util.h"

#include "tracers/so_util.h"

#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

const char *sockio_dir_name(unsigned dir)
{
	return dir == SOCKIO_RECV ? "recv" : "send";
}

static const char *ip_proto_name(const struct sockio_key *k)
{
	if (k->type == SOCK_RAW)
		return "RAW";
	switch (k->protocol) {
	case IPPROTO_TCP:
		return "TCP";
	case IPPROTO_UDP:
		return "UDP";
	case IPPROTO_UDPLITE:
		return "UDPLITE";
	case IPPROTO_SCTP:
		return "SCTP";
	case 262: /* IPPROTO_MPTCP, not in every libc's headers */
		return "MPTCP";
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		return "ICMP";
	}
	return NULL;
}

const char *sockio_proto_name(char *buf, size_t cap, const struct sockio_key *k)
{
	const char *s = NULL;

	switch (k->family) {
	case AF_INET:
	case AF_INET6:
		if ((s = ip_proto_name(k)) != NULL)
			return s;
		snprintf(buf, cap, "IP%u", k->protocol);
		return buf;
	case AF_UNIX:
		return "UNIX";
	case AF_NETLINK:
		return "NETLINK";
	case AF_PACKET:
		return "PACKET";
	case AF_VSOCK:
		return "VSOCK";
	}
	snprintf(buf, cap, "AF%u", k->family);
	return buf;
}

void sockio_cells_proto(struct table *t, int col, const struct sockio_key *k)
{
	char buf[32], cell[64];
	const char *proto = sockio_proto_name(buf, sizeof(buf), k);
	const char *fam = so_family_name(k->family), *type = so_type_name(k->type);

	if (k->family == AF_INET6)
		snprintf(cell, sizeof(cell), "%s6", proto);
	else if (k->family == AF_UNIX && k->type != SOCK_STREAM && type)
		snprintf(cell, sizeof(cell), "%s-%s", proto, type);
	else
		snprintf(cell, sizeof(cell), "%s", proto);
	out_cell_str(t, col, cell);
	out_field_str(t, "proto", NULL, proto);
	if (fam)
		out_field_str(t, "family", NULL, fam);
	else
		out_field_u64(t, "family", NULL, k->family);
	if (type)
		out_field_str(t, "type", NULL, type);
	else
		out_field_u64(t, "type", NULL, k->type);
	if (k->family == AF_INET || k->family == AF_INET6)
		out_field_u64(t, "ip", NULL, k->family == AF_INET6 ? 6 : 4);
}

int sockio_cmp_key(const struct sockio_key *a, const struct sockio_key *b)
{
	int c;

	if (a->pid != b->pid)
		return a->pid < b->pid ? -1 : 1;
	if ((c = strncmp(a->comm, b->comm, sizeof(a->comm))) != 0)
		return c;
	if (a->dir != b->dir)
		return a->dir < b->dir ? -1 : 1;
	return memcmp(a, b, sizeof(*a));
}
