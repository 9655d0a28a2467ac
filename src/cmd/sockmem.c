/* netlens sockmem: protocol memory and pressure. /proc/net/protocols per
 * protocol, the tcp/udp/sctp memory pools against their thresholds with the
 * zone usage is in (see sources/sockmem.h), sockstat/sockstat6, and the
 * per-socket buffer limits. */
#include "base/opts.h"
#include "base/output.h"
#include "cmd/state_src.h"
#include "command.h"
#include "sources/host.h"
#include "sources/sockmem.h"
#include "sources/sockstat.h"
#include "sources/sysctl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char sockmem_about[] =
	"Socket memory: per protocol from /proc/net/protocols (sockets, pages in the\n"
	"protocol's pool, pressure), the tcp_mem/udp_mem/sctp_mem pools in pages and\n"
	"bytes with the zone usage is in (below-low, low-to-pressure, pressure-to-high,\n"
	"above-high), /proc/net/sockstat and sockstat6, and tcp_rmem/tcp_wmem.\n"
	"JSON: one object per line, each with a \"section\" member.\n";

static const struct opt sockmem_rows[] = {
	{ 'a', "all", NULL, "list every protocol (default: those that account memory or have sockets)" },
	OPT_END,
};

static const struct opt_group sockmem_opts[] = {
	{ NULL, sockmem_rows },
	{ "Source", state_src_rows },
	OPT_GROUPS_END,
};

static void section(struct table *t, const char *name)
{
	out_field_str(t, "section", NULL, name);
}

static void print_protocols(const struct proto_list *l, bool all, uint64_t page)
{
	static const struct out_col cols[] = {
		{ "PROTOCOL", "protocol", 0, 0 }, { "SOCKETS", "sockets", OUT_RIGHT, 0 },
		{ "PAGES", "memory_pages", OUT_RIGHT, 0 }, { "BYTES", "memory_bytes", OUT_RIGHT, 0 },
		{ "PRESSURE", "pressure", 0, 0 }, { "OBJSIZE", "size", OUT_RIGHT, 0 },
		{ "MAXHDR", "maxhdr", OUT_RIGHT, 0 }, { "MODULE", "module", OUT_LAST, 0 },
	};
	struct table *t = out_table_begin(cols, 8);

	for (size_t i = 0; i < l->n; i++) {
		const struct proto_rec *r = &l->v[i];
		if (!all && r->memory < 0 && r->sockets <= 0)
			continue;
		out_row_begin(t);
		section(t, "protocol");
		out_cell_str(t, 0, r->name);
		out_cell_i64(t, 1, r->sockets);
		if (r->memory >= 0) {
			out_cell_i64(t, 2, r->memory);
			out_cell_u64(t, 3, (uint64_t)r->memory * page);
		} else {
			out_cell_fmt(t, 2, "-");
			out_cell_fmt(t, 3, "-");
		}
		out_cell_str(t, 4, sockmem_press_name(r->press));
		out_cell_i64(t, 5, r->size);
		out_cell_i64(t, 6, r->maxhdr);
		out_cell_str(t, 7, r->module);
		out_row_end(t);
	}
	out_table_end(t);
}

static void print_pools(struct host *h, const struct proto_list *l, uint64_t page)
{
	static const struct out_col cols[] = {
		{ "POOL", "pool", 0, 0 },          { "USED", "used_pages", OUT_RIGHT, 0 },
		{ "LOW", "low_pages", OUT_RIGHT, 0 }, { "PRESSURE", "pressure_pages", OUT_RIGHT, 0 },
		{ "HIGH", "high_pages", OUT_RIGHT, 0 }, { "IN-PRESSURE", "in_pressure", 0, 0 },
		{ "ZONE", "zone", OUT_LAST, 0 },
	};
	static const char *const thr_keys[] = { "low_bytes", "pressure_bytes", "high_bytes" };
	static const char *const thr_labels[] = { "low ", "pressure ", "high " };
	struct table *t = out_table_begin(cols, 7);

	for (const struct sockmem_pool *p = sockmem_pools; p->name; p++) {
		struct sockmem_pool_state st;
		if (sockmem_pool_state(h, p, l, &st) < 0)
			continue;
		out_row_begin(t);
		section(t, "pool");
		out_cell_str(t, 0, p->name);
		if (st.have_usage)
			out_cell_u64(t, 1, st.pages);
		else
			out_cell_fmt(t, 1, "-");
		for (int i = 0; i < 3; i++) {
			if (st.have_thr)
				out_cell_u64(t, 2 + i, st.thr[i]);
			else
				out_cell_fmt(t, 2 + i, "-");
		}
		out_cell_str(t, 5, st.have_press ? (st.in_pressure ? "yes" : "no") : "-");
		bool zone = st.have_usage && st.have_thr;
		out_cell_str(t, 6, zone ? sockmem_zone_name(st.zone) : "unknown");
		out_field_str(t, "sysctl", "", p->sysctl);
		if (st.have_usage)
			out_field_u64(t, "used_bytes", "bytes: used ", st.pages * page);
		for (int i = 0; st.have_thr && i < 3; i++)
			out_field_u64(t, thr_keys[i], thr_labels[i], st.thr[i] * page);
		if (zone)
			out_field_str(t, "meaning", "- ", sockmem_zone_meaning(st.zone, st.in_pressure));
		else
			out_field_str(t, "meaning", "- ",
				      st.have_thr ? "usage is not accounted for this protocol"
						  : "thresholds not readable here: they are host-wide and "
						    "only visible in the initial network namespace");
		out_row_end(t);
	}
	out_table_end(t);
}

static int print_sockstat(struct host *h)
{
	static const struct out_col cols[] = { { "SOCKSTAT", "protocol", 0, 0 },
					       { "COUNTS", NULL, OUT_LAST, 0 } };
	static const char *const files[] = { "/proc/net/sockstat", "/proc/net/sockstat6" };
	struct sockstat *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	for (int i = 0; i < 2; i++) {
		char *buf;
		size_t len;
		if (host_read_file(h, files[i], &buf, &len) == 0) {
			sockstat_parse(s, buf);
			free(buf);
		}
	}
	struct table *t = out_table_begin(cols, 2);
	for (size_t i = 0; i < s->n;) {
		char text[512];
		size_t j = i, o = 0;
		out_row_begin(t);
		section(t, "sockstat");
		out_cell_str(t, 0, s->e[i].proto);
		text[0] = '\0';
		for (; j < s->n && !strcmp(s->e[j].proto, s->e[i].proto); j++) {
			out_field_i64(t, s->e[j].key, NULL, s->e[j].value);
			if (o < sizeof(text))
				o += (size_t)snprintf(text + o, sizeof(text) - o, "%s%s %lld",
						      o ? " " : "", s->e[j].key, s->e[j].value);
		}
		out_cell_str(t, 1, text);
		out_row_end(t);
		i = j;
	}
	out_table_end(t);
	free(s);
	return 0;
}

static void print_buffers(struct host *h)
{
	static const struct out_col cols[] = {
		{ "BUFFER", "sysctl", 0, 0 },      { "MIN", "min", OUT_RIGHT, 0 },
		{ "DEFAULT", "default", OUT_RIGHT, 0 }, { "MAX", "max", OUT_RIGHT, 0 },
	};
	static const char *const names[] = { "net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem" };
	struct table *t = out_table_begin(cols, 4);

	for (int i = 0; i < 2; i++) {
		uint64_t v[3];
		size_t n;
		if (sysctl_read_u64s(h, names[i], v, 3, &n) < 0 || n != 3)
			continue;
		out_row_begin(t);
		section(t, "buffer");
		out_cell_str(t, 0, names[i]);
		for (int k = 0; k < 3; k++)
			out_cell_u64(t, 1 + k, v[k]);
		out_row_end(t);
	}
	out_table_end(t);
}

static int cmd_sockmem(int argc, char **argv)
{
	struct state_src src = { 0 };
	struct proto_list l = { 0 };
	bool all = false;
	struct opts p;
	int c, err;

	if (opts_begin(&p, "sockmem", sockmem_opts, argc, argv))
		return EXIT_USAGE;
	while ((c = opts_next(&p)) > 0) {
		if (c == 'a')
			all = true;
		else
			state_src_opt(&src, c, p.arg);
	}
	if (c < 0)
		return EXIT_USAGE;
	if (p.next < argc)
		return opts_fail_cmd(&p, "unexpected argument '%s': sockmem takes options only",
				     argv[p.next]);
	struct host *h = state_src_open(&src);
	if (!h)
		return EXIT_FAIL;
	err = sockmem_read_protocols(h, &l);
	if (err && err != -EBADMSG) {
		host_close(h);
		return out_error("cannot read /proc/net/protocols: %s%s", strerror(-err),
				 err == -ENOENT ? " (is /proc mounted?)" : "");
	}
	if (err == -EBADMSG)
		out_warn("/proc/net/protocols has lines netlens cannot parse; they are left out");
	long ps = sysconf(_SC_PAGESIZE);
	uint64_t page = ps > 0 ? (uint64_t)ps : 4096;

	print_protocols(&l, all, page);
	if (!out_is_json())
		fputs("\n", stdout);
	print_pools(h, &l, page);
	if (!out_is_json())
		fputs("\n", stdout);
	err = print_sockstat(h);
	if (!out_is_json())
		fputs("\n", stdout);
	print_buffers(h);
	sockmem_free(&l);
	host_close(h);
	return err ? out_error("out of memory") : EXIT_OK;
}

NETLENS_COMMAND(sockmem, .name = "sockmem", .run = cmd_sockmem,
		.summary = "socket memory: protocols, tcp_mem/udp_mem zones, sockstat, buffers",
		.synopsis = "[options]", .about = sockmem_about, .opts = sockmem_opts,
		.notes = "NETLENS_PROC_ROOT=DIR reads DIR/proc/... instead of /proc (recorded trees, "
			 "tests).\n");
