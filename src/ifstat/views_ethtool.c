/* ifstat's driver-side views: driver information (ethtool -i), offload
 * features (ethtool -k) and byte queue limits per transmit queue (sysfs). */
#include "base/output.h"
#include "ifstat/ifstat.h"
#include "sources/bql.h"
#include "sources/ethnl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char *dash(const char *s)
{
	return *s ? s : "-";
}

/* ---- ethtool -i ---- */

void ifs_print_drvinfo(struct ifs_ctx *c, const struct ifs_sample *cur)
{
	static const struct out_col cols[] = {
		{ "Iface", "ifname", 0, 0 },       { "Driver", NULL, 0, 0 },
		{ "Version", NULL, 0, 0 },         { "Firmware", NULL, 0, 0 },
		{ "Bus", NULL, 0, 0 },             { "ROM", NULL, 0, 0 },
		{ "Supports", NULL, OUT_LAST, 0 },
	};
	struct table *t = out_table_begin(cols, N(cols));

	for (size_t k = 0; k < cur->links.n; k++) {
		const struct rtnl_link *l = &cur->links.v[k];
		struct eth_drvinfo d;
		if (!cur->sel[k])
			continue;
		int err = ethtool_drvinfo(c->h, l->name, &d);
		out_row_begin(t);
		out_cell_str(t, 0, l->name);
		out_field_bool(t, "supported", NULL, err == 0);
		if (err) {
			for (int i = 1; i <= 5; i++)
				out_cell_str(t, i, "-");
			out_cell_str(t, 6, err == -EOPNOTSUPP ? "(the device reports no driver information)"
					   : err == -ENODATA ? "(not recorded in this snapshot)"
							     : strerror(-err));
			out_row_end(t);
			continue;
		}
		/* JSON: the strings as ethtool -i prints them, "" when empty */
		out_cell_str(t, 1, dash(d.driver));
		out_field_str(t, "driver", NULL, d.driver);
		out_cell_str(t, 2, dash(d.version));
		out_field_str(t, "version", NULL, d.version);
		out_cell_str(t, 3, dash(d.fw_version));
		out_field_str(t, "firmware_version", NULL, d.fw_version);
		out_cell_str(t, 4, dash(d.bus_info));
		out_field_str(t, "bus_info", NULL, d.bus_info);
		out_cell_str(t, 5, dash(d.erom_version));
		out_field_str(t, "expansion_rom_version", NULL, d.erom_version);
		char sup[96] = "";
		static const char *const what[] = { "statistics", "test", "eeprom-access",
						    "register-dump", "priv-flags" };
		const bool has[] = { d.statistics, d.test, d.eeprom_access, d.register_dump, d.priv_flags };
		static const char *const key[] = { "supports_statistics", "supports_test",
						   "supports_eeprom_access", "supports_register_dump",
						   "supports_priv_flags" };
		for (size_t i = 0; i < N(what); i++) {
			out_field_bool(t, key[i], NULL, has[i]);
			if (has[i])
				snprintf(sup + strlen(sup), sizeof(sup) - strlen(sup), "%s%s", *sup ? "," : "",
					 what[i]);
		}
		out_cell_str(t, 6, dash(sup));
		out_row_end(t);
	}
	out_table_end(t);
}

/* ---- ethtool -k ---- */

void ifs_print_offloads(struct ifs_ctx *c, const struct ifs_sample *cur)
{
	static const struct out_col cols[] = {
		{ "Iface", "ifname", 0, 0 }, { "Feature", NULL, 0, 0 }, { "State", NULL, 0, 0 },
		{ "Note", NULL, OUT_LAST, 0 },
	};
	struct table *t = out_table_begin(cols, N(cols));

	(void)c;
	for (size_t k = 0; k < cur->links.n; k++) {
		const struct rtnl_link *l = &cur->links.v[k];
		const struct eth_features *f = cur->feat_dev ? cur->feat_dev[k] : NULL;
		if (!cur->sel[k])
			continue;
		if (!f) {
			int err = cur->feat_err ? cur->feat_err[k] : -ENOENT;
			out_row_begin(t);
			out_cell_str(t, 0, l->name);
			out_field_bool(t, "supported", NULL, false);
			out_cell_str(t, 1, "-");
			out_cell_str(t, 2, "-");
			out_cell_str(t, 3, err == -EOPNOTSUPP || err == -ENOENT
						   ? "(the device reports no offload features)"
						   : strerror(-err));
			out_row_end(t);
			continue;
		}
		struct eth_offload *lines = calloc(f->n + 16, sizeof(*lines));
		if (!lines) {
			out_error("out of memory");
			break;
		}
		size_t n = ethtool_offloads(f, lines, f->n + 16);
		for (size_t i = 0; i < n; i++) {
			const struct eth_offload *o = &lines[i];
			char name[64];
			out_row_begin(t);
			out_cell_str(t, 0, l->name);
			snprintf(name, sizeof(name), "%s%s", o->group ? "  " : "", o->name);
			out_cell_str(t, 1, name);
			out_field_str(t, "feature", NULL, o->name);
			out_cell_str(t, 2, o->active ? "on" : "off");
			out_field_bool(t, "active", NULL, o->active);
			if (o->kernel_name) {
				out_field_str(t, "kernel_name", NULL, o->kernel_name);
				out_field_bool(t, "fixed", NULL, o->fixed);
				out_field_bool(t, "requested", NULL, o->requested);
				/* ethtool -k's marks: fixed first, then a request not in effect */
				if (o->fixed)
					out_cell_str(t, 3, "[fixed]");
				else if (o->active != o->requested)
					out_cell_str(t, 3, o->requested ? "[requested on]" : "[requested off]");
			}
			if (o->group)
				out_field_str(t, "group", NULL, o->group);
			out_field_str(t, "via", NULL, cur->feat_via);
			out_row_end(t);
		}
		free(lines);
	}
	out_table_end(t);
}

/* ---- byte queue limits ---- */

/* A row's start: the time (with -i), the interface, whether it has BQL. */
static void bql_row_begin(struct table *t, const struct ifs_sample *cur, bool iv, const char *name,
			  bool bql)
{
	char clk[16];

	out_row_begin(t);
	if (iv) {
		out_cell_str(t, 0, ifs_clock(cur->wall, clk, sizeof(clk)));
		out_field_double(t, "time", NULL, cur->wall, 6);
	}
	out_cell_str(t, iv ? 1 : 0, name);
	out_field_bool(t, "bql", NULL, bql);
}

void ifs_print_bql(struct ifs_ctx *c, const struct ifs_sample *prev, const struct ifs_sample *cur)
{
	static const struct out_col base[] = {
		{ "Iface", "ifname", 0, 0 },           { "Queue", NULL, 0, 0 },
		{ "Limit", NULL, OUT_RIGHT, 0 },       { "Inflight", NULL, OUT_RIGHT, 0 },
		{ "Min", NULL, OUT_RIGHT, 0 },         { "Max", NULL, OUT_RIGHT, 0 },
		{ "Hold(ms)", NULL, OUT_RIGHT, 0 },    { "StallThrs", NULL, OUT_RIGHT, 0 },
		{ "StallMax", NULL, OUT_RIGHT, 0 },    { "Stalls", NULL, OUT_RIGHT, 0 },
		{ "Note", NULL, OUT_LAST, 0 },
	};
	/* the cells in file order: limit, limit_min, limit_max, inflight, ... */
	static const int col_of[BQL_NFIELDS] = { 2, 4, 5, 3, 6, 7, 8, 9 };
	struct out_col cols[N(base) + 1];
	bool iv = prev != NULL;
	int o = 0, lead = iv ? 1 : 0;

	(void)c;
	if (iv)
		cols[o++] = (struct out_col){ "Time", NULL, 0, 0 };
	for (size_t i = 0; i < N(base); i++)
		cols[o++] = base[i];
	struct table *t = out_table_begin(cols, o);
	for (size_t k = 0; k < cur->links.n; k++) {
		const struct rtnl_link *l = &cur->links.v[k];
		if (!cur->sel[k])
			continue;
		const struct bql_dev *d = &cur->bql[k];
		int err = cur->bql_err[k];
		if (err || d->n == 0) {
			bql_row_begin(t, cur, iv, l->name, false);
			for (int i = 1; i <= 9; i++)
				out_cell_str(t, lead + i, "-");
			out_cell_str(t, lead + 10, err == -ENOENT || !err
							  ? "(no byte queue limits on this device)"
							  : err == -ESTALE ? "(sysfs shows another namespace)"
									   : strerror(-err));
			out_row_end(t);
			continue;
		}
		for (size_t q = 0; q < d->n; q++) {
			char qn[24];
			bql_row_begin(t, cur, iv, l->name, true);
			snprintf(qn, sizeof(qn), "tx-%u", d->q[q].queue);
			out_cell_str(t, lead + 1, qn);
			out_field_u64(t, "queue", NULL, d->q[q].queue);
			for (int f = 0; f < BQL_NFIELDS; f++) {
				int64_t v = d->q[q].v[f];
				if (v < 0) {
					out_cell_str(t, lead + col_of[f], "-");
					continue;
				}
				out_cell_u64(t, lead + col_of[f], (uint64_t)v);
				out_field_u64(t, bql_field_names[f], NULL, (uint64_t)v);
			}
			out_row_end(t);
		}
	}
	out_table_end(t);
}
