/* Enum names from the running kernel's BTF; see btfenum_util.h. */
#include "tracers/btfenum_util.h"

#include <bpf/btf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#ifndef BTF_KIND_ENUM64
#define BTF_KIND_ENUM64 19
#endif

static char *strip(const char *s, const char *prefix)
{
	size_t pl = strlen(prefix);

	if (pl && strncmp(s, prefix, pl) == 0 && s[pl])
		s += pl;
	return strdup(s);
}

int nl_enum_load(const char *type, const char *prefix, struct nl_enum_names *out)
{
	struct btf *btf = btf__load_vmlinux_btf();
	const struct btf_type *t;
	int id, kind, err = 0;
	size_t n;

	memset(out, 0, sizeof(*out));
	if (!btf)
		return errno ? -errno : -ENOENT;
	id = btf__find_by_name_kind(btf, type, BTF_KIND_ENUM);
	if (id < 0)
		id = btf__find_by_name_kind(btf, type, BTF_KIND_ENUM64);
	if (id < 0) {
		btf__free(btf);
		return -ENOENT;
	}
	t = btf__type_by_id(btf, (__u32)id);
	kind = btf_kind(t);
	n = btf_vlen(t);
	out->names = calloc(n ? n : 1, sizeof(*out->names));
	out->vals = calloc(n ? n : 1, sizeof(*out->vals));
	if (!out->names || !out->vals) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		const char *name;
		long long v;
		if (kind == BTF_KIND_ENUM) {
			const struct btf_enum *en = btf_enum(t) + i;
			name = btf__name_by_offset(btf, en->name_off);
			v = btf_kflag(t) ? (long long)en->val : (long long)(__u32)en->val;
		} else {
			const struct btf_enum64 *en = btf_enum64(t) + i;
			name = btf__name_by_offset(btf, en->name_off);
			v = (long long)btf_enum64_value(en);
		}
		out->names[i] = strip(name ? name : "?", prefix);
		if (!out->names[i]) {
			err = -ENOMEM;
			goto out;
		}
		out->vals[i] = v;
		out->n = i + 1;
	}
out:
	btf__free(btf);
	if (err)
		nl_enum_free(out);
	return err;
}

const char *nl_enum_name(const struct nl_enum_names *e, long long v)
{
	for (size_t i = 0; i < e->n; i++)
		if (e->vals[i] == v)
			return e->names[i];
	return NULL;
}

bool nl_enum_value(const struct nl_enum_names *e, const char *name, long long *v)
{
	for (size_t i = 0; i < e->n; i++)
		if (strcmp(e->names[i], name) == 0) {
			*v = e->vals[i];
			return true;
		}
	return false;
}

void nl_enum_free(struct nl_enum_names *e)
{
	for (size_t i = 0; e->names && i < e->n; i++)
		free(e->names[i]);
	free(e->names);
	free(e->vals);
	memset(e, 0, sizeof(*e));
}
