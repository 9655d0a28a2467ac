/* tcpreset: TCP resets sent and received, with tuple, state and reason. */
#include "bpf/tcpreset.h"
#include "bpf/tcpreset.skel.h"
#include "command.h"
#include "trace/trace.h"
#include "tracers/btfenum_util.h"

#include <stdlib.h>
#include <string.h>

TRACE_SKEL_GLUE(tcpreset)

enum { C_DIR = TRACE_COL0, C_PID, C_COMM, C_LADDR, C_LPORT, C_RADDR, C_RPORT, C_STATE, C_REASON };

static const struct out_col cols[] = {
	{ "DIR", "direction", 0, 8 },
	{ "PID", "pid", OUT_RIGHT, 7 },
	{ "COMM", "comm", 0, 15 },
	{ "LADDR", "laddr", 0, 15 },
	{ "LPORT", "lport", OUT_RIGHT, 5 },
	{ "RADDR", "raddr", 0, 15 },
	{ "RPORT", "rport", OUT_RIGHT, 5 },
	{ "STATE", "state", 0, 11 },
	{ "REASON", NULL, OUT_LAST, 0 },
};

static const struct trace_hook hooks[] = {
	{ "tcp_send_reset", { "tcpreset_send_btf", "tcpreset_send_raw" } },
	{ "tcp_receive_reset", { "tcpreset_recv_btf", "tcpreset_recv_raw" } },
	{ "inet_sock_set_state (owners)", { "tcpreset_state_btf", "tcpreset_state_raw" } },
	TRACE_ACCEPT_HOOKS(tcpreset),
};

static const struct option longopts[] = {
	{ "sent", no_argument, NULL, 'S' },
	{ "received", no_argument, NULL, 'R' },
	{ NULL, 0, NULL, 0 },
};

struct priv {
	struct nl_enum_names reasons; /* enum sk_rst_reason, empty if absent */
	bool sent_only, received_only;
};

static struct priv priv;

static int opt(struct trace_ctx *tc, int c, const char *arg)
{
	(void)arg;
	tc->priv = &priv;
	if (c == 'S')
		priv.sent_only = true;
	else
		priv.received_only = true;
	return 0;
}

static int configure(struct trace_ctx *tc, void *skel)
{
	(void)skel;
	tc->priv = &priv;
	if (priv.sent_only && priv.received_only)
		priv.sent_only = priv.received_only = false;
	if (priv.sent_only)
		trace_hook_off(tc, "tcp_receive_reset");
	if (priv.received_only)
		trace_hook_off(tc, "tcp_send_reset");
	if (!priv.reasons.n)
		nl_enum_load("sk_rst_reason", "SK_RST_REASON_", &priv.reasons);
	return 0;
}

static void event(struct trace_ctx *tc, const void *data, size_t len)
{
	const struct tcpreset_event *e = data;
	struct table *t;

	if (len < sizeof(*e))
		return;
	t = trace_row_begin(tc, &e->h);
	out_cell_str(t, C_DIR, e->dir == TCPRESET_SENT ? "sent" : "received");
	trace_cells_task(tc, C_PID, C_COMM, &e->h);
	trace_cells_tuple(tc, C_LADDR, C_LPORT, C_RADDR, C_RPORT, &e->t);
	out_cell_str(t, C_STATE, e->has_sk ? tcp_state_name(e->state) : "-");
	out_field_bool(t, "socket", NULL, e->has_sk);
	if (e->dir == TCPRESET_SENT) {
		const char *r = nl_enum_name(&priv.reasons, e->reason);
		if (r)
			out_cell_str(t, C_REASON, r);
		else
			out_cell_fmt(t, C_REASON, "%u", e->reason);
		out_field_str(t, "reason", NULL, r ? r : "");
		out_field_u64(t, "reason_code", NULL, e->reason);
	} else {
		out_cell_str(t, C_REASON, "-");
	}
	trace_row_end(tc, &e->h);
}

static const struct tracer tcpreset = {
	.name = "tcpreset",
	.doing = "TCP resets",
	.hooks = hooks,
	.nhooks = sizeof(hooks) / sizeof(hooks[0]),
	.cols = cols,
	.ncols = sizeof(cols) / sizeof(cols[0]),
	.shortopts = "SR",
	.longopts = longopts,
	.opt = opt,
	TRACE_SKEL(tcpreset),
	.configure = configure,
	.event = event,
};

static int run(int argc, char **argv)
{
	int r = trace_main(&tcpreset, argc, argv);
	nl_enum_free(&priv.reasons);
	return r;
}

NETLENS_COMMAND(tcpreset, .name = "tcpreset", .run = run,
		.flags = CMD_NEEDS_BPF | CMD_NEEDS_BTF | CMD_ALIAS,
		.summary = "trace TCP resets sent and received, with tuple, state and reason",
		.usage = "usage: netlens tcpreset [options]\n\n"
			 "One line per TCP reset this host sends (tcp:tcp_send_reset) or receives\n"
			 "(tcp:tcp_receive_reset): direction, owner where known, tuple from this\n"
			 "host's side, the socket's TCP state (\"-\": no socket, e.g. a closed port)\n"
			 "and, for sent resets, the kernel's reason (enum sk_rst_reason, named from\n"
			 "the running kernel's BTF).\n\n"
			 "  -S, --sent         only resets sent\n"
			 "  -R, --received     only resets received\n\n"
			 TRACE_COMMON_USAGE);
