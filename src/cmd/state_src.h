/* Where a state command reads from, parsed and opened the same way by
 * every one of them: this host, another network namespace (-N NAME,
 * --netns PATH) or a snapshot (--from FILE). */
#ifndef NETLENS_STATE_SRC_H
#define NETLENS_STATE_SRC_H

#include "base/opts.h"

#include <stdbool.h>

struct host;

struct state_src {
	const char *netns_name, *netns_path, *from;
};

enum { OPT_SRC_NETNS = 0x5300, OPT_SRC_FROM }; /* in opts.h's OPT_SHARED range */

/* The options as an option-table group (base/opts.h): a command lists
 * { "Source", state_src_rows } among its groups. */
extern const struct opt state_src_rows[];

/* True when c (an id from opts_next()) was one of the options above. */
bool state_src_opt(struct state_src *s, int c, const char *arg);

/* Enters the network namespace named (-N NAME) or at path (--netns PATH);
 * nothing when both are NULL. 0 on success; otherwise prints one line
 * naming the cause and the fix (a path that is not a network namespace
 * file, a missing name, the capability setns() needs) and returns
 * EXIT_FAIL. */
int state_src_enter_netns(const char *name, const char *path);

/* Enters the namespace, or opens the snapshot, and returns the host to read
 * (live when from is unset). On failure prints one line naming the cause
 * and returns NULL. */
struct host *state_src_open(const struct state_src *s);

#endif
