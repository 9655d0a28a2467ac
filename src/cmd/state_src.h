/* Where a state command reads from, parsed and opened the same way by
 * every one of them: this host, another network namespace (-N NAME,
 * --netns PATH) or a snapshot (--from FILE). */
#ifndef NETLENS_STATE_SRC_H
#define NETLENS_STATE_SRC_H

#include "base/opts.h"

#include <getopt.h>
#include <stdbool.h>

struct host;

struct state_src {
	const char *netns_name, *netns_path, *from;
};

enum { OPT_SRC_NETNS = 0x5300, OPT_SRC_FROM }; /* in opts.h's OPT_SHARED range */

#define STATE_SRC_LONGOPTS                                                           \
	{ "net", required_argument, NULL, 'N' },                                       \
	{ "netns", required_argument, NULL, OPT_SRC_NETNS },                           \
	{ "from", required_argument, NULL, OPT_SRC_FROM }

#define STATE_SRC_SHORTOPTS "N:"

/* The same options as an option-table group (base/opts.h): a command lists
 * { "Source", state_src_rows } among its groups. */
extern const struct opt state_src_rows[];

#define STATE_SRC_USAGE                                                              \
	"  -N, --net NAME     inside the `ip netns` namespace NAME\n"                  \
	"      --netns PATH   inside the namespace at PATH (e.g. /proc/PID/ns/net)\n"  \
	"      --from FILE    read a snapshot (netlens snapshot) instead of this host\n"

/* True when c (from getopt_long) was one of the options above. */
bool state_src_opt(struct state_src *s, int c, const char *arg);

/* Enters the namespace, or opens the snapshot, and returns the host to read
 * (live when from is unset). On failure prints one line naming the cause
 * and returns NULL. */
struct host *state_src_open(const struct state_src *s);

#endif
