/* sockstat: socket system calls and the kernel's socket sends and
 * receives, counted.
 *
 * Hooks: the classic tracepoints syscalls:sys_enter_X of the socket system
 * calls (socket, bind, listen, accept, accept4, connect, shutdown, sendto,
 * sendmsg, sendmmsg, recvfrom, recvmsg, recvmmsg), each running for its
 * own system call only, and sock:sock_send_length / sock_recv_length
 * (tp_btf, else raw_tp; kernel 6.3+), which fire once per sock_sendmsg()
 * and sock_recvmsg(): every send and receive on a socket, write() and
 * read() included, one per message of sendmmsg()/recvmmsg().
 *
 * Cost: each handler is a counter increment in a per-CPU array (no atomic,
 * no lock, the lookup inlined by the verifier); the filters, rodata
 * constants, cost nothing when they are off. Entries are counted, failed
 * calls included: sys_enter runs before the call does anything. */
#include "bpf/netlens.bpf.h"
#include "bpf/sockstat.h"
#include "bpf/sofd.bpf.h"
#include "bpf/socount.bpf.h"

/* Cumulative since load; user space prints the difference per interval
 * (nothing is reset, so nothing counted between a read and a reset is
 * lost). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SS_NCOUNTERS);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

static __always_inline int bump(__u32 i)
{
	__u64 *n = bpf_map_lookup_elem(&counters, &i);

	if (n)
		(*n)++;
	return 0;
}

/* A system call: -p/--comm, then the calling task's network namespace and
 * cgroup (a socket() has no socket yet). */
static __always_inline int on_syscall(__u32 i)
{
	if (!so_want_caller())
		return 0;
	if (tr_filter.netns && so_current_netns() != tr_filter.netns)
		return 0;
	if (tr_filter.cgroup && bpf_get_current_cgroup_id() != tr_filter.cgroup)
		return 0;
	return bump(i);
}

#define SOCKSTAT_SYSCALL(name, i)                                                     \
	SEC("tracepoint/syscalls/sys_enter_" #name)                                    \
	int sockstat_##name(void *ctx) { return on_syscall(i); }

SOCKSTAT_SYSCALL(socket, SS_SOCKET)
SOCKSTAT_SYSCALL(bind, SS_BIND)
SOCKSTAT_SYSCALL(listen, SS_LISTEN)
SOCKSTAT_SYSCALL(accept, SS_ACCEPT)
SOCKSTAT_SYSCALL(accept4, SS_ACCEPT4)
SOCKSTAT_SYSCALL(connect, SS_CONNECT)
SOCKSTAT_SYSCALL(shutdown, SS_SHUTDOWN)
SOCKSTAT_SYSCALL(sendto, SS_SENDTO)
SOCKSTAT_SYSCALL(sendmsg, SS_SENDMSG)
SOCKSTAT_SYSCALL(sendmmsg, SS_SENDMMSG)
SOCKSTAT_SYSCALL(recvfrom, SS_RECVFROM)
SOCKSTAT_SYSCALL(recvmsg, SS_RECVMSG)
SOCKSTAT_SYSCALL(recvmmsg, SS_RECVMMSG)

/* A socket send or receive: -p/--comm on the caller (process context:
 * sock_sendmsg()/sock_recvmsg() run in the task moving the bytes, a
 * kernel thread's for in-kernel sockets), the socket's own network
 * namespace and cgroup. */
static __always_inline int on_sock(struct sock *sk, __u32 i, bool btf)
{
	if (!so_want_caller())
		return 0;
	if (tr_filter.netns && tr_sk_netns_rd(sk, btf) != tr_filter.netns)
		return 0;
	if (tr_filter.cgroup && tr_sk_cgroup_rd(sk, btf) != tr_filter.cgroup)
		return 0;
	return bump(i);
}

TR_PROGRAM_PAIR(sockstat_send, sock_send_length, (struct sock *sk, int ret, int flags),
		on_sock(sk, SS_SOCK_SEND, btf))

TR_PROGRAM_PAIR(sockstat_recv, sock_recv_length, (struct sock *sk, int ret, int flags),
		on_sock(sk, SS_SOCK_RECV, btf))
