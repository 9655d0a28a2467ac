/* Entering another network namespace (ip netns names, or any nsfs path
 * such as /proc/PID/ns/net). Returns 0 or -errno; the caller reports. */
#ifndef NETLENS_NETNS_H
#define NETLENS_NETNS_H

/* name: an `ip netns` name (looked up under /run/netns) */
int netns_enter_name(const char *name);
int netns_enter_path(const char *path);

#endif
