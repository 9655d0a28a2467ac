#include "sources/sockiter.h"
#include "base/fingerprint.h"
#include "bpf/ss_iter.h"
#include "bpf/ss_iter.skel.h"
#include "bpf/ss_iter_fixed.skel.h"
#include "kernel_build.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

static void to_rec(const struct ss_iter_rec *r, struct sock_rec *s)
{
	memset(s, 0, sizeof(*s));
	s->kind = SK_TCP;
	s->family = r->family;
	s->type = SOCK_STREAM;
	s->state = r->state;
	s->sport = r->sport;
	s->dport = r->dport;
	memcpy(s->src, r->src, 16);
	memcpy(s->dst, r->dst, 16);
	s->ifindex = r->ifindex;
	s->uid = r->uid;
	s->inode = r->inode;
	s->cookie = r->cookie;
	s->rqueue = r->rqueue;
	s->wqueue = r->wqueue;
	s->timer = r->timer;
	s->has = SKH_UID | SKH_COOKIE;
	/* as inet_diag reports them: request sockets have neither */
	if (r->state != SS_NEW_SYN_RECV) {
		s->mark = r->mark;
		s->has |= SKH_MARK;
	}
	if (r->state != SS_TIME_WAIT && r->state != SS_NEW_SYN_RECV) {
		s->shutdown = r->shutdown;
		s->has |= SKH_SHUTDOWN;
	}
}

int sockiter_parse(const void *buf, size_t len, int family, uint32_t states, sock_cb cb,
		   void *arg, size_t *used)
{
	size_t off = 0;
	int c = 0;

	for (; off + sizeof(struct ss_iter_rec) <= len && !c; off += sizeof(struct ss_iter_rec)) {
		struct ss_iter_rec r;
		struct sock_rec s;
		memcpy(&r, (const uint8_t *)buf + off, sizeof(r));
		if ((family && r.family != family) || r.state >= 32 || !(states & (1u << r.state)))
			continue;
		to_rec(&r, &s);
		c = cb(&s, arg);
	}
	*used = off;
	return c;
}

struct want {
	int family;      /* 0: both */
	uint32_t states; /* filtered here too: the fixed program has no settings */
};

/* Reads whole records; a read may end inside one, so the tail is kept. */
static int read_records(int fd, const struct want *w, sock_cb cb, void *arg)
{
	enum { BUFSZ = 1 << 16 };
	char *buf = malloc(BUFSZ);
	size_t have = 0;
	int err = 0;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n = read(fd, buf + have, BUFSZ - have);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		if (n == 0)
			break;
		have += (size_t)n;
		size_t off;
		int c = sockiter_parse(buf, have, w->family, w->states, cb, arg, &off);
		if (c) {
			err = c < 0 ? c : 0;
			goto out;
		}
		memmove(buf, buf + off, have - off);
		have -= off;
	}
	if (!err && have)
		err = -EBADMSG; /* a torn record: the kernel wrote a partial one */
out:
	free(buf);
	return err;
}

/* The program built for this very kernel, loaded with plain bpf() calls:
 * no BTF parsing, so it costs a few hundred kilobytes instead of ~10 MB.
 * Returns an iterator fd, or -errno when this is not the build's kernel. */
static int open_fixed(void)
{
	struct ss_iter_fixed_bpf *skel = NULL;
	uint64_t fp;
	int prog = -1, link = -1, iter = -EOPNOTSUPP;

	/* NETLENS_ITER_CORE=1 skips this path, so tests exercise the CO-RE one */
	if (getenv("NETLENS_ITER_CORE"))
		return -EOPNOTSUPP;
	if (!NETLENS_BUILD_ITER_TCP_BTF_ID || fp_file("/sys/kernel/btf/vmlinux", &fp) < 0 ||
	    fp != NETLENS_BUILD_BTF_FINGERPRINT)
		return -EOPNOTSUPP;
	skel = ss_iter_fixed_bpf__open(); /* parses our ELF only */
	if (!skel)
		return -EOPNOTSUPP;
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = BPF_TRACE_ITER,
		    .attach_btf_id = NETLENS_BUILD_ITER_TCP_BTF_ID);
	prog = bpf_prog_load(BPF_PROG_TYPE_TRACING, "ss_tcp", "GPL",
			     bpf_program__insns(skel->progs.ss_tcp),
			     bpf_program__insn_cnt(skel->progs.ss_tcp), &opts);
	if (prog >= 0)
		link = bpf_link_create(prog, 0, BPF_TRACE_ITER, NULL);
	if (link >= 0)
		iter = bpf_iter_create(link);
	if (iter < 0)
		iter = -EOPNOTSUPP;
	/* the iterator holds the link and program; their fds can go */
	if (link >= 0)
		close(link);
	if (prog >= 0)
		close(prog);
	ss_iter_fixed_bpf__destroy(skel);
	return iter;
}

/* The CO-RE program through libbpf: works on any kernel with BTF. */
static int open_core(const struct want *w, struct ss_iter_bpf **skelp, struct bpf_link **linkp)
{
	struct ss_iter_bpf *skel = ss_iter_bpf__open();
	struct bpf_link *link = NULL;
	int fd;

	*skelp = skel;
	*linkp = NULL;
	if (!skel)
		return -EOPNOTSUPP;
	skel->rodata->want_states = w->states;
	skel->rodata->want_family = (__u8)w->family;
	if (ss_iter_bpf__load(skel) || !(link = bpf_program__attach_iter(skel->progs.ss_tcp, NULL)))
		return -EOPNOTSUPP;
	*linkp = link;
	fd = bpf_iter_create(bpf_link__fd(link));
	return fd < 0 ? -EOPNOTSUPP : fd;
}

int sockiter_dump_tcp(int family, uint32_t states, sock_cb cb, void *arg)
{
	libbpf_print_fn_t old = libbpf_set_print(quiet);
	struct want w = { family, states };
	struct ss_iter_bpf *skel = NULL;
	struct bpf_link *link = NULL;
	int fd, err;

	if (w.states & (1u << SS_SYN_RECV))
		w.states |= 1u << SS_NEW_SYN_RECV;
	fd = open_fixed();
	if (fd < 0)
		fd = open_core(&w, &skel, &link);
	/* any failure before the first record means "not here": -EOPNOTSUPP */
	err = fd < 0 ? fd : read_records(fd, &w, cb, arg);
	if (fd >= 0)
		close(fd);
	bpf_link__destroy(link);
	ss_iter_bpf__destroy(skel);
	libbpf_set_print(old);
	return err;
}
