/* Network namespaces: entering one (ip netns names, or any nsfs path such
 * as /proc/PID/ns/net), and naming the ones a netnsid refers to.
 *
 * A netnsid (IFLA_LINK_NETNSID: where a veth's peer lives) is a number the
 * current namespace assigned to another; `ip` shows the `ip netns` name
 * that maps to it. netns_names_load() does what iproute2 does for that:
 * for each /run/netns/NAME it asks the kernel (RTM_GETNSID with
 * NETNSA_FD) which id the current namespace gave it. This is live state
 * only: a snapshot records no namespace names.
 *
 * Memory: struct netns_names owns its array (netns_names_free(), which
 * accepts a zeroed struct). Functions return 0 or -errno; the caller reports.
 */
#ifndef NETLENS_NETNS_H
#define NETLENS_NETNS_H

#include <stddef.h>
#include <stdint.h>

/* name: an `ip netns` name (looked up under /run/netns) */
int netns_enter_name(const char *name);
int netns_enter_path(const char *path);

struct netns_name {
	int32_t nsid;
	char name[256];
};

struct netns_names {
	struct netns_name *v;
	size_t n, cap;
};

/* Every name under dir (NULL: /run/netns) whose namespace has an id in the
 * current one. A missing dir is no names (0); names whose namespace has no
 * id, or that cannot be opened, are left out. */
int netns_names_load(const char *dir, struct netns_names *out);
/* The first name with this id, or NULL. */
const char *netns_name_of(const struct netns_names *ns, int32_t nsid);
void netns_names_free(struct netns_names *ns);

#endif
