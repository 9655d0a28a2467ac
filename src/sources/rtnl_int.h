/* Internal to the rtnl source: rtnl.c parses RTM_NEWLINK and hands a
 * link's IFLA_INFO_DATA / IFLA_INFO_SLAVE_DATA to rtnl_info.c. Attribute
 * access for both lives in nlattr.h, so the calls go one way only. Not for
 * commands. */
#ifndef NETLENS_RTNL_INT_H
#define NETLENS_RTNL_INT_H

#include <stdbool.h>

#include "sources/rtnl.h"

struct nlattr;

/* IFLA_INFO_DATA (slave false) or IFLA_INFO_SLAVE_DATA (slave true) of a
 * link of the given kind -> key/value pairs. Unknown kinds give none. */
int rtnl_decode_info(const char *kind, bool slave, const struct nlattr *data, struct rtnl_kv *out,
		     unsigned max, unsigned *n);

#endif
