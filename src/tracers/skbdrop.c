/* skbdrop and tcpdrop: dropped packets with the kernel's drop reason (named
 * from the running kernel's BTF), tuple, device, location and optionally the
 * kernel stack; summary modes count by reason, location or flow. */
#include "bpf/skbdrop.h"
#include "bpf/skbdrop.skel.h"
#include "command.h"
#include "trace/ksyms.h"
#include "trace/opts.h"
#include "trace/trace.h"
#include "tracers/btfenum_util.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

TRACE_SKEL_GLUE(skbdrop)

/* ---- state ---- */

/* A stack of the stack map, kept while events may still name its id. */
struct stack_ent {
	__s32 id;
	unsigned long last_batch; /* the last batch an event named it in */
	__u64 ips[SKBDROP_STACK_DEPTH];
};

struct priv {
	struct btfenum_names reasons; /* enum skb_drop_reason, SKB_DROP_REASON_ stripped */
	struct ksyms ks;
	int by;                       /* SKBDROP_BY_* */
	bool stack;
	const char *only_reason;
	struct stack_ent *stacks;     /* -K: the ids read and not yet freed */
	size_t nstacks, capstacks;
	unsigned long batch;
};

static struct priv priv;

static const char *reason_str(uint32_t r, char *buf, size_t cap)
{
	const char *n = btfenum_name(&priv.reasons, r);

	if (n)
		return n;
	if (r >> 16)
		snprintf(buf, cap, "SUBSYS%u:%u", r >> 16, r & 0xffff);
	else
		snprintf(buf, cap, "%u", r);
	return buf;
}

static const char *proto_str(const struct skbdrop_pkt *p, char *buf, size_t cap)
{
	return p->family ? trace_ip_proto_str(buf, cap, p->family, p->proto) : "-";
}

/* ---- options ---- */

enum { OPT_BY = OPT_LONG, OPT_REASON };

static const struct opt opt_rows[] = {
	{ 's', "summary", NULL, "count in the kernel by reason; print on exit, or every -i SECS" },
	{ OPT_BY, "by", "KEY",
	  "summary by reason, location (reason and the function that freed the packet) or "
	  "flow (tuple and reason)" },
	{ 'K', "kernel-stack", NULL, "kernel stack of each drop (events only)" },
	{ OPT_REASON, "reason", "NAME", "only this reason (e.g. NO_SOCKET)" },
	OPT_END,
};

/* No owner filters: a dropped packet has no owning process. The port
 * filters match the packet's ports (--lport: its destination port). */
static const struct opt_group opts[] = {
	{ NULL, opt_rows }, TRACE_FILTER_GROUP, TRACE_DEV_GROUP, TRACE_EVENT_GROUP, TRACE_RUN_GROUP,
	TRACE_INTERVAL_GROUP, TRACE_TABLE_GROUP, OPT_GROUPS_END,
};

static int opt(struct trace_ctx *tc, const struct opts *p, int c)
{
	const char *arg = p->arg;

	tc->priv = &priv;
	switch (c) {
	case 's':
		if (!priv.by)
			priv.by = SKBDROP_BY_REASON;
		tc->summary_mode = true;
		return 0;
	case OPT_BY:
		if (strcmp(arg, "reason") == 0)
			priv.by = SKBDROP_BY_REASON;
		else if (strcmp(arg, "location") == 0)
			priv.by = SKBDROP_BY_LOCATION;
		else if (strcmp(arg, "flow") == 0)
			priv.by = SKBDROP_BY_FLOW;
		else
			return opts_fail(p, "expected reason, location or flow, got '%s'", arg);
		tc->summary_mode = true;
		return 0;
	case 'K':
		priv.stack = true;
		return 0;
	default: /* OPT_REASON */
		priv.only_reason = arg;
		return 0;
	}
}

static int configure(struct trace_ctx *tc, void *skel_)
{
	struct skbdrop_bpf *skel = skel_;
	long long v;
	int err;

	tc->priv = &priv;
	err = btfenum_drop_reasons(tc->tr->name, &priv.reasons);
	if (err)
		return err;
	if (btfenum_value(&priv.reasons, "SKB_CONSUMED", &v))
		skel->rodata->skip_reason1 = (__u32)v;
	if (btfenum_value(&priv.reasons, "SKB_NOT_DROPPED_YET", &v))
		skel->rodata->skip_reason2 = (__u32)v;
	if (priv.only_reason) {
		char up[128];
		size_t i;
		for (i = 0; priv.only_reason[i] && i + 1 < sizeof(up); i++)
			up[i] = (char)(priv.only_reason[i] >= 'a' && priv.only_reason[i] <= 'z'
					       ? priv.only_reason[i] - 32
					       : priv.only_reason[i]);
		up[i] = '\0';
		if (!btfenum_value(&priv.reasons, up, &v) &&
		    !(strncmp(up, "SKB_DROP_REASON_", 16) == 0 &&
		      btfenum_value(&priv.reasons, up + 16, &v))) {
			out_error("--reason: this kernel has no drop reason '%s' (see 'bpftool btf "
				  "dump file /sys/kernel/btf/vmlinux', enum skb_drop_reason)",
				  priv.only_reason);
			return EXIT_USAGE;
		}
		skel->rodata->only_reason = (__u32)v;
	}
	skel->rodata->tcp_only = strcmp(tc->tr->name, "tcpdrop") == 0;
	skel->rodata->want_stack = priv.stack && !tc->summary_mode;
	skel->rodata->by = tc->summary_mode ? (__u8)priv.by : SKBDROP_BY_EVENT;
	if (!skel->rodata->want_stack)
		bpf_map__set_max_entries(skel->maps.stacks, 1);
	if (priv.stack && tc->summary_mode)
		out_warn("%s: -K applies to the event stream, not to summaries", tc->tr->name);
	return 0;
}

/* ---- events ---- */

enum {
	C_IF = TRACE_COL0, C_PROTO, C_SADDR, C_SPORT, C_DADDR, C_DPORT, C_LEN, C_STATE, C_FLAGS,
	C_REASON, C_LOC
};

static const struct out_col cols[] = {
	{ "IF", "ifname", 0, 8 },
	{ "PROTO", "proto", 0, 5 },
	{ "SADDR", "saddr", 0, 15 },
	{ "SPORT", "sport", OUT_RIGHT, 5 },
	{ "DADDR", "daddr", 0, 15 },
	{ "DPORT", "dport", OUT_RIGHT, 5 },
	{ "LEN", "len", OUT_RIGHT, 5 },
	{ NULL, NULL, 0, 0 },
	{ NULL, NULL, 0, 0 },
	{ "REASON", "reason", 0, 20 },
	{ "LOCATION", NULL, OUT_LAST, 0 },
};

static const struct out_col tcp_cols[] = {
	{ "IF", "ifname", 0, 8 },
	{ "PROTO", "proto", 0, 5 },
	{ "SADDR", "saddr", 0, 15 },
	{ "SPORT", "sport", OUT_RIGHT, 5 },
	{ "DADDR", "daddr", 0, 15 },
	{ "DPORT", "dport", OUT_RIGHT, 5 },
	{ "LEN", "len", OUT_RIGHT, 5 },
	{ "STATE", "state", 0, 12 },
	{ "FLAGS", "tcp_flags", 0, 11 },
	{ "REASON", "reason", 0, 20 },
	{ "LOCATION", NULL, OUT_LAST, 0 },
};

static void cells_pkt(struct table *t, int c_proto, int c_saddr, int c_sport, int c_daddr,
		      int c_dport, const struct skbdrop_pkt *p)
{
	char a[64], pr[32];
	bool ports = p->family && (p->proto == 6 || p->proto == 17);

	out_cell_str(t, c_proto, proto_str(p, pr, sizeof(pr)));
	if (p->family)
		out_field_u64(t, "ip", NULL, p->family == AF_INET6 ? 6 : 4);
	out_cell_str(t, c_saddr, p->family ? trace_addr_str(a, p->family, p->saddr) : "-");
	out_cell_str(t, c_daddr, p->family ? trace_addr_str(a, p->family, p->daddr) : "-");
	if (ports) {
		out_cell_u64(t, c_sport, p->sport);
		out_cell_u64(t, c_dport, p->dport);
	} else {
		out_cell_str(t, c_sport, "-");
		out_cell_str(t, c_dport, "-");
	}
}

/* -K: an id the kernel gave (bpf_get_stackid) names the same stack until
 * user space deletes it, and a burst of identical drops names one id many
 * times. Each id is read from the map once and kept; it is deleted (so the
 * map has room) only once a whole batch went by without an event naming
 * it, when every event captured with it has been read. */
static const __u64 *stack_of(struct trace_ctx *tc, __s32 id)
{
	int fd = bpf_map__fd(((struct skbdrop_bpf *)tc->skel)->maps.stacks);
	struct stack_ent *se;

	if (id < 0)
		return NULL; /* the kernel could not store it (bucket taken) */
	for (size_t i = 0; i < priv.nstacks; i++)
		if (priv.stacks[i].id == id) {
			priv.stacks[i].last_batch = priv.batch;
			return priv.stacks[i].ips;
		}
	if (priv.nstacks == priv.capstacks) {
		priv.capstacks = priv.capstacks ? priv.capstacks * 2 : 64;
		priv.stacks = realloc(priv.stacks, priv.capstacks * sizeof(*priv.stacks));
		if (!priv.stacks)
			abort();
	}
	se = &priv.stacks[priv.nstacks];
	memset(se->ips, 0, sizeof(se->ips));
	if (bpf_map_lookup_elem(fd, &id, se->ips) != 0)
		return NULL;
	se->id = id;
	se->last_batch = priv.batch;
	priv.nstacks++;
	return se->ips;
}

/* After each drain of the ring buffer: free the ids no event named in this
 * batch or the one before. */
static void batch_end(struct trace_ctx *tc)
{
	int fd;
	size_t k = 0;

	if (!priv.stack || tc->summary_mode)
		return;
	fd = bpf_map__fd(((struct skbdrop_bpf *)tc->skel)->maps.stacks);
	for (size_t i = 0; i < priv.nstacks; i++) {
		if (priv.stacks[i].last_batch + 1 < priv.batch)
			bpf_map_delete_elem(fd, &priv.stacks[i].id);
		else
			priv.stacks[k++] = priv.stacks[i];
	}
	priv.nstacks = k;
	priv.batch++;
}

static void event(struct trace_ctx *tc, const void *data)
{
	const struct skbdrop_event *e = data;
	char ifname[SKBDROP_IFNAMSIZ + 1], rb[32], loc[160], fl[64];
	uint64_t ips[SKBDROP_STACK_DEPTH];
	bool have_stack = false;
	struct table *t;
	int f0 = 0;

	t = trace_row_begin(tc, &e->h);
	memcpy(ifname, e->ifname, SKBDROP_IFNAMSIZ);
	ifname[SKBDROP_IFNAMSIZ] = '\0';
	out_cell_str(t, C_IF, ifname[0] ? ifname : "-");
	out_field_u64(t, "ifindex", NULL, e->ifindex);
	cells_pkt(t, C_PROTO, C_SADDR, C_SPORT, C_DADDR, C_DPORT, &e->p);
	out_cell_u64(t, C_LEN, e->len);
	if (e->p.family && e->p.proto == 6) {
		trace_tcp_flags_str(fl, e->p.tcp_flags);
		out_cell_str(t, C_STATE, e->state ? tcp_state_name(e->state) : "-");
		out_cell_str(t, C_FLAGS, fl);
	}
	out_cell_str(t, C_REASON, reason_str(e->reason, rb, sizeof(rb)));
	out_field_u64(t, "reason_code", NULL, e->reason);
	out_cell_str(t, C_LOC, ksyms_str(&priv.ks, e->location, loc, sizeof(loc)));
	out_field_str(t, "location", NULL, loc);
	if (priv.stack) {
		const __u64 *st = stack_of(tc, e->stack_id);
		if (st) {
			memcpy(ips, st, sizeof(ips));
			have_stack = true;
			f0 = ksyms_first_frame(&priv.ks, ips, SKBDROP_STACK_DEPTH);
		}
		out_arr_begin(t, "stack", NULL);
		for (int i = f0; have_stack && i < SKBDROP_STACK_DEPTH && ips[i]; i++)
			out_field_str(t, "frame", NULL, ksyms_str(&priv.ks, ips[i], loc, sizeof(loc)));
		out_arr_end(t);
	}
	trace_row_end(tc, &e->h);
	if (priv.stack && !out_is_json()) {
		if (!have_stack)
			printf("        [stack not captured]\n");
		for (int i = f0; have_stack && i < SKBDROP_STACK_DEPTH && ips[i]; i++)
			printf("        %s\n", ksyms_str(&priv.ks, ips[i], loc, sizeof(loc)));
	}
}

/* ---- summaries ---- */

struct crow {
	struct skbdrop_key k;
	struct skbdrop_val v;
};

static int cmp_crow(const void *a, const void *b)
{
	const struct crow *x = a, *y = b;

	return x->v.packets < y->v.packets ? 1 : x->v.packets > y->v.packets ? -1 : 0;
}

/* One table for the three keys: the columns a key does not have are hidden. */
static void summary(struct trace_ctx *tc, void *skel, bool final)
{
	bool flow = priv.by == SKBDROP_BY_FLOW, loc = priv.by == SKBDROP_BY_LOCATION;
	const struct out_col scols[] = {
		{ flow ? "PROTO" : NULL, flow ? "proto" : NULL, 0, 5 },
		{ flow ? "SADDR" : NULL, flow ? "saddr" : NULL, 0, 15 },
		{ flow ? "SPORT" : NULL, flow ? "sport" : NULL, OUT_RIGHT, 5 },
		{ flow ? "DADDR" : NULL, flow ? "daddr" : NULL, 0, 15 },
		{ flow ? "DPORT" : NULL, flow ? "dport" : NULL, OUT_RIGHT, 5 },
		{ "REASON", "reason", 0, 20 },
		{ loc ? "LOCATION" : NULL, loc ? "location" : NULL, 0, 30 },
		{ "PACKETS", "packets", OUT_RIGHT, 8 },
		{ "BYTES", "bytes", OUT_RIGHT, 10 },
	};
	struct crow *rows;
	size_t n = TRACE_SUMMARY_ROWS(tc, ((struct skbdrop_bpf *)skel)->maps.counts, rows, cmp_crow);
	struct table *t;

	(void)final;
	t = out_table_begin(scols, (int)(sizeof(scols) / sizeof(scols[0])));
	for (size_t i = 0; i < n; i++) {
		const struct crow *r = &rows[i];
		char rb[32], lb[160];
		out_row_begin(t);
		if (flow)
			cells_pkt(t, 0, 1, 2, 3, 4, &r->k.p);
		out_cell_str(t, 5, reason_str(r->k.reason, rb, sizeof(rb)));
		if (loc)
			out_cell_str(t, 6, ksyms_str(&priv.ks, r->k.location, lb, sizeof(lb)));
		out_field_u64(t, "reason_code", NULL, r->k.reason);
		out_cell_u64(t, 7, r->v.packets);
		out_cell_u64(t, 8, r->v.bytes);
		out_row_end(t);
	}
	out_table_end(t);
	free(rows);
}

/* ---- commands ---- */

static const struct trace_hook hooks[] = {
	{ "kfree_skb", { "skbdrop_btf", "skbdrop_raw" } },
};

static void fini(struct trace_ctx *tc)
{
	(void)tc;
	btfenum_free(&priv.reasons);
	ksyms_free(&priv.ks);
	free(priv.stacks);
	memset(&priv, 0, sizeof(priv));
}

#define DROP_TRACER(n, doing_, cols_)                                                   \
	{                                                                              \
		.name = n, .doing = doing_, TRACE_HOOKS(hooks), TRACE_COLS(cols_),           \
		.opts = opts, .opt = opt, TRACE_SKEL(skbdrop), .configure = configure,       \
		TRACE_EVENTS(event, struct skbdrop_event), .batch_end = batch_end,          \
		.summary = summary, .fini = fini,                                            \
	}

static const struct tracer skbdrop = DROP_TRACER("skbdrop", "dropped packets", cols);
static const struct tracer tcpdrop = DROP_TRACER("tcpdrop", "dropped TCP packets", tcp_cols);

TRACE_COMMAND(skbdrop, opts,
		.summary = "trace dropped packets with the kernel's drop reason",
		.about = "One line per packet the kernel frees as dropped (skb:kfree_skb): device,\n"
			 "protocol and tuple when the packet has IPv4/IPv6 (+ TCP/UDP) headers, length,\n"
			 "the drop reason named from the running kernel's BTF (enum\n"
			 "skb_drop_reason, SKB_DROP_REASON_ stripped) and the function that dropped it.\n"
			 "-P/--lport/--rport match the packet's ports (--lport: destination port);\n"
			 "there are no -p/--comm (drops have no owning process).\n");

TRACE_COMMAND(tcpdrop, opts,
		.summary = "trace dropped TCP packets with the kernel's drop reason",
		.about = "skbdrop restricted to TCP packets, with the TCP flags of the packet and the\n"
			 "state of its socket (when the kernel had matched one).\n"
			 "-P/--lport/--rport match the packet's ports (--lport: destination port);\n"
			 "there are no -p/--comm (drops have no owning process).\n");
