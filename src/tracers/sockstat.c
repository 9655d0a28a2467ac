/* sockstat: socket system calls and socket sends/receives per interval,
 * counted per CPU in the kernel. */
#include "bpf/sockstat.h"
#include "bpf/sockstat.skel.h"
#include "command.h"
#include "trace/opts.h"
#include "trace/trace.h"
#include "tracers/so_count.h"

#include <bpf/libbpf.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

TRACE_SKEL_GLUE(sockstat)

/* In the order of enum sockstat_counter: hook i counts counter i. */
#define SYSCALL_HOOK(n) { "sys_enter_" #n, { "sockstat_" #n } }
static const struct trace_hook hooks[] = {
	SYSCALL_HOOK(socket), SYSCALL_HOOK(bind), SYSCALL_HOOK(listen), SYSCALL_HOOK(accept),
	SYSCALL_HOOK(accept4), SYSCALL_HOOK(connect), SYSCALL_HOOK(shutdown), SYSCALL_HOOK(sendto),
	SYSCALL_HOOK(sendmsg), SYSCALL_HOOK(sendmmsg), SYSCALL_HOOK(recvfrom), SYSCALL_HOOK(recvmsg),
	SYSCALL_HOOK(recvmmsg),
	/* kernel 6.3+: without them, the SKSEND and SKRECV columns go */
	{ "sock:sock_send_length (the SKSEND counter)", { "sockstat_send_btf", "sockstat_send_raw" },
	  .optional = true },
	{ "sock:sock_recv_length (the SKRECV counter)", { "sockstat_recv_btf", "sockstat_recv_raw" },
	  .optional = true },
};
_Static_assert(sizeof(hooks) / sizeof(hooks[0]) == SS_NCOUNTERS, "one hook per counter");
_Static_assert(SS_NCOUNTERS <= TRACE_MAX_HOOKS, "TRACE_MAX_HOOKS");

/* The syscall names of the counters, for JSON "syscalls". */
static const char *const names[SS_SOCK_SEND] = {
	"socket", "bind", "listen", "accept", "accept4", "connect", "shutdown",
	"sendto", "sendmsg", "sendmmsg", "recvfrom", "recvmsg", "recvmmsg",
};

/* The table's columns: families of counters (accept = accept + accept4,
 * send = sendto + sendmsg + sendmmsg, recv alike). */
enum { C_SOCKET = TRACE_COL0, C_BIND, C_LISTEN, C_ACCEPT, C_CONNECT, C_SHUTDOWN, C_SEND, C_RECV,
       C_SKSEND, C_SKRECV, C_END };

static const struct out_col cols[] = {
	{ "SOCKET", "socket", OUT_RIGHT, 6 },
	{ "BIND", "bind", OUT_RIGHT, 6 },
	{ "LISTEN", "listen", OUT_RIGHT, 6 },
	{ "ACCEPT", "accept", OUT_RIGHT, 6 },
	{ "CONNECT", "connect", OUT_RIGHT, 7 },
	{ "SHUTDN", "shutdown", OUT_RIGHT, 6 },
	{ "SEND", "send", OUT_RIGHT, 6 },
	{ "RECV", "recv", OUT_RIGHT, 6 },
	{ "SKSEND", "sock_send", OUT_RIGHT, 6 },
	{ "SKRECV", "sock_recv", OUT_RIGHT, 6 },
};

/* The first and last counter of each column. */
static const struct { int from, to; } sums[] = {
	[C_SOCKET - TRACE_COL0] = { SS_SOCKET, SS_SOCKET },
	[C_BIND - TRACE_COL0] = { SS_BIND, SS_BIND },
	[C_LISTEN - TRACE_COL0] = { SS_LISTEN, SS_LISTEN },
	[C_ACCEPT - TRACE_COL0] = { SS_ACCEPT, SS_ACCEPT4 },
	[C_CONNECT - TRACE_COL0] = { SS_CONNECT, SS_CONNECT },
	[C_SHUTDOWN - TRACE_COL0] = { SS_SHUTDOWN, SS_SHUTDOWN },
	[C_SEND - TRACE_COL0] = { SS_SENDTO, SS_SENDMMSG },
	[C_RECV - TRACE_COL0] = { SS_RECVFROM, SS_RECVMMSG },
	[C_SKSEND - TRACE_COL0] = { SS_SOCK_SEND, SS_SOCK_SEND },
	[C_SKRECV - TRACE_COL0] = { SS_SOCK_RECV, SS_SOCK_RECV },
};

static const struct opt_group opts[] = {
	SO_COUNT_FILTER_GROUP, TRACE_RUN_GROUP, TRACE_INTERVAL_GROUP, OPT_GROUPS_END,
};

static struct {
	struct table *t;
	uint64_t prev[SS_NCOUNTERS]; /* the kernel's totals at the last row */
	uint64_t last_ns;
} st;

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* The kernel's totals: each counter summed over the CPUs. */
static void read_totals(struct bpf_map *m, uint64_t *tot)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t *v = calloc(ncpu > 0 ? (size_t)ncpu : 1, sizeof(*v));

	if (!v)
		abort();
	for (__u32 i = 0; i < SS_NCOUNTERS; i++) {
		tot[i] = 0;
		if (ncpu > 0 &&
		    bpf_map__lookup_elem(m, &i, sizeof(i), v, sizeof(*v) * (size_t)ncpu, 0) == 0)
			for (int c = 0; c < ncpu; c++)
				tot[i] += v[c];
	}
	free(v);
}

/* The table, once: the counters of hooks that could not load (an older
 * kernel) are left out. */
static struct table *table(const struct trace_ctx *tc)
{
	struct out_col c[C_END - TRACE_COL0];

	memcpy(c, cols, sizeof(c));
	for (int i = 0; i < C_END - TRACE_COL0; i++)
		if (tc->hook_off[sums[i].from]) {
			c[i].title = NULL;
			c[i].key = NULL;
		}
	st.t = trace_summary_begin(c, C_END - TRACE_COL0);
	out_table_stream(st.t);
	return st.t;
}

static void summary(struct trace_ctx *tc, void *skel, bool final)
{
	struct table *t = st.t ? st.t : table(tc);
	uint64_t tot[SS_NCOUNTERS], d[SS_NCOUNTERS], now = mono_ns();

	read_totals(((struct sockstat_bpf *)skel)->maps.counters, tot);
	for (int i = 0; i < SS_NCOUNTERS; i++) {
		d[i] = tot[i] - st.prev[i];
		st.prev[i] = tot[i];
	}
	trace_summary_row(t);
	out_field_double(t, "interval_s", NULL,
			 (double)(now - (st.last_ns ? st.last_ns : tc->mono_start)) / 1e9, 3);
	st.last_ns = now;
	for (int i = 0; i < C_END - TRACE_COL0; i++) {
		uint64_t n = 0;
		if (tc->hook_off[sums[i].from])
			continue;
		for (int k = sums[i].from; k <= sums[i].to; k++)
			n += d[k];
		out_cell_u64(t, TRACE_COL0 + i, n);
	}
	out_obj_begin(t, "syscalls", NULL);
	for (int i = 0; i < SS_SOCK_SEND; i++)
		out_field_u64(t, names[i], NULL, d[i]);
	out_obj_end(t);
	out_row_end(t);
	if (final) {
		out_table_end(st.t);
		st.t = NULL;
	}
}

static void fini(struct trace_ctx *tc)
{
	(void)tc;
	out_table_end(st.t);
	memset(&st, 0, sizeof(st));
}

TRACE_TRACER(sockstat, "socket calls", TRACE_HOOKS(hooks), .opts = opts, .summary = summary,
	     .fini = fini, .default_interval = 1);

TRACE_COMMAND(sockstat, opts,
		.summary = "socket system calls and socket sends/receives per interval, counted",
		.about = "Socket system calls and socket I/O counted in the kernel, one row per\n"
			 "interval (-i SECS, default 1; -n N stops after N): socket(), bind(),\n"
			 "listen(), accept() and accept4() (ACCEPT), connect(), shutdown(), sendto(),\n"
			 "sendmsg() and sendmmsg() (SEND), recvfrom(), recvmsg() and recvmmsg()\n"
			 "(RECV), each counted as it is entered, failed calls included; and every\n"
			 "send and receive on a socket as the kernel makes it, write() and read()\n"
			 "included, one per message of sendmmsg()/recvmmsg() (SKSEND, SKRECV:\n"
			 "sock:sock_send_length and sock_recv_length, kernel 6.3+; left out with a\n"
			 "warning where missing). JSON adds each system call's own count\n"
			 "(\"syscalls\").\n");
