/* Socket tables from /proc/net: tcp, tcp6, udp, udp6, raw, raw6, unix and
 * packet, for kernels without the kind's sock_diag module (raw_diag is the
 * usual one missing), as iproute2's ss falls back to them.
 *
 * The records are the struct sock_rec sockdiag_dump() gives, with what the
 * files hold: addresses, ports (RAW: the protocol), state, queues, timer,
 * retransmits, uid and inode; UNIX: type, state, path (no peer, no queues);
 * PACKET: type, ethertype, interface and receive memory. No cookie, no
 * tcp_info, no memory details: `has` says what is there.
 *
 * Files are read through a host (host_read_file()), so a recorded snapshot
 * replays them; every line is checked and a malformed one is -EBADMSG.
 * Returns 0, -ENOENT when the host has no such file, or the callback's
 * non-zero return. The callback sees every socket: filter states yourself.
 */
#ifndef NETLENS_PROCNET_SOCK_H
#define NETLENS_PROCNET_SOCK_H

#include "sources/sockdiag.h"

struct host;

/* family: AF_INET or AF_INET6 for TCP, UDP and RAW; ignored otherwise. */
int procnet_sock_dump(struct host *h, enum sock_kind kind, int family, sock_cb cb, void *arg);

/* The file procnet_sock_dump() reads for (kind, family), or NULL (MPTCP). */
const char *procnet_sock_path(enum sock_kind kind, int family);

/* Parses the text of one such file (exposed for tests). clk_tck converts
 * timer ticks to milliseconds. */
int procnet_sock_parse(enum sock_kind kind, int family, const char *text, long clk_tck,
		       sock_cb cb, void *arg);

#endif
