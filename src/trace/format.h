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

#include <stddef.h>
#include <stdint.h>

/* An address of the given family as inet_ntop() writes it; buf >= 46. */
const char *trace_addr_str(char *buf, uint16_t family, const uint8_t *addr);
/* "ESTABLISHED" ... for the kernel's TCP_* states, "UNKNOWN" otherwise. */
const char *tcp_state_name(int state);
/* TCP header flags as "SYN|ACK" ("-" for none); buf >= 40. */
const char *trace_tcp_flags_str(char *buf, unsigned flags);

/* The result of a transmit as the kernel's tcp_retransmit_skb reports it:
 * 0 "ok", a qdisc's NET_XMIT_DROP (1) or NET_XMIT_CN (2), a -errno by its
 * name ("EBUSY"), else the number. buf >= 16. */
const char *trace_xmit_err_name(char *buf, size_t cap, int err);

/* PID and COMM cells of an owner (pid 0: unknown, "-" in text, 0 and "" in
 * JSON); comm holds TR_COMM_LEN bytes, NUL-terminated or not. */
void trace_cells_task(struct table *t, int col_pid, int col_comm, uint32_t pid,
		      const char *comm);
/* Address/port cells of a tuple plus JSON "ip": 4|6. */
void trace_cells_tuple(struct table *t, int col_laddr, int col_lport, int col_raddr,
		       int col_rport, const struct tr_tuple *tu);

#endif
