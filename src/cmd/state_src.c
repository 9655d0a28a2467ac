#include "cmd/state_src.h"
#include "base/opts.h"
#include "base/output.h"
#include "base/privs.h"
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

int state_src_enter_netns(const char *name, const char *path)
{
	const char *what = name ? name : path;
	const char *missing;
	char why[256];
	int e;

	if (!name && !path)
		return 0;
	if (name && path)
		return out_error("-N %s and --netns %s both name a namespace: give one of them",
				 name, path);
	e = name ? netns_enter_name(name, why, sizeof(why)) : netns_enter_path(path, why, sizeof(why));
	if (!e)
		return 0;
	if (e == -EINVAL && why[0])
		return out_error("cannot enter network namespace '%s': %s", what, why);
	if (e == -EPERM && (missing = privs_missing_for_setns()))
		return out_error("cannot enter network namespace '%s': setns() needs %s, which this "
				 "process lacks: run it as root (sudo)", what, missing);
	return out_error("cannot enter network namespace '%s': %s%s", what, strerror(-e),
			 e == -ENOENT ? " (see 'ip netns list')"
			 : e == -EPERM ? " (setns() refused: the namespace belongs to a user "
					 "namespace this process has no CAP_SYS_ADMIN in)"
			 : e == -EACCES ? " (entering a namespace needs CAP_SYS_ADMIN, and opening "
					  "another user's needs CAP_SYS_PTRACE: run it as root)"
					: "");
}

struct host *state_src_open(const struct state_src *s)
{
	struct host *h;
	char err[256];

	if (s->from && (s->netns_name || s->netns_path)) {
		out_error("--from reads a snapshot: -N and --netns do not apply to it");
		return NULL;
	}
	if (state_src_enter_netns(s->netns_name, s->netns_path))
		return NULL;
	if (host_open(s->from, &h, err, sizeof(err)) < 0) {
		out_error("%s", err);
		return NULL;
	}
	return h;
}
