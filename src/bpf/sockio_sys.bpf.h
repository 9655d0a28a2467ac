/* sock:sock_send_length and sock:sock_recv_length exist from kernel 6.3.
 * Before, the same handler runs from the system calls that move bytes on
 * a socket: at sys_enter the descriptor is looked up in the caller's file
 * table and, when it is a socket, the socket and the call's flags are kept
 * per thread; at sys_exit the handler gets them with the return value, in
 * the same process context the tracepoints fire in.
 *
 *   send: sendto, sendmsg, sendmmsg (per message), write, writev
 *   recv: recvfrom, recvmsg, recvmmsg (per message), read, readv
 *
 * What differs from the tracepoints: io_uring's and the kernel's own
 * socket I/O is not seen; a call that fails before reaching the socket
 * (a bad buffer address) is counted as a failed call; of a sendmmsg or
 * recvmmsg, the first SOCKIO_SYS_MAX_MSGS messages are handled and the
 * rest counted as lost events. The read/write pair runs for every read
 * and write on the host (a file-table lookup each; -p filters first).
 *
 * In the tracer's .bpf.c, after bpf/netlens.bpf.h:
 *
 *   SOCKIO_RECV_PROGRAMS(NAME_recv, handler(sk, ret, flags, btf))
 *
 * makes the pair NAME_recv_{btf,raw} on sock_recv_length and the programs
 * NAME_recv_sys_*, the group candidate "NAME_recv_sys_*" of the tracer's
 * hook (SOCKIO_RECV_HOOK in tracers/sockio_util.h); SOCKIO_SEND_PROGRAMS
 * the same for sends. In the call, sk, ret and flags are the tracepoint's
 * arguments, and btf is true only in the tp_btf program. */
#ifndef NETLENS_BPF_SOCKIO_SYS_H
#define NETLENS_BPF_SOCKIO_SYS_H

#define SOCKIO_SYS_MAX_MSGS   16
#define SOCKIO_SYS_MMSG_SIZE  64 /* struct mmsghdr: msghdr (56), msg_len, padding */
#define SOCKIO_SYS_MSGLEN_OFF 56
#define SOCKIO_S_IFMT         0170000
#define SOCKIO_S_IFSOCK       0140000

/* A thread's socket call between its sys_enter and sys_exit. */
struct sockio_call {
	struct sock *sk;
	__u64 umsg; /* sendmmsg/recvmmsg: the mmsghdr array */
	int flags;
	int pad;
};

/* Threads inside a socket call (a blocking recv stays here until it
 * returns); full: the call is not seen, counted in dropped keys. A hash,
 * not task storage as soconnect's calls in progress: these programs are
 * for kernels before 6.3, and task storage needs 5.11. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u64);
	__type(value, struct sockio_call);
} sockio_calls SEC(".maps");

static __always_inline int sockio_sys_enter(long fd, long flags, __u64 umsg)
{
	__u64 tid = bpf_get_current_pid_tgid();
	struct sockio_call c = { .umsg = umsg, .flags = (int)flags };
	struct socket *so;
	struct file *f;

	if (tr_filter.pid && (__u32)(tid >> 32) != tr_filter.pid)
		return 0;
	f = tr_fd_file(fd);
	if (!f || (BPF_CORE_READ(f, f_inode, i_mode) & SOCKIO_S_IFMT) != SOCKIO_S_IFSOCK)
		return 0;
	so = BPF_CORE_READ(f, private_data);
	c.sk = so ? BPF_CORE_READ(so, sk) : NULL;
	if (c.sk)
		tr_map_update(&sockio_calls, &tid, &c, BPF_ANY);
	return 0;
}

/* The calling thread's socket call, taken out of the table; false if its
 * sys_enter found no socket. */
static __always_inline bool sockio_sys_take(struct sockio_call *c)
{
	__u64 tid = bpf_get_current_pid_tgid();
	struct sockio_call *p = bpf_map_lookup_elem(&sockio_calls, &tid);

	if (!p)
		return false;
	*c = *p;
	bpf_map_delete_elem(&sockio_calls, &tid);
	return true;
}

/* The byte count of message i of an mmsghdr array, or -1. */
static __always_inline int sockio_sys_msg_len(__u64 umsg, int i)
{
	__u32 len;

	if (bpf_probe_read_user(&len, sizeof(len),
				(void *)(umsg + (__u64)i * SOCKIO_SYS_MMSG_SIZE + SOCKIO_SYS_MSGLEN_OFF)))
		return -1;
	return (int)len;
}

#define SOCKIO_SYS_ENTER_(name, sc, flags_, umsg_)                                     \
	SEC("tracepoint/syscalls/sys_enter_" #sc)                                      \
	int name##_sys_enter_##sc(struct trace_event_raw_sys_enter *ctx)               \
	{                                                                              \
		return sockio_sys_enter((long)ctx->args[0], (long)(flags_), (umsg_));  \
	}

/* The exit of system call sc: the handler with the socket and flags its
 * entry kept. mmsg 0: one call that moved ret bytes (or failed with
 * -errno). mmsg 1 (sendmmsg/recvmmsg): ret is the number of messages
 * moved, each one's bytes in its msg_len, one call of the handler per
 * message; a failure before any message is one failed call; no message
 * (vlen 0), no call, as sock_sendmsg() never ran. */
#define SOCKIO_SYS_EXIT_(name, sc, mmsg, ...)                                          \
	SEC("tracepoint/syscalls/sys_exit_" #sc)                                       \
	int name##_sys_exit_##sc(struct trace_event_raw_sys_exit *ctx)                 \
	{                                                                              \
		const bool btf __attribute__((unused)) = false;                        \
		struct sockio_call c;                                                  \
		long n = ctx->ret;                                                     \
		if (!sockio_sys_take(&c))                                              \
			return 0;                                                      \
		struct sock *sk __attribute__((unused)) = c.sk;                        \
		int flags __attribute__((unused)) = c.flags;                           \
		int ret __attribute__((unused)) = (int)n;                              \
		if (!(mmsg) || n < 0) {                                                \
			(__VA_ARGS__);                                                 \
			return 0;                                                      \
		}                                                                      \
		for (int i = 0; i < SOCKIO_SYS_MAX_MSGS && i < n; i++) {               \
			ret = sockio_sys_msg_len(c.umsg, i);                           \
			if (ret < 0)                                                   \
				break;                                                 \
			(__VA_ARGS__);                                                 \
		}                                                                      \
		if (n > SOCKIO_SYS_MAX_MSGS)                                           \
			tr_count_lost_n((__u64)(n - SOCKIO_SYS_MAX_MSGS));             \
		return 0;                                                              \
	}

/* A system call with its flags at flags_ (0: none), and an mmsg one. */
#define SOCKIO_SYS_CALL(name, sc, flags_, ...)                                         \
	SOCKIO_SYS_ENTER_(name, sc, flags_, 0)                                         \
	SOCKIO_SYS_EXIT_(name, sc, 0, __VA_ARGS__)
#define SOCKIO_SYS_MMSG(name, sc, ...)                                                 \
	SOCKIO_SYS_ENTER_(name, sc, ctx->args[3], (__u64)ctx->args[1])                 \
	SOCKIO_SYS_EXIT_(name, sc, 1, __VA_ARGS__)

/* The programs standing in for sock:sock_send_length: NAME_sys_*. */
#define SOCKIO_SYS_SEND(name, ...)                                                     \
	SOCKIO_SYS_CALL(name, sendto, ctx->args[3], __VA_ARGS__)                       \
	SOCKIO_SYS_CALL(name, sendmsg, ctx->args[2], __VA_ARGS__)                      \
	SOCKIO_SYS_MMSG(name, sendmmsg, __VA_ARGS__)                                   \
	SOCKIO_SYS_CALL(name, write, 0, __VA_ARGS__)                                   \
	SOCKIO_SYS_CALL(name, writev, 0, __VA_ARGS__)

/* The programs standing in for sock:sock_recv_length: NAME_sys_*. */
#define SOCKIO_SYS_RECV(name, ...)                                                     \
	SOCKIO_SYS_CALL(name, recvfrom, ctx->args[3], __VA_ARGS__)                     \
	SOCKIO_SYS_CALL(name, recvmsg, ctx->args[2], __VA_ARGS__)                      \
	SOCKIO_SYS_MMSG(name, recvmmsg, __VA_ARGS__)                                   \
	SOCKIO_SYS_CALL(name, read, 0, __VA_ARGS__)                                    \
	SOCKIO_SYS_CALL(name, readv, 0, __VA_ARGS__)

/* A handler on sock:sock_send_length / sock_recv_length: its tp_btf and
 * raw_tp programs and its system-call stand-ins (sys: SOCKIO_SYS_SEND or
 * SOCKIO_SYS_RECV), from one call. */
#define SOCKIO_PROGRAMS_(name, tp, sys, ...)                                           \
	TR_PROGRAM_PAIR(name, tp, (struct sock *sk, int ret, int flags), __VA_ARGS__)  \
	sys(name, __VA_ARGS__)
#define SOCKIO_SEND_PROGRAMS(name, ...)                                                \
	SOCKIO_PROGRAMS_(name, sock_send_length, SOCKIO_SYS_SEND, __VA_ARGS__)
#define SOCKIO_RECV_PROGRAMS(name, ...)                                                \
	SOCKIO_PROGRAMS_(name, sock_recv_length, SOCKIO_SYS_RECV, __VA_ARGS__)

#endif
