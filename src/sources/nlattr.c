/* Bounded netlink attribute access. See nlattr.h. */
#include "sources/nlattr.h"

#include <errno.h>
#include <linux/netlink.h>
#include <string.h>

static uint16_t len_of(const struct nlattr *a)
{
	uint16_t n;
	memcpy(&n, (const char *)a + offsetof(struct nlattr, nla_len), sizeof(n));
	return n;
}

size_t nlattr_len(const struct nlattr *a) { return len_of(a) - NLA_HDRLEN; }
const void *nlattr_data(const struct nlattr *a) { return (const char *)a + NLA_HDRLEN; }

static int walk(const char *p, size_t len, struct nlattr_tb *tb)
{
	memset(tb, 0, sizeof(*tb));
	while (len >= NLA_HDRLEN) {
		const struct nlattr *a = (const void *)p;
		uint16_t alen = len_of(a), type;
		memcpy(&type, p + offsetof(struct nlattr, nla_type), sizeof(type));
		type &= NLA_TYPE_MASK;
		if (alen < NLA_HDRLEN || alen > len)
			return -EBADMSG;
		if (type < NLATTR_TB_MAX)
			tb->a[type] = a;
		size_t step = NLA_ALIGN(alen);
		if (step >= len)
			break;
		p += step;
		len -= step;
	}
	return 0;
}

int nlattr_tb_msg(const struct nlmsghdr *nlh, size_t hdrlen, struct nlattr_tb *tb)
{
	uint32_t mlen;

	memcpy(&mlen, (const char *)nlh + offsetof(struct nlmsghdr, nlmsg_len), sizeof(mlen));
	if (mlen < NLMSG_LENGTH(hdrlen))
		return -EBADMSG;
	size_t off = NLMSG_HDRLEN + NLMSG_ALIGN(hdrlen);
	if (off > mlen)
		off = mlen;
	return walk((const char *)nlh + off, mlen - off, tb);
}

int nlattr_tb_nested(const struct nlattr *a, struct nlattr_tb *tb)
{
	return walk(nlattr_data(a), nlattr_len(a), tb);
}

#define GETTER(name, T)                                                  \
	bool name(const struct nlattr *a, T *v)                          \
	{                                                                \
		if (!a || nlattr_len(a) < sizeof(T))                     \
			return false;                                    \
		memcpy(v, nlattr_data(a), sizeof(T));                    \
		return true;                                             \
	}
GETTER(nlattr_u8, uint8_t)
GETTER(nlattr_u16, uint16_t)
GETTER(nlattr_u32, uint32_t)
GETTER(nlattr_u64, uint64_t)

bool nlattr_str(const struct nlattr *a, char *dst, size_t cap)
{
	if (!a || cap == 0)
		return false;
	size_t n = nlattr_len(a);
	const char *s = nlattr_data(a);
	const char *nul = memchr(s, '\0', n);
	if (nul)
		n = (size_t)(nul - s);
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return true;
}

bool nlattr_bytes(const struct nlattr *a, void *dst, size_t size)
{
	if (!a || nlattr_len(a) < size)
		return false;
	memcpy(dst, nlattr_data(a), size);
	return true;
}

uint16_t nlattr_msg_type(const struct nlmsghdr *nlh)
{
	uint16_t t;
	memcpy(&t, (const char *)nlh + offsetof(struct nlmsghdr, nlmsg_type), sizeof(t));
	return t;
}

void nlattr_msg_hdr(const struct nlmsghdr *nlh, void *hdr, size_t hdrlen)
{
	memcpy(hdr, (const char *)nlh + NLMSG_HDRLEN, hdrlen);
}
