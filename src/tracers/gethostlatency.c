/* gethostlatency: name resolution through libc (getaddrinfo,
 * gethostbyname, gethostbyname2 and the _r variants), per call or --hist,
 * by uprobes on every libc file that processes map (trace/ulibs.h). */
#include "base/strbuf.h"
#include "bpf/gethostlatency.h"
#include "bpf/gethostlatency.skel.h"
#include "command.h"
#include "trace/opts.h"
#include "trace/trace.h"
#include "trace/ulibs.h"
#include "tracers/resolv_names.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

TRACE_SKEL_GLUE(gethostlatency)

/* how often /proc is scanned for libraries not probed yet (a process
 * started since with another libc: a new container) */
#define RESCAN_NS (2ULL * 1000 * 1000 * 1000)

enum { C_PID = TRACE_COL0, C_COMM, C_FUNC, C_LAT, C_RESULT, C_HOST };

static const struct out_col cols[] = {
	TRACE_TASK_COLS,
	{ "FUNC", "func", 0, 16 },
	{ "LAT(ms)", NULL, OUT_RIGHT, 9 },
	{ "RESULT", "result", 0, 14 },
	{ "HOST", "host", OUT_LAST, 0 },
};

static const char *const func_names[GHL_NFUNCS] = {
	[GHL_GETADDRINFO] = "getaddrinfo",     [GHL_GETHOSTBYNAME] = "gethostbyname",
	[GHL_GETHOSTBYNAME2] = "gethostbyname2", [GHL_GETHOSTBYNAME_R] = "gethostbyname_r",
	[GHL_GETHOSTBYNAME2_R] = "gethostbyname2_r",
};

static const struct ulib_func funcs[GHL_NFUNCS] = {
	{ "getaddrinfo", GHL_GETADDRINFO },     { "gethostbyname", GHL_GETHOSTBYNAME },
	{ "gethostbyname2", GHL_GETHOSTBYNAME2 }, { "gethostbyname_r", GHL_GETHOSTBYNAME_R },
	{ "gethostbyname2_r", GHL_GETHOSTBYNAME2_R },
};

/* attached by attach() below, to each libc file found */
static const struct trace_hook hooks[] = {
	{ "name-resolution calls", { "ghl_enter" }, .manual = true },
	{ "name-resolution returns", { "ghl_exit" }, .manual = true },
};

enum { OPT_HIST = OPT_LONG + 1, OPT_BY };

static const struct opt opt_rows[] = {
	{ OPT_HIST, "hist", NULL, "log2 latency histograms kept in the kernel, one per process (see --by)" },
	{ OPT_BY, "by", "process|name|both",
	  "one histogram per process, host name asked, or both (implies --hist)" },
	OPT_END,
};

static const struct opt filter_rows[] = {
	{ 'p', "pid", "PID", "only process PID (probes only the libc it maps)" },
	{ OPT_TR_COMM, "comm", "NAME", "only processes named NAME" },
	{ OPT_TR_NETNS, "netns", "NS", "only processes in network namespace NS (name, path or inode)" },
	{ OPT_TR_CGROUP, "cgroup", "PATH", "only processes in cgroup v2 PATH" },
	OPT_END,
};

static const struct opt_group opts[] = {
	{ NULL, opt_rows }, { "Process filters", filter_rows }, TRACE_EVENT_GROUP,
	TRACE_RUN_GROUP, TRACE_INTERVAL_GROUP, TRACE_TABLE_GROUP, OPT_GROUPS_END,
};

struct ghl_state {
	struct ulibs *libs;
	unsigned by;
	uint64_t next_scan;
	bool started;          /* the first scan is done */
	struct strbuf probed;  /* the first scan's libraries, for the banner */
	char first_err[512];   /* the first scan's first failure */
};

static struct ghl_state st;

static int opt(struct trace_ctx *tc, const struct opts *p, int c)
{
	tc->summary_mode = true;
	if (!st.by)
		st.by = GHL_BY_PROCESS;
	if (c == OPT_HIST)
		return 0;
	if (strcmp(p->arg, "process") == 0)
		st.by = GHL_BY_PROCESS;
	else if (strcmp(p->arg, "name") == 0)
		st.by = GHL_BY_NAME;
	else if (strcmp(p->arg, "both") == 0)
		st.by = GHL_BY_PROCESS | GHL_BY_NAME;
	else
		return opts_fail(p, "expected process, name or both, got '%s'", p->arg);
	return 0;
}

static int configure(struct trace_ctx *tc, void *skel)
{
	uint32_t pid = tc->o.filter.pid;

	/* before anything loads */
	if (pid && kill((pid_t)pid, 0) != 0 && errno == ESRCH)
		return out_error("gethostlatency: -p %u: no such process", pid);
	((struct gethostlatency_bpf *)skel)->rodata->hist_by = (__u8)st.by;
	return 0;
}

/* glibc's libc.so.6 (libc-2.NN.so before 2.34), musl's ld-musl-ARCH.so.1
 * (its libc.musl-ARCH.so.1 is a link to it) and libc.so (Debian's musl) */
static bool is_libc(const char *path)
{
	const char *b = strrchr(path, '/');
	size_t n;

	b = b ? b + 1 : path;
	n = strcspn(b, " "); /* " (deleted)" */
	if ((n == 9 && strncmp(b, "libc.so.6", 9) == 0) || (n == 7 && strncmp(b, "libc.so", 7) == 0))
		return true;
	if (n > 8 && strncmp(b, "libc-", 5) == 0 && strncmp(b + n - 3, ".so", 3) == 0)
		return true;
	if (n > 13 && strncmp(b, "ld-musl-", 8) == 0 && strncmp(b + n - 5, ".so.1", 5) == 0)
		return true;
	return strncmp(b, "libc.musl-", 10) == 0;
}

/* The library as the user knows it: its path when that names the same
 * file here, else the path it was opened through (another mount
 * namespace's: /proc/PID/root/...). */
static const char *lib_name(const struct ulib_report *r)
{
	struct stat a, b;

	if (stat(r->path, &a) == 0 && stat(r->opened, &b) == 0 && a.st_dev == b.st_dev &&
	    a.st_ino == b.st_ino)
		return r->path;
	return r->opened;
}

static void report(void *arg, const struct ulib_report *r)
{
	(void)arg;
	if (!st.started) {
		if (r->nfuncs)
			sb_printf(&st.probed, "%s%s", st.probed.len ? ", " : "", lib_name(r));
		else if (!st.first_err[0])
			snprintf(st.first_err, sizeof(st.first_err), "%s (mapped by pid %u): %s",
				 r->path, r->pid, r->why);
		return;
	}
	if (r->nfuncs)
		fprintf(stderr, "gethostlatency: probing %s (%d functions), mapped by pid %u since the start\n",
			lib_name(r), r->nfuncs, r->pid);
	else
		out_warn("gethostlatency: not probing %s (mapped by pid %u): %s", r->path, r->pid,
			 r->why);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int attach(struct trace_ctx *tc, void *skel)
{
	struct gethostlatency_bpf *s = skel;
	struct ulibs_cfg cfg = { .match = is_libc, .funcs = funcs, .nfuncs = GHL_NFUNCS,
				 .entry = s->progs.ghl_enter, .ret = s->progs.ghl_exit,
				 .pid = tc->o.filter.pid };
	uint32_t pid = tc->o.filter.pid;
	int r;

	st.libs = ulibs_new(&cfg);
	if (!st.libs)
		return out_error("gethostlatency: out of memory");
	r = ulibs_scan(st.libs, report, NULL);
	st.started = true;
	st.next_scan = mono_ns() + RESCAN_NS;
	if (r < 0 && pid)
		return out_error("gethostlatency: -p %u: reading its memory map: %s", pid, strerror(-r));
	if (r < 0)
		return out_error("gethostlatency: reading /proc: %s", strerror(-r));
	if (ulibs_probed(st.libs) == 0) {
		if (st.first_err[0])
			return out_error("gethostlatency: %s", st.first_err);
		if (pid)
			return out_error("gethostlatency: -p %u: the process maps no libc (glibc "
					 "libc.so.6 or musl): a static binary, or one that "
					 "resolves names without libc",
					 pid);
		return out_error("gethostlatency: no running process maps a libc (glibc libc.so.6 "
				 "or musl): nothing to probe");
	}
	if (st.first_err[0])
		out_warn("gethostlatency: not probing %s", st.first_err);
	tc->banner_note = strdup(st.probed.buf);
	return 0;
}

/* Calls in flight of threads that are gone (they died inside a call, so
 * no return came): the rescan deletes them. */
static void forget_dead_threads(struct gethostlatency_bpf *s)
{
	int fd = bpf_map__fd(s->maps.calls);
	__u64 key, next, dead[64];
	int ndead = 0;
	void *prev = NULL;

	while (ndead < 64 && bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (kill((pid_t)key, 0) != 0 && errno == ESRCH)
			dead[ndead++] = key;
	}
	for (int i = 0; i < ndead; i++)
		bpf_map_delete_elem(fd, &dead[i]);
}

static void tick(struct trace_ctx *tc, void *skel)
{
	uint64_t now = mono_ns();

	(void)tc;
	if (now < st.next_scan)
		return;
	st.next_scan = now + RESCAN_NS;
	ulibs_scan(st.libs, report, NULL);
	forget_dead_threads(skel);
}

static void result_cells(struct table *t, const struct ghl_event *e)
{
	const char *res = NULL;
	char buf[32];
	bool r = e->func == GHL_GETHOSTBYNAME_R || e->func == GHL_GETHOSTBYNAME2_R;

	if (e->ok)
		res = "OK";
	else if (e->func == GHL_GETADDRINFO)
		res = resolv_eai_name(e->ret);
	else if (r && e->ret)
		res = strerrorname_np(e->ret);
	else if (e->herr != GHL_HERR_NONE)
		res = resolv_herr_name(e->herr);
	if (!res && e->func == GHL_GETADDRINFO)
		snprintf(buf, sizeof(buf), "%d", e->ret);
	else if (!res && r && e->ret)
		snprintf(buf, sizeof(buf), "errno %d", e->ret);
	else if (!res && e->herr != GHL_HERR_NONE)
		snprintf(buf, sizeof(buf), "h_errno %d", e->herr);
	else if (!res)
		snprintf(buf, sizeof(buf), "FAILED");
	out_cell_str(t, C_RESULT, res ? res : buf);
	out_field_bool(t, "ok", NULL, e->ok);
	if (e->func == GHL_GETADDRINFO || r)
		out_field_i64(t, "ret", NULL, e->ret);
	if (e->herr != GHL_HERR_NONE)
		out_field_i64(t, "h_errno", NULL, e->herr);
}

static void event(struct trace_ctx *tc, const void *data)
{
	const struct ghl_event *e = data;
	struct table *t = trace_row_begin(tc, &e->h);
	char name[GHL_NAME_LEN + 1];

	memcpy(name, e->name, GHL_NAME_LEN);
	name[GHL_NAME_LEN] = '\0';
	trace_cells_task(t, C_PID, e->h.pid, e->h.comm);
	out_field_u64(t, "tid", NULL, e->h.tid);
	out_cell_str(t, C_FUNC, e->func < GHL_NFUNCS ? func_names[e->func] : "?");
	out_cell_fixed(t, C_LAT, (double)e->lat_ns / 1e6, 3);
	out_field_double(t, "latency_ms", NULL, (double)e->lat_ns / 1e6, 3);
	result_cells(t, e);
	if (name[0])
		out_cell_str(t, C_HOST, name);
	else
		out_cell_str(t, C_HOST, "-"); /* NULL (JSON: "-" too) */
	trace_row_end(tc, &e->h);
}

/* ---- --hist ---- */

struct hist_row {
	struct ghl_hist_key k;
	struct ghl_hist v;
};

static int cmp_rows(const void *a, const void *b)
{
	const struct hist_row *x = a, *y = b;

	if (x->k.pid != y->k.pid)
		return x->k.pid < y->k.pid ? -1 : 1;
	return strncmp(x->k.name, y->k.name, GHL_NAME_LEN);
}

static void hist_fields(struct table *t, const void *arg)
{
	const struct hist_row *r = arg;
	char comm[TR_COMM_LEN + 1], name[GHL_NAME_LEN + 1];

	memcpy(comm, r->k.comm, TR_COMM_LEN);
	comm[TR_COMM_LEN] = '\0';
	memcpy(name, r->k.name, GHL_NAME_LEN);
	name[GHL_NAME_LEN] = '\0';
	if (st.by & GHL_BY_PROCESS) {
		out_field_u64(t, "pid", NULL, r->k.pid);
		out_field_str(t, "comm", NULL, comm);
	}
	if (st.by & GHL_BY_NAME)
		out_field_str(t, "host", NULL, name[0] ? name : "-");
	out_field_u64(t, "count", NULL, r->v.count);
	out_field_u64(t, "failed", NULL, r->v.failed);
	out_field_double(t, "mean_ms", NULL,
			 r->v.count ? (double)r->v.sum_ns / (double)r->v.count / 1e6 : 0, 3);
	out_field_double(t, "max_ms", NULL, (double)r->v.max_ns / 1e6, 3);
}

static void summary(struct trace_ctx *tc, void *skel, bool final)
{
	struct hist_row *rows;
	size_t n = TRACE_SUMMARY_ROWS(tc, ((struct gethostlatency_bpf *)skel)->maps.hist, rows,
				      cmp_rows);

	(void)final;
	trace_interval_stamp(tc);
	if (n == 0 && !out_is_json())
		printf("name-resolution latency\n  (no calls)\n");
	for (size_t i = 0; i < n; i++) {
		const struct hist_row *r = &rows[i];
		char title[GHL_NAME_LEN + 96], comm[TR_COMM_LEN + 1];
		uint64_t slots[GHL_SLOTS];
		int len = snprintf(title, sizeof(title), "name-resolution latency");

		memcpy(comm, r->k.comm, TR_COMM_LEN);
		comm[TR_COMM_LEN] = '\0';
		if (st.by & GHL_BY_PROCESS)
			len += snprintf(title + len, sizeof(title) - (size_t)len, ", pid %u (%s)",
					r->k.pid, comm);
		if (st.by & GHL_BY_NAME)
			snprintf(title + len, sizeof(title) - (size_t)len, ", %.*s", GHL_NAME_LEN,
				 r->k.name[0] ? r->k.name : "-");
		memcpy(slots, r->v.slots, sizeof(slots));
		trace_hist_print_log2_with(title, "usecs", slots, GHL_SLOTS, hist_fields, r);
		if (!out_is_json())
			printf("%24s : %llu calls, %llu failed, mean %.3f ms, max %.3f ms\n", "",
			       (unsigned long long)r->v.count, (unsigned long long)r->v.failed,
			       r->v.count ? (double)r->v.sum_ns / (double)r->v.count / 1e6 : 0,
			       (double)r->v.max_ns / 1e6);
	}
	free(rows);
}

static void fini(struct trace_ctx *tc)
{
	(void)tc;
	ulibs_free(st.libs);
	sb_free(&st.probed);
	memset(&st, 0, sizeof(st));
}

TRACE_TRACER(gethostlatency, "name resolution in libc", TRACE_HOOKS(hooks), TRACE_COLS(cols),
	     .opts = opts, .opt = opt, .configure = configure, .attach = attach, .tick = tick,
	     TRACE_EVENTS(event, struct ghl_event), .summary = summary, .fini = fini);

TRACE_COMMAND(gethostlatency, opts,
		.summary = "trace name-resolution latency in libc (getaddrinfo, gethostbyname)",
		.about = "One line per name resolved through libc, when the call returns: the\n"
			 "process, the function (getaddrinfo, gethostbyname, gethostbyname2 or\n"
			 "their _r variants), the latency, the result (OK, or the EAI_* or h_errno\n"
			 "name) and the host name asked. Uprobes on every libc file that running\n"
			 "processes map (glibc and musl, containers' own included, found through\n"
			 "/proc/PID/maps and /proc/PID/root); /proc is scanned again every 2\n"
			 "seconds for new ones. --hist keeps log2 histograms in the kernel instead,\n"
			 "one per process, host name or both, printed on exit or every -i SECS.\n");
