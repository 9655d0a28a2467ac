/* The exporter's state collectors: what the state commands read (ss, nstat,
 * ifstat, sockmem), as metric families at each scrape. See collect.h;
 * docs/exporter.md lists every family. */
#include "export/collect.h"

#include "base/prom.h"
#include "sources/counters.h"
#include "sources/explain.h"
#include "sources/host.h"
#include "sources/neigh.h"
#include "sources/rtnl.h"
#include "sources/sockdiag.h"
#include "sources/sockmem.h"
#include "sources/softnet.h"
#include "sources/sysctl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/sock_diag.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int fail(char *err, size_t errlen, const char *what, int e)
{
	snprintf(err, errlen, "%s: %s", what, strerror(-e));
	return e;
}

/* ---- sockets: TCP and UDP sockets by family and state (sock_diag) ---- */

static const char *const state_names[SS_STATE_MAX] = {
	[SS_ESTABLISHED] = "established", [SS_SYN_SENT] = "syn_sent",
	[SS_SYN_RECV] = "syn_recv",       [SS_FIN_WAIT1] = "fin_wait1",
	[SS_FIN_WAIT2] = "fin_wait2",     [SS_TIME_WAIT] = "time_wait",
	[SS_CLOSE] = "close",             [SS_CLOSE_WAIT] = "close_wait",
	[SS_LAST_ACK] = "last_ack",       [SS_LISTEN] = "listen",
	[SS_CLOSING] = "closing",
};

struct tcp_by_family {
	unsigned long (*n)[SS_STATE_MAX]; /* [0] IPv4, [1] IPv6 */
};

static int count_tcp_state(const struct sock_rec *s, void *arg)
{
	struct tcp_by_family *t = arg;

	if (s->state < SS_STATE_MAX)
		t->n[s->family == AF_INET6][s->state]++;
	return 0;
}

static int count_state(const struct sock_rec *s, void *arg)
{
	unsigned long *n = arg;

	if (s->state < SS_STATE_MAX)
		n[s->state]++;
	return 0;
}

int collect_sockets(const struct collect_ctx *c, struct prom *p, char *err, size_t errlen)
{
	static const struct { enum sock_kind kind; const char *name; } protos[] = {
		{ SK_TCP, "tcp" }, { SK_UDP, "udp" },
	};
	static const struct { int af; const char *name; } fams[] = {
		{ AF_INET, "ipv4" }, { AF_INET6, "ipv6" },
	};
	unsigned long n[2][2][SS_STATE_MAX] = { 0 };
	bool have[2][2] = { { false } };
	struct tcp_by_family both = { .n = n[0] };
	struct sockdiag_query q = { .kind = SK_TCP, .family = AF_UNSPEC, .states = SS_ALL_STATES };

	/* TCP: both families in one walk of the kernel's tables where it can */
	if (sockdiag_dump_host(c->h, &q, count_tcp_state, &both) == 0)
		have[0][0] = have[0][1] = true;
	else
		memset(n[0], 0, sizeof(n[0]));
	for (int i = 0; i < 2; i++)
		for (int j = 0; j < 2; j++) {
			struct sockdiag_query q1 = { .kind = protos[i].kind, .family = fams[j].af,
						     .states = SS_ALL_STATES };
			int e;
			if (have[i][j])
				continue;
			e = sockdiag_dump_host(c->h, &q1, count_state, n[i][j]);
			if (e == -ENOENT || e == -EAFNOSUPPORT || e == -EPROTONOSUPPORT)
				continue; /* no IPv6, no udp_diag: no series, not a failure */
			if (e < 0)
				return fail(err, errlen, "sock_diag dump", e);
			have[i][j] = true;
		}
	prom_family(p, "netlens_sockets", PROM_GAUGE,
		    "Sockets by transport protocol, address family and state (sock_diag), as ss "
		    "counts them; UDP sockets are established (connected) or close (unconnected).");
	for (int i = 0; i < 2; i++)
		for (int j = 0; j < 2; j++)
			for (int s = 1; have[i][j] && s < SS_STATE_MAX; s++) {
				if (!state_names[s])
					continue;
				if (protos[i].kind == SK_UDP && s != SS_ESTABLISHED && s != SS_CLOSE)
					continue;
				prom_sample(p, (double)n[i][j][s], "protocol", protos[i].name, "family",
					    fams[j].name, "state", state_names[s], NULL);
			}
	return 0;
}

/* ---- listeners: each TCP listener's accept queue against its limit, and
 * what the kernel dropped at it (sk_drops: tcp_listendrop(), the per-listener
 * share of TcpExtListenDrops, reported as SK_MEMINFO_DROPS) ---- */

struct listener {
	char addr[INET6_ADDRSTRLEN];
	char port[8];
	uint32_t queue, limit;
	bool has_drops;
	uint32_t drops;
};

struct listeners {
	struct listener *v;
	size_t n, cap;
	size_t omitted;
	uint64_t omitted_queue;
	size_t max;
};

static int add_listener(const struct sock_rec *s, void *arg)
{
	struct listeners *l = arg;
	struct listener *x;

	if (s->state != SS_LISTEN)
		return 0; /* a recorded dump holds every state */
	if (l->n >= l->max) {
		l->omitted++;
		l->omitted_queue += s->rqueue;
		return 0;
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 32;
		struct listener *v = realloc(l->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	x = &l->v[l->n++];
	inet_ntop(s->family, s->src, x->addr, sizeof(x->addr));
	snprintf(x->port, sizeof(x->port), "%u", s->sport);
	x->queue = s->rqueue;
	x->limit = s->wqueue;
	x->has_drops = s->has & SKH_MEMINFO;
	x->drops = s->meminfo[SK_MEMINFO_DROPS];
	return 0;
}

int collect_listeners(const struct collect_ctx *c, struct prom *p, char *err,
			     size_t errlen)
{
	static const int fams[] = { AF_INET, AF_INET6 };
	struct listeners l = { .max = c->max_listeners };
	int e = 0;

	for (int j = 0; j < 2 && !e; j++) {
		struct sockdiag_query q = { .kind = SK_TCP, .family = fams[j],
					    .states = 1u << SS_LISTEN, .ext = SKX_MEMINFO };
		e = sockdiag_dump_host(c->h, &q, add_listener, &l);
		if (e == -ENOENT || e == -EAFNOSUPPORT)
			e = 0;
	}
	if (e < 0) {
		free(l.v);
		return fail(err, errlen, "sock_diag dump of TCP listeners", e);
	}
	prom_family(p, "netlens_listen_queue_length", PROM_GAUGE,
		    "Connections waiting in a TCP listener's accept queue (ss Recv-Q).");
	for (size_t i = 0; i < l.n; i++)
		prom_sample(p, l.v[i].queue, "protocol", "tcp", "address", l.v[i].addr, "port",
			    l.v[i].port, NULL);
	prom_family(p, "netlens_listen_queue_limit", PROM_GAUGE,
		    "A TCP listener's accept queue limit: listen()'s backlog capped by "
		    "net.core.somaxconn (ss Send-Q).");
	for (size_t i = 0; i < l.n; i++)
		prom_sample(p, l.v[i].limit, "protocol", "tcp", "address", l.v[i].addr, "port",
			    l.v[i].port, NULL);
	prom_family(p, "netlens_listen_drops_total", PROM_COUNTER,
		    "SYNs and completed handshakes a TCP listener dropped since it began listening: "
		    "accept queue overflows and the other listen drops (its share of "
		    "TcpExtListenDrops; sock_diag's SK_MEMINFO_DROPS).");
	for (size_t i = 0; i < l.n; i++)
		if (l.v[i].has_drops)
			prom_sample(p, l.v[i].drops, "protocol", "tcp", "address", l.v[i].addr, "port",
				    l.v[i].port, NULL);
	prom_family(p, "netlens_listeners_omitted", PROM_GAUGE,
		    "TCP listeners beyond --max-listeners, left out of the per-listener series.");
	prom_sample(p, (double)l.omitted, "protocol", "tcp", NULL);
	free(l.v);
	return 0;
}

/* ---- netstat: every protocol counter nstat shows (snmp, netstat, snmp6) ---- */

int collect_netstat(const struct collect_ctx *c, struct prom *p, char *err, size_t errlen)
{
	struct counter_set s;
	const char *file = NULL;
	int e;

	counters_init(&s);
	e = counters_read(c->h, &s, &file);
	if (e < 0 && e != -EBADMSG) {
		counters_free(&s);
		return fail(err, errlen, file ? file : "protocol counters", e);
	}
	for (size_t i = 0; i < s.n; i++) {
		char name[2 * COUNTER_NAME_MAX + 32], snake[2 * COUNTER_NAME_MAX], buf[256],
			help[512];
		struct explain x;
		bool constant = counters_is_constant(s.v[i].name);

		prom_snake_case(s.v[i].name, snake, sizeof(snake));
		snprintf(name, sizeof(name), "netlens_netstat_%s%s", snake, constant ? "" : "_total");
		if (explain_counter(s.v[i].name, &x, buf, sizeof(buf)) == 0)
			snprintf(help, sizeof(help), "%s (nstat %s)", x.meaning, s.v[i].name);
		else
			snprintf(help, sizeof(help), "nstat counter %s.", s.v[i].name);
		prom_family(p, name, constant ? PROM_GAUGE : PROM_COUNTER, help);
		prom_sample(p, (double)s.v[i].value, NULL);
	}
	counters_free(&s);
	return 0;
}

/* ---- netdev: interfaces, as ip -s link and ifstat read them ---- */

static long long dev_speed(struct host *h, const char *dev)
{
	char path[96], *buf;
	size_t len;
	long long v = -1;

	snprintf(path, sizeof(path), "/sys/class/net/%s/speed", dev);
	if (host_read_file(h, path, &buf, &len) == 0) {
		char *end;
		v = strtoll(buf, &end, 10);
		if (end == buf)
			v = -1;
		free(buf);
	}
	return v;
}

int collect_netdev(const struct collect_ctx *c, struct prom *p, char *err, size_t errlen)
{
#define DEV_STAT(name, field, help) { name, offsetof(struct rtnl_link_stats64, field), help }
	static const struct { const char *name; size_t off; const char *help; } stats[] = {
		DEV_STAT("netlens_network_receive_bytes_total", rx_bytes, "Bytes received."),
		DEV_STAT("netlens_network_transmit_bytes_total", tx_bytes, "Bytes transmitted."),
		DEV_STAT("netlens_network_receive_packets_total", rx_packets, "Packets received."),
		DEV_STAT("netlens_network_transmit_packets_total", tx_packets,
			 "Packets transmitted."),
		DEV_STAT("netlens_network_receive_errors_total", rx_errors,
			 "Receive errors, all kinds (the _by_kind family splits them)."),
		DEV_STAT("netlens_network_transmit_errors_total", tx_errors,
			 "Transmit errors, all kinds (the _by_kind family splits them)."),
		DEV_STAT("netlens_network_receive_drop_total", rx_dropped,
			 "Received packets dropped by the device or its driver (no buffer, "
			 "unknown protocol, ...)."),
		DEV_STAT("netlens_network_transmit_drop_total", tx_dropped,
			 "Packets dropped before transmission by the device or its driver."),
		DEV_STAT("netlens_network_receive_multicast_total", multicast,
			 "Multicast packets received."),
		DEV_STAT("netlens_network_transmit_colls_total", collisions, "Collisions."),
		DEV_STAT("netlens_network_receive_nohandler_total", rx_nohandler,
			 "Packets received with no protocol handler (dropped)."),
	};
	static const struct { const char *dir, *kind; size_t off; } kinds[] = {
		{ "receive", "length", offsetof(struct rtnl_link_stats64, rx_length_errors) },
		{ "receive", "over", offsetof(struct rtnl_link_stats64, rx_over_errors) },
		{ "receive", "crc", offsetof(struct rtnl_link_stats64, rx_crc_errors) },
		{ "receive", "frame", offsetof(struct rtnl_link_stats64, rx_frame_errors) },
		{ "receive", "fifo", offsetof(struct rtnl_link_stats64, rx_fifo_errors) },
		{ "receive", "missed", offsetof(struct rtnl_link_stats64, rx_missed_errors) },
		{ "transmit", "aborted", offsetof(struct rtnl_link_stats64, tx_aborted_errors) },
		{ "transmit", "carrier", offsetof(struct rtnl_link_stats64, tx_carrier_errors) },
		{ "transmit", "fifo", offsetof(struct rtnl_link_stats64, tx_fifo_errors) },
		{ "transmit", "heartbeat", offsetof(struct rtnl_link_stats64, tx_heartbeat_errors) },
		{ "transmit", "window", offsetof(struct rtnl_link_stats64, tx_window_errors) },
	};
#undef DEV_STAT
	struct rtnl_links ls = { 0 };
	int e = rtnl_load_links(c->h, &ls);

	if (e < 0) {
		rtnl_links_free(&ls);
		return fail(err, errlen, "interfaces (RTM_GETLINK)", e);
	}
	for (size_t k = 0; k < sizeof(stats) / sizeof(stats[0]); k++) {
		prom_family(p, stats[k].name, PROM_COUNTER, stats[k].help);
		for (size_t i = 0; i < ls.n; i++) {
			const char *st = (const char *)&ls.v[i].stats;
			uint64_t v;
			if (!ls.v[i].has_stats)
				continue;
			memcpy(&v, st + stats[k].off, sizeof(v));
			prom_sample(p, (double)v, "device", ls.v[i].name, NULL);
		}
	}
	prom_family(p, "netlens_network_errors_by_kind_total", PROM_COUNTER,
		    "Device errors by direction and kind (rtnl_link_stats64's detailed counters).");
	for (size_t i = 0; i < ls.n; i++)
		for (size_t k = 0; ls.v[i].has_stats && k < sizeof(kinds) / sizeof(kinds[0]); k++) {
			uint64_t v;
			memcpy(&v, (const char *)&ls.v[i].stats + kinds[k].off, sizeof(v));
			prom_sample(p, (double)v, "device", ls.v[i].name, "direction", kinds[k].dir,
				    "kind", kinds[k].kind, NULL);
		}
	prom_family(p, "netlens_network_carrier_changes_total", PROM_COUNTER,
		    "Carrier (link) changes since the device was created.");
	for (size_t i = 0; i < ls.n; i++)
		if (ls.v[i].has_carrier_changes)
			prom_sample(p, ls.v[i].carrier_changes, "device", ls.v[i].name, NULL);
	prom_family(p, "netlens_network_up", PROM_GAUGE,
		    "1 when the device's operational state is up (or unknown with the device "
		    "administratively up, as loopback is).");
	for (size_t i = 0; i < ls.n; i++) {
		const struct rtnl_link *l = &ls.v[i];
		bool up = l->operstate == 6 /* IF_OPER_UP */ ||
			  (l->operstate == 0 /* IF_OPER_UNKNOWN */ && (l->flags & 1 /* IFF_UP */));
		prom_sample(p, up, "device", l->name, NULL);
	}
	prom_family(p, "netlens_network_info", PROM_GAUGE,
		    "1 for each device, with its kind (veth, bridge, ...; empty for physical "
		    "devices and loopback), operational state and qdisc as labels.");
	for (size_t i = 0; i < ls.n; i++) {
		const struct rtnl_link *l = &ls.v[i];
		char state[16];
		size_t k = 0;
		for (const char *o = rtnl_operstate_name(l->operstate); *o && k + 1 < sizeof(state); o++)
			state[k++] = (char)(*o >= 'A' && *o <= 'Z' ? *o - 'A' + 'a' : *o);
		state[k] = '\0';
		prom_sample(p, 1, "device", l->name, "kind", l->kind, "operstate", state, "qdisc",
			    l->qdisc, NULL);
	}
	prom_family(p, "netlens_network_mtu_bytes", PROM_GAUGE, "The device's MTU.");
	for (size_t i = 0; i < ls.n; i++)
		prom_sample(p, ls.v[i].mtu, "device", ls.v[i].name, NULL);
	prom_family(p, "netlens_network_transmit_queue_length", PROM_GAUGE,
		    "The device's txqueuelen (packets a default qdisc holds).");
	for (size_t i = 0; i < ls.n; i++)
		prom_sample(p, ls.v[i].txqlen, "device", ls.v[i].name, NULL);
	prom_family(p, "netlens_network_speed_bytes", PROM_GAUGE,
		    "Link speed in bytes per second, where the driver reports one.");
	for (size_t i = 0; i < ls.n; i++) {
		long long mbit = dev_speed(c->h, ls.v[i].name);
		if (mbit > 0)
			prom_sample(p, (double)mbit * 1e6 / 8, "device", ls.v[i].name, NULL);
	}
	rtnl_links_free(&ls);
	return 0;
}

/* ---- softnet: per-CPU backlog processing (/proc/net/softnet_stat) ---- */

int collect_softnet(const struct collect_ctx *c, struct prom *p, char *err, size_t errlen)
{
	struct softnet s = { 0 };
	int e = softnet_read(c->h, &s);

	if (e < 0) {
		softnet_free(&s);
		return fail(err, errlen, "/proc/net/softnet_stat", e);
	}
#define SOFTNET(name, type, field, flag, help)                                            \
	do {                                                                              \
		prom_family(p, name, type, help);                                         \
		for (size_t i = 0; i < s.n; i++) {                                        \
			char cpu[12];                                                     \
			if (!(flag))                                                      \
				continue;                                                 \
			snprintf(cpu, sizeof(cpu), "%u", s.cpu[i].cpu);                   \
			prom_sample(p, s.cpu[i].field, "cpu", cpu, NULL);                 \
		}                                                                         \
	} while (0)
	SOFTNET("netlens_softnet_processed_total", PROM_COUNTER, processed, true,
		"Packets the CPU's NET_RX softirq processed.");
	SOFTNET("netlens_softnet_dropped_total", PROM_COUNTER, dropped, true,
		"Packets dropped because the CPU's backlog was full (net.core.netdev_max_backlog).");
	SOFTNET("netlens_softnet_times_squeezed_total", PROM_COUNTER, time_squeeze, true,
		"NET_RX runs that stopped with work left (netdev_budget or "
		"netdev_budget_usecs used up).");
	SOFTNET("netlens_softnet_received_rps_total", PROM_COUNTER, received_rps,
		s.cpu[i].has_rps, "Times the CPU was woken to process packets steered to it (RPS).");
	SOFTNET("netlens_softnet_flow_limit_count_total", PROM_COUNTER, flow_limit,
		s.cpu[i].has_flow_limit, "Packets dropped by the flow limit (net.core.flow_limit_*).");
	SOFTNET("netlens_softnet_backlog_packets", PROM_GAUGE, backlog, s.cpu[i].has_backlog,
		"Packets in the CPU's input backlog.");
#undef SOFTNET
	softnet_free(&s);
	return 0;
}

/* ---- qdisc: every queueing discipline's counters (tc -s qdisc) ---- */

int collect_qdisc(const struct collect_ctx *c, struct prom *p, char *err, size_t errlen)
{
	static const struct { const char *name; enum prom_type type; const char *help; } fams[] = {
		{ "netlens_qdisc_bytes_total", PROM_COUNTER, "Bytes the qdisc sent." },
		{ "netlens_qdisc_packets_total", PROM_COUNTER, "Packets the qdisc sent." },
		{ "netlens_qdisc_drops_total", PROM_COUNTER, "Packets the qdisc dropped." },
		{ "netlens_qdisc_overlimits_total", PROM_COUNTER,
		  "Times the qdisc held or dropped a packet over its limit (shaping)." },
		{ "netlens_qdisc_requeues_total", PROM_COUNTER,
		  "Packets put back after the device refused them." },
		{ "netlens_qdisc_backlog_bytes", PROM_GAUGE, "Bytes queued in the qdisc." },
		{ "netlens_qdisc_backlog_packets", PROM_GAUGE, "Packets queued in the qdisc." },
	};
	struct rtnl_qdiscs qs = { 0 };
	struct rtnl_links ls = { 0 };
	int e = rtnl_load_qdiscs(c->h, &qs);

	if (e == 0)
		e = rtnl_load_links(c->h, &ls);
	if (e < 0) {
		rtnl_qdiscs_free(&qs);
		rtnl_links_free(&ls);
		return fail(err, errlen, "qdiscs (RTM_GETQDISC)", e);
	}
	for (size_t k = 0; k < sizeof(fams) / sizeof(fams[0]); k++) {
		prom_family(p, fams[k].name, fams[k].type, fams[k].help);
		for (size_t i = 0; i < qs.n; i++) {
			const struct rtnl_qdisc *q = &qs.v[i];
			const struct rtnl_link *l = rtnl_link_by_index(&ls, q->ifindex);
			char dev[16], handle[16], parent[16];
			double v[] = { (double)q->bytes, (double)q->packets, q->drops, q->overlimits,
				       q->requeues, q->backlog, q->qlen };
			if (!q->has_stats)
				continue;
			if (l)
				snprintf(dev, sizeof(dev), "%s", l->name);
			else
				snprintf(dev, sizeof(dev), "if%d", q->ifindex);
			prom_sample(p, v[k], "device", dev, "kind", q->kind, "handle",
				    rtnl_tc_handle(q->handle, handle, sizeof(handle)), "parent",
				    rtnl_tc_handle(q->parent, parent, sizeof(parent)), NULL);
		}
	}
	rtnl_qdiscs_free(&qs);
	rtnl_links_free(&ls);
	return 0;
}

/* ---- sockmem: protocol memory pools against their thresholds ---- */

int collect_sockmem(const struct collect_ctx *c, struct prom *p, char *err, size_t errlen)
{
	static const char *const thr[] = { "low", "pressure", "high" };
	struct proto_list l = { 0 };
	double page = (double)sysconf(_SC_PAGESIZE);
	int e = sockmem_read_protocols(c->h, &l);

	if (e < 0 && e != -EBADMSG) {
		sockmem_free(&l);
		return fail(err, errlen, "/proc/net/protocols", e);
	}
	prom_family(p, "netlens_protocol_sockets", PROM_GAUGE,
		    "Sockets of each protocol in use (/proc/net/protocols).");
	for (size_t i = 0; i < l.n; i++)
		if (l.v[i].sockets >= 0)
			prom_sample(p, (double)l.v[i].sockets, "protocol", l.v[i].name, NULL);
	prom_family(p, "netlens_protocol_memory_bytes", PROM_GAUGE,
		    "Memory in a protocol's pool (/proc/net/protocols), for protocols that "
		    "account it.");
	for (size_t i = 0; i < l.n; i++)
		if (l.v[i].memory >= 0)
			prom_sample(p, (double)l.v[i].memory * page, "protocol", l.v[i].name,
				    NULL);
	prom_family(p, "netlens_socket_memory_pool_used_bytes", PROM_GAUGE,
		    "Memory the sockets of the pool use (the pools of tcp_mem, udp_mem, ...).");
	for (const struct sockmem_pool *sp = sockmem_pools; sp->name; sp++) {
		struct sockmem_pool_state st;
		if (sockmem_pool_state(c->h, sp, &l, &st) == 0 && st.have_usage)
			prom_sample(p, (double)st.pages * page, "pool", sp->name, NULL);
	}
	prom_family(p, "netlens_socket_memory_pool_threshold_bytes", PROM_GAUGE,
		    "The pool's thresholds (net.ipv4.tcp_mem and the like): low, pressure, high.");
	for (const struct sockmem_pool *sp = sockmem_pools; sp->name; sp++) {
		struct sockmem_pool_state st;
		if (sockmem_pool_state(c->h, sp, &l, &st) < 0 || !st.have_thr)
			continue;
		for (int k = 0; k < 3; k++)
			prom_sample(p, (double)st.thr[k] * page, "pool", sp->name,
				    "threshold", thr[k], NULL);
	}
	prom_family(p, "netlens_socket_memory_pool_pressure", PROM_GAUGE,
		    "1 while the pool is under memory pressure (sockets' buffers are being "
		    "shrunk, new allocations may fail).");
	for (const struct sockmem_pool *sp = sockmem_pools; sp->name; sp++) {
		struct sockmem_pool_state st;
		if (sockmem_pool_state(c->h, sp, &l, &st) == 0 && st.have_press)
			prom_sample(p, st.in_pressure, "pool", sp->name, NULL);
	}
	sockmem_free(&l);
	return 0;
}

/* ---- tables: neighbour and conntrack tables against their limits ---- */

int collect_tables(const struct collect_ctx *c, struct prom *p, char *err, size_t errlen)
{
	static const struct { int af; const char *name, *sysctl; } fams[] = {
		{ AF_INET, "ipv4", "net.ipv4.neigh.default.gc_thresh" },
		{ AF_INET6, "ipv6", "net.ipv6.neigh.default.gc_thresh" },
	};
	struct neigh_counts n[2];
	bool have[2];
	long long ct, ct_max;

	for (int i = 0; i < 2; i++) {
		memset(&n[i], 0, sizeof(n[i]));
		int e = neigh_load_counts(c->h, fams[i].af, &n[i]);
		if (e < 0 && i == 0)
			return fail(err, errlen, "neighbour table (RTM_GETNEIGH)", e);
		have[i] = e == 0;
	}
	prom_family(p, "netlens_neighbour_entries", PROM_GAUGE,
		    "Neighbour (ARP, NDP) entries by state; gc_counted are those the kernel "
		    "counts against gc_thresh3.");
	for (int i = 0; i < 2; i++) {
		const struct { const char *state; size_t v; } st[] = {
			{ "reachable", n[i].reachable }, { "stale", n[i].stale },
			{ "incomplete", n[i].incomplete }, { "failed", n[i].failed },
			{ "permanent", n[i].permanent }, { "noarp", n[i].noarp },
			{ "gc_counted", n[i].gc_counted }, { "total", n[i].total },
		};
		for (size_t k = 0; have[i] && k < sizeof(st) / sizeof(st[0]); k++)
			prom_sample(p, (double)st[k].v, "family", fams[i].name, "state", st[k].state,
				    NULL);
	}
	prom_family(p, "netlens_neighbour_gc_threshold", PROM_GAUGE,
		    "The neighbour table's garbage-collection thresholds: above gc_thresh3 "
		    "new entries fail ('neighbour table overflow').");
	for (int i = 0; i < 2; i++)
		for (int k = 1; have[i] && k <= 3; k++) {
			char name[96], which[24];
			snprintf(name, sizeof(name), "%s%d", fams[i].sysctl, k);
			snprintf(which, sizeof(which), "gc_thresh%d", k);
			long long v = sysctl_read_ll(c->h, name);
			if (v >= 0)
				prom_sample(p, (double)v, "family", fams[i].name, "threshold", which,
					    NULL);
		}
	ct = sysctl_read_ll(c->h, "net.netfilter.nf_conntrack_count");
	ct_max = sysctl_read_ll(c->h, "net.netfilter.nf_conntrack_max");
	prom_family(p, "netlens_conntrack_entries", PROM_GAUGE,
		    "Connection-tracking entries (absent without nf_conntrack).");
	if (ct >= 0)
		prom_sample(p, (double)ct, NULL);
	prom_family(p, "netlens_conntrack_entries_limit", PROM_GAUGE,
		    "net.netfilter.nf_conntrack_max: new flows are dropped above it.");
	if (ct_max >= 0)
		prom_sample(p, (double)ct_max, NULL);
	return 0;
}
