/* sofdsnoop: file descriptors passed over UNIX sockets (SCM_RIGHTS), one
 * event per descriptor on each side, with what the descriptor is.
 *
 * Hooks: the classic tracepoints syscalls:sys_enter_sendmsg (the
 * SCM_RIGHTS descriptors read from the caller's msghdr and described from
 * its file table while they certainly exist, kept per thread),
 * sys_exit_sendmsg (events when the call succeeded), sys_enter_recvmsg
 * (the msghdr address, per thread, when it has room for control data) and
 * sys_exit_recvmsg (the descriptors the kernel installed, read from the
 * control data it wrote, described from the receiver's file table); the
 * same for sendmmsg()/recvmmsg() over every message of the call, walked
 * with bpf_loop() (events for the messages the call sent or received); on
 * a kernel without bpf_loop() (before 5.17) the programs without _loop
 * load instead and walk the first SOFD_MAX_MSGS.
 *
 * Both ends of one passed descriptor share the struct file (the receiver
 * gets the sender's file installed), whose address pairs them. Every
 * filter runs at entry; a call without control data costs one user read. */
#include "bpf/netlens.bpf.h"
#include "bpf/sofdsnoop.h"
#include "bpf/sofd.bpf.h"
#include "bpf/sounix.bpf.h"

#define SOFD_S_IFMT   0170000
#define SOFD_S_IFSOCK 0140000
#define SOFD_SOL_SOCKET 1
#define SOFD_SCM_RIGHTS 1
#define SOFD_MAX_MSGS 4       /* sendmmsg/recvmmsg without bpf_loop: messages walked */
#define SOFD_LOOP_MSGS 1024   /* with it: UIO_MAXIOV, the most one call takes */
#define SOFD_MMSGHDR_SIZE 64  /* struct mmsghdr: msghdr, msg_len, padding */

/* struct user_msghdr and struct cmsghdr as a 64-bit caller lays them out */
struct sofd_umsghdr {
	__u64 name;
	__s32 namelen;
	__u32 _pad;
	__u64 iov;
	__u64 iovlen;
	__u64 control;
	__u64 controllen;
	__u32 flags;
};

struct sofd_cmsghdr {
	__u64 len;
	__s32 level;
	__s32 type;
};

/* One call's descriptors and its UNIX socket (a send in progress on a
 * thread, or a receive being reported). */
struct sofd_msg {
	__u64 cgroup;
	__u32 netns;
	__s32 sockfd;
	__u16 n;     /* entries of d */
	__u16 more;  /* SCM_RIGHTS descriptors past SOFD_MAX_FDS */
	__u32 _pad;
	__u16 msgi[SOFD_MAX_FDS]; /* the message of d[i] (sendmmsg/recvmmsg) */
	struct sofd_desc d[SOFD_MAX_FDS];
};

/* A receive in progress on a thread. */
struct sofd_recv {
	__u64 msg;   /* the caller's struct user_msghdr, or mmsghdr array */
	__u64 cgroup;
	__u32 netns;
	__s32 sockfd;
	__u8 mm;     /* recvmmsg() */
	__u8 _pad[7];
};

/* pid_tgid -> the sendmsg() in progress (only calls passing descriptors):
 * 2 KB entries, allocated as used (user space preallocates 1024 instead
 * on kernels whose tracing programs cannot use such maps) */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, struct sofd_msg);
} sofd_sends SEC(".maps");

/* pid_tgid -> the recvmsg() in progress on a UNIX socket with control room */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct sofd_recv);
} sofd_recvs SEC(".maps");

/* Room to build a struct sofd_msg (too big for the stack). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sofd_msg);
} sofd_scratch SEC(".maps");

/* sys_enter_sendmsg/recvmsg (third: flags), sendmmsg/recvmmsg (third:
 * vlen) */
struct sofd_enter_msg {
	__u64 common;
	int nr;
	long fd;
	void *msg;
	long third;
};

/* The socket behind sockfd is a UNIX one (other families cannot pass
 * descriptors) and passes --netns/--cgroup; fills *netns and *cgroup. */
static __always_inline bool sofd_want_sock(long sockfd, __u64 *cgroup, __u32 *netns)
{
	struct socket *so = so_fd_socket(sockfd);
	struct sock *sk = so ? so->sk : NULL;

	if (!sk || sk->__sk_common.skc_family != TR_AF_UNIX)
		return false;
	*netns = sk->__sk_common.skc_net.net->ns.inum;
	if (tr_filter.netns && *netns != tr_filter.netns)
		return false;
	*cgroup = sk->sk_cgrp_data.cgroup->kn->id;
	return !tr_filter.cgroup || *cgroup == tr_filter.cgroup;
}

/* Adds the SCM_RIGHTS descriptor numbers in message mi's control data
 * (len bytes at ctl, as the kernel walks it) to m->d[].fd, m->n, m->more. */
static __always_inline void sofd_scm_fds(struct sofd_msg *m, __u64 ctl, __u64 len, __u16 mi)
{
	struct sofd_cmsghdr c;
	__s32 fds[2 * SOFD_MAX_FDS]; /* room for the mask below */
	__u64 off = 0;
	__u32 cnt, take, n = m->n, more = m->more;

	for (int i = 0; i < SOFD_MAX_CMSGS; i++) {
		if (off + sizeof(c) > len || bpf_probe_read_user(&c, sizeof(c), (void *)(ctl + off)))
			break;
		if (c.len < sizeof(c) || c.len > len - off)
			break; /* the kernel refuses it too */
		if (c.level == SOFD_SOL_SOCKET && c.type == SOFD_SCM_RIGHTS) {
			cnt = (c.len - sizeof(c)) / sizeof(__s32);
			take = cnt < SOFD_MAX_FDS - n ? cnt : SOFD_MAX_FDS - n;
			more += cnt - take;
			/* take <= SOFD_MAX_FDS; the mask shows the verifier a bound */
			if (take > 0 && !bpf_probe_read_user(fds, (take & (2 * SOFD_MAX_FDS - 1)) * sizeof(__s32),
							     (void *)(ctl + off + sizeof(c)))) {
				for (int j = 0; j < SOFD_MAX_FDS; j++) {
					if (j >= take || n >= SOFD_MAX_FDS)
						break;
					__u32 k = n;

					barrier_var(k); /* keep the mask for the verifier */
					k &= SOFD_MAX_FDS - 1;
					m->d[k].fd = fds[j];
					m->msgi[k] = mi;
					n++;
				}
			}
		}
		off += (c.len + 7) & ~7ULL;
	}
	m->n = n;
	m->more = more;
}

/* What descriptor d->fd of the current task is. */
static __always_inline void sofd_describe(struct sofd_desc *d)
{
	struct file *f = so_fd_file(d->fd);
	struct inode *ino;
	struct socket *so;
	struct sock *sk;

	if (!f)
		return;
	d->file = (__u64)f;
	ino = BPF_CORE_READ(f, f_inode);
	d->mode = BPF_CORE_READ(ino, i_mode);
	d->ino = BPF_CORE_READ(ino, i_ino);
	bpf_probe_read_kernel_str(d->name, sizeof(d->name), BPF_CORE_READ(f, f_path.dentry, d_name.name));
	if ((d->mode & SOFD_S_IFMT) != SOFD_S_IFSOCK)
		return;
	so = bpf_rdonly_cast(f->private_data, bpf_core_type_id_kernel(struct socket));
	if (!so || (__u64)so->file != (__u64)f)
		return;
	sk = so->sk;
	if (!sk)
		return;
	d->sotype = so->type;
	d->family = sk->__sk_common.skc_family;
	d->protocol = sk->sk_protocol;
	if (d->family == TR_AF_INET || d->family == TR_AF_INET6) {
		tr_read_tuple(sk, &d->t);
	} else if (d->family == TR_AF_UNIX) {
		d->salen = so_unix_name(sk, d->sa);
		if (!d->salen) { /* unnamed: the peer's name says more */
			struct sock *peer = BPF_CORE_READ((struct unix_sock *)sk, peer);

			if (peer) {
				d->salen = so_unix_name(peer, d->sa);
				d->sa_peer = d->salen != 0;
			}
		}
	}
}

/* Describes m's descriptors from the current task's file table. */
static __always_inline void sofd_describe_all(struct sofd_msg *m)
{
	for (int i = 0; i < SOFD_MAX_FDS; i++) {
		struct sofd_desc *d = &m->d[i];
		__s32 fd = d->fd;

		if (i >= m->n)
			break;
		__builtin_memset(d, 0, sizeof(*d));
		d->fd = fd;
		sofd_describe(d);
	}
}

/* One event per descriptor of m's first nmsgs messages. */
static __always_inline void sofd_emit(const struct sofd_msg *m, __u64 id, __u8 dir, long nmsgs)
{
	__u64 now = bpf_ktime_get_ns();
	struct sofdsnoop_event *e;

	for (int i = 0; i < SOFD_MAX_FDS; i++) {
		if (i >= m->n)
			break;
		if (m->msgi[i] >= nmsgs)
			continue;
		e = tr_reserve(sizeof(*e));
		if (!e)
			continue; /* counted as lost */
		so_fill_hdr(&e->h, id, now, m->netns, m->cgroup);
		e->sockfd = m->sockfd;
		e->dir = dir;
		e->nfds = m->n;
		e->more = m->more;
		__builtin_memcpy(&e->d, &m->d[i], sizeof(e->d));
		tr_submit_at(e, now);
	}
}

/* The caller's msghdr, when it has room for a control message. */
static __always_inline bool sofd_read_msghdr(const void *umsg, struct sofd_umsghdr *h)
{
	if (bpf_probe_read_user(h, sizeof(*h), umsg))
		return false;
	return h->control && h->controllen >= sizeof(struct sofd_cmsghdr) + sizeof(__s32);
}

/* bpf_loop()'s walk over an mmsghdr array. */
struct sofd_walk {
	struct sofd_msg *m;
	__u64 umsg;
	bool found; /* sofd_has_room_one: a message with room for control data */
};

static long sofd_collect_one(__u32 i, void *arg)
{
	struct sofd_walk *w = arg;
	struct sofd_umsghdr h;

	if (sofd_read_msghdr((void *)(w->umsg + (__u64)i * SOFD_MMSGHDR_SIZE), &h))
		sofd_scm_fds(w->m, h.control, h.controllen, (__u16)i);
	return 0;
}

static long sofd_has_room_one(__u32 i, void *arg)
{
	struct sofd_walk *w = arg;
	struct sofd_umsghdr h;

	w->found = sofd_read_msghdr((void *)(w->umsg + (__u64)i * SOFD_MMSGHDR_SIZE), &h);
	return w->found; /* 1 stops the loop */
}

/* Messages of an mmsghdr call to walk: nmsgs, within what bpf_loop() may. */
static __always_inline __u32 sofd_nmsgs(long nmsgs)
{
	return nmsgs <= 0 ? 0 : nmsgs > SOFD_LOOP_MSGS ? SOFD_LOOP_MSGS : (__u32)nmsgs;
}

/* m's descriptors from the caller's msghdr (mm false) or the first nmsgs
 * entries of its mmsghdr array (all of them with loop, else the first
 * SOFD_MAX_MSGS), as their control data stands now. */
static __always_inline void sofd_collect(struct sofd_msg *m, __u64 umsg, long nmsgs, bool mm,
					 bool loop)
{
	struct sofd_umsghdr h;

	m->n = m->more = 0;
	if (mm && loop) {
		struct sofd_walk w = { .m = m, .umsg = umsg };
		bpf_loop(sofd_nmsgs(nmsgs), sofd_collect_one, &w, 0);
		return;
	}
	for (int i = 0; i < SOFD_MAX_MSGS; i++) {
		if (i >= nmsgs || (i > 0 && !mm))
			break;
		if (sofd_read_msghdr((void *)(umsg + i * SOFD_MMSGHDR_SIZE), &h))
			sofd_scm_fds(m, h.control, h.controllen, i);
	}
}

static __always_inline int sofd_enter_send(struct sofd_enter_msg *ctx, bool mm, bool loop)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct sofd_msg *m;
	__u32 zero = 0;

	if (!so_want_current(id))
		return 0;
	m = bpf_map_lookup_elem(&sofd_scratch, &zero);
	if (!m)
		return 0;
	sofd_collect(m, (__u64)ctx->msg, mm ? ctx->third : 1, mm, loop);
	if (!m->n && !m->more)
		return 0;
	if (!sofd_want_sock(ctx->fd, &m->cgroup, &m->netns))
		return 0;
	m->sockfd = ctx->fd;
	m->_pad = 0;
	sofd_describe_all(m);
	tr_map_update(&sofd_sends, &id, m, BPF_ANY); /* a full table: counted */
	return 0;
}

/* ret: sendmsg()'s bytes, sendmmsg()'s messages sent */
static __always_inline int sofd_exit_send(struct tr_syscall_exit *ctx, bool mm)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct sofd_msg *m = bpf_map_lookup_elem(&sofd_sends, &id);

	if (!m)
		return 0;
	if (ctx->ret >= 0)
		sofd_emit(m, id, SOFD_SEND, mm ? ctx->ret : 1);
	bpf_map_delete_elem(&sofd_sends, &id);
	return 0;
}

static __always_inline int sofd_enter_recv(struct sofd_enter_msg *ctx, bool mm, bool loop)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct sofd_umsghdr h;
	struct sofd_recv r = { .msg = (__u64)ctx->msg, .sockfd = ctx->fd, .mm = mm };

	if (!so_want_current(id))
		return 0;
	/* recvmmsg: any message may have control room; without bpf_loop the
	 * first one decides */
	if (mm && loop) {
		struct sofd_walk w = { .umsg = (__u64)ctx->msg };
		bpf_loop(sofd_nmsgs(ctx->third), sofd_has_room_one, &w, 0);
		if (!w.found)
			return 0;
	} else if (!sofd_read_msghdr(ctx->msg, &h)) {
		return 0;
	}
	if (!sofd_want_sock(ctx->fd, &r.cgroup, &r.netns))
		return 0;
	tr_map_update(&sofd_recvs, &id, &r, BPF_ANY); /* a full table: counted */
	return 0;
}

/* ret: recvmsg()'s bytes, recvmmsg()'s messages received */
static __always_inline int sofd_exit_recv(struct tr_syscall_exit *ctx, bool loop)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct sofd_recv *r = bpf_map_lookup_elem(&sofd_recvs, &id);
	struct sofd_msg *m;
	__u32 zero = 0;
	long nmsgs;

	if (!r)
		return 0;
	if (ctx->ret < 0)
		goto out;
	m = bpf_map_lookup_elem(&sofd_scratch, &zero);
	if (!m)
		goto out;
	/* the kernel wrote back each msg_controllen: the control bytes it
	 * filled, with the numbers it installed */
	nmsgs = r->mm ? ctx->ret : 1;
	sofd_collect(m, r->msg, nmsgs, r->mm, loop);
	if (!m->n)
		goto out;
	m->cgroup = r->cgroup;
	m->netns = r->netns;
	m->sockfd = r->sockfd;
	sofd_describe_all(m);
	sofd_emit(m, id, SOFD_RECV, nmsgs);
out:
	bpf_map_delete_elem(&sofd_recvs, &id);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_sendmsg")
int sofdsnoop_enter_send(struct sofd_enter_msg *ctx) { return sofd_enter_send(ctx, false, false); }
SEC("tracepoint/syscalls/sys_exit_sendmsg")
int sofdsnoop_exit_send(struct tr_syscall_exit *ctx) { return sofd_exit_send(ctx, false); }
SEC("tracepoint/syscalls/sys_enter_recvmsg")
int sofdsnoop_enter_recv(struct sofd_enter_msg *ctx) { return sofd_enter_recv(ctx, false, false); }
SEC("tracepoint/syscalls/sys_exit_recvmsg")
int sofdsnoop_exit_recv(struct tr_syscall_exit *ctx) { return sofd_exit_recv(ctx, false); }
SEC("tracepoint/syscalls/sys_exit_sendmmsg")
int sofdsnoop_exit_sendmm(struct tr_syscall_exit *ctx) { return sofd_exit_send(ctx, true); }

/* every message of the call (bpf_loop), and the first SOFD_MAX_MSGS where
 * the kernel has no bpf_loop */
SEC("tracepoint/syscalls/sys_enter_sendmmsg")
int sofdsnoop_enter_sendmm_loop(struct sofd_enter_msg *ctx) { return sofd_enter_send(ctx, true, true); }
SEC("tracepoint/syscalls/sys_enter_sendmmsg")
int sofdsnoop_enter_sendmm(struct sofd_enter_msg *ctx) { return sofd_enter_send(ctx, true, false); }
SEC("tracepoint/syscalls/sys_enter_recvmmsg")
int sofdsnoop_enter_recvmm_loop(struct sofd_enter_msg *ctx) { return sofd_enter_recv(ctx, true, true); }
SEC("tracepoint/syscalls/sys_enter_recvmmsg")
int sofdsnoop_enter_recvmm(struct sofd_enter_msg *ctx) { return sofd_enter_recv(ctx, true, false); }
SEC("tracepoint/syscalls/sys_exit_recvmmsg")
int sofdsnoop_exit_recvmm_loop(struct tr_syscall_exit *ctx) { return sofd_exit_recv(ctx, true); }
SEC("tracepoint/syscalls/sys_exit_recvmmsg")
int sofdsnoop_exit_recvmm(struct tr_syscall_exit *ctx) { return sofd_exit_recv(ctx, false); }
