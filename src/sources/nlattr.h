/* Bounded netlink attribute access, for every netlink parser in sources/
 * (rtnl, route, neigh, linkextra, netns).
 *
 * Guarantees: no length is trusted. nlattr_tb_msg() checks that the message
 * holds its fixed header and every attribute's length against what is left
 * of the message; the getters check the payload is long enough for what
 * they read; strings are copied bounded and always NUL-terminated. Reads
 * are byte copies, so no alignment of the buffer is assumed. A message or
 * nest whose lengths lie gives -EBADMSG; nothing is read out of bounds.
 *
 * Call only on messages that nl_parse_dump() (sources/nl.h) handed over:
 * it has checked nlmsg_len against the buffer.
 */
#ifndef NETLENS_NLATTR_H
#define NETLENS_NLATTR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nlattr;
struct nlmsghdr;

#define NLATTR_TB_MAX 64

/* Attributes by type (types above max are ignored; a later duplicate wins). */
struct nlattr_tb {
	const struct nlattr *a[NLATTR_TB_MAX];
};

/* Attributes after a fixed header of hdrlen bytes in nlh; -EBADMSG when the
 * message is shorter than the header or an attribute's length lies. */
int nlattr_tb_msg(const struct nlmsghdr *nlh, size_t hdrlen, struct nlattr_tb *tb);
/* Attributes nested in a. */
int nlattr_tb_nested(const struct nlattr *a, struct nlattr_tb *tb);

/* Payload length and start of a (checked by the table walk above). */
size_t nlattr_len(const struct nlattr *a);
const void *nlattr_data(const struct nlattr *a);

/* Fixed-size reads: false (v untouched) when a is NULL or too short. */
bool nlattr_u8(const struct nlattr *a, uint8_t *v);
bool nlattr_u16(const struct nlattr *a, uint16_t *v);
bool nlattr_u32(const struct nlattr *a, uint32_t *v);
bool nlattr_u64(const struct nlattr *a, uint64_t *v);
/* Copies a string attribute into dst (bounded, NUL-terminated); false when absent. */
bool nlattr_str(const struct nlattr *a, char *dst, size_t cap);
/* Copies the first size bytes; false (dst untouched) when absent or shorter. */
bool nlattr_bytes(const struct nlattr *a, void *dst, size_t size);

/* nlmsg_type of a message, read without assuming alignment. */
uint16_t nlattr_msg_type(const struct nlmsghdr *nlh);
/* The fixed header after the netlink header (the caller has checked the
 * message holds hdrlen bytes, e.g. with nlattr_tb_msg()). */
void nlattr_msg_hdr(const struct nlmsghdr *nlh, void *hdr, size_t hdrlen);

#endif
