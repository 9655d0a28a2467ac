/* One socket -> one output row: cells for the table, typed fields for JSON,
 * and the -e/-o/-m/-i/-p details, all through the one output layer. */
#include "ss/ss.h"

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/inet_diag.h>
#include <linux/tcp.h>
#include <net/if.h>
#include <netdb.h>
#include <stdarg.h>
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
	if (p->links) { /* a snapshot's device, by its own link table */
		const struct rtnl_link *l = rtnl_link_by_index(p->links, (int)idx);
		if (l)
			snprintf(buf, IF_NAMESIZE, "%s", l->name);
		else
			snprintf(buf, IF_NAMESIZE, "if%u", idx);
		return buf;
	}
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

	static const uint8_t any6[16];

	if (s->family == AF_INET6 && !memcmp(addr, any6, sizeof(any6)) &&
	    !((s->has & SKH_V6ONLY) && s->v6only)) {
		/* as iproute2: [::] also takes IPv4 unless v6only, so it is "*";
		 * the /proc tables cannot tell, and ss assumes not v6only then */
		buf[n++] = '*';
	} else {
		if (s->family == AF_INET6)
			buf[n++] = '[';
		n += fmt_addr(buf + n, sizeof(buf) - n - 40, s->family, addr);
		if (s->family == AF_INET6)
			buf[n++] = ']';
	}
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

/* Text that iproute2 prints on the socket's own line after the addresses
 * (users, timer, -e details) goes into the last column; JSON gets fields. */
struct tail {
	char b[1024];
	size_t n;
};

static void tail_add(struct tail *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tail_add(struct tail *t, const char *fmt, ...)
{
	va_list ap;

	if (t->n >= sizeof(t->b) - 1)
		return;
	if (t->n)
		t->b[t->n++] = ' ';
	va_start(ap, fmt);
	int w = vsnprintf(t->b + t->n, sizeof(t->b) - t->n, fmt, ap);
	va_end(ap);
	if (w > 0)
		t->n = t->n + (size_t)w < sizeof(t->b) ? t->n + (size_t)w : sizeof(t->b) - 1;
}

static void print_users(struct ss_printer *p, const struct sock_rec *s, struct tail *tl)
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
		char tid[32] = "";
		if (p->o->threads)
			snprintf(tid, sizeof(tid), "tid=%d,", o->tid);
		if (n < sizeof(text))
			n += (size_t)snprintf(text + n, sizeof(text) - n, "%s(\"%s\",pid=%d,%sfd=%d)",
					      first ? "" : ",", comm, o->pid, tid, o->fd);
		out_obj_begin(p->t, "user", NULL);
		out_field_str(p->t, "comm", NULL, comm);
		out_field_i64(p->t, "pid", NULL, o->pid);
		if (p->o->threads)
			out_field_i64(p->t, "tid", NULL, o->tid);
		out_field_i64(p->t, "fd", NULL, o->fd);
		out_obj_end(p->t);
	}
	out_arr_end(p->t);
	if (n < sizeof(text) - 1)
		snprintf(text + n, sizeof(text) - n, ")");
	tail_add(tl, "%s", text);
}

static const char *timer_name(unsigned t)
{
	static const char *const names[] = { "off", "on", "keepalive", "timewait", "persist",
					     "delack" };
	return t < 6 ? names[t] : "unknown";
}

/* A timer as ss prints it: "119min", "12sec", "3.250sec", "200ms". */
static void fmt_ms_timer(char *b, size_t cap, unsigned ms)
{
	unsigned min = ms / 60000, sec = (ms / 1000) % 60, msec = ms % 1000;
	size_t n = 0;

	b[0] = '\0';
	if (min) {
		msec = 0;
		n += (size_t)snprintf(b + n, cap - n, "%umin", min);
		if (min > 9)
			sec = 0;
	}
	if (sec) {
		if (sec > 9)
			msec = 0;
		n += (size_t)snprintf(b + n, cap - n, "%u%s", sec, msec ? "." : "sec");
	}
	if (msec)
		snprintf(b + n, cap - n, "%03u%s", msec, sec ? "sec" : "ms");
}

static void print_timer(struct ss_printer *p, const struct sock_rec *s, struct tail *tl)
{
	char exp[48];

	if (s->kind == SK_UNIX || s->kind == SK_PACKET || s->timer == 0)
		return;
	fmt_ms_timer(exp, sizeof(exp), s->expires_ms);
	tail_add(tl, "timer:(%s,%s,%u)", timer_name(s->timer), exp, s->retrans);
	out_obj_begin(p->t, "timer", NULL);
	out_field_str(p->t, "name", NULL, timer_name(s->timer));
	out_field_u64(p->t, "expires_ms", NULL, s->expires_ms);
	out_field_u64(p->t, "retrans", NULL, s->retrans);
	out_obj_end(p->t);
}

static void print_extended(struct ss_printer *p, const struct sock_rec *s, struct tail *tl)
{
	char ifb[IF_NAMESIZE];

	/* as ss: uid when not root, inode, the cookie as sk:, fwmark when set */
	if ((s->has & SKH_UID) && s->uid)
		tail_add(tl, "uid:%u", s->uid);
	if (s->has & SKH_UID)
		out_field_u64(p->t, "uid", NULL, s->uid);
	tail_add(tl, "ino:%llu", (unsigned long long)s->inode);
	if (s->has & SKH_COOKIE) {
		tail_add(tl, "sk:%llx", (unsigned long long)s->cookie);
		out_field_u64(p->t, "cookie", NULL, s->cookie);
	}
	if (s->ifindex && s->kind != SK_PACKET)
		out_field_str(p->t, "dev", NULL, ifname(p, s->ifindex, ifb));
	if (s->has & SKH_MARK) {
		if (s->mark)
			tail_add(tl, "fwmark:0x%x", s->mark);
		out_field_u64(p->t, "fwmark", NULL, s->mark);
	}
	if (s->has & SKH_SHUTDOWN) {
		/* bit 0: no more receives, bit 1: no more sends */
		tail_add(tl, "%c-%c", s->shutdown & 1 ? '-' : '<', s->shutdown & 2 ? '-' : '>');
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

/* A bit rate as ss prints it: "%.3g" with k/M/G/T, or whole bits per
 * second under -n; JSON always gets the number. */
static void fmt_bw(char *b, size_t cap, double bw, bool numeric)
{
	if (numeric)
		snprintf(b, cap, "%.0f", bw);
	else if (bw >= 1e12)
		snprintf(b, cap, "%.3gT", bw / 1e12);
	else if (bw >= 1e9)
		snprintf(b, cap, "%.3gG", bw / 1e9);
	else if (bw >= 1e6)
		snprintf(b, cap, "%.3gM", bw / 1e6);
	else if (bw >= 1e3)
		snprintf(b, cap, "%.3gk", bw / 1e3);
	else
		snprintf(b, cap, "%g", bw);
}

static void print_bps(struct ss_printer *p, const char *key, const char *label, double bps)
{
	char b[64];
	size_t n;

	out_field_u64(p->t, key, NULL, (uint64_t)bps);
	fmt_bw(b, sizeof(b) - 4, bps, p->o->numeric);
	n = strlen(b);
	strcpy(b + n, "bps");
	out_field_str(p->t, NULL, label, b);
}

/* A number ss shows only when it is not zero; JSON always has it. */
static void nz_u64(struct table *t, const char *key, const char *label, uint64_t v)
{
	out_field_u64(t, key, v ? label : NULL, v);
}

static void nz_ms(struct table *t, const char *key, const char *label, uint32_t us)
{
	out_field_double(t, key, us ? label : NULL, us / 1000.0, 3);
}

static void print_limited(struct table *t, const char *key, const char *label, uint64_t us,
			  uint64_t busy_us)
{
	char b[48];

	out_field_u64(t, key, NULL, us / 1000);
	if (!us || !busy_us)
		return;
	snprintf(b, sizeof(b), "%llums(%.1f%%)", (unsigned long long)(us / 1000),
		 100.0 * (double)us / (double)busy_us);
	out_field_str(t, NULL, label, b);
}

/* What the congestion control algorithm reports (INET_DIAG_*INFO), as ss
 * shows it: bbr:(...) and dctcp:(...) in text, objects in JSON; vegas only
 * in JSON (ss uses its RTT for "send" and prints nothing else). Returns
 * vegas's RTT in microseconds when it is the better estimate, else 0. */
static uint32_t print_cc_info(struct ss_printer *p, const struct sock_rec *s)
{
	struct table *t = p->t;
	char b[64];

	if (!(s->has & SKH_CCINFO))
		return 0;
	if (s->cc_type == INET_DIAG_BBRINFO) {
		struct tcp_bbr_info bi = { 0 };
		memcpy(&bi, s->cc_info, s->cc_len < sizeof(bi) ? s->cc_len : sizeof(bi));
		uint64_t bw = (uint64_t)bi.bbr_bw_hi << 32 | bi.bbr_bw_lo;
		out_obj_begin(t, "bbr", "bbr:");
		out_field_u64(t, "bw_bps", NULL, bw * 8);
		fmt_bw(b, sizeof(b) - 4, (double)bw * 8.0, p->o->numeric);
		strcat(b, "bps");
		out_field_str(t, NULL, "bw:", b);
		out_field_double(t, "mrtt_ms", "mrtt:", bi.bbr_min_rtt / 1000.0, 3);
		snprintf(b, sizeof(b), "%g", bi.bbr_pacing_gain / 256.0);
		out_field_double(t, "pacing_gain", NULL, bi.bbr_pacing_gain / 256.0, 6);
		if (bi.bbr_pacing_gain)
			out_field_str(t, NULL, "pacing_gain:", b);
		snprintf(b, sizeof(b), "%g", bi.bbr_cwnd_gain / 256.0);
		out_field_double(t, "cwnd_gain", NULL, bi.bbr_cwnd_gain / 256.0, 6);
		if (bi.bbr_cwnd_gain)
			out_field_str(t, NULL, "cwnd_gain:", b);
		out_obj_end(t);
	} else if (s->cc_type == INET_DIAG_DCTCPINFO) {
		struct tcp_dctcp_info di = { 0 };
		memcpy(&di, s->cc_info, s->cc_len < sizeof(di) ? s->cc_len : sizeof(di));
		if (!di.dctcp_enabled) {
			out_field_flag(t, NULL, "dctcp:fallback_mode", true);
			out_obj_begin(t, "dctcp", NULL);
			out_field_bool(t, "enabled", NULL, false);
			out_obj_end(t);
			return 0;
		}
		out_obj_begin(t, "dctcp", "dctcp:");
		out_field_bool(t, "enabled", NULL, true);
		out_field_u64(t, "ce_state", "ce_state:", di.dctcp_ce_state);
		out_field_u64(t, "alpha", "alpha:", di.dctcp_alpha);
		out_field_u64(t, "ab_ecn", "ab_ecn:", di.dctcp_ab_ecn);
		out_field_u64(t, "ab_tot", "ab_tot:", di.dctcp_ab_tot);
		out_obj_end(t);
	} else if (s->cc_type == INET_DIAG_VEGASINFO) {
		struct tcpvegas_info vi = { 0 };
		memcpy(&vi, s->cc_info, s->cc_len < sizeof(vi) ? s->cc_len : sizeof(vi));
		out_obj_begin(t, "vegas", NULL);
		out_field_bool(t, "enabled", NULL, vi.tcpv_enabled);
		out_field_u64(t, "rttcnt", NULL, vi.tcpv_rttcnt);
		out_field_u64(t, "rtt_us", NULL, vi.tcpv_rtt);
		out_field_u64(t, "minrtt_us", NULL, vi.tcpv_minrtt);
		out_obj_end(t);
		if (vi.tcpv_enabled && vi.tcpv_rtt && vi.tcpv_rtt != 0x7fffffff)
			return vi.tcpv_rtt;
	}
	return 0;
}

/* tcp_info in ss's order, each value in text only when ss shows it (so a
 * listener gets a handful, not two dozen zeros); JSON keeps every field. */
static void print_tcp_info(struct ss_printer *p, const struct sock_rec *s)
{
	struct tcp_info ti;
	size_t len = s->tcpi_len;
	struct table *t = p->t;
	bool listen = s->state == SS_LISTEN;

	if (!(s->has & SKH_TCPINFO))
		return;
	memset(&ti, 0, sizeof(ti));
	memcpy(&ti, s->tcpi, len < sizeof(ti) ? len : sizeof(ti));

	out_obj_begin(t, "tcp_info", "");
	/* the options the handshake agreed, as ss shows them with -o */
	bool opts = p->o->timers;
	out_field_flag(t, "timestamps", opts ? "ts" : NULL, ti.tcpi_options & TCPI_OPT_TIMESTAMPS);
	out_field_flag(t, "sack", opts ? "sack" : NULL, ti.tcpi_options & TCPI_OPT_SACK);
	out_field_flag(t, "ecn", opts ? "ecn" : NULL, ti.tcpi_options & TCPI_OPT_ECN);
	out_field_flag(t, "ecnseen", opts ? "ecnseen" : NULL, ti.tcpi_options & TCPI_OPT_ECN_SEEN);
	out_field_flag(t, "fastopen", opts ? "fastopen" : NULL, ti.tcpi_options & TCPI_OPT_SYN_DATA);
	if (s->has & SKH_CONG)
		out_field_str(t, "congestion", "", s->cong);
	if (ti.tcpi_options & TCPI_OPT_WSCALE) {
		char ws[48];
		snprintf(ws, sizeof(ws), "%u,%u", ti.tcpi_snd_wscale, ti.tcpi_rcv_wscale);
		out_field_str(t, NULL, "wscale:", ws);
		out_field_u64(t, "snd_wscale", NULL, ti.tcpi_snd_wscale);
		out_field_u64(t, "rcv_wscale", NULL, ti.tcpi_rcv_wscale);
	}
	/* ss hides the 3 s initial RTO of a socket that never measured one */
	out_field_double(t, "rto_ms", ti.tcpi_rto && ti.tcpi_rto != 3000000 ? "rto:" : NULL,
			 ti.tcpi_rto / 1000.0, 3);
	nz_u64(t, "backoff", "backoff:", ti.tcpi_backoff);
	if (ti.tcpi_rtt) {
		char b[80];
		size_t n = out_fmt_fixed(b, ti.tcpi_rtt / 1000.0, 3);
		b[n++] = '/';
		out_fmt_fixed(b + n, ti.tcpi_rttvar / 1000.0, 3);
		out_field_str(t, NULL, "rtt:", b);
	}
	out_field_double(t, "rtt_ms", NULL, ti.tcpi_rtt / 1000.0, 3);
	out_field_double(t, "rttvar_ms", NULL, ti.tcpi_rttvar / 1000.0, 3);
	nz_ms(t, "ato_ms", "ato:", ti.tcpi_ato);
	nz_u64(t, "mss", "mss:", ti.tcpi_snd_mss);
	nz_u64(t, "pmtu", "pmtu:", ti.tcpi_pmtu);
	nz_u64(t, "rcvmss", "rcvmss:", ti.tcpi_rcv_mss);
	nz_u64(t, "advmss", "advmss:", ti.tcpi_advmss);
	nz_u64(t, "cwnd", "cwnd:", ti.tcpi_snd_cwnd);
	if (ti.tcpi_snd_ssthresh < 0xffff)
		nz_u64(t, "ssthresh", "ssthresh:", ti.tcpi_snd_ssthresh);
	if (TI_HAS(len, tcpi_bytes_acked)) {
		nz_u64(t, "bytes_sent", "bytes_sent:", ti.tcpi_bytes_sent);
		nz_u64(t, "bytes_retrans", "bytes_retrans:", ti.tcpi_bytes_retrans);
		nz_u64(t, "bytes_acked", "bytes_acked:", ti.tcpi_bytes_acked);
		nz_u64(t, "bytes_received", "bytes_received:", ti.tcpi_bytes_received);
		nz_u64(t, "segs_out", "segs_out:", ti.tcpi_segs_out);
		nz_u64(t, "segs_in", "segs_in:", ti.tcpi_segs_in);
		nz_u64(t, "data_segs_out", "data_segs_out:", ti.tcpi_data_segs_out);
		nz_u64(t, "data_segs_in", "data_segs_in:", ti.tcpi_data_segs_in);
	}
	uint32_t vegas_rtt = print_cc_info(p, s);
	uint32_t rtt = vegas_rtt ? vegas_rtt : ti.tcpi_rtt;
	if (rtt && ti.tcpi_snd_mss && ti.tcpi_snd_cwnd) /* cwnd * mss / srtt, as ss */
		print_bps(p, "send_bps", "send ",
			  (double)ti.tcpi_snd_cwnd * ti.tcpi_snd_mss * 8000000.0 / rtt);
	nz_u64(t, "last_send_ms", "lastsnd:", ti.tcpi_last_data_sent);
	nz_u64(t, "last_recv_ms", "lastrcv:", ti.tcpi_last_data_recv);
	nz_u64(t, "last_ack_ms", "lastack:", ti.tcpi_last_ack_recv);
	if (ti.tcpi_pacing_rate && ti.tcpi_pacing_rate != ~0ull) {
		char b[128], m[64];
		fmt_bw(b, 60, (double)ti.tcpi_pacing_rate * 8, p->o->numeric);
		strcat(b, "bps");
		if (TI_HAS(len, tcpi_max_pacing_rate) && ti.tcpi_max_pacing_rate &&
		    ti.tcpi_max_pacing_rate != ~0ull) {
			fmt_bw(m, 60, (double)ti.tcpi_max_pacing_rate * 8, p->o->numeric);
			strcat(b, "/");
			strcat(b, m);
			strcat(b, "bps");
			out_field_u64(t, "max_pacing_rate_bps", NULL, ti.tcpi_max_pacing_rate * 8);
		}
		out_field_u64(t, "pacing_rate_bps", NULL, ti.tcpi_pacing_rate * 8);
		out_field_str(t, NULL, "pacing_rate ", b);
	}
	if (TI_HAS(len, tcpi_delivery_rate) && ti.tcpi_delivery_rate)
		print_bps(p, "delivery_rate_bps", "delivery_rate ", (double)ti.tcpi_delivery_rate * 8);
	if (TI_HAS(len, tcpi_delivered))
		nz_u64(t, "delivered", "delivered:", ti.tcpi_delivered);
	if (TI_HAS(len, tcpi_delivered_ce))
		nz_u64(t, "delivered_ce", "delivered_ce:", ti.tcpi_delivered_ce);
	if (TI_HAS(len, tcpi_min_rtt)) /* app_limited is a bit-field just before min_rtt */
		out_field_flag(t, "app_limited", "app_limited", ti.tcpi_delivery_rate_app_limited);
	if (TI_HAS(len, tcpi_sndbuf_limited)) {
		if (ti.tcpi_busy_time) {
			char b[32];
			snprintf(b, sizeof(b), "%llums", (unsigned long long)(ti.tcpi_busy_time / 1000));
			out_field_str(t, NULL, "busy:", b);
		}
		out_field_u64(t, "busy_ms", NULL, ti.tcpi_busy_time / 1000);
		print_limited(t, "rwnd_limited_ms", "rwnd_limited:", ti.tcpi_rwnd_limited,
			      ti.tcpi_busy_time);
		print_limited(t, "sndbuf_limited_ms", "sndbuf_limited:", ti.tcpi_sndbuf_limited,
			      ti.tcpi_busy_time);
	}
	/* for a listener, unacked is the accept queue (ss shows it) and sacked
	 * its limit (ss does not) */
	nz_u64(t, "unacked", "unacked:", ti.tcpi_unacked);
	if (ti.tcpi_retrans || ti.tcpi_total_retrans) {
		char b[48];
		snprintf(b, sizeof(b), "%u/%u", ti.tcpi_retrans, ti.tcpi_total_retrans);
		out_field_str(t, NULL, "retrans:", b);
	}
	out_field_u64(t, "retrans", NULL, ti.tcpi_retrans);
	out_field_u64(t, "total_retrans", NULL, ti.tcpi_total_retrans);
	nz_u64(t, "lost", "lost:", ti.tcpi_lost);
	out_field_u64(t, "sacked", ti.tcpi_sacked && !listen ? "sacked:" : NULL, ti.tcpi_sacked);
	if (TI_HAS(len, tcpi_dsack_dups))
		nz_u64(t, "dsack_dups", "dsack_dups:", ti.tcpi_dsack_dups);
	nz_u64(t, "fackets", "fackets:", ti.tcpi_fackets);
	out_field_u64(t, "reordering", ti.tcpi_reordering != 3 ? "reordering:" : NULL,
		      ti.tcpi_reordering);
	if (TI_HAS(len, tcpi_reord_seen))
		nz_u64(t, "reord_seen", "reord_seen:", ti.tcpi_reord_seen);
	nz_ms(t, "rcv_rtt_ms", "rcv_rtt:", ti.tcpi_rcv_rtt);
	nz_u64(t, "rcv_space", "rcv_space:", ti.tcpi_rcv_space);
	nz_u64(t, "rcv_ssthresh", "rcv_ssthresh:", ti.tcpi_rcv_ssthresh);
	if (TI_HAS(len, tcpi_notsent_bytes))
		nz_u64(t, "notsent_bytes", "notsent:", ti.tcpi_notsent_bytes);
	if (TI_HAS(len, tcpi_min_rtt))
		out_field_double(t, "min_rtt_ms",
				 ti.tcpi_min_rtt && ti.tcpi_min_rtt != ~0u ? "minrtt:" : NULL,
				 ti.tcpi_min_rtt == ~0u ? 0 : ti.tcpi_min_rtt / 1000.0, 3);
	if (TI_HAS(len, tcpi_rcv_ooopack))
		nz_u64(t, "rcv_ooopack", "rcv_ooopack:", ti.tcpi_rcv_ooopack);
	if (TI_HAS(len, tcpi_snd_wnd))
		nz_u64(t, "snd_wnd", "snd_wnd:", ti.tcpi_snd_wnd);
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
	if (p->stamp)
		out_field_double(t, "time", NULL, p->time, 6);
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
	struct tail tl = { .n = 0 };
	if (p->owners)
		print_users(p, s, &tl);
	if (p->o->timers)
		print_timer(p, s, &tl);
	if (p->o->extended)
		print_extended(p, s, &tl);
	if (tl.n && !out_is_json()) {
		tl.b[tl.n] = '\0';
		out_cell_str(t, SS_COL_PROCESS, tl.b);
	}
	if (p->o->memory)
		print_meminfo(p, s);
	if (p->o->info)
		print_tcp_info(p, s);
	out_row_end(t);
}
