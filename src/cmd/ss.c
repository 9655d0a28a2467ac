/* netlens ss: every socket on the host over NETLINK_SOCK_DIAG, with the
 * option letters of iproute2's ss. Options and dump planning live here;
 * -K's closing is ss_kill.c, -E's stream ss_events.c, -s's tables
 * ss_summary.c (the run they share: ss_run.h); one socket -> one row is
 * ss/print.c; the filter language is ss/filter.c. */
#include "base/opts.h"
#include "base/output.h"
#include "cmd/ss_run.h"
#include "cmd/state_src.h"
#include "command.h"
#include "sources/host.h"
#include "base/privs.h"
#include "sources/nl.h"
#include "sources/procfd.h"
#include "sources/procnet_sock.h"
#include "sources/sockdiag.h"
#include "sources/sockiter.h"
#include "sources/snapshot.h"
#include "sources/sockstat.h"
#include "ss/filter.h"
#include "ss/record.h"
#include "ss/ss.h"

#include <errno.h>
#include <linux/capability.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static const char ss_about[] =
	"Sockets, as iproute2's ss shows them, read over netlink sock_diag (or from\n"
	"/proc/net when the kernel lacks a kind's diag module). Kinds and families\n"
	"default to all, states to the connected ones.\n";

static const char ss_notes[] =
	"FILTER := [state STATE | exclude STATE]... [EXPRESSION]\n"
	"  STATE: established syn-sent syn-recv fin-wait-1 fin-wait-2 time-wait closed\n"
	"         close-wait last-ack listening closing; classes: all connected\n"
	"         synchronized bucket big\n"
	"  EXPRESSION: sport|dport OP :PORT, src|dst ADDR[/PLEN][:PORT], dev [=|!=] IFNAME,\n"
	"         cgroup [=|!=] PATH, src|dst [unix:]GLOB (UNIX paths; bare with -x),\n"
	"         joined by and, or, not and parentheses;\n"
	"         OP: = != < <= > >= (or eq ne lt le gt ge)\n"
	"-K closes TCP, UDP and RAW sockets only when FILTER selects (an expression,\n"
	"a state clause, or -l); -K -a closes every socket of the kinds given.\n"
	"Examples:\n"
	"  netlens ss -tan state established '( dport = :443 or sport = :443 )'\n"
	"  netlens ss -ltnp\n"
	"  netlens -j ss -ti dst 10.0.0.0/8\n"
	"  netlens ss -K -t dst 10.0.0.7 and dport = :5432\n"
	"  netlens -j ss -E -t dev eth0\n";

enum { OPT_NO_KFILTER = OPT_LONG, OPT_RECORD, OPT_NO_BPF, OPT_BPF, OPT_DURATION };

static const struct opt kind_rows[] = {
	{ 't', "tcp", NULL, "TCP" },
	{ 'u', "udp", NULL, "UDP" },
	{ 'w', "raw", NULL, "RAW" },
	{ 'x', "unix", NULL, "UNIX (stream, dgram, seqpacket)" },
	{ '0', "packet", NULL, "PACKET" },
	{ 'M', "mptcp", NULL, "MPTCP" },
	{ '4', "ipv4", NULL, "IPv4 only" },
	{ '6', "ipv6", NULL, "IPv6 only" },
	{ 'f', "family", "F", "inet, inet6, unix (local) or packet (link)" },
	{ 'A', "query", "LIST", "kinds by name: all, inet, tcp, udp, raw, mptcp, unix[_stream|"
				"_dgram|_seqpacket], packet[_raw|_dgram]" },
	OPT_END,
};

static const struct opt state_rows[] = {
	{ 'a', "all", NULL, "every state" },
	{ 'l', "listening", NULL, "listening (and unconnected UDP/RAW)" },
	OPT_END,
};

static const struct opt detail_rows[] = {
	{ 'n', "numeric", NULL, "no service, protocol or ethertype names" },
	{ 'e', "extended", NULL, "uid, inode, cookie, fwmark, shutdown (on the socket's line)" },
	{ 'o', "options", NULL, "timers (on the socket's line), TCP options with -i" },
	{ 'm', "memory", NULL, "socket memory (skmem)" },
	{ 'i', "info", NULL, "TCP internals, congestion control state" },
	{ 'p', "processes", NULL, "owning processes (pid, fd)" },
	{ 'T', "threads", NULL, "owning threads (pid, tid, fd): -p per thread" },
	{ 'O', "oneline", NULL, "details on the socket's line, not on an indented line below" },
	{ 's', "summary", NULL, "totals from sockstat and the dump" },
	{ 'H', "no-header", NULL, "no header line" },
	OPT_END,
};

static const struct opt action_rows[] = {
	{ 'K', "kill", NULL, "close the sockets FILTER selects (SOCK_DESTROY, needs CAP_NET_ADMIN) "
			     "and print them" },
	{ 'E', "events", NULL, "stream TCP and UDP sockets as they are destroyed, until a signal "
			       "(needs CAP_NET_ADMIN)" },
	{ OPT_DURATION, "duration", "SECS", "with -E: stop after SECS" },
	OPT_END,
};

static const struct opt other_rows[] = {
	{ OPT_NO_KFILTER, "no-kernel-filter", NULL,
	  "evaluate FILTER in user space instead of kernel bytecode" },
	{ OPT_BPF, "bpf", NULL, "always list TCP through the BPF iterator" },
	{ OPT_NO_BPF, "no-bpf", NULL,
	  "never (default: when allowed and the TCP table is big)" },
	{ OPT_RECORD, "record", "FILE",
	  "also save every socket to FILE, a snapshot for --from" },
	OPT_END,
};

static const struct opt_group ss_opts_table[] = {
	{ "Kinds and families", kind_rows }, { "States", state_rows },
	{ "Details", detail_rows },            { "Actions", action_rows },
	{ "Source", state_src_rows },          { "Other", other_rows },
	OPT_GROUPS_END,
};

/* With more TCP sockets than this, the BPF iterator (when allowed) beats
 * sock_diag by more than its load time. */
enum { ITER_MIN_SOCKETS = 5000 };

#define INET_KINDS (KIND(SK_TCP) | KIND(SK_UDP) | KIND(SK_RAW) | KIND(SK_MPTCP))
#define UNIX_ALL ((1u << SOCK_STREAM) | (1u << SOCK_DGRAM) | (1u << SOCK_SEQPACKET))
#define PACKET_ALL ((1u << SOCK_RAW) | (1u << SOCK_DGRAM))

/* -A/--query words */
static int add_query(const struct opts *p, struct ss_opts *o, const char *list)
{
	char *dup, *save = NULL, *w;
	int err = 0;

	if (opts_list(p, "socket kinds"))
		return -EINVAL;
	dup = strdup(list);
	if (!dup)
		return -ENOMEM;
	for (w = strtok_r(dup, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		if (!strcmp(w, "all"))
			o->kinds |= INET_KINDS | KIND(SK_UNIX) | KIND(SK_PACKET);
		else if (!strcmp(w, "inet"))
			o->kinds |= INET_KINDS;
		else if (!strcmp(w, "tcp"))
			o->kinds |= KIND(SK_TCP);
		else if (!strcmp(w, "udp"))
			o->kinds |= KIND(SK_UDP);
		else if (!strcmp(w, "raw"))
			o->kinds |= KIND(SK_RAW);
		else if (!strcmp(w, "mptcp"))
			o->kinds |= KIND(SK_MPTCP);
		else if (!strcmp(w, "unix"))
			o->kinds |= KIND(SK_UNIX), o->unix_types |= UNIX_ALL;
		else if (!strcmp(w, "unix_stream"))
			o->kinds |= KIND(SK_UNIX), o->unix_types |= 1u << SOCK_STREAM;
		else if (!strcmp(w, "unix_dgram"))
			o->kinds |= KIND(SK_UNIX), o->unix_types |= 1u << SOCK_DGRAM;
		else if (!strcmp(w, "unix_seqpacket"))
			o->kinds |= KIND(SK_UNIX), o->unix_types |= 1u << SOCK_SEQPACKET;
		else if (!strcmp(w, "packet"))
			o->kinds |= KIND(SK_PACKET), o->packet_types |= PACKET_ALL;
		else if (!strcmp(w, "packet_raw"))
			o->kinds |= KIND(SK_PACKET), o->packet_types |= 1u << SOCK_RAW;
		else if (!strcmp(w, "packet_dgram"))
			o->kinds |= KIND(SK_PACKET), o->packet_types |= 1u << SOCK_DGRAM;
		else {
			opts_fail(p, "unknown socket kind '%s': use all, inet, tcp, udp, raw, mptcp, "
				  "unix[_stream|_dgram|_seqpacket], packet[_raw|_dgram]", w);
			err = -EINVAL;
			break;
		}
	}
	free(dup);
	return err;
}

static int add_family(const struct opts *p, struct ss_opts *o, const char *f)
{
	if (!strcmp(f, "inet"))
		o->inet4 = true;
	else if (!strcmp(f, "inet6"))
		o->inet6 = true;
	else if (!strcmp(f, "unix") || !strcmp(f, "local"))
		o->want_unix = true;
	else if (!strcmp(f, "packet") || !strcmp(f, "link"))
		o->want_packet = true;
	else
		return opts_fail(p, "unknown family '%s': use inet, inet6, unix or packet", f), -EINVAL;
	return 0;
}

static int on_sock(const struct sock_rec *s, void *arg)
{
	struct ss_run *r = arg;

	if (s->kind == SK_UNIX && !(r->o.unix_types & (1u << s->type)))
		return 0;
	if (s->kind == SK_PACKET && !(r->o.packet_types & (1u << s->type)))
		return 0;
	if (s->kind == SK_PACKET && !(r->states & (1u << SS_CLOSE)))
		return 0;
	if (r->o.summary) {
		int fam = s->family == AF_INET ? 0 : s->family == AF_INET6 ? 1 : 2;
		r->counts[s->kind][fam][s->state < SS_STATE_MAX ? s->state : 0]++;
		return 0;
	}
	if (r->user_filter && !ss_filter_match(r->filter, s))
		return 0;
	/* snapshots and /proc tables hold every state; dumps asked for these */
	if (r->filter_states && s->kind != SK_PACKET &&
	    !(r->states & (1u << (s->state == SS_NEW_SYN_RECV ? SS_SYN_RECV : s->state))))
		return 0;
	if (r->kill)
		return ss_keep_for_kill(r, s);
	r->shown++;
	ss_print_sock(&r->pr, s);
	return 0;
}

static const char *const diag_module[SK_KIND_MAX] = { "tcp_diag", "udp_diag", "raw_diag",
	"mptcp_diag", "unix_diag", "af_packet_diag" };

/* One kind and family from its /proc/net table: -ENOENT when there is none. */
static int from_proc(struct ss_run *r, enum sock_kind kind, int family)
{
	const char *path = procnet_sock_path(kind, family);
	int err;

	if (!path)
		return -ENOENT;
	r->filter_states = true; /* the file holds every state */
	r->user_filter = ss_filter_has_expr(r->filter) && !r->o.summary;
	err = procnet_sock_dump(r->host, kind, family, on_sock, r);
	if (err == 0) {
		size_t n = strlen(r->proc_note), m = strlen(r->proc_mods);
		snprintf(r->proc_note + n, sizeof(r->proc_note) - n, "%s%s", n ? ", " : "", path);
		if (!(r->proc_kinds & KIND(kind)))
			snprintf(r->proc_mods + m, sizeof(r->proc_mods) - m, "%s%s", m ? ", " : "",
				 diag_module[kind]);
		r->proc_kinds |= KIND(kind);
		return 0;
	}
	if (err == -ENOENT)
		return err;
	if (err == -EBADMSG)
		return out_error("%s could not be parsed: a line is not in the kernel's format "
				 "(is NETLENS_PROC_ROOT pointing at a real /proc?)", path), err;
	return out_error("reading %s: %s", path, strerror(-err)), err;
}

static int dump_one(struct ss_run *r, enum sock_kind kind, int family)
{
	struct sockdiag_query q = {
		.kind = kind,
		.family = family,
		.states = r->o.summary ? SS_ALL_STATES : r->states,
	};
	bool inet = kind != SK_UNIX && kind != SK_PACKET;
	int err;

	if (!r->o.summary) {
		if (r->o.memory)
			q.ext |= SKX_MEMINFO;
		if (r->o.info)
			q.ext |= SKX_TCPINFO;
		if (r->o.extended)
			q.ext |= SKX_MISC;
	}
	r->user_filter = false;
	if (!r->o.summary && ss_filter_has_expr(r->filter)) {
		if (inet && r->bytecode && !r->kernel_filter_failed) {
			q.bytecode = r->bytecode;
			q.bytecode_len = r->bytecode_len;
		} else {
			r->user_filter = true;
		}
	}
	r->filter_states = !host_is_live(r->host);
	if (!host_is_live(r->host)) {
		/* a snapshot's dump holds every state: filter it all here */
		r->user_filter = ss_filter_has_expr(r->filter) && !r->o.summary;
		q.bytecode = NULL;
		err = sockdiag_dump_host(r->host, &q, on_sock, r);
	} else if (ss_diag_disabled() & KIND(kind)) {
		err = -ENOENT;
	} else {
		err = sockdiag_dump(&q, on_sock, r);
	}
	if (err == -EINVAL && q.bytecode) {
		/* the kernel refused our bytecode: still answer, in user space */
		out_warn("the kernel rejected the filter bytecode; filtering in user space");
		r->kernel_filter_failed = true;
		r->user_filter = true;
		q.bytecode = NULL;
		q.bytecode_len = 0;
		err = sockdiag_dump(&q, on_sock, r);
	}
	if (err == -ENOENT || err == -EPROTONOSUPPORT || err == -EOPNOTSUPP) {
		/* no diag support for this kind (e.g. raw_diag or mptcp_diag not
		 * loaded): its /proc/net table, as ss falls back to, when there is one */
		int perr = from_proc(r, kind, family);
		if (perr != -ENOENT)
			return perr;
		if (!(r->o.kinds_explicit & KIND(kind)) || r->o.summary || !host_is_live(r->host))
			return 0; /* a snapshot without this kind lists none of it */
		return out_error("the kernel cannot list %s sockets (%s): load its diag support "
				 "with 'modprobe %s'", kind_name(kind), strerror(-err), diag_module[kind]),
		       -err;
	}
	if (err < 0) {
		if (err == -EBADMSG || err == -EPROTO)
			return out_error("malformed netlink reply while listing %s sockets: the "
					 "kernel's answer could not be parsed (%s)",
					 kind_name(kind), strerror(-err)), -err;
		return out_error("listing %s sockets failed: %s", kind_name(kind), strerror(-err)), -err;
	}
	return 0;
}

/* Whether TCP is listed through the BPF iterator: only for what it
 * provides, only when allowed, and only for tables big enough to repay
 * loading it. Decided before anything is printed, so a refused --bpf is
 * the only output. 1: use it, 0: sock_diag, <0: reported error. */
static int iterator_decide(struct ss_run *r)
{
	const struct ss_opts *o = &r->o;
	struct sockstat st = { 0 };

	if (!(o->kinds & KIND(SK_TCP)))
		return 0;
	if (o->no_bpf || o->summary || o->info || o->memory || o->timers || r->record_path) {
		if (o->bpf)
			return out_error("--bpf lists only what the iterator provides: drop -s, -i, "
					 "-m, -o and --record, or drop --bpf"), -EINVAL;
		return 0;
	}
	if (!host_is_live(r->host))
		return o->bpf ? (out_error("--bpf reads this host, not a snapshot: drop --bpf "
					   "with --from"), -EINVAL) : 0;
	if (!o->bpf && (sockstat_read(&st, r->host, "/proc/net/sockstat") < 0 ||
			sockstat_get(&st, "TCP", "inuse") + sockstat_get(&st, "TCP", "tw") <
				ITER_MIN_SOCKETS))
		return 0;
	if (privs_missing_for_bpf() || access("/sys/kernel/btf/vmlinux", R_OK) != 0) {
		if (o->bpf)
			return out_error("--bpf needs root (CAP_BPF and CAP_PERFMON) and kernel BTF "
					 "at /sys/kernel/btf/vmlinux: run as root, or drop --bpf"), -EPERM;
		return 0;
	}
	return 1;
}

/* TCP over the BPF iterator. 1: done, 0: not usable here after all. */
static int try_iterator(struct ss_run *r)
{
	const struct ss_opts *o = &r->o;
	int err;

	if (!r->use_iter)
		return 0;
	r->user_filter = ss_filter_has_expr(r->filter);
	err = sockiter_dump_tcp(o->inet4 && o->inet6 ? 0 : o->inet4 ? AF_INET : AF_INET6, r->states,
				on_sock, r);
	if (err == -EOPNOTSUPP && !o->bpf)
		return 0;
	if (err < 0)
		return out_error("listing TCP sockets through the BPF iterator failed: %s (use "
				 "--no-bpf to list them over sock_diag)", strerror(-err)), err;
	return 1;
}

/* Kinds and order as ss prints them: packet, unix, raw, udp, tcp, mptcp. */
static int run_dumps(struct ss_run *r)
{
	static const enum sock_kind order[] = { SK_PACKET, SK_UNIX, SK_RAW, SK_UDP, SK_TCP, SK_MPTCP };

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		enum sock_kind k = order[i];
		int err = 0;

		if (!(r->o.kinds & KIND(k)))
			continue;
		if (k == SK_UNIX)
			err = dump_one(r, k, AF_UNIX);
		else if (k == SK_PACKET)
			err = dump_one(r, k, AF_PACKET);
		else if (k == SK_TCP && (err = try_iterator(r)) != 0)
			err = err < 0 ? err : 0;
		else {
			if (r->o.inet4)
				err = dump_one(r, k, AF_INET);
			if (!err && r->kill)
				err = ss_kill_kept(r);
			if (!err && r->o.inet6)
				err = dump_one(r, k, AF_INET6);
			if (!err && r->kill)
				err = ss_kill_kept(r);
		}
		if (err)
			return err;
	}
	return 0;
}

/* --record FILE: everything `ss --from` reads (every socket in every state,
 * with every extension and no kernel filter; the -s files; the /proc/net
 * tables of kinds without a diag module), read through the live host into
 * a snapshot written beside FILE and renamed into place once whole. Then
 * the recording becomes the host, so what this run prints is what the file
 * holds and `ss --from FILE` with the same options prints it again. */
static int record_and_replay(struct ss_run *r)
{
	struct ss_record_stats st = { 0 };
	struct snap_writer w;
	struct snapshot *snap;
	struct snap_out so;
	struct host *rec;
	struct timespec now;
	char why[512];
	int err;

	if (snap_out_open(&so, r->record_path, why, sizeof(why)) < 0)
		return out_error("%s", why);
	clock_gettime(CLOCK_REALTIME, &now);
	snap_begin(&w, so.f, (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec);
	snap_add_host_meta(&w, 0, 1);
	r->host->rec = &w;
	err = ss_record(r->host, &st);
	r->host->rec = NULL;
	if (!err)
		err = snap_finish(&w);
	if (err) {
		snap_out_abort(&so);
		return out_error("recording sockets into %s: %s", r->record_path, strerror(-err));
	}
	snap = calloc(1, sizeof(*snap));
	if (!snap) {
		snap_out_abort(&so);
		return out_error("out of memory");
	}
	if (snap_out_load(&so, snap, why, sizeof(why)) < 0) {
		free(snap);
		snap_out_abort(&so);
		return out_error("%s", why);
	}
	if (snap_out_commit(&so, why, sizeof(why)) < 0) {
		snap_close(snap);
		free(snap);
		return out_error("%s", why);
	}
	if (!(rec = host_recorded(snap))) {
		snap_close(snap);
		free(snap);
		return out_error("out of memory (%s was written)", r->record_path);
	}
	host_close(r->host);
	r->host = rec;
	return 0;
}

/* Which kinds, families and states: the defaults ss uses. */
static int plan(struct ss_run *r)
{
	struct ss_opts *o = &r->o;

	o->kinds_explicit = o->kinds;
	if (r->events && (o->kinds & ~(KIND(SK_TCP) | KIND(SK_UDP))))
		return out_error("-E streams TCP and UDP sockets only (the kernel announces no "
				 "other kind's destruction): drop -w, -x, -0 and -M");
	if (r->kill && (o->kinds & (KIND(SK_UNIX) | KIND(SK_PACKET))))
		return out_error("-K closes TCP, UDP and RAW sockets: the kernel cannot destroy "
				 "UNIX or PACKET sockets; drop -x and -0");
	if (!o->kinds)
		o->kinds = r->events ? KIND(SK_TCP) | KIND(SK_UDP)
			   : r->kill ? KIND(SK_TCP) | KIND(SK_UDP)
				     : INET_KINDS | KIND(SK_UNIX) | KIND(SK_PACKET);
	if (!o->unix_types)
		o->unix_types = UNIX_ALL;
	if (!o->packet_types)
		o->packet_types = PACKET_ALL;
	if (!o->inet4 && !o->inet6 && !o->want_unix && !o->want_packet)
		o->inet4 = o->inet6 = o->want_unix = o->want_packet = true;
	if (!o->inet4 && !o->inet6)
		o->kinds &= ~INET_KINDS;
	if (!o->want_unix)
		o->kinds &= ~KIND(SK_UNIX);
	if (!o->want_packet)
		o->kinds &= ~KIND(SK_PACKET);
	if ((o->kinds & KIND(SK_MPTCP)) && !sockdiag_kind_supported(SK_MPTCP)) {
		if (o->kinds == KIND(SK_MPTCP) || 0)
			return out_error("MPTCP is not available in this kernel: it needs CONFIG_MPTCP "
					 "(and net.mptcp.enabled=1)");
		o->kinds &= ~KIND(SK_MPTCP);
	}

	uint32_t base = o->state_mode == 'a' ? SS_ALL_STATES
			: o->state_mode == 'l' ? (1u << SS_LISTEN) | (1u << SS_CLOSE)
					       : SS_ALL_STATES & ~((1u << SS_LISTEN) | (1u << SS_CLOSE) |
								   (1u << SS_TIME_WAIT) | (1u << SS_SYN_RECV));
	/* a destroyed socket is in CLOSE (or wherever it was): every state */
	if (r->events && !o->state_mode)
		base = SS_ALL_STATES;
	r->states = ss_filter_states(r->filter, base);
	return 0;
}

static unsigned popcount(unsigned v) { return (unsigned)__builtin_popcount(v); }

static int cmd_ss(int argc, char **argv)
{
	struct ss_run *r = calloc(1, sizeof(*r));
	struct procfd_map owners;
	bool have_owners = false;
	struct opts p;
	int c, err = 0, status = EXIT_OK;

	if (!r)
		return out_error("out of memory");
	if (opts_begin(&p, "ss", ss_opts_table, argc, argv)) {
		free(r);
		return EXIT_USAGE;
	}
	while ((c = opts_next(&p)) > 0) {
		switch (c) {
		case 't': r->o.kinds |= KIND(SK_TCP); break;
		case 'u': r->o.kinds |= KIND(SK_UDP); break;
		case 'w': r->o.kinds |= KIND(SK_RAW); break;
		case 'x': r->o.kinds |= KIND(SK_UNIX); r->o.unix_types |= UNIX_ALL; break;
		case '0': r->o.kinds |= KIND(SK_PACKET); r->o.packet_types |= PACKET_ALL; break;
		case 'M': r->o.kinds |= KIND(SK_MPTCP); break;
		case '4': r->o.inet4 = true; break;
		case '6': r->o.inet6 = true; break;
		case 'f': err = add_family(&p, &r->o, p.arg); break;
		case 'A': err = add_query(&p, &r->o, p.arg); break;
		case 'a': r->o.state_mode = 'a'; break;
		case 'l': r->o.state_mode = 'l'; break;
		case 'n': r->o.numeric = true; break;
		case 'e': r->o.extended = true; break;
		case 'o': r->o.timers = true; break;
		case 'm': r->o.memory = true; break;
		case 'i': r->o.info = true; break;
		case 'p': r->o.processes = true; break;
		case 'T': r->o.processes = r->o.threads = true; break;
		case 'K': r->kill = true; break;
		case 'E': r->events = true; break;
		case OPT_DURATION: err = opts_secs(&p, &r->duration); break;
		case 'O': r->o.oneline = true; break;
		case 's': r->o.summary = true; break;
		case 'H': r->o.no_header = true; break;
		case OPT_NO_KFILTER: r->o.user_filter_only = true; break;
		case OPT_RECORD: r->record_path = p.arg; break;
		case OPT_NO_BPF: r->o.no_bpf = true; break;
		case OPT_BPF: r->o.bpf = true; break;
		default: state_src_opt(&r->src, c, p.arg); break;
		}
		if (err)
			break;
	}
	if (!err && r->o.inet4 && r->o.inet6)
		err = opts_fail_cmd(&p, "-4 and -6 exclude each other: give one, or -f inet for both");
	if (!err && r->kill && r->events)
		err = opts_fail_cmd(&p, "-K and -E exclude each other: close sockets, or watch them close");
	if (!err && r->duration > 0 && !r->events)
		err = opts_fail_cmd(&p, "--duration bounds -E's stream: add -E, or drop --duration");
	if (!err && (r->kill || r->events) && (r->o.summary || r->o.bpf || r->record_path || r->src.from))
		err = opts_fail_cmd(&p, "%s acts on this host's live sockets: drop %s", r->kill ? "-K" : "-E",
				    r->o.summary ? "-s" : r->o.bpf ? "--bpf" : r->record_path ? "--record"
				    : "--from");
	if (c < 0 || err) {
		free(r);
		return EXIT_USAGE;
	}

	/* src/dst are UNIX paths when only UNIX sockets are asked for, as in ss */
	bool unix_only = r->o.kinds ? r->o.kinds == KIND(SK_UNIX)
				    : r->o.want_unix && !r->o.inet4 && !r->o.inet6 && !r->o.want_packet;
	struct ss_filter_error ferr;
	if (ss_filter_parse_family(argc - p.next, argv + p.next, unix_only ? AF_UNIX : AF_UNSPEC,
				   &r->filter, &ferr) < 0) {
		/* one line: the filter as read (a window around the column
		 * when long), the column and what was wrong there */
		const char *text = ss_filter_text(r->filter);
		int len = text ? (int)strlen(text) : 0, at = ferr.column > 0 ? ferr.column - 1 : 0;
		int from = len <= 80 || at < 40 ? 0 : at - 40, n = len - from > 80 ? 80 : len - from;
		if (text && len)
			status = out_error("bad filter at column %d of '%s%.*s%s': %s", ferr.column,
					   from ? "..." : "", n, text + from,
					   from + n < len ? "..." : "", ferr.msg);
		else
			status = out_error("bad filter at column %d: %s", ferr.column, ferr.msg);
		ss_filter_free(r->filter);
		free(r);
		return EXIT_USAGE;
	}
	if (r->src.from && r->record_path) {
		status = out_error("--from reads a snapshot: --record does not apply");
		goto out;
	}
	if (r->record_path && r->o.bpf) {
		status = out_error("--bpf lists only what the iterator provides: drop --record, or "
				   "drop --bpf");
		goto out;
	}
	/* -l is how every listing starts (ss -tln): with -K it would close
	 * every listener, so only an expression, a state clause or -a/--all,
	 * which says "all" in so many words, lets -K go ahead */
	if (r->kill && !ss_filter_has_expr(r->filter) && !ss_filter_has_states(r->filter) &&
	    r->o.state_mode != 'a') {
		status = out_error("-K without a filter would close every %s: give a filter "
				   "(e.g. dport = :80), or -a to close them all",
				   r->o.state_mode == 'l' ? "listener" : "socket");
		status = EXIT_USAGE;
		goto out;
	}
	if (!(r->host = state_src_open(&r->src))) {
		status = EXIT_FAIL;
		goto out;
	}
	if (ss_filter_resolve(r->filter, host_is_live(r->host), &ferr) < 0) {
		status = out_error("bad filter at column %d of '%.80s': %s", ferr.column,
				   ss_filter_text(r->filter), ferr.msg);
		status = EXIT_USAGE;
		goto out;
	}
	if ((r->kill || r->events) && !privs_has_cap(CAP_NET_ADMIN)) {
		status = out_error("%s needs CAP_NET_ADMIN: run as root", r->kill ?
				   "-K (closing sockets)" : "-E (the sock_diag destroy events)");
		goto out;
	}
	if (r->kill && (err = nl_dump_open(&r->killer, NETLINK_SOCK_DIAG)) < 0) {
		status = out_error("opening a sock_diag socket: %s", strerror(-err));
		goto out;
	}
	if (r->record_path && record_and_replay(r)) {
		status = EXIT_FAIL;
		goto out;
	}
	if (r->o.summary) {
		/* before plan() and the dumps open sockets of their own: those
		 * would count in "sockets used" (netlink sockets are freed after
		 * an RCU grace period, so even closed ones may still count) */
		sockstat_read(&r->sockstat, r->host, "/proc/net/sockstat");
		sockstat_read(&r->sockstat, r->host, "/proc/net/sockstat6");
		r->curr_estab = sockstat_snmp_get(r->host, "Tcp", "CurrEstab");
	}
	if (plan(r)) {
		status = EXIT_FAIL;
		goto out;
	}
	if ((err = iterator_decide(r)) < 0) {
		status = EXIT_FAIL;
		goto out;
	}
	r->use_iter = err == 1 && !r->kill && !r->events;
	err = 0;
	if (ss_filter_has_expr(r->filter) && !r->o.user_filter_only) {
		err = ss_filter_bytecode(r->filter, &r->bytecode, &r->bytecode_len);
		if (err && err != -EOPNOTSUPP) {
			status = out_error("compiling the filter: %s", strerror(-err));
			goto out;
		}
	}
	/* owners are not in snapshots; a --record run still sees this host's */
	if (r->o.processes && !host_is_live(r->host) && !r->record_path) {
		out_warn("-p: snapshots do not record process owners; not shown");
		r->o.processes = false;
	}
	if (r->o.processes && !r->o.summary) {
		err = r->o.threads ? procfd_scan_threads(&owners, "/proc") : procfd_scan(&owners, "/proc");
		if (err) {
			out_warn("-p: cannot read /proc: %s; processes are not shown", strerror(-err));
		} else {
			have_owners = true;
			if (owners.denied)
				out_warn("-p: cannot read the open files of %u processes (owned by other "
					 "users); their sockets show no process: run as root to see all",
					 owners.denied);
		}
	}

	struct out_col cols[SS_NCOLS];
	memcpy(cols, ss_columns, sizeof(cols));
	unsigned netids = popcount(r->o.kinds & (INET_KINDS));
	if (r->o.kinds & KIND(SK_UNIX))
		netids += popcount(r->o.unix_types);
	if (r->o.kinds & KIND(SK_PACKET))
		netids += popcount(r->o.packet_types);
	if (netids <= 1)
		cols[SS_COL_NETID].title = NULL;
	if (popcount(r->states & ~(1u << SS_NEW_SYN_RECV)) == 1)
		cols[SS_COL_STATE].title = NULL;
	/* users (-p), timers (-o) and -e details share the socket's last column */
	if (!have_owners && !r->o.timers && !r->o.extended)
		cols[SS_COL_PROCESS].title = NULL;

	struct table *t = NULL;
	if (r->events) {
		struct nl_dump ev;
		/* a stream: rows print as they come, at fixed widths */
		static const int widths[SS_NCOLS] = { 5, 10, 6, 6, 40, 40, 0 };
		for (int i = 0; i < SS_NCOLS; i++)
			cols[i].width = widths[i];
		err = sockdiag_events_open(&ev, r->o.kinds & KIND(SK_TCP), r->o.kinds & KIND(SK_UDP),
					   r->o.inet4, r->o.inet6);
		if (err == -EPERM)
			status = out_error("-E needs CAP_NET_ADMIN to join the sock_diag groups: run "
					   "as root");
		else if (err)
			status = out_error("joining the sock_diag destroy groups: %s", strerror(-err));
		if (err)
			goto out;
		t = out_table_begin(cols, SS_NCOLS);
		out_table_stream(t);
		if (r->o.no_header)
			out_table_no_header(t);
		if (r->o.oneline)
			out_table_oneline(t);
		ss_printer_init(&r->pr, &r->o, t, have_owners ? &owners : NULL);
		r->pr.stamp = true;
		if (ss_run_events(r, &ev) < 0)
			status = EXIT_FAIL;
		nl_dump_close(&ev);
		out_table_end(t);
		ss_printer_free(&r->pr);
		goto out;
	}
	if (!r->o.summary) {
		t = out_table_begin(cols, SS_NCOLS);
		if (r->o.no_header)
			out_table_no_header(t);
		if (r->o.oneline)
			out_table_oneline(t);
		ss_printer_init(&r->pr, &r->o, t, have_owners ? &owners : NULL);
		/* a snapshot names its devices itself; none recorded: ifN */
		if (!host_is_live(r->host)) {
			rtnl_load_links(r->host, &r->links);
			r->pr.links = &r->links;
		}
	}
	err = run_dumps(r);
	if (r->proc_kinds)
		out_warn("listed from %s: the kernel has no %s (those files hold no cookies, TCP "
			 "internals or memory)", r->proc_note, r->proc_mods);
	if (r->o.summary && !err)
		ss_print_summary(r);
	out_table_end(t);
	ss_printer_free(&r->pr);
	if (err || r->kill_failed)
		status = EXIT_FAIL;
out:
	if (r->kill)
		nl_dump_close(&r->killer);
	free(r->kept);
	if (have_owners)
		procfd_free(&owners);
	free(r->bytecode);
	ss_filter_free(r->filter);
	rtnl_links_free(&r->links);
	host_close(r->host);
	free(r);
	return status;
}

NETLENS_COMMAND(ss, .name = "ss", .run = cmd_ss,
		.summary = "sockets over netlink sock_diag: filters, TCP internals, owners; -K closes, -E streams closes",
		.synopsis = "[options] [FILTER]", .about = ss_about, .opts = ss_opts_table,
		.notes = ss_notes);
