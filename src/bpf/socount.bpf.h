/* What the counting socket tracers (sockstat, sofamily, soprotocol) share
 * on the BPF side: the filters on the calling task. Include after
 * bpf/netlens.bpf.h and bpf/sofd.bpf.h. */
#ifndef NETLENS_BPF_SOCOUNT_H
#define NETLENS_BPF_SOCOUNT_H

/* -p and --comm on the calling task; nothing read when neither is given
 * (the filter is rodata: the verifier drops the branch). */
static __always_inline bool so_want_caller(void)
{
	return !(tr_filter.pid || tr_filter.comm_set) ||
	       so_want_current(bpf_get_current_pid_tgid());
}

/* The calling task's network namespace (plain loads through BTF pointers;
 * 0 for a task without one, an exiting task). */
static __always_inline __u32 so_current_netns(void)
{
	struct task_struct *task = bpf_get_current_task_btf();

	return task->nsproxy->net_ns->ns.inum;
}

#endif
