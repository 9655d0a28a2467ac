#include "sources/nl.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { NL_BUFSIZE = 64 * 1024 };

int nl_dump_open(struct nl_dump *d, int protocol)
{
	int one = 1;

	memset(d, 0, sizeof(*d));
	d->nl = mnl_socket_open2(protocol, SOCK_CLOEXEC);
	if (!d->nl)
		return -errno;
	if (mnl_socket_bind(d->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		int err = -errno;
		mnl_socket_close(d->nl);
		d->nl = NULL;
		return err;
	}
	/* extended acks make kernel errors carry a reason; harmless if absent */
	mnl_socket_setsockopt(d->nl, NETLINK_EXT_ACK, &one, sizeof(one));
	d->portid = mnl_socket_get_portid(d->nl);
	d->seq = (uint32_t)time(NULL);
	d->bufsize = NL_BUFSIZE;
	d->buf = malloc(d->bufsize);
	if (!d->buf) {
		mnl_socket_close(d->nl);
		d->nl = NULL;
		return -ENOMEM;
	}
	return 0;
}

void nl_dump_close(struct nl_dump *d)
{
	if (d->nl)
		mnl_socket_close(d->nl);
	free(d->buf);
	d->nl = NULL;
	d->buf = NULL;
}

/* A reply's error as -errno: what a recorded (snapshot) reply says may be
 * any int, and strerror(-INT_MIN) is undefined; an errno is 1..4095. */
static int kernel_errno(int e)
{
	return e < 0 && e >= -4095 ? e : -EPROTO;
}

int nl_parse_dump(const void *buf, size_t len, uint32_t seq, uint32_t portid, nl_msg_cb cb,
		  void *arg, bool *interrupted)
{
	const struct nlmsghdr *nlh = buf;
	size_t n = len;

	while (n > 0) {
		/* Lengths checked here, not with mnl_nlmsg_ok(), which casts
		 * nlmsg_len to int (a top bit set passes and walks off the buffer).
		 * The aligned length must fit too: libmnl's attribute walk ends
		 * there, and the kernel always sends the padding. It is computed
		 * in size_t because MNL_ALIGN() of a u32 near 4 GiB wraps to 0. */
		if (n < sizeof(*nlh))
			return -EBADMSG;
		size_t step = ((size_t)nlh->nlmsg_len + 3) & ~(size_t)3;
		if (nlh->nlmsg_len < sizeof(*nlh) || step > n)
			return -EBADMSG; /* truncated, or a length that lies */
		if (seq && !mnl_nlmsg_seq_ok(nlh, seq))
			return -EPROTO;
		if (portid && !mnl_nlmsg_portid_ok(nlh, portid))
			return -EPROTO;
		if ((nlh->nlmsg_flags & NLM_F_DUMP_INTR) && interrupted)
			*interrupted = true;
		if (nlh->nlmsg_type == NLMSG_DONE) {
			int status = 0;
			if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(int))
				memcpy(&status, mnl_nlmsg_get_payload(nlh), sizeof(status));
			return status < 0 ? kernel_errno(status) : 0;
		}
		if (nlh->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
			if (mnl_nlmsg_get_payload_len(nlh) < sizeof(e->error))
				return -EBADMSG;
			if (e->error)
				return kernel_errno(e->error);
			/* an ack with error 0: nothing to parse */
		} else if (nlh->nlmsg_type >= NLMSG_MIN_TYPE) {
			int r = cb(nlh, arg);
			if (r < 0)
				return r;
			if (r > 0)
				return 0;
		}
		if (step >= n)
			break;
		n -= step;
		nlh = (const struct nlmsghdr *)((const char *)nlh + step);
	}
	return 1;
}

int nl_dump_run(struct nl_dump *d, struct nlmsghdr *req, nl_msg_cb cb, void *arg)
{
	int ret;

	req->nlmsg_seq = d->seq;
	if (mnl_socket_sendto(d->nl, req, req->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(d->nl, d->buf, d->bufsize);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == ENOSPC ? -EMSGSIZE : -errno;
		}
		if (n == 0)
			return -EPIPE;
		ret = nl_parse_dump(d->buf, (size_t)n, d->seq, d->portid, cb, arg, &d->interrupted);
		if (ret <= 0)
			return ret;
	}
}
