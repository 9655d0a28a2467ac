/* gethostlatency: a uprobe at the entry and a uretprobe at the return of
 * each name-resolution function of libc, attached by user space to the
 * library FILE (every process mapping it, now or later), with the
 * function as the attach cookie. One call in flight per thread, keyed by
 * thread id: the outermost call is timed and reported; calls it makes into
 * the other probed functions (gethostbyname -> gethostbyname_r in glibc,
 * gethostbyname_r -> gethostbyname2_r in musl) only count depth, so a
 * resolution is reported once. */
#include "bpf/netlens.bpf.h"
#include "bpf/gethostlatency.h"

/* GHL_BY_* bits: the --hist key */
const volatile __u8 hist_by = 0;

/* One resolution in flight per thread. */
struct ghl_call {
	__u64 start_ns;
	__u64 sp;            /* stack pointer at the outermost entry */
	__u64 ret_addr;      /* and the address it returns to */
	__u64 task_start;    /* the thread's start time: a reused tid is another thread */
	__u64 result_p;      /* _r: struct hostent **result */
	__u64 herr_p;        /* _r: int *h_errnop */
	__u64 inner_herr_p;  /* gethostbyname(2): h_errnop of the _r call it makes */
	__s32 herr;          /* read from inner_herr_p when that call returns */
	__u32 depth;
	__u32 inner_depth;   /* the depth of that _r call */
	__u32 _pad2;
	__u8 func;
	__u8 _pad[7];
	struct ghl_hist_key k; /* the name as passed (and, in --hist, the key) */
};

/* Entries leave at the outermost return; a thread that dies inside a call
 * leaves its entry behind, which user space deletes on its rescans (the
 * thread is gone). Plain hash: a full table refuses a call (counted as a
 * dropped key) rather than evict one in flight. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u64);
	__type(value, struct ghl_call);
} calls SEC(".maps");

TR_INTERVAL_TABLE(hist, struct ghl_hist_key, struct ghl_hist, 10240);

/* The sixth and seventh arguments (the _r calls' result and h_errnop;
 * libbpf 1.1 names five). x86-64: the sixth in r9, the seventh on the
 * stack, where the uprobe at the first instruction sees the return
 * address at sp and the argument above it. arm64: x5, x6. */
#if defined(__TARGET_ARCH_x86)
#define GHL_PARM6(x) (((struct pt_regs *)(x))->r9)
static __always_inline __u64 ghl_arg7(struct pt_regs *ctx)
{
	__u64 v = 0;

	bpf_probe_read_user(&v, sizeof(v), (void *)(PT_REGS_SP(ctx) + 8));
	return v;
}
#elif defined(__TARGET_ARCH_arm64)
#define GHL_PARM6(x) (((struct user_pt_regs *)(x))->regs[5])
static __always_inline __u64 ghl_arg7(struct pt_regs *ctx)
{
	return ((struct user_pt_regs *)ctx)->regs[6];
}
#else
#error "netlens: gethostlatency needs the sixth and seventh arguments on this architecture"
#endif

/* The address the probed function returns to, at its first instruction:
 * on the stack at sp on x86-64, in the link register on arm64. A
 * uretprobe replaces it with its trampoline once the entry's handlers
 * have run. */
static __always_inline __u64 ghl_ret_addr(struct pt_regs *ctx)
{
#if defined(__TARGET_ARCH_x86)
	__u64 v = 0;

	bpf_probe_read_user(&v, sizeof(v), (void *)PT_REGS_SP(ctx));
	return v;
#else
	return ((struct user_pt_regs *)ctx)->regs[30];
#endif
}

static __always_inline bool ghl_is_r(__u8 func)
{
	return func == GHL_GETHOSTBYNAME_R || func == GHL_GETHOSTBYNAME2_R;
}

static __always_inline __u64 ghl_herr_arg(struct pt_regs *ctx, __u8 func)
{
	if (func == GHL_GETHOSTBYNAME_R)
		return GHL_PARM6(ctx);
	if (func == GHL_GETHOSTBYNAME2_R)
		return ghl_arg7(ctx);
	return 0;
}

static __always_inline bool ghl_want(__u32 pid)
{
	char comm[TR_COMM_LEN];

	if (tr_filter.pid && pid != tr_filter.pid)
		return false;
	if (tr_filter.comm_set) {
		bpf_get_current_comm(comm, sizeof(comm));
		if (!tr_want_task(pid, comm))
			return false;
	}
	if (tr_filter.netns) {
		struct task_struct *t = (struct task_struct *)bpf_get_current_task();
		if (BPF_CORE_READ(t, nsproxy, net_ns, ns.inum) != tr_filter.netns)
			return false;
	}
	if (tr_filter.cgroup && bpf_get_current_cgroup_id() != tr_filter.cgroup)
		return false;
	return true;
}

SEC("uprobe")
int ghl_enter(struct pt_regs *ctx)
{
	__u8 func = (__u8)bpf_get_attach_cookie(ctx);
	__u64 id = bpf_get_current_pid_tgid(), key = (__u32)id;
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	__u64 sp = PT_REGS_SP(ctx), start = BPF_CORE_READ(t, start_time), ret_addr;
	const char *name = (const char *)PT_REGS_PARM1(ctx);
	struct ghl_call *c;

	if (!ghl_want(id >> 32))
		return 0;
	ret_addr = ghl_ret_addr(ctx);
	c = bpf_map_lookup_elem(&calls, &key);
	/* a call made from inside the one in flight: deeper on the same
	 * thread's stack, or a tail call from it (musl's gethostbyname jumps
	 * to gethostbyname2: the same stack pointer, and the return address
	 * the outer call's uretprobe put there, not the one it had).
	 * Anything else is left over from a call whose return was never
	 * seen (or from a thread whose id this one reuses). */
	if (c && c->depth && c->task_start == start &&
	    (sp < c->sp || (sp == c->sp && ret_addr != c->ret_addr))) {
		c->depth++;
		/* gethostbyname(2) report h_errno through the first _r call
		 * they make; getaddrinfo's own EAI_* code says it all */
		if (!c->inner_herr_p && ghl_is_r(func) &&
		    (c->func == GHL_GETHOSTBYNAME || c->func == GHL_GETHOSTBYNAME2)) {
			c->inner_herr_p = ghl_herr_arg(ctx, func);
			c->inner_depth = c->depth;
		}
		return 0;
	}
	if (!c)
		c = tr_map_lookup_or_zero(&calls, &key);
	if (!c)
		return 0;
	c->sp = sp;
	c->ret_addr = ret_addr;
	c->task_start = start;
	c->depth = 1;
	c->func = func;
	c->herr = GHL_HERR_NONE;
	c->inner_herr_p = 0;
	c->inner_depth = 0;
	c->result_p = 0;
	if (func == GHL_GETHOSTBYNAME_R)
		c->result_p = PT_REGS_PARM5(ctx);
	else if (func == GHL_GETHOSTBYNAME2_R)
		c->result_p = GHL_PARM6(ctx);
	c->herr_p = ghl_herr_arg(ctx, func);
	if (tr_filter.summary) {
		/* the key: zero what is not asked for (and the name's tail) */
		__builtin_memset(&c->k, 0, sizeof(c->k));
		if (hist_by & GHL_BY_PROCESS) {
			c->k.pid = id >> 32;
			bpf_get_current_comm(c->k.comm, sizeof(c->k.comm));
		}
		if ((hist_by & GHL_BY_NAME) && name)
			bpf_probe_read_user_str(c->k.name, sizeof(c->k.name), name);
	} else {
		c->k.name[0] = '\0';
		if (name && bpf_probe_read_user_str(c->k.name, sizeof(c->k.name), name) < 0)
			c->k.name[0] = '\0';
	}
	c->start_ns = bpf_ktime_get_ns(); /* last: the probe's own work is not the call's */
	return 0;
}

static __always_inline void ghl_count(struct ghl_call *c, __u64 lat, bool ok)
{
	struct ghl_hist *h = tr_table_lookup_or_zero(hist, &c->k);
	__u32 slot;

	if (!h)
		return;
	slot = tr_log2(lat / 1000);
	if (slot >= GHL_SLOTS)
		slot = GHL_SLOTS - 1;
	__sync_fetch_and_add(&h->slots[slot], 1);
	__sync_fetch_and_add(&h->count, 1);
	__sync_fetch_and_add(&h->sum_ns, lat);
	if (!ok)
		__sync_fetch_and_add(&h->failed, 1);
	if (lat > h->max_ns)
		h->max_ns = lat; /* racy across CPUs: at worst a max missed */
}

SEC("uretprobe")
int ghl_exit(struct pt_regs *ctx)
{
	__u64 now = bpf_ktime_get_ns(), id = bpf_get_current_pid_tgid(), key = (__u32)id;
	struct ghl_call *c = bpf_map_lookup_elem(&calls, &key);
	struct task_struct *t;
	struct ghl_event *e;
	__u64 rc = PT_REGS_RC(ctx), res = 0, lat;
	__s32 ret = 0, herr;
	bool ok;

	if (!c || !c->depth)
		return 0;
	if (c->depth > 1) {
		/* a call made inside the one in flight returns */
		if (c->depth == c->inner_depth && c->inner_herr_p &&
		    bpf_probe_read_user(&herr, sizeof(herr), (void *)c->inner_herr_p) == 0)
			c->herr = herr;
		c->depth--;
		return 0;
	}
	lat = now - c->start_ns;
	switch (c->func) {
	case GHL_GETADDRINFO:
		ret = (__s32)rc;
		ok = ret == 0;
		break;
	case GHL_GETHOSTBYNAME:
	case GHL_GETHOSTBYNAME2:
		ok = rc != 0;
		break;
	default:
		/* _r: 0 with *result NULL is a name not found (h_errno says why) */
		ret = (__s32)rc;
		if (c->result_p)
			bpf_probe_read_user(&res, sizeof(res), (void *)c->result_p);
		ok = ret == 0 && res;
		if (!ok && c->herr_p &&
		    bpf_probe_read_user(&herr, sizeof(herr), (void *)c->herr_p) == 0)
			c->herr = herr;
		break;
	}
	if (ok)
		c->herr = GHL_HERR_NONE;
	c->depth = 0;
	if (tr_filter.summary) {
		ghl_count(c, lat, ok);
		bpf_map_delete_elem(&calls, &key);
		return 0;
	}
	e = tr_reserve(sizeof(*e));
	if (e) {
		t = (struct task_struct *)bpf_get_current_task();
		e->h.ts_ns = now;
		e->h.cgroup = bpf_get_current_cgroup_id();
		e->h.netns = BPF_CORE_READ(t, nsproxy, net_ns, ns.inum);
		e->h.pid = id >> 32;
		e->h.tid = (__u32)id;
		e->h._pad = 0;
		bpf_get_current_comm(e->h.comm, sizeof(e->h.comm));
		e->lat_ns = lat;
		e->ret = ret;
		e->herr = c->herr;
		e->func = c->func;
		e->ok = ok;
		__builtin_memset(e->_pad, 0, sizeof(e->_pad));
		__builtin_memcpy(e->name, c->k.name, sizeof(e->name));
		tr_submit_at(e, now);
	}
	bpf_map_delete_elem(&calls, &key);
	return 0;
}
