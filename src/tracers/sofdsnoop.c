/* sofdsnoop: file descriptors passed over UNIX sockets (SCM_RIGHTS), one
 * row per descriptor on each side, with what it is. */
#include "bpf/sofdsnoop.h"
#include "bpf/sofdsnoop.skel.h"
#include "command.h"
#include "trace/features.h"
#include "trace/opts.h"
#include "trace/trace.h"
#include "tracers/so_util.h"

#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

TRACE_SKEL_GLUE(sofdsnoop)

enum { C_PID = TRACE_COL0, C_COMM, C_DIR, C_SOCKFD, C_FD, C_TYPE, C_NAME, C_FROM };

static const struct out_col cols[] = {
	TRACE_TASK_COLS,
	{ "DIR", "dir", 0, 4 },
	{ "SOCKFD", "sockfd", OUT_RIGHT, 6 },
	{ "FD", "fd", OUT_RIGHT, 3 },
	{ "TYPE", "type", 0, 7 },
	{ "NAME", "name", 0, 30 },
	{ "FROM", NULL, OUT_LAST, 0 },
};

static const struct trace_hook hooks[] = {
	{ "sys_enter_sendmsg", { "sofdsnoop_enter_send" } },
	{ "sys_exit_sendmsg", { "sofdsnoop_exit_send" } },
	{ "sys_enter_recvmsg", { "sofdsnoop_enter_recv" } },
	{ "sys_exit_recvmsg", { "sofdsnoop_exit_recv" } },
	/* every message with bpf_loop (5.17), the first four without */
	{ "sys_enter_sendmmsg", { "sofdsnoop_enter_sendmm_loop", "sofdsnoop_enter_sendmm" } },
	{ "sys_exit_sendmmsg", { "sofdsnoop_exit_sendmm" } },
	{ "sys_enter_recvmmsg", { "sofdsnoop_enter_recvmm_loop", "sofdsnoop_enter_recvmm" } },
	{ "sys_exit_recvmmsg", { "sofdsnoop_exit_recvmm_loop", "sofdsnoop_exit_recvmm" } },
};

static const struct opt filter_rows[] = {
	{ OPT_TR_NETNS, "netns", "NS", "only UNIX sockets of network namespace NS (name, path or inode)" },
	{ OPT_TR_CGROUP, "cgroup", "PATH", "only UNIX sockets of cgroup v2 PATH" },
	OPT_END,
};

static const struct opt_group opts[] = {
	TRACE_OWNER_GROUP, { "Socket filters", filter_rows }, TRACE_EVENT_GROUP,
	TRACE_RUN_GROUP, TRACE_TABLE_GROUP, OPT_GROUPS_END,
};

/* The senders seen in this run, by file id, so that a receiver's row names
 * its sender: a bounded table. A file's sender is looked for in the
 * SENDER_WAYS slots from its hash's; a new send takes the slot of the same
 * file, else an empty one, else the oldest send of those slots (so two
 * files in flight never evict each other, only a send older than
 * SENDER_WAYS others of its neighbourhood is forgotten). */
#define SENDERS 1024
#define SENDER_WAYS 8

struct sender {
	uint64_t id; /* 0: empty */
	uint64_t seq; /* order of the sends */
	uint32_t pid;
	int32_t fd;
};

static struct {
	uint64_t key; /* file ids: the struct file address, keyed hash */
	uint64_t seq;
	struct sender senders[SENDERS];
} st;

/* The slot that holds id's sender, NULL when none does. */
static struct sender *sender_find(uint64_t id)
{
	for (unsigned i = 0; i < SENDER_WAYS; i++) {
		struct sender *s = &st.senders[(id + i) % SENDERS];

		if (s->id == id)
			return s;
	}
	return NULL;
}

/* Remembers that pid sent file id as its fd. */
static void sender_add(uint64_t id, uint32_t pid, int32_t fd)
{
	struct sender *s = sender_find(id);

	for (unsigned i = 0; !s && i < SENDER_WAYS; i++) {
		struct sender *c = &st.senders[(id + i) % SENDERS];

		if (!c->id)
			s = c;
	}
	if (!s) {
		s = &st.senders[id % SENDERS];
		for (unsigned i = 1; i < SENDER_WAYS; i++) {
			struct sender *c = &st.senders[(id + i) % SENDERS];

			if (c->seq < s->seq)
				s = c;
		}
	}
	*s = (struct sender){ .id = id, .seq = ++st.seq, .pid = pid, .fd = fd };
}

/* splitmix64 of the address with a per-run random key: ids pair within a
 * run without showing kernel addresses. */
static uint64_t file_id(uint64_t file)
{
	uint64_t z = file ^ st.key;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (z ^ (z >> 31)) | 1; /* never 0 */
}

static int configure(struct trace_ctx *tc, void *skel)
{
	struct sofdsnoop_bpf *s = skel;

	/* sends in progress hold 2 KB each: preallocated, a smaller table */
	if (!trace_feat_tracing_runtime_hash(NULL)) {
		bpf_map__set_map_flags(s->maps.sofd_sends, 0);
		bpf_map__set_max_entries(s->maps.sofd_sends, 1024);
	}
	memset(&st, 0, sizeof(st));
	if (getrandom(&st.key, sizeof(st.key), 0) != sizeof(st.key))
		st.key = (uint64_t)tc->mono_start * 0x9e3779b97f4a7c15ULL;
	return 0;
}

static const char *type_name(const struct sofd_desc *d, bool anon)
{
	if (!d->file)
		return "closed";
	if (anon)
		return "anon";
	switch (d->mode & S_IFMT) {
	case S_IFSOCK:
		return "socket";
	case S_IFIFO:
		return d->name[0] ? "fifo" : "pipe";
	case S_IFREG:
		return "file";
	case S_IFDIR:
		return "dir";
	case S_IFCHR:
		return "chardev";
	case S_IFBLK:
		return "blockdev";
	case S_IFLNK:
		return "symlink";
	}
	return "other";
}

static const char *proto_name(const struct sofd_desc *d)
{
	if (d->protocol == 6 && d->sotype == SOCK_STREAM)
		return "tcp";
	if (d->protocol == 17 && d->sotype == SOCK_DGRAM)
		return "udp";
	return NULL;
}

/* A socket's NAME ("tcp 127.0.0.1:40000->127.0.0.1:80", "unix stream
 * /run/x.sock", "unix stream ->/run/x.sock" when only its peer is named)
 * and JSON fields. */
static void socket_cells(struct table *t, const struct sofd_desc *d, char *name, size_t cap)
{
	const char *fam = so_family_name(d->family), *ty = so_type_name(d->sotype);
	const char *proto = proto_name(d);
	char la[64], ra[64], sa[256];

	if (fam)
		out_field_str(t, "family", NULL, fam);
	else
		out_field_u64(t, "family", NULL, d->family);
	if (ty)
		out_field_str(t, "sotype", NULL, ty);
	if (d->family == AF_INET || d->family == AF_INET6) {
		const char *o = d->family == AF_INET6 ? "[" : "", *c = d->family == AF_INET6 ? "]" : "";

		trace_addr_str(la, d->family, d->t.saddr);
		trace_addr_str(ra, d->family, d->t.daddr);
		out_field_str(t, "laddr", NULL, la);
		out_field_u64(t, "lport", NULL, d->t.sport);
		out_field_str(t, "raddr", NULL, ra);
		out_field_u64(t, "rport", NULL, d->t.dport);
		if (proto)
			out_field_str(t, "protocol", NULL, proto);
		else
			out_field_u64(t, "protocol", NULL, d->protocol);
		snprintf(name, cap, "%s %s%s%s:%u->%s%s%s:%u", proto ? proto : fam, o, la, c,
			 d->t.sport, o, ra, c, d->t.dport);
	} else if (d->family == AF_UNIX) {
		unsigned n = d->salen < sizeof(d->sa) ? d->salen : sizeof(d->sa);

		if (n > offsetof(struct sockaddr_un, sun_path)) {
			so_sockaddr_str(sa, sizeof(sa), d->sa, sizeof(d->sa), n);
			out_field_str(t, d->sa_peer ? "peer_path" : "path", NULL, sa);
			snprintf(name, cap, "unix %s %s%s", ty ? ty : "?", d->sa_peer ? "->" : "", sa);
		} else {
			snprintf(name, cap, "unix %s socket:[%llu]", ty ? ty : "?",
				 (unsigned long long)d->ino);
		}
	} else {
		snprintf(name, cap, "socket:[%llu]", (unsigned long long)d->ino);
	}
}

static void event(struct trace_ctx *tc, const void *data)
{
	const struct sofdsnoop_event *e = data;
	const struct sofd_desc *d = &e->d;
	uint64_t id = file_id(d->file);
	const struct sender *s;
	char dname[SOFD_NAME_LEN + 1], name[320], idbuf[17];
	size_t dlen;
	bool anon;
	struct table *t;

	memcpy(dname, d->name, SOFD_NAME_LEN);
	dname[SOFD_NAME_LEN] = '\0';
	for (char *c = dname; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	dlen = strlen(dname);
	/* anonymous inodes ([eventfd], [timerfd], ...): no file type of their
	 * own (0, or regular on newer kernels) and a bracketed name */
	anon = d->file && ((d->mode & S_IFMT) == 0 || (d->mode & S_IFMT) == S_IFREG) && dlen > 2 &&
	       dname[0] == '[' && dname[dlen - 1] == ']';
	t = trace_row_begin(tc, &e->h);
	trace_cells_task(t, C_PID, e->h.pid, e->h.comm);
	out_cell_str(t, C_DIR, e->dir == SOFD_SEND ? "SEND" : "RECV");
	out_cell_i64(t, C_SOCKFD, e->sockfd);
	out_cell_i64(t, C_FD, d->fd);
	out_cell_str(t, C_TYPE, type_name(d, anon));
	if ((d->mode & S_IFMT) == S_IFSOCK && !anon)
		socket_cells(t, d, name, sizeof(name));
	else if (anon)
		snprintf(name, sizeof(name), "anon_inode:%s", dname);
	else if ((d->mode & S_IFMT) == S_IFIFO && !dname[0])
		snprintf(name, sizeof(name), "pipe:[%llu]", (unsigned long long)d->ino);
	else
		snprintf(name, sizeof(name), "%s", d->file ? dname : "-");
	out_cell_str(t, C_NAME, name);
	snprintf(idbuf, sizeof(idbuf), "%016llx", (unsigned long long)id);
	out_field_str(t, "file_id", NULL, d->file ? idbuf : "");
	out_field_u64(t, "ino", NULL, d->ino);
	out_field_u64(t, "mode", NULL, d->mode);
	if (e->more)
		out_field_u64(t, "more", NULL, e->more);
	if (e->dir == SOFD_SEND) {
		out_cell_str(t, C_FROM, "-");
		if (d->file)
			sender_add(id, e->h.pid, d->fd);
	} else if (d->file && (s = sender_find(id))) {
		out_cell_fmt(t, C_FROM, "%u:%d", s->pid, s->fd);
		out_field_u64(t, "from_pid", NULL, s->pid);
		out_field_i64(t, "from_fd", NULL, s->fd);
	} else {
		out_cell_str(t, C_FROM, "-");
	}
	trace_row_end(tc, &e->h);
}

TRACE_TRACER(sofdsnoop, "descriptors passed over UNIX sockets", TRACE_HOOKS(hooks),
	     TRACE_COLS(cols), .opts = opts, .configure = configure,
	     TRACE_EVENTS(event, struct sofdsnoop_event));

TRACE_COMMAND(sofdsnoop, opts,
		.summary = "trace file descriptors passed over UNIX sockets (SCM_RIGHTS)",
		.about = "One line per file descriptor passed over a UNIX socket with SCM_RIGHTS,\n"
			 "on each side: SEND when sendmsg() succeeded, RECV when recvmsg()\n"
			 "installed it. The process, the UNIX socket's descriptor, the passed\n"
			 "descriptor's number on this side, its type (file, pipe, socket, ...) and\n"
			 "name (the path's last component, pipe:[inode], a socket's addresses).\n"
			 "Both rows of one descriptor share a file_id; a RECV row shows its\n"
			 "sender's PID:FD (FROM) when the SEND was seen.\n");
