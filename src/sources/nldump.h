/* Netlink dumps through the host, into a callback or a vector: the one
 * request/dump/parse loop every netlink source shares (rtnl, rtnl_tc,
 * route, neigh, linkextra).
 *
 * A request is its netlink protocol, message type and fixed family header
 * (struct ifinfomsg, rtmsg, ...); the dump comes from host_nl_dump(), so a
 * snapshot answers as the live system did. A vector is any struct
 * { T *v; size_t n, cap; }, named with NL_VEC(&vec); nl_parse_vec() feeds
 * each message to a parser that fills one T:
 *
 *	static int parse_route(const struct nlmsghdr *nlh, void *rec)
 *	{
 *		return route_parse_msg(nlh, rec);
 *	}
 *	struct nl_req req = NL_REQ(NETLINK_ROUTE, RTM_GETROUTE, rtm);
 *	err = nl_dump_vec(h, &req, parse_route, NL_VEC(out), NULL);
 *
 * A parser returns 0 to keep the record, 1 to skip the message (not its
 * type), or -errno to fail the whole parse. Records kept before an error
 * stay in the vector: its owner frees it either way.
 *
 * Memory: a vector's array is malloc'ed; its owner frees v. Functions
 * return 0 or -errno and never print.
 */
#ifndef NETLENS_NLDUMP_H
#define NETLENS_NLDUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sources/nl.h"

struct host;

#define NL_REQ_HDR_MAX 64

struct nl_req {
	int protocol;     /* NETLINK_ROUTE, ... */
	uint16_t type;    /* RTM_GETLINK, ... */
	const void *hdr;  /* the family header the request carries */
	size_t hdrlen;    /* at most NL_REQ_HDR_MAX */
};
#define NL_REQ(proto, msgtype, h) \
	((struct nl_req){ .protocol = (proto), .type = (msgtype), .hdr = &(h), .hdrlen = sizeof(h) })

/* A growable array: where its pointer, count and capacity live. */
struct nl_vec {
	void *v;          /* address of the T * */
	size_t *n, *cap;
	size_t size;      /* sizeof(T) */
};
#define NL_VEC(vec) \
	((struct nl_vec){ .v = &(vec)->v, .n = &(vec)->n, .cap = &(vec)->cap, .size = sizeof(*(vec)->v) })

typedef int (*nl_rec_parse)(const struct nlmsghdr *nlh, void *rec);

/* One zeroed element appended; NULL on ENOMEM. */
void *nl_vec_grow(struct nl_vec vec);

/* The dump of req (NLM_F_DUMP) as raw bytes, as host_nl_dump() gives them. */
int nl_dump_bytes(struct host *h, const struct nl_req *req, char **buf, size_t *len);
/* Every message of a dump of req to cb (see nl_parse_dump()). interrupted
 * (may be NULL) is set when the kernel flagged the dump NLM_F_DUMP_INTR. */
int nl_dump_each(struct host *h, const struct nl_req *req, nl_msg_cb cb, void *arg,
		 bool *interrupted);
/* A whole dump (bytes as nl_dump_bytes() returns them) appended to vec. */
int nl_parse_vec(const void *buf, size_t len, nl_rec_parse parse, struct nl_vec vec,
		 bool *interrupted);
/* nl_dump_bytes() then nl_parse_vec(). */
int nl_dump_vec(struct host *h, const struct nl_req *req, nl_rec_parse parse, struct nl_vec vec,
		bool *interrupted);

#endif
