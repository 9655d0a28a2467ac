/* Recording what ss reads. See record.h. */
#include "ss/record.h"
#include "sources/host.h"
#include "sources/procnet_sock.h"

#include <errno.h>
#include <linux/netlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

unsigned ss_diag_disabled(void)
{
	static const char *const names[SK_KIND_MAX] = { "tcp", "udp", "raw", "mptcp", "unix",
							 "packet" };
	const char *v = getenv("NETLENS_SS_NO_DIAG");
	unsigned kinds = 0;

	for (const char *p = v; p && *p; p += strcspn(p, ","), p += *p == ',') {
		size_t w = strcspn(p, ",");
		for (int k = 0; k < SK_KIND_MAX; k++)
			if ((w == 3 && !strncmp(p, "all", 3) && procnet_sock_path(k, AF_INET)) ||
			    (w == strlen(names[k]) && !strncmp(p, names[k], w)))
				kinds |= 1u << k;
	}
	return kinds;
}

static int record_file(struct host *h, const char *path, struct ss_record_stats *st)
{
	char *buf;
	size_t len;
	int err = host_read_file(h, path, &buf, &len);

	if (err == 0) {
		free(buf);
		st->files++;
	} else if (err == -ENOENT) {
		st->skipped++; /* no IPv6, or a kernel without the table */
		err = 0;
	}
	return err;
}

int ss_record_sockets(struct host *h, struct ss_record_stats *st)
{
	static const struct { enum sock_kind kind; int family; } dumps[] = {
		{ SK_TCP, AF_INET }, { SK_TCP, AF_INET6 }, { SK_UDP, AF_INET }, { SK_UDP, AF_INET6 },
		{ SK_RAW, AF_INET }, { SK_RAW, AF_INET6 }, { SK_MPTCP, AF_INET }, { SK_MPTCP, AF_INET6 },
		{ SK_UNIX, AF_UNIX }, { SK_PACKET, AF_PACKET },
	};
	unsigned disabled = ss_diag_disabled();
	char *req = malloc(4096), *buf;
	size_t len;
	int err = 0;

	if (!req)
		return -ENOMEM;
	for (size_t i = 0; i < sizeof(dumps) / sizeof(dumps[0]) && !err; i++) {
		struct sockdiag_query q = { .kind = dumps[i].kind, .family = dumps[i].family,
					    .states = SS_ALL_STATES,
					    .ext = SKX_MEMINFO | SKX_TCPINFO | SKX_MISC };
		const char *path = procnet_sock_path(q.kind, q.family);

		err = -ENOENT;
		if (!(disabled & (1u << q.kind))) {
			memset(req, 0, 4096);
			err = host_nl_dump(h, NETLINK_SOCK_DIAG, sockdiag_request(&q, req, 0), &buf, &len);
		}
		if (err == 0) {
			free(buf);
			st->dumps++;
		} else if (err == -ENOENT || err == -EOPNOTSUPP || err == -EPROTONOSUPPORT) {
			/* no diag module for this kind: what ss falls back to */
			err = path ? record_file(h, path, st) : (st->skipped++, 0);
		}
	}
	free(req);
	return err;
}

int ss_record(struct host *h, struct ss_record_stats *st)
{
	static const char *const files[] = { "/proc/net/sockstat", "/proc/net/sockstat6",
					     "/proc/net/snmp" };
	int err;

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if ((err = record_file(h, files[i], st)))
			return err;
	return ss_record_sockets(h, st);
}
