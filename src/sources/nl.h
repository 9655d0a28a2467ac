/* Netlink dumps over libmnl, shared by every netlink source.
 *
 * nl_dump_run() sends one dump request and feeds each reply message to cb
 * until NLMSG_DONE. It checks sequence numbers and port ids, turns
 * NLMSG_ERROR and a negative NLMSG_DONE status into -errno, rejects
 * truncated messages with -EBADMSG, and notes NLM_F_DUMP_INTR (the kernel's
 * "this dump may be inconsistent") in d->interrupted for the caller to
 * report. Recording is the host's business (sources/host.c keeps the
 * replies it asked for), and nl_parse_dump() replays them through the same
 * code.
 *
 * cb returns 0 to go on, a negative errno to abort, or a positive value to
 * stop early without error.
 */
#ifndef NETLENS_NL_H
#define NETLENS_NL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct mnl_socket;
struct nlmsghdr;

typedef int (*nl_msg_cb)(const struct nlmsghdr *nlh, void *arg);

struct nl_dump {
	struct mnl_socket *nl;
	uint32_t seq, portid;
	bool interrupted;
	char *buf;
	size_t bufsize;
};

int nl_dump_open(struct nl_dump *d, int protocol);
int nl_dump_run(struct nl_dump *d, struct nlmsghdr *req, nl_msg_cb cb, void *arg);
void nl_dump_close(struct nl_dump *d);

/* Returns 0 at NLMSG_DONE (or when cb stopped early), 1 when the buffer
 * ended without NLMSG_DONE, -errno on error. seq/portid 0: not checked. */
int nl_parse_dump(const void *buf, size_t len, uint32_t seq, uint32_t portid, nl_msg_cb cb,
		  void *arg, bool *interrupted);

#endif
