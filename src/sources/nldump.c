/* Dumps through the host into a callback or a vector. See nldump.h. */
#include "sources/nldump.h"
#include "sources/host.h"

#include <errno.h>
#include <linux/netlink.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void *nl_vec_grow(struct nl_vec vec)
{
	char *arr;

	/* the T * is read and written as bytes: it is not a void * */
	memcpy(&arr, vec.v, sizeof(arr));
	if (*vec.n == *vec.cap) {
		size_t nc = *vec.cap ? *vec.cap * 2 : 64;
		if (nc > SIZE_MAX / vec.size)
			return NULL;
		char *p = realloc(arr, nc * vec.size);
		if (!p)
			return NULL;
		arr = p;
		memcpy(vec.v, &arr, sizeof(arr));
		*vec.cap = nc;
	}
	char *e = arr + (*vec.n)++ * vec.size;
	memset(e, 0, vec.size);
	return e;
}

int nl_dump_bytes(struct host *h, const struct nl_req *req, char **buf, size_t *len)
{
	char msg[NLMSG_HDRLEN + NL_REQ_HDR_MAX] = { 0 };
	struct nlmsghdr *nlh = (struct nlmsghdr *)msg;

	if (req->hdrlen > NL_REQ_HDR_MAX)
		return -EINVAL;
	nlh->nlmsg_len = (uint32_t)NLMSG_LENGTH(req->hdrlen);
	nlh->nlmsg_type = req->type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	memcpy(msg + NLMSG_HDRLEN, req->hdr, req->hdrlen);
	return host_nl_dump(h, req->protocol, nlh, buf, len);
}

int nl_dump_each(struct host *h, const struct nl_req *req, nl_msg_cb cb, void *arg,
		 bool *interrupted)
{
	char *buf = NULL;
	size_t len = 0;
	int err = nl_dump_bytes(h, req, &buf, &len);

	if (err)
		return err;
	err = nl_parse_dump(buf, len, 0, 0, cb, arg, interrupted);
	free(buf);
	return err < 0 ? err : 0;
}

struct vec_ctx {
	nl_rec_parse parse;
	struct nl_vec vec;
};

static int on_msg(const struct nlmsghdr *nlh, void *arg)
{
	struct vec_ctx *c = arg;
	void *rec = nl_vec_grow(c->vec);

	if (!rec)
		return -ENOMEM;
	int r = c->parse(nlh, rec);
	if (r != 0)
		(*c->vec.n)--; /* skipped or malformed: not kept */
	return r < 0 ? r : 0;
}

int nl_parse_vec(const void *buf, size_t len, nl_rec_parse parse, struct nl_vec vec,
		 bool *interrupted)
{
	struct vec_ctx c = { parse, vec };
	int r = nl_parse_dump(buf, len, 0, 0, on_msg, &c, interrupted);

	return r < 0 ? r : 0;
}

int nl_dump_vec(struct host *h, const struct nl_req *req, nl_rec_parse parse, struct nl_vec vec,
		bool *interrupted)
{
	struct vec_ctx c = { parse, vec };

	return nl_dump_each(h, req, on_msg, &c, interrupted);
}
