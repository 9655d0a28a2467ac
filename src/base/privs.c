#include "base/privs.h"

#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

bool privs_has_cap(int cap)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = { 0 };

	if (syscall(SYS_capget, &hdr, data) != 0)
		return geteuid() == 0;
	return data[cap / 32].effective & (1u << (cap % 32));
}

const char *privs_missing_for_bpf(void)
{
	if (privs_has_cap(CAP_SYS_ADMIN))
		return NULL;
	if (!privs_has_cap(CAP_BPF))
		return "CAP_BPF";
	if (!privs_has_cap(CAP_PERFMON))
		return "CAP_PERFMON";
	return NULL;
}

const char *privs_missing_for_setns(void)
{
	return privs_has_cap(CAP_SYS_ADMIN) ? NULL : "CAP_SYS_ADMIN";
}
