/* Privilege checks: the command runner's (BPF), and entering a namespace. */
#ifndef NETLENS_PRIVS_H
#define NETLENS_PRIVS_H

#include <stdbool.h>

bool privs_has_cap(int cap);
/* NULL when BPF tracing is allowed (CAP_SYS_ADMIN, or CAP_BPF and
 * CAP_PERFMON); otherwise the name of what is missing. */
const char *privs_missing_for_bpf(void);
/* NULL when this process may enter another network namespace (setns()
 * needs CAP_SYS_ADMIN); otherwise the name of the missing capability. */
const char *privs_missing_for_setns(void);

#endif
