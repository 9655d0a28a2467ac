/* The socket layer's way from a file descriptor to its socket, for the
 * syscall tracers (soconnect, udpconnect, solisten, soaccept).
 *
 * Cost: these programs run on every connect()/listen()/accept() of the
 * host, so the walk uses plain loads through BTF pointers (the current
 * task from bpf_get_current_task_btf(), the file and the socket made BTF
 * pointers with the bpf_rdonly_cast() kfunc) instead of a
 * bpf_probe_read_kernel() call per field: one helper call (the descriptor
 * table slot, a pointer to a pointer) instead of about fifteen. */
#ifndef NETLENS_BPF_SOFD_H
#define NETLENS_BPF_SOFD_H

extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym;

/* The socket behind descriptor fd of the current task, or NULL when fd is
 * not open or not a socket (a socket's file points back at it); *fp (when
 * fp is not NULL) gets the file, for its flags. */
static __always_inline struct socket *so_fd_socket_file(long fd, struct file **fp)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct fdtable *fdt = task->files->fdt;
	struct file **fds, *f = NULL;
	struct socket *so;

	if (!fdt || fd < 0 || fd >= fdt->max_fds)
		return NULL;
	fds = fdt->fd;
	if (bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]) || !f)
		return NULL;
	f = bpf_rdonly_cast(f, bpf_core_type_id_kernel(struct file));
	so = bpf_rdonly_cast(f->private_data, bpf_core_type_id_kernel(struct socket));
	if (!so || (__u64)so->file != (__u64)f)
		return NULL;
	if (fp)
		*fp = f;
	return so;
}

static __always_inline struct socket *so_fd_socket(long fd)
{
	return so_fd_socket_file(fd, NULL);
}

/* The arguments of syscalls:sys_enter_connect (its tracefs format). */
struct so_enter_connect {
	__u64 common;
	int nr;
	long fd;
	void *uservaddr;
	long addrlen;
};

/* An event header for the calling task (id: bpf_get_current_pid_tgid()). */
static __always_inline void so_fill_hdr(struct tr_hdr *h, __u64 id, __u64 now, __u32 netns,
					__u64 cgroup)
{
	h->ts_ns = now;
	h->netns = netns;
	h->cgroup = cgroup;
	h->_pad = 0;
	h->pid = id >> 32;
	h->tid = (__u32)id;
	tr_current_comm(h->comm, true);
}

/* -p and --comm on the calling task (id: bpf_get_current_pid_tgid()); the
 * command is read only when --comm is given. */
static __always_inline bool so_want_current(__u64 id)
{
	char comm[TR_COMM_LEN];

	if (tr_filter.pid && (id >> 32) != tr_filter.pid)
		return false;
	if (!tr_filter.comm_set)
		return true;
	tr_current_comm(comm, true);
	return tr_want_task(id >> 32, comm);
}

/* The file behind descriptor fd of the current task, any kind (a BTF
 * pointer for plain loads), or NULL when fd is not open: sofdsnoop. */
static __always_inline struct file *so_fd_file(long fd)
{
	struct fdtable *fdt = bpf_get_current_task_btf()->files->fdt;
	struct file *f = NULL;

	if (!fdt || fd < 0 || fd >= fdt->max_fds ||
	    bpf_probe_read_kernel(&f, sizeof(f), &fdt->fd[fd]) || !f)
		return NULL;
	return bpf_rdonly_cast(f, bpf_core_type_id_kernel(struct file));
}

#endif
