/* solisten: listen() calls, the backlog asked for and the one applied. */
#include "bpf/solisten.h"
#include "bpf/solisten.skel.h"
#include "command.h"
#include "trace/opts.h"
#include "trace/trace.h"
#include "tracers/so_util.h"

#include <sys/socket.h>

TRACE_SKEL_GLUE(solisten)

enum { C_PID = TRACE_COL0, C_COMM, C_FD, C_AF, C_LADDR, C_LPORT, C_BACKLOG, C_APPLIED,
       C_TRUNC, C_RESULT };

static const struct out_col cols[] = {
	TRACE_TASK_COLS,
	{ "FD", "fd", OUT_RIGHT, 3 },
	{ "AF", NULL, 0, 5 },
	{ "LADDR", "laddr", 0, 15 },
	{ "LPORT", "lport", OUT_RIGHT, 5 },
	{ "BACKLOG", "backlog", OUT_RIGHT, 7 },
	{ "APPLIED", "backlog_applied", OUT_RIGHT, 7 },
	{ "TRUNC", NULL, 0, 5 },
	{ "RESULT", NULL, OUT_LAST, 0 },
};

static const struct trace_hook hooks[] = {
	{ "sys_enter_listen", { "solisten_enter" } },
	{ "sys_exit_listen", { "solisten_exit" } },
};

static const struct opt opt_rows[] = {
	SO_UNIX_ROW,
	OPT_END,
};

static const struct opt_group opts[] = {
	{ NULL, opt_rows }, TRACE_OWNER_GROUP, SO_FILTER_GROUP, TRACE_EVENT_GROUP,
	TRACE_RUN_GROUP, OPT_GROUPS_END,
};

static void event(struct trace_ctx *tc, const void *data)
{
	const struct solisten_event *e = data;
	const char *fam = e->family ? so_family_name(e->family) : NULL;
	const char *type = so_type_name(e->sotype);
	/* __sys_listen: (unsigned)backlog > somaxconn is capped to somaxconn */
	bool truncated = e->ret == 0 && e->family && (__u32)e->backlog > e->applied;
	struct table *t = trace_row_begin(tc, &e->h);
	char a[64];

	trace_cells_task(t, C_PID, e->h.pid, e->h.comm);
	out_cell_i64(t, C_FD, e->fd);
	out_cell_str(t, C_AF, fam ? fam : "-");
	if (fam)
		out_field_str(t, "family", NULL, fam);
	if (e->family == AF_INET || e->family == AF_INET6) {
		out_cell_str(t, C_LADDR, trace_addr_str(a, e->family, e->addr));
		out_cell_u64(t, C_LPORT, e->port);
	} else if (e->family == AF_UNIX) {
		so_cells_unix_name(t, C_LADDR, e->sa, e->salen < sizeof(e->sa) ? e->salen : sizeof(e->sa));
		out_cell_fmt(t, C_LPORT, "-");
	} else { /* text only: JSON has no address for it */
		out_cell_fmt(t, C_LADDR, "-");
		out_cell_fmt(t, C_LPORT, "-");
	}
	out_cell_i64(t, C_BACKLOG, e->backlog);
	if (e->family)
		out_cell_u64(t, C_APPLIED, e->applied);
	else
		out_cell_fmt(t, C_APPLIED, "-");
	out_field_bool(t, "truncated", NULL, truncated);
	if (type)
		out_field_str(t, "type", NULL, type);
	out_cell_str(t, C_TRUNC, truncated ? "yes" : "-");
	so_cells_result(t, C_RESULT, e->ret);
	trace_row_end(tc, &e->h);
}

TRACE_TRACER(solisten, "listen() calls", TRACE_HOOKS(hooks), TRACE_COLS(cols), .opts = opts,
	     .opt = so_opt_unix, TRACE_EVENTS(event, struct solisten_event));

TRACE_COMMAND(solisten, opts,
		.summary = "trace listen() calls: address, backlog asked for and applied",
		.about = "One line per listen() system call: the process, the descriptor, the\n"
			 "socket's family, local address and port, the backlog asked for and the\n"
			 "one the kernel applied (capped at net.core.somaxconn of the socket's\n"
			 "network namespace), and the result. A backlog the cap cut is flagged\n"
			 "(TRUNC yes, JSON \"truncated\": true).\n");
