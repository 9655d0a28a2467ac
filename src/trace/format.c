/* Addresses, TCP states and flags, owner and tuple cells (format.h). */
#include "trace/format.h"

#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

void trace_cells_task(struct table *t, int col, uint32_t pid, const char *comm)
{
	char c[TR_COMM_LEN + 1];

	memcpy(c, comm, TR_COMM_LEN);
	c[TR_COMM_LEN] = '\0';
	if (pid || out_is_json())
		out_cell_u64(t, col, pid); /* JSON: 0 means unknown */
	else
		out_cell_str(t, col, "-");
	out_cell_str(t, col + 1, c[0] ? c : (out_is_json() ? "" : "-"));
}

static char *fmt_ipv4(char *p, const uint8_t *a)
{
	for (int i = 0; i < 4; i++) {
		unsigned v = a[i];
		if (i)
			*p++ = '.';
		if (v >= 100)
			*p++ = (char)('0' + v / 100);
		if (v >= 10)
			*p++ = (char)('0' + v / 10 % 10);
		*p++ = (char)('0' + v % 10);
	}
	*p = '\0';
	return p;
}

/* inet_ntop(AF_INET6)'s text without its sprintf per group: the longest
 * run of two or more zero groups (the first of equal ones) becomes "::",
 * and an IPv4-compatible or -mapped address ends in dotted quad. */
static void fmt_ipv6(char *p, const uint8_t *a)
{
	static const char hex[] = "0123456789abcdef";
	unsigned w[8];
	int best = -1, best_len = 0, cur = -1;

	for (int i = 0; i < 8; i++)
		w[i] = (unsigned)a[2 * i] << 8 | a[2 * i + 1];
	for (int i = 0; i <= 8; i++) {
		if (i < 8 && w[i] == 0) {
			if (cur < 0)
				cur = i;
		} else if (cur >= 0) {
			if (i - cur > best_len)
				best = cur, best_len = i - cur;
			cur = -1;
		}
	}
	if (best_len < 2)
		best = -1;
	for (int i = 0; i < 8; i++) {
		if (best >= 0 && i >= best && i < best + best_len) {
			if (i == best)
				*p++ = ':';
			continue;
		}
		if (i)
			*p++ = ':';
		if (i == 6 && best == 0 && (best_len == 6 || (best_len == 5 && w[5] == 0xffff))) {
			fmt_ipv4(p, a + 12);
			return;
		}
		bool lead = true;
		for (int sh = 12; sh >= 0; sh -= 4) {
			unsigned d = (w[i] >> sh) & 15;
			if (lead && d == 0 && sh)
				continue;
			lead = false;
			*p++ = hex[d];
		}
	}
	if (best >= 0 && best + best_len == 8)
		*p++ = ':';
	*p = '\0';
}

bool trace_netns_has_routable_ipv6(void)
{
	struct ifaddrs *ifa, *i;
	bool found = false;

	if (getifaddrs(&ifa) < 0)
		return false;
	for (i = ifa; i && !found; i = i->ifa_next) {
		const struct in6_addr *a;

		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET6)
			continue;
		a = &((const struct sockaddr_in6 *)(const void *)i->ifa_addr)->sin6_addr;
		found = !IN6_IS_ADDR_LOOPBACK(a) && !IN6_IS_ADDR_LINKLOCAL(a);
	}
	freeifaddrs(ifa);
	return found;
}

const char *trace_addr_str(char *buf, uint16_t family, const uint8_t *addr)
{
	if (family == AF_INET6)
		fmt_ipv6(buf, addr);
	else
		fmt_ipv4(buf, addr);
	return buf;
}

void trace_cells_tuple(struct table *t, int col, const struct tr_tuple *tu)
{
	char a[64];

	out_field_u64(t, "ip", NULL, tu->family == AF_INET6 ? 6 : 4);
	out_cell_str(t, col, trace_addr_str(a, tu->family, tu->saddr));
	out_cell_u64(t, col + 1, tu->sport);
	out_cell_str(t, col + 2, trace_addr_str(a, tu->family, tu->daddr));
	out_cell_u64(t, col + 3, tu->dport);
}

const char *trace_ip_proto_str(char *buf, size_t cap, uint16_t family, uint8_t proto)
{
	const char *fam = family == AF_INET6 ? "6" : "4";

	if (proto == IPPROTO_TCP)
		snprintf(buf, cap, "tcp%s", fam);
	else if (proto == IPPROTO_UDP)
		snprintf(buf, cap, "udp%s", fam);
	else if (proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6)
		snprintf(buf, cap, "icmp%s", proto == IPPROTO_ICMPV6 ? "6" : "");
	else
		snprintf(buf, cap, "ip%s/%u", fam, proto);
	return buf;
}

const char *tcp_state_name(int state)
{
	static const char *const names[] = {
		"UNKNOWN",   "ESTABLISHED", "SYN_SENT",  "SYN_RECV",   "FIN_WAIT1",
		"FIN_WAIT2", "TIME_WAIT",   "CLOSE",     "CLOSE_WAIT", "LAST_ACK",
		"LISTEN",    "CLOSING",     "NEW_SYN_RECV", "BOUND_INACTIVE",
	};
	if (state < 0 || (size_t)state >= sizeof(names) / sizeof(names[0]))
		return "UNKNOWN";
	return names[state];
}

const char *trace_tcp_flags_str(char *buf, unsigned flags)
{
	static const char *const names[] = { "FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR" };
	char *p = buf;

	for (int i = 0; i < 8; i++) {
		if (!(flags & (1u << i)))
			continue;
		if (p != buf)
			*p++ = '|';
		memcpy(p, names[i], 3);
		p += 3;
	}
	if (p == buf)
		*p++ = '-';
	*p = '\0';
	return buf;
}

const char *trace_xmit_err_name(char *buf, size_t cap, int err)
{
	const char *n = NULL;

	if (err == 0)
		n = "ok";
	else if (err == 1)
		n = "NET_XMIT_DROP";
	else if (err == 2)
		n = "NET_XMIT_CN";
	else if (err < 0)
		n = strerrorname_np(-err);
	if (n)
		snprintf(buf, cap, "%s", n);
	else
		snprintf(buf, cap, "%d", err);
	return buf;
}
