/* so1stbyte: time from connect() to the first byte the application reads
 * from the socket; per connect, or --hist.
 *
 * Hooks: syscalls:sys_enter_connect and sys_exit_connect (classic
 * tracepoints, bpf/soconnpend.bpf.h: filters, and the connect kept by its
 * socket), sock:sock_recv_length (tp_btf, else raw_tp; every recvmsg(),
 * read() and recv() on a socket, in process context: the first with a
 * positive length on a kept socket ends it), tcp:tcp_destroy_sock (the
 * socket is freed, at close() when it is CLOSE: forgotten) and
 * inet_sock_set_state (tp_btf, else raw_tp: forgotten at a close() that
 * leaves the socket in FIN_WAIT1 or LAST_ACK, where it may linger for a
 * minute before it is freed; see on_state()). */
#include "bpf/soconnpend.bpf.h"
#include "bpf/sockio_sys.bpf.h"

/* A connect that failed at once reads nothing: forget it. One still in
 * progress (EINPROGRESS) stays; if it fails later, tcp_destroy_sock forgets
 * it when the socket is closed. */
static __always_inline void so_on_exit(long ret, __u64 id, struct so_start *s)
{
	(void)id;
	if (s->pending && ret != 0 && so_connect_final(ret))
		so_pend_forget(s->sk);
}

/* Runs for every read of every socket of the host: data on a TCP socket
 * first (plain loads in tp_btf), then the table. */
static __always_inline int on_recv(struct sock *sk, int ret, bool btf)
{
	__u64 key = (__u64)sk, now;
	struct so_pend *p, c;

	if (ret <= 0 || !tr_sk_is_tcp_rd(sk, btf))
		return 0;
	p = bpf_map_lookup_elem(&so_pend, &key);
	if (!p)
		return 0;
	now = bpf_ktime_get_ns();
	c = *p;
	/* two threads reading at once: the one that deletes it reports */
	if (bpf_map_delete_elem(&so_pend, &key))
		return 0;
	solat_report(&c, now, now - c.ts, 0);
	return 0;
}

#define SO_RCV_SHUTDOWN 1

/* close() of a socket that is not CLOSE: FIN_WAIT1 or LAST_ACK, with the
 * reading side shut (close() sets both sides before the state change;
 * shutdown(SHUT_WR) alone leaves reading open, and is forgotten here only
 * after the peer's FIN with nothing queued: nothing is left to read). The
 * socket may linger for tcp_fin_timeout (60 s) before it is freed. Not at
 * CLOSE_WAIT or CLOSE, where a read may be running: the peer's FIN or RST
 * waits in the socket's backlog while recvmsg() takes the data, and the
 * state changes before sock_recv_length fires. A socket that is CLOSE
 * (reset, timed out, TIME_WAIT) is freed at its close(): tcp_destroy_sock.
 * The read of sk_shutdown works whether it is a u8 or a bitfield, as it
 * was in older kernels. */
static __always_inline int on_state(struct sock *sk, int newstate, bool btf)
{
	if (newstate != TCP_FIN_WAIT1 && newstate != TCP_LAST_ACK)
		return 0;
	if (!(BPF_CORE_READ_BITFIELD_PROBED(sk, sk_shutdown) & SO_RCV_SHUTDOWN))
		return 0;
	if (TR_RD(btf, sk, sk_receive_queue.qlen))
		return 0;
	so_pend_forget((__u64)sk);
	return 0;
}

TR_PROGRAM_PAIR(so1stbyte_state, inet_sock_set_state,
		(struct sock *sk, int oldstate, int newstate), on_state(sk, newstate, btf))
SOCKIO_RECV_PROGRAMS(so1stbyte_recv, on_recv(sk, ret, btf))
TR_PROGRAM_PAIR(so1stbyte_destroy, tcp_destroy_sock, (struct sock *sk),
		(so_pend_forget((__u64)sk), 0))
