/* Internal to the rtnl source (rtnl.c, rtnl_info.c, rtnl_tc.c): bounded
 * attribute access. Not for commands. */
#ifndef NETLENS_RTNL_INT_H
#define NETLENS_RTNL_INT_H

#include <libmnl/libmnl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sources/rtnl.h"

#define RTNL_TB_MAX 64

/* Attributes by type (types above max are ignored; a later duplicate wins). */
struct rtnl_tb {
	const struct nlattr *a[RTNL_TB_MAX];
};

/* Attributes after a fixed header of hdrlen bytes in nlh; -EBADMSG when the
 * message is shorter than the header or an attribute's length lies. */
int rtnl_tb_msg(const struct nlmsghdr *nlh, size_t hdrlen, struct rtnl_tb *tb);
/* Attributes nested in a. */
int rtnl_tb_nested(const struct nlattr *a, struct rtnl_tb *tb);

bool rtnl_u8(const struct nlattr *a, uint8_t *v);
bool rtnl_u16(const struct nlattr *a, uint16_t *v);
bool rtnl_u32(const struct nlattr *a, uint32_t *v);
bool rtnl_u64(const struct nlattr *a, uint64_t *v);
/* Copies a string attribute into dst (bounded, NUL-terminated); false when absent. */
bool rtnl_str(const struct nlattr *a, char *dst, size_t cap);

/* IFLA_INFO_DATA (slave false) or IFLA_INFO_SLAVE_DATA (slave true) of a
 * link of the given kind -> key/value pairs. Unknown kinds give none. */
int rtnl_decode_info(const char *kind, bool slave, const struct nlattr *data, struct rtnl_kv *out,
		     unsigned max, unsigned *n);

/* Appends one element of size sz to a growable array. NULL on ENOMEM. */
void *rtnl_grow(void **v, size_t *n, size_t *cap, size_t sz);

#endif
