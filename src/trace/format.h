/* Formatting shared by tracer rows and summaries: addresses, TCP states and
 * flags, and the cells every socket table has (owner, tuple).
 *
 * The cell writers take the table they write into, so an event row
 * (trace_row_begin()'s table) and a summary table use the same ones. A
 * column whose title and key are both NULL is hidden: writing to it costs
 * nothing, so a table drops columns by their declaration, not by shifting
 * indices. Nothing here allocates; addresses are formatted without
 * printf (tracers' per-event path).
 */
#ifndef NETLENS_TRACE_FORMAT_H
#define NETLENS_TRACE_FORMAT_H

#include "base/output.h"
#include "bpf/netlens.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An address of the given family as inet_ntop() writes it; buf >= 46. */
const char *trace_addr_str(char *buf, uint16_t family, const uint8_t *addr);
/* True when an interface of this network namespace has an IPv6 address
 * wider than loopback and link-local ones (global or unique-local scope):
 * IPv6 peers are then likely, and event streams size their address
 * columns for a full IPv6 address from the start. */
bool trace_netns_has_routable_ipv6(void);
/* A packet's protocol as the packet tracers print it: "tcp4", "udp6",
 * "icmp", "icmp6", else "ip4/N" or "ip6/N" (N: the IP protocol number);
 * family AF_INET or AF_INET6. buf >= 16. */
const char *trace_ip_proto_str(char *buf, size_t cap, uint16_t family, uint8_t proto);
/* "ESTABLISHED" ... for the kernel's TCP_* states, "UNKNOWN" otherwise. */
const char *tcp_state_name(int state);
/* TCP header flags as "SYN|ACK" ("-" for none); buf >= 40. */
const char *trace_tcp_flags_str(char *buf, unsigned flags);

/* The result of a transmit as the kernel's tcp_retransmit_skb reports it:
 * 0 "ok", a qdisc's NET_XMIT_DROP (1) or NET_XMIT_CN (2), a -errno by its
 * name ("EBUSY"), else the number. buf >= 16. */
const char *trace_xmit_err_name(char *buf, size_t cap, int err);

/* The columns of an owner (PID, COMM) and of a tuple (LADDR, LPORT, RADDR,
 * RPORT), for a tracer's column array: every socket table declares them
 * alike, with the JSON keys pid, comm, laddr, lport, raddr, rport. */
#define TRACE_TASK_COLS                                                                \
	{ "PID", "pid", OUT_RIGHT, 7 }, { "COMM", "comm", 0, 15 }
#define TRACE_TUPLE_COLS                                                               \
	{ "LADDR", "laddr", 0, 15 }, { "LPORT", "lport", OUT_RIGHT, 5 },                   \
	{ "RADDR", "raddr", 0, 15 }, { "RPORT", "rport", OUT_RIGHT, 5 }

/* The cells of TRACE_TASK_COLS at columns col, col + 1: pid 0 is unknown
 * ("-" in text, 0 and "" in JSON); comm holds TR_COMM_LEN bytes,
 * NUL-terminated or not. */
void trace_cells_task(struct table *t, int col, uint32_t pid, const char *comm);
/* The cells of TRACE_TUPLE_COLS at columns col .. col + 3, plus JSON
 * "ip": 4|6. */
void trace_cells_tuple(struct table *t, int col, const struct tr_tuple *tu);

#endif
