/* The net.* settings netlens shows, with one-line meanings: sysctl_defs
 * (declared in sysctl.h) and explain_sysctl() (explain.h). */
#include "sources/explain.h"
#include "sources/sysctl.h"

#include <errno.h>
#include <string.h>

#define D(n, m, t) { n, m, t, 0 }
#define C(n, m, t) { "net.ipv4.conf.all." n, m, t, SYSCTL_CONF }
#define I(n, m, t) { "net.ipv4.conf.all." n, m, t, SYSCTL_CONF | SYSCTL_PER_IF }

const struct sysctl_def sysctl_defs[] = {
	/* accept and SYN queues */
	D("net.core.somaxconn", "upper limit of a listen() backlog: the accept queue of completed connections", "raise when ListenOverflows grows and the application asks for a bigger backlog"),
	D("net.ipv4.tcp_max_syn_backlog", "length of a listener's SYN (request) queue of half-open connections", "raise when TCPReqQFullDrop or SyncookiesSent grow under legitimate load"),
	D("net.ipv4.tcp_syncookies", "SYN cookies: 0 off, 1 when the SYN queue overflows, 2 always", "keep 1; with 0 a full SYN queue drops SYNs (TCPReqQFullDrop)"),
	D("net.ipv4.tcp_abort_on_overflow", "1: reset connections the accept queue cannot take instead of dropping the ACK", "leave 0 unless clients must fail fast"),
	/* receive path */
	D("net.core.netdev_max_backlog", "packets queued per CPU between the driver and the stack (the softnet backlog)", "raise when softnet 'dropped' grows"),
	D("net.core.netdev_budget", "packets one NET_RX softirq run may process across all devices", "raise when softnet time_squeeze grows"),
	D("net.core.netdev_budget_usecs", "microseconds one NET_RX softirq run may take", "raise with netdev_budget when time_squeeze grows"),
	D("net.core.dev_weight", "packets one device's NAPI poll may process per turn", NULL),
	D("net.core.default_qdisc", "queueing discipline given to new interfaces", "fq for hosts using BBR or pacing, fq_codel against bufferbloat"),
	D("net.ipv4.tcp_limit_output_bytes", "TCP small queues (TSQ): bytes one TCP socket may have queued below it in the qdisc and the device at once", "lower to cut bufferbloat in the host's own queues, raise when one flow cannot fill a fast link"),
	/* memory */
	D("net.ipv4.tcp_mem", "TCP memory thresholds in pages (low pressure high): under low no limit, above pressure TCP shrinks buffers, above high it drops and refuses memory", "raise when TCPMemoryPressures or TCPAbortOnMemory grow and RAM allows"),
	D("net.ipv4.tcp_rmem", "TCP receive buffer per socket in bytes (min default max); autotuning moves within it", "raise max for fast long-distance paths"),
	D("net.ipv4.tcp_wmem", "TCP send buffer per socket in bytes (min default max)", "raise max for fast long-distance paths"),
	D("net.ipv4.udp_mem", "UDP memory thresholds in pages (low pressure high) across all sockets", "raise when UdpMemErrors grows"),
	D("net.ipv4.udp_rmem_min", "minimum receive buffer of a UDP socket under memory pressure, in bytes", NULL),
	D("net.ipv4.udp_wmem_min", "minimum send buffer of a UDP socket under memory pressure, in bytes", NULL),
	D("net.core.rmem_default", "default receive buffer of non-TCP sockets, in bytes", "raise when UdpRcvbufErrors grows and applications do not set SO_RCVBUF"),
	D("net.core.rmem_max", "largest receive buffer an application may set with SO_RCVBUF, in bytes", "raise when applications ask for bigger buffers than they get"),
	D("net.core.wmem_default", "default send buffer of non-TCP sockets, in bytes", NULL),
	D("net.core.wmem_max", "largest send buffer an application may set with SO_SNDBUF, in bytes", NULL),
	D("net.core.optmem_max", "ancillary buffer (socket options, cmsg) per socket, in bytes", NULL),
	D("net.ipv4.tcp_max_orphans", "TCP sockets no process holds any more (orphans) before they are reset", "TCPAbortOnMemory with 'too many orphaned sockets' means this was hit"),
	/* connections and TIME-WAIT */
	D("net.ipv4.tcp_max_tw_buckets", "TIME-WAIT sockets kept at most; beyond it connections close without TIME-WAIT", "raise when TCPTimeWaitOverflow grows"),
	D("net.ipv4.ip_local_port_range", "ephemeral ports for outgoing connections (first last)", "widen when connect() fails with EADDRNOTAVAIL"),
	D("net.ipv4.tcp_fin_timeout", "seconds an orphaned connection stays in FIN-WAIT-2", NULL),
	D("net.ipv4.tcp_tw_reuse", "reuse TIME-WAIT sockets for new outgoing connections when timestamps make it safe (2: loopback only)", NULL),
	D("net.ipv4.tcp_keepalive_time", "seconds of idleness before TCP keepalive probes start (for sockets with SO_KEEPALIVE)", NULL),
	D("net.ipv4.tcp_retries2", "retransmissions before an established connection is killed (TCPAbortOnTimeout)", NULL),
	D("net.ipv4.tcp_syn_retries", "SYN retransmissions before connect() gives up", NULL),
	D("net.ipv4.tcp_synack_retries", "SYN-ACK retransmissions before a half-open connection is dropped", "lower under SYN floods"),
	/* TCP behaviour */
	D("net.ipv4.tcp_sack", "selective acknowledgements: resend only what was lost", "keep 1"),
	D("net.ipv4.tcp_timestamps", "TCP timestamps (RTT measurement, PAWS); 1 with random offsets", "keep 1"),
	D("net.ipv4.tcp_window_scaling", "windows larger than 64 KiB (RFC 7323)", "keep 1, or throughput is capped at 64 KiB per RTT"),
	D("net.ipv4.tcp_congestion_control", "congestion control for new connections", "bbr (with fq) for lossy or long paths, cubic otherwise"),
	D("net.ipv4.tcp_available_congestion_control", "congestion control algorithms loaded", NULL),
	D("net.ipv4.tcp_slow_start_after_idle", "1: shrink the congestion window after an idle period", "0 for long-lived connections with bursty traffic"),
	D("net.ipv4.tcp_notsent_lowat", "unsent bytes a socket may hold before it stops being writable", "lower (e.g. 16384) to cut latency of HTTP/2 and similar"),
	D("net.ipv4.tcp_ecn", "ECN: 0 off, 1 request and accept, 2 accept only", NULL),
	D("net.ipv4.tcp_mtu_probing", "packetization-layer path MTU discovery: 0 off, 1 after black hole detection, 2 always", "1 when ICMP is filtered on the path"),
	D("net.ipv4.tcp_fastopen", "TCP Fast Open: bit 1 client, bit 2 server", NULL),
	/* IP, ICMP */
	D("net.ipv4.ip_forward", "route packets between interfaces (1: this host is a router)", NULL),
	D("net.ipv6.conf.all.forwarding", "route IPv6 packets between interfaces", NULL),
	D("net.ipv4.icmp_echo_ignore_broadcasts", "ignore ICMP echo requests to broadcast addresses (smurf protection)", "keep 1"),
	D("net.ipv4.icmp_ignore_bogus_error_responses", "ignore bogus ICMP error replies to broadcast frames instead of logging them", "keep 1"),
	D("net.ipv4.icmp_ratelimit", "minimum milliseconds between ICMP errors to one destination", NULL),
	D("net.ipv4.icmp_msgs_per_sec", "ICMP messages sent per second at most, host wide", NULL),
	D("net.ipv4.ipfrag_high_thresh", "bytes of fragments held for reassembly before new ones are dropped", "raise when ReasmFails grows with large UDP"),
	/* per interface */
	I("rp_filter", "reverse-path filter: 0 off, 1 strict (reply must leave by the arrival interface), 2 loose (source reachable by any interface); the higher of all and the interface applies", "use 2 (or 0) with asymmetric routing, watch IPReversePathFilter"),
	I("arp_filter", "1: answer ARP only on the interface the reply would be routed through; on if all or the interface says so", "1 with several interfaces on one subnet"),
	C("accept_redirects", "accept ICMP redirects that change routes", "0 on hosts that are not on trusted LANs"),
	C("send_redirects", "send ICMP redirects when forwarding back out the arrival interface", NULL),
	C("accept_source_route", "accept source-routed packets", "keep 0"),
	C("log_martians", "log packets with impossible addresses", NULL),
	{ NULL, NULL, NULL, 0 },
};

const struct sysctl_def *sysctl_def_find(const char *name)
{
	static const char conf[] = "net.ipv4.conf.";
	char all[160];

	for (const struct sysctl_def *d = sysctl_defs; d->name; d++)
		if (strcmp(d->name, name) == 0)
			return d;
	/* net.ipv4.conf.<if>.X -> net.ipv4.conf.all.X */
	if (strncmp(name, conf, sizeof(conf) - 1) != 0)
		return NULL;
	const char *key = strrchr(name, '.');
	if (!key || key - name < (long)sizeof(conf) || strlen(key) > 64)
		return NULL;
	strcpy(all, "net.ipv4.conf.all");
	strcat(all, key);
	for (const struct sysctl_def *d = sysctl_defs; d->name; d++)
		if ((d->flags & SYSCTL_CONF) && strcmp(d->name, all) == 0)
			return d;
	return NULL;
}

int explain_sysctl(const char *name, struct explain *e)
{
	const struct sysctl_def *d = sysctl_def_find(name);

	if (!d)
		return -ENOENT;
	e->meaning = d->meaning;
	e->cause = d->tune;
	return 0;
}
