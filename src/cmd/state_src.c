#include "cmd/state_src.h"
#include "base/opts.h"
#include "base/output.h"
#include "sources/host.h"
#include "sources/netns.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

const struct opt state_src_rows[] = {
	{ 'N', "net", "NAME", "inside the `ip netns` namespace NAME" },
	{ OPT_SRC_NETNS, "netns", "PATH", "inside the namespace at PATH (e.g. /proc/PID/ns/net)" },
	{ OPT_SRC_FROM, "from", "FILE", "read a snapshot (netlens snapshot) instead of this host" },
	OPT_END,
};

bool state_src_opt(struct state_src *s, int c, const char *arg)
{
	switch (c) {
	case 'N': s->netns_name = arg; return true;
	case OPT_SRC_NETNS: s->netns_path = arg; return true;
	case OPT_SRC_FROM: s->from = arg; return true;
	}
	return false;
}

struct host *state_src_open(const struct state_src *s)
{
	struct host *h;
	char err[256];

	if (s->from && (s->netns_name || s->netns_path)) {
		out_error("--from reads a snapshot: -N and --netns do not apply to it");
		return NULL;
	}
	if (s->netns_name || s->netns_path) {
		const char *what = s->netns_name ? s->netns_name : s->netns_path;
		int e = s->netns_name ? netns_enter_name(what) : netns_enter_path(what);
		if (e) {
			out_error("cannot enter network namespace '%s': %s%s", what, strerror(-e),
				  e == -ENOENT ? " (see 'ip netns list')"
				  : e == -EPERM ? " (entering a namespace needs root)" : "");
			return NULL;
		}
	}
	if (host_open(s->from, &h, err, sizeof(err)) < 0) {
		out_error("%s", err);
		return NULL;
	}
	return h;
}
