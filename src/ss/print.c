/* One socket -> one output row: cells for the table, typed fields for JSON,
 * and the -e/-o/-m/-i/-p details, all through the one output layer. */
#include "ss/ss.h"

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/tcp.h>
#include <net/if.h>
#include <netdb.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

const struct out_col ss_columns[SS_NCOLS] = {
	[SS_COL_NETID] = { "Netid", "netid", 0, 0 },
	[SS_COL_STATE] = { "State", "state", 0, 0 },
	[SS_COL_RECVQ] = { "Recv-Q", "recv_q", 0, 0 },
	[SS_COL_SENDQ] = { "Send-Q", "send_q", 0, 0 },
	[SS_COL_LOCAL] = { "Local Address:Port", NULL, 0, 0 },
	[SS_COL_PEER] = { "Peer Address:Port", NULL, 0, 0 },
	[SS_COL_PROCESS] = { "Process", NULL, OUT_LAST | OUT_SHRINK, 0 },
};

void ss_printer_init(struct ss_printer *p, const struct ss_opts *o, struct table *t,
		     const struct procfd_map *owners)
{
	memset(p, 0, sizeof(*p));
	p->o = o;
	p->t = t;
	p->owners = owners;
}

static const char no_service[] = "";

static void free_services(const char **cache)
{
	if (!cache)
		return;
	for (size_t i = 0; i < 65536; i++)
		if (cache[i] && cache[i] != no_service)
			free((char *)cache[i]);
	free(cache);
}

void ss_printer_free(struct ss_printer *p)
{
	free_services(p->svc_tcp);
	free_services(p->svc_udp);
}

static const char *ifname(struct ss_printer *p, uint32_t idx, char *buf)
{
	if (idx < 64) {
		if (!p->ifnames[idx][0] && !if_indextoname(idx, p->ifnames[idx]))
			snprintf(p->ifnames[idx], sizeof(p->ifnames[idx]), "if%u", idx);
		return p->ifnames[idx];
	}
	if (!if_indextoname(idx, buf))
		snprintf(buf, IF_NAMESIZE, "if%u", idx);
	return buf;
}

/* Service name for a port (lazily cached per protocol), or NULL. */
static const char *service(struct ss_printer *p, uint16_t port, bool udp)
{
	const char ***cache = udp ? &p->svc_udp : &p->svc_tcp;
	const char *none = no_service;

	if (!*cache && !(*cache = calloc(65536, sizeof(char *))))
		return NULL;
	if (!(*cache)[port]) {
		struct servent *se = getservbyport(htons(port), udp ? "udp" : "tcp");
		(*cache)[port] = se ? strdup(se->s_name) : none;
		if (!(*cache)[port])
			(*cache)[port] = none;
	}
	return (*cache)[port][0] ? (*cache)[port] : NULL;
}

/* Fast dotted quad. */
static size_t fmt_ipv4(char *b, const uint8_t *a)
{
	size_t n = 0;
	for (int i = 0; i < 4; i++) {
		if (i)
			b[n++] = '.';
		n += out_fmt_u64(b + n, a[i]);
	}
	b[n] = '\0';
	return n;
}

static size_t fmt_addr(char *b, size_t cap, int family, const uint8_t *a)
{
	if (family == AF_INET)
		return fmt_ipv4(b, a);
	if (!inet_ntop(AF_INET6, a, b, (socklen_t)cap))
		snprintf(b, cap, "?");
	return strlen(b);
}

static void port_text(struct ss_printer *p, const struct sock_rec *s, uint16_t port, char *b)
{
	const char *name = NULL;

	if (port == 0) {
		strcpy(b, "*");
		return;
	}
	if (!p->o->numeric) {
		if (s->kind == SK_RAW) {
			struct protoent *pe = getprotobynumber(port);
			name = pe ? pe->p_name : NULL;
		} else {
			name = service(p, port, s->kind == SK_UDP);
		}
	}
	if (name)
		snprintf(b, 32, "%s", name);
	else
		out_fmt_u64(b, port);
}

/* "addr[%dev]:port" for inet sockets. */
static void endpoint_cell(struct ss_printer *p, const struct sock_rec *s, int col,
			  const uint8_t *addr, uint16_t port, bool local)
{
	char buf[INET6_ADDRSTRLEN + IF_NAMESIZE + 48], ifb[IF_NAMESIZE];
	size_t n = 0;

	if (s->family == AF_INET6)
		buf[n++] = '[';
	n += fmt_addr(buf + n, sizeof(buf) - n - 40, s->family, addr);
	if (s->family == AF_INET6)
		buf[n++] = ']';
	if (local && s->ifindex) {
		buf[n++] = '%';
		const char *d = ifname(p, s->ifindex, ifb);
		size_t dl = strnlen(d, IF_NAMESIZE);
		memcpy(buf + n, d, dl);
		n += dl;
	}
	buf[n++] = ':';
	port_text(p, s, port, buf + n);
	out_cell_str(p->t, col, buf);
}

static const char *family_name(int f)
{
	switch (f) {
	case AF_INET: return "inet";
	case AF_INET6: return "inet6";
	case AF_UNIX: return "unix";
	case AF_PACKET: return "packet";
	}
	return "unknown";
}

static void print_inet_ends(struct ss_printer *p, const struct sock_rec *s)
{
	char a[INET6_ADDRSTRLEN];

	endpoint_cell(p, s, SS_COL_LOCAL, s->src, s->sport, true);
	endpoint_cell(p, s, SS_COL_PEER, s->dst, s->dport, false);
	if (out_is_json()) {
		fmt_addr(a, sizeof(a), s->family, s->src);
		out_field_str(p->t, "src", NULL, a);
		out_field_u64(p->t, s->kind == SK_RAW ? "protocol" : "sport", NULL, s->sport);
		fmt_addr(a, sizeof(a), s->family, s->dst);
		out_field_str(p->t, "dst", NULL, a);
		out_field_u64(p->t, "dport", NULL, s->dport);
	}
}

static void print_unix_ends(struct ss_printer *p, const struct sock_rec *s)
{
	char b[24];

	out_fmt_u64(b, s->inode);
	out_cell_fmt(p->t, SS_COL_LOCAL, "%s %s", s->path ? s->path : "*", b);
	out_fmt_u64(b, s->peer_inode);
	out_cell_fmt(p->t, SS_COL_PEER, "* %s", (s->has & SKH_PEER) ? b : "0");
	if (s->path)
		out_field_str(p->t, "path", NULL, s->path);
	if (s->has & SKH_PEER)
		out_field_u64(p->t, "peer_inode", NULL, s->peer_inode);
}

/* Ethertype names as iproute2 spells them (lib/ll_proto.c, first match
 * wins); unknown ones, and every one under -n, as "[decimal]". */
static const struct {
	uint16_t id;
	const char *name;
} ethertypes[] = {
	{ ETH_P_LOOP, "loop" }, { ETH_P_PUP, "pup" }, { ETH_P_PUPAT, "pupat" },
	{ ETH_P_IP, "ip" }, { ETH_P_X25, "x25" }, { ETH_P_ARP, "arp" }, { ETH_P_BPQ, "bpq" },
	{ ETH_P_IEEEPUP, "ieeepup" }, { ETH_P_IEEEPUPAT, "ieeepupat" }, { ETH_P_DEC, "dec" },
	{ ETH_P_DNA_DL, "dna_dl" }, { ETH_P_DNA_RC, "dna_rc" }, { ETH_P_DNA_RT, "dna_rt" },
	{ ETH_P_LAT, "lat" }, { ETH_P_DIAG, "diag" }, { ETH_P_CUST, "cust" }, { ETH_P_SCA, "sca" },
	{ ETH_P_RARP, "rarp" }, { ETH_P_ATALK, "atalk" }, { ETH_P_AARP, "aarp" },
	{ ETH_P_IPX, "ipx" }, { ETH_P_IPV6, "ipv6" }, { ETH_P_PPP_DISC, "ppp_disc" },
	{ ETH_P_PPP_SES, "ppp_ses" }, { ETH_P_ATMMPOA, "atmmpoa" }, { ETH_P_ATMFATE, "atmfate" },
	{ ETH_P_802_3, "802_3" }, { ETH_P_AX25, "ax25" }, { ETH_P_ALL, "all" },
	{ ETH_P_802_2, "802_2" }, { ETH_P_SNAP, "snap" }, { ETH_P_DDCMP, "ddcmp" },
	{ ETH_P_WAN_PPP, "wan_ppp" }, { ETH_P_PPP_MP, "ppp_mp" }, { ETH_P_LOCALTALK, "localtalk" },
	{ ETH_P_CAN, "can" }, { ETH_P_PPPTALK, "ppptalk" }, { ETH_P_TR_802_2, "tr_802_2" },
	{ ETH_P_MOBITEX, "mobitex" }, { ETH_P_CONTROL, "control" }, { ETH_P_IRDA, "irda" },
	{ ETH_P_ECONET, "econet" }, { ETH_P_TIPC, "tipc" }, { ETH_P_PROFINET, "profinet" },
	{ ETH_P_AOE, "aoe" }, { ETH_P_80221, "802.21" }, { ETH_P_8021Q, "802.1Q" },
	{ ETH_P_8021AD, "802.1ad" }, { ETH_P_MPLS_UC, "mpls_uc" }, { ETH_P_MPLS_MC, "mpls_mc" },
	{ ETH_P_TEB, "teb" }, { ETH_P_CFM, "cfm" }, { ETH_P_LLDP, "LLDP" },
};

/* proto: host order. ETH_P_ALL is "*", as in ss. */
static const char *ethertype_name(uint16_t proto, bool numeric, char *b, size_t cap)
{
	if (proto == ETH_P_ALL)
		return "*";
	for (size_t i = 0; !numeric && i < sizeof(ethertypes) / sizeof(ethertypes[0]); i++)
		if (ethertypes[i].id == proto)
			return ethertypes[i].name;
	snprintf(b, cap, "[%u]", proto);
	return b;
}

static void print_packet_ends(struct ss_printer *p, const struct sock_rec *s)
{
	char pb[16], ifb[IF_NAMESIZE];
	const char *dev = s->ifindex ? ifname(p, s->ifindex, ifb) : "*";

	out_cell_fmt(p->t, SS_COL_LOCAL, "%s:%s",
		     ethertype_name(s->protocol, p->o->numeric, pb, sizeof(pb)), dev);
	out_cell_str(p->t, SS_COL_PEER, "*");
	out_field_u64(p->t, "protocol", NULL, s->protocol);
	if (s->ifindex)
		out_field_str(p->t, "ifname", NULL, dev);
}

static void print_users(struct ss_printer *p, const struct sock_rec *s)
{
	const struct procfd_owner *o = procfd_lookup(p->owners, s->inode);
	char text[512];
	size_t n = 0;

	if (!o)
		return;
	out_arr_begin(p->t, "users", NULL);
	n += (size_t)snprintf(text, sizeof(text), "users:(");
	for (bool first = true; o; o = procfd_next(p->owners, o), first = false) {
		const char *comm = procfd_comm(p->owners, o);
		if (n < sizeof(text))
			n += (size_t)snprintf(text + n, sizeof(text) - n, "%s(\"%s\",pid=%d,fd=%d)",
					      first ? "" : ",", comm, o->pid, o->fd);
		out_obj_begin(p->t, "user", NULL);
		out_field_str(p->t, "comm", NULL, comm);
		out_field_i64(p->t, "pid", NULL, o->pid);
		out_field_i64(p->t, "fd", NULL, o->fd);
		out_obj_end(p->t);
	}
	out_arr_end(p->t);
	if (n < sizeof(text) - 1)
		snprintf(text + n, sizeof(text) - n, ")");
	out_cell_str(p->t, SS_COL_PROCESS, text);
}

static const char *timer_name(unsigned t)
{
	static const char *const names[] = { "off", "on", "keepalive", "timewait", "persist" };
	return t < 5 ? names[t] : "unknown";
}

static void print_timer(struct ss_printer *p, const struct sock_rec *s)
{
	char exp[48];
	unsigned ms = s->expires_ms, min = ms / 60000, sec = (ms / 1000) % 60, msec = ms % 1000;

	if (s->kind == SK_UNIX || s->kind == SK_PACKET || s->timer == 0)
		return;
	if (min)
		snprintf(exp, sizeof(exp), "%umin%usec", min, sec);
	else if (sec)
		snprintf(exp, sizeof(exp), "%u.%03usec", sec, msec);
	else
		snprintf(exp, sizeof(exp), "%ums", msec);
	out_obj_begin(p->t, "timer", "timer:");
	out_field_str(p->t, "name", "", timer_name(s->timer));
	out_field_str(p->t, NULL, "", exp);
	out_field_u64(p->t, "expires_ms", NULL, s->expires_ms);
	out_field_u64(p->t, "retrans", "", s->retrans);
	out_obj_end(p->t);
}

static void print_extended(struct ss_printer *p, const struct sock_rec *s)
{
	char ifb[IF_NAMESIZE];

	if (s->has & SKH_UID)
		out_field_u64(p->t, "uid", "uid:", s->uid);
	out_field_u64(p->t, NULL, "ino:", s->inode);
	if (s->has & SKH_COOKIE)
		out_field_text(p->t, "sk:%llx", (unsigned long long)s->cookie);
	if (s->has & SKH_COOKIE)
		out_field_u64(p->t, "cookie", NULL, s->cookie);
	if (s->ifindex && s->kind != SK_PACKET)
		out_field_str(p->t, "dev", "dev:", ifname(p, s->ifindex, ifb));
	if (s->has & SKH_MARK) /* text shows a mark only when one is set, as ss */
		out_field_u64(p->t, "fwmark", s->mark ? "fwmark:" : NULL, s->mark);
	if ((s->has & SKH_SHUTDOWN) && s->shutdown) {
		static const char *const sd[] = { "--", "<-", "->", "<->" };
		out_field_str(p->t, NULL, "", sd[s->shutdown & 3]);
		out_field_u64(p->t, "shutdown", NULL, s->shutdown);
	}
}

static void print_meminfo(struct ss_printer *p, const struct sock_rec *s)
{
	static const char *const keys[SK_MEMINFO_N] = { "rmem_alloc", "rcvbuf", "wmem_alloc",
		"sndbuf", "fwd_alloc", "wmem_queued", "optmem", "backlog", "drops" };
	static const char *const labels[SK_MEMINFO_N] = { "r", "rb", "t", "tb", "f", "w", "o",
		"bl", "d" };

	if (!(s->has & SKH_MEMINFO))
		return;
	out_obj_begin(p->t, "skmem", "skmem:");
	for (int i = 0; i < SK_MEMINFO_N; i++)
		out_field_u64(p->t, keys[i], labels[i], s->meminfo[i]);
	out_obj_end(p->t);
}

/* tcp_info: the kernel may send a shorter or longer struct than ours. */
#define TI_HAS(len, field) ((len) >= offsetof(struct tcp_info, field) + sizeof(((struct tcp_info *)0)->field))

/* A bit rate as ss prints it ("1.2Gbps"), and as a number in JSON. */
static void print_bps(struct table *t, const char *key, const char *label, double bps)
{
	static const struct { double div; const char *unit; } units[] = {
		{ 1e9, "Gbps" }, { 1e6, "Mbps" }, { 1e3, "Kbps" }, { 1, "bps" },
	};
	char b[48];
	size_t i = 0, n;

	out_field_u64(t, key, NULL, (uint64_t)bps);
	while (i < 3 && bps < units[i].div)
		i++;
	n = out_fmt_fixed(b, bps / units[i].div, i == 3 ? 0 : 1);
	strcpy(b + n, units[i].unit);
	out_field_str(t, NULL, label, b);
}

static void print_limited(struct table *t, const char *key, const char *label, uint64_t us,
			  uint64_t busy_us)
{
	char b[48];

	out_field_u64(t, key, NULL, us / 1000);
	if (!us)
		return;
	if (busy_us)
		snprintf(b, sizeof(b), "%llums(%.1f%%)", (unsigned long long)(us / 1000),
			 100.0 * (double)us / (double)busy_us);
	else
		snprintf(b, sizeof(b), "%llums", (unsigned long long)(us / 1000));
	out_field_str(t, NULL, label, b);
}

static void print_tcp_info(struct ss_printer *p, const struct sock_rec *s)
{
	struct tcp_info ti;
	size_t len = s->tcpi_len;
	struct table *t = p->t;

	if (!(s->has & SKH_TCPINFO))
		return;
	memset(&ti, 0, sizeof(ti));
	memcpy(&ti, s->tcpi, len < sizeof(ti) ? len : sizeof(ti));

	out_obj_begin(t, "tcp_info", "");
	if (s->has & SKH_CONG)
		out_field_str(t, "congestion", "", s->cong);
	if (ti.tcpi_options & TCPI_OPT_WSCALE) {
		char ws[48];
		size_t n = out_fmt_u64(ws, ti.tcpi_snd_wscale);
		ws[n++] = ',';
		out_fmt_u64(ws + n, ti.tcpi_rcv_wscale);
		out_field_str(t, NULL, "wscale:", ws);
		out_field_u64(t, "snd_wscale", NULL, ti.tcpi_snd_wscale);
		out_field_u64(t, "rcv_wscale", NULL, ti.tcpi_rcv_wscale);
	}
	out_field_flag(t, "sack", "sack", ti.tcpi_options & TCPI_OPT_SACK);
	out_field_flag(t, "timestamps", "ts", ti.tcpi_options & TCPI_OPT_TIMESTAMPS);
	out_field_flag(t, "ecn", "ecn", ti.tcpi_options & TCPI_OPT_ECN);
	if (ti.tcpi_rto)
		out_field_double(t, "rto_ms", "rto:", ti.tcpi_rto / 1000.0, 3);
	if (ti.tcpi_rtt) {
		char b[80];
		size_t n = out_fmt_fixed(b, ti.tcpi_rtt / 1000.0, 3);
		b[n++] = '/';
		out_fmt_fixed(b + n, ti.tcpi_rttvar / 1000.0, 3);
		out_field_str(t, NULL, "rtt:", b);
		out_field_double(t, "rtt_ms", NULL, ti.tcpi_rtt / 1000.0, 3);
		out_field_double(t, "rttvar_ms", NULL, ti.tcpi_rttvar / 1000.0, 3);
	}
	if (ti.tcpi_ato)
		out_field_double(t, "ato_ms", "ato:", ti.tcpi_ato / 1000.0, 3);
	out_field_u64(t, "mss", "mss:", ti.tcpi_snd_mss);
	out_field_u64(t, "pmtu", "pmtu:", ti.tcpi_pmtu);
	out_field_u64(t, "rcvmss", "rcvmss:", ti.tcpi_rcv_mss);
	out_field_u64(t, "advmss", "advmss:", ti.tcpi_advmss);
	out_field_u64(t, "cwnd", "cwnd:", ti.tcpi_snd_cwnd);
	if (ti.tcpi_snd_ssthresh < 0xffff)
		out_field_u64(t, "ssthresh", "ssthresh:", ti.tcpi_snd_ssthresh);
	if (TI_HAS(len, tcpi_bytes_acked)) {
		out_field_u64(t, "bytes_sent", "bytes_sent:", ti.tcpi_bytes_sent);
		out_field_u64(t, "bytes_retrans", "bytes_retrans:", ti.tcpi_bytes_retrans);
		out_field_u64(t, "bytes_acked", "bytes_acked:", ti.tcpi_bytes_acked);
		out_field_u64(t, "bytes_received", "bytes_received:", ti.tcpi_bytes_received);
		out_field_u64(t, "segs_out", "segs_out:", ti.tcpi_segs_out);
		out_field_u64(t, "segs_in", "segs_in:", ti.tcpi_segs_in);
		out_field_u64(t, "data_segs_out", "data_segs_out:", ti.tcpi_data_segs_out);
		out_field_u64(t, "data_segs_in", "data_segs_in:", ti.tcpi_data_segs_in);
	}
	if (ti.tcpi_rtt && ti.tcpi_snd_cwnd) {
		/* the send rate ss shows: cwnd * mss / srtt */
		print_bps(t, "send_bps", "send ",
			  (double)ti.tcpi_snd_cwnd * ti.tcpi_snd_mss * 8 * 1e6 / ti.tcpi_rtt);
	}
	out_field_u64(t, "last_send_ms", "lastsnd:", ti.tcpi_last_data_sent);
	out_field_u64(t, "last_recv_ms", "lastrcv:", ti.tcpi_last_data_recv);
	out_field_u64(t, "last_ack_ms", "lastack:", ti.tcpi_last_ack_recv);
	if (ti.tcpi_pacing_rate && ti.tcpi_pacing_rate != ~0ull)
		print_bps(t, "pacing_rate_bps", "pacing_rate ", (double)ti.tcpi_pacing_rate * 8);
	if (TI_HAS(len, tcpi_delivery_rate) && ti.tcpi_delivery_rate)
		print_bps(t, "delivery_rate_bps", "delivery_rate ", (double)ti.tcpi_delivery_rate * 8);
	if (TI_HAS(len, tcpi_delivered))
		out_field_u64(t, "delivered", "delivered:", ti.tcpi_delivered);
	if (TI_HAS(len, tcpi_min_rtt)) /* app_limited is a bit-field just before min_rtt */
		out_field_flag(t, "app_limited", "app_limited", ti.tcpi_delivery_rate_app_limited);
	if (TI_HAS(len, tcpi_sndbuf_limited)) {
		if (ti.tcpi_busy_time) {
			char b[32];
			strcpy(b + out_fmt_u64(b, ti.tcpi_busy_time / 1000), "ms");
			out_field_str(t, NULL, "busy:", b);
		}
		out_field_u64(t, "busy_ms", NULL, ti.tcpi_busy_time / 1000);
		print_limited(t, "rwnd_limited_ms", "rwnd_limited:", ti.tcpi_rwnd_limited,
			      ti.tcpi_busy_time);
		print_limited(t, "sndbuf_limited_ms", "sndbuf_limited:", ti.tcpi_sndbuf_limited,
			      ti.tcpi_busy_time);
	}
	/* for a listener, unacked and sacked hold the accept queue and its limit */
	if (ti.tcpi_unacked && s->state != SS_LISTEN)
		out_field_u64(t, "unacked", "unacked:", ti.tcpi_unacked);
	if (ti.tcpi_retrans || ti.tcpi_total_retrans) {
		char b[48];
		size_t n = out_fmt_u64(b, ti.tcpi_retrans);
		b[n++] = '/';
		out_fmt_u64(b + n, ti.tcpi_total_retrans);
		out_field_str(t, NULL, "retrans:", b);
	}
	out_field_u64(t, "retrans", NULL, ti.tcpi_retrans);
	out_field_u64(t, "total_retrans", NULL, ti.tcpi_total_retrans);
	out_field_u64(t, "lost", ti.tcpi_lost ? "lost:" : NULL, ti.tcpi_lost);
	if (ti.tcpi_sacked && s->state != SS_LISTEN)
		out_field_u64(t, "sacked", "sacked:", ti.tcpi_sacked);
	if (TI_HAS(len, tcpi_reord_seen) && ti.tcpi_reord_seen)
		out_field_u64(t, "reord_seen", "reord_seen:", ti.tcpi_reord_seen);
	out_field_u64(t, "rcv_rtt_ms", NULL, ti.tcpi_rcv_rtt / 1000);
	out_field_u64(t, "rcv_space", "rcv_space:", ti.tcpi_rcv_space);
	out_field_u64(t, "rcv_ssthresh", "rcv_ssthresh:", ti.tcpi_rcv_ssthresh);
	if (TI_HAS(len, tcpi_notsent_bytes) && ti.tcpi_notsent_bytes)
		out_field_u64(t, "notsent_bytes", "notsent:", ti.tcpi_notsent_bytes);
	if (TI_HAS(len, tcpi_min_rtt) && ti.tcpi_min_rtt)
		out_field_double(t, "min_rtt_ms", "minrtt:", ti.tcpi_min_rtt / 1000.0, 3);
	if (TI_HAS(len, tcpi_snd_wnd))
		out_field_u64(t, "snd_wnd", "snd_wnd:", ti.tcpi_snd_wnd);
	out_obj_end(t);
}

void ss_print_sock(struct ss_printer *p, const struct sock_rec *s)
{
	struct table *t = p->t;

	out_row_begin(t);
	out_cell_str(t, SS_COL_NETID, sock_netid(s));
	out_cell_str(t, SS_COL_STATE, sock_state_name(s->state));
	out_cell_u64(t, SS_COL_RECVQ, s->rqueue);
	out_cell_u64(t, SS_COL_SENDQ, s->wqueue);
	if (out_is_json()) {
		out_field_str(t, "family", NULL, family_name(s->family));
		out_field_u64(t, "inode", NULL, s->inode);
		if (s->state == SS_LISTEN && s->kind != SK_UNIX) {
			/* for a listener, the queues are the accept queue and its limit */
			out_field_u64(t, "accept_queue", NULL, s->rqueue);
			out_field_u64(t, "accept_queue_limit", NULL, s->wqueue);
		}
	}
	if (s->kind == SK_UNIX)
		print_unix_ends(p, s);
	else if (s->kind == SK_PACKET)
		print_packet_ends(p, s);
	else
		print_inet_ends(p, s);
	if (p->owners)
		print_users(p, s);
	if (p->o->timers)
		print_timer(p, s);
	if (p->o->extended)
		print_extended(p, s);
	if (p->o->memory)
		print_meminfo(p, s);
	if (p->o->info)
		print_tcp_info(p, s);
	out_row_end(t);
}
