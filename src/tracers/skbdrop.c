/* skbdrop and tcpdrop: dropped packets with the kernel's drop reason (named
 * from the running kernel's BTF), tuple, device, location and optionally the
 * kernel stack; summary modes count by reason, location or flow. */
#include "bpf/skbdrop.h"
#include "bpf/skbdrop.skel.h"
#include "command.h"
#include "trace/ksyms.h"
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

struct priv {
	struct btfenum_names reasons; /* enum skb_drop_reason, SKB_DROP_REASON_ stripped */
	struct ksyms ks;
	int by;                       /* SKBDROP_BY_* */
	bool stack;
	const char *only_reason;
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
	const char *fam = p->family == AF_INET6 ? "6" : "4";

	if (!p->family)
		return "-";
	if (p->proto == 6)
		snprintf(buf, cap, "tcp%s", fam);
	else if (p->proto == 17)
		snprintf(buf, cap, "udp%s", fam);
	else if (p->proto == 1 || p->proto == 58)
		snprintf(buf, cap, "icmp%s", p->proto == 58 ? "6" : "");
	else
		snprintf(buf, cap, "ip%s/%u", fam, p->proto);
	return buf;
}

/* ---- options ---- */

enum { OPT_BY = 512, OPT_REASON };

static const struct option longopts[] = {
	{ "summary", no_argument, NULL, 's' },
	{ "by", required_argument, NULL, OPT_BY },
	{ "kernel-stack", no_argument, NULL, 'K' },
	{ "reason", required_argument, NULL, OPT_REASON },
	{ NULL, 0, NULL, 0 },
};

static int opt(struct trace_ctx *tc, int c, const char *arg)
{
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
		else {
			fprintf(stderr, "netlens: error: --by: expected reason, location or flow, "
					"got '%s'\n", arg);
			return EXIT_USAGE;
		}
		tc->summary_mode = true;
		return 0;
	case 'K':
		priv.stack = true;
		return 0;
	case OPT_REASON:
		priv.only_reason = arg;
		return 0;
	}
	return EXIT_USAGE;
}

static int configure(struct trace_ctx *tc, void *skel_)
{
	struct skbdrop_bpf *skel = skel_;
	long long v;
	int err;

	tc->priv = &priv;
	if (tc->o.filter.pid || tc->o.filter.comm_set)
		return out_error("%s: -p and --comm do not apply: dropped packets have no owning "
				 "process", tc->tr->name);
	if (!priv.reasons.n) {
		err = btfenum_load("skb_drop_reason", "SKB_DROP_REASON_", &priv.reasons);
		if (err)
			return out_error("%s: enum skb_drop_reason not found in the kernel's BTF: %s",
					 tc->tr->name, strerror(-err));
	}
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
			fprintf(stderr, "netlens: error: --reason: this kernel has no drop reason "
					"'%s' (see /sys/kernel/btf/vmlinux, enum skb_drop_reason)\n",
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
	{ "STATE", "state", 0, 11 },
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

static void event(struct trace_ctx *tc, const void *data, size_t len)
{
	const struct skbdrop_event *e = data;
	char ifname[SKBDROP_IFNAMSIZ + 1], rb[32], loc[160], fl[64];
	uint64_t ips[SKBDROP_STACK_DEPTH];
	bool have_stack = false;
	struct table *t;
	int f0 = 0;

	if (len < sizeof(*e))
		return;
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
		int fd = bpf_map__fd(((struct skbdrop_bpf *)tc->skel)->maps.stacks);
		memset(ips, 0, sizeof(ips));
		if (e->stack_id >= 0 && bpf_map_lookup_elem(fd, &e->stack_id, ips) == 0) {
			have_stack = true;
			bpf_map_delete_elem(fd, &e->stack_id);
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
			printf("        [stack lost]\n");
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
	size_t n = trace_map_read(((struct skbdrop_bpf *)skel)->maps.counts, (void **)&rows,
				  tc->o.interval > 0);
	struct table *t;

	_Static_assert(sizeof(struct skbdrop_key) % 8 == 0, "trace_map_read layout");
	(void)final;
	qsort(rows, n, sizeof(*rows), cmp_crow);
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
	memset(&priv, 0, sizeof(priv));
}

#define DROP_TRACER(n, doing_, cols_)                                                   \
	{                                                                              \
		.name = n, .doing = doing_, TRACE_HOOKS(hooks), TRACE_COLS(cols_),           \
		.shortopts = "sK", .longopts = longopts, .opt = opt, TRACE_SKEL(skbdrop),     \
		.configure = configure, .event = event, .summary = summary, .fini = fini,    \
	}

static const struct tracer skbdrop = DROP_TRACER("skbdrop", "dropped packets", cols);
static const struct tracer tcpdrop = DROP_TRACER("tcpdrop", "dropped TCP packets", tcp_cols);

#define DROP_USAGE                                                                     \
	"  -s, --summary        count in the kernel by reason; print on exit, or every\n"    \
	"                       -i SECS for --rounds N\n"                                      \
	"      --by KEY         summary by reason, location (reason and the kernel\n"        \
	"                       function that freed the packet) or flow (tuple and reason)\n" \
	"  -K, --kernel-stack   kernel stack of each drop (events only)\n"                   \
	"      --reason NAME    only this reason (e.g. NO_SOCKET)\n"                          \
	"-P/--lport/--rport match the packet's ports (--lport: destination port);\n"      \
	"-p/--comm do not apply (drops have no owning process).\n\n"

TRACE_COMMAND(skbdrop, .name = "skbdrop",
		.summary = "trace dropped packets with the kernel's drop reason",
		.usage = "usage: netlens skbdrop [options]\n\n"
			 "One line per packet the kernel frees as dropped (skb:kfree_skb): device,\n"
			 "protocol and tuple when the packet has IPv4/IPv6 (+ TCP/UDP) headers, length,\n"
			 "the drop reason named from the running kernel's BTF (enum\n"
			 "skb_drop_reason, SKB_DROP_REASON_ stripped) and the function that dropped it.\n\n"
			 DROP_USAGE TRACE_COMMON_USAGE);

TRACE_COMMAND(tcpdrop, .name = "tcpdrop",
		.summary = "trace dropped TCP packets with the kernel's drop reason",
		.usage = "usage: netlens tcpdrop [options]\n\n"
			 "skbdrop restricted to TCP packets, with the TCP flags of the packet and the\n"
			 "state of its socket (when the kernel had matched one).\n\n"
			 DROP_USAGE TRACE_COMMON_USAGE);
