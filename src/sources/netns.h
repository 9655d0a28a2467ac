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

struct stat;

/* Opens the namespace file at path and checks it is one: opened with
 * O_NONBLOCK (a FIFO planted at the path cannot hang the open), refused
 * with -EINVAL when the path is empty, when it is not an nsfs file (statfs
 * f_type NSFS_MAGIC: a regular file, a FIFO, a directory...) or when it is
 * a namespace of another type (NS_GET_NSTYPE). Returns the open fd (the
 * caller closes it) or -errno. On -EINVAL, why (when not NULL) holds the
 * reason, starting "it is ..." or naming the empty path; on other errors
 * it is left empty and the errno says it. st (when not NULL) gets the
 * file's stat: st_ino is the namespace's inode number, as BPF sees it.
 * Every --netns PATH option (state views, snapshot, the tracers) checks
 * its argument with this. */
int netns_open_path(const char *path, struct stat *st, char *why, size_t whylen);
/* setns() into the network namespace at path (checked as above). -EPERM
 * from setns means the process lacks CAP_SYS_ADMIN (or the namespace is
 * owned by a user namespace it has no rights in). */
int netns_enter_path(const char *path, char *why, size_t whylen);
/* name: an `ip netns` name (looked up under /run/netns); a name with a '/'
 * or an empty one is refused (-EINVAL, why set). */
int netns_enter_name(const char *name, char *why, size_t whylen);

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
