/* Enum names from the running kernel's BTF; see btfenum_util.h. */
#include "tracers/btfenum_util.h"
#include "base/output.h"
#include "trace/kbtf.h"

#include <bpf/btf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static char *strip(const char *s, const char *prefix)
{
	size_t pl = strlen(prefix);

	if (pl && strncmp(s, prefix, pl) == 0 && s[pl])
		s += pl;
	return strdup(s);
}

struct enum_find {
	const struct kbtf *k;
	const char *type;
	const struct btf_type *t; /* the first ENUM or ENUM64 of that name */
};

static int find_enum(void *arg, uint32_t id, const struct btf_type *t, uint32_t pos)
{
	struct enum_find *f = arg;
	const char *name;

	(void)id;
	(void)pos;
	if (!btf_is_enum(t) && !btf_is_enum64(t))
		return 0;
	name = kbtf_str(f->k, t->name_off);
	if (!name || strcmp(name, f->type) != 0)
		return 0;
	f->t = t;
	return 1;
}

int btfenum_load(const char *type, const char *prefix, struct btfenum_names *out)
{
	struct kbtf k;
	int err;

	memset(out, 0, sizeof(*out));
	/* the kernel BTF walked in place (kbtf.h), not parsed by libbpf */
	if ((err = kbtf_open(&k, NULL)) != 0)
		return err;
	err = btfenum_read(&k, type, prefix, out);
	kbtf_close(&k);
	return err;
}

int btfenum_read(const struct kbtf *k, const char *type, const char *prefix,
		 struct btfenum_names *out)
{
	struct enum_find f = { .k = k, .type = type };
	int err, kind;
	size_t n;

	memset(out, 0, sizeof(*out));
	err = kbtf_walk(k, find_enum, &f);
	if (err < 0)
		goto out;
	err = 0;
	if (!f.t) {
		err = -ENOENT;
		goto out;
	}
	kind = btf_kind(f.t);
	n = btf_vlen(f.t);
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
			const struct btf_enum *en = btf_enum(f.t) + i;
			name = kbtf_str(k, en->name_off);
			v = btf_kflag(f.t) ? (long long)en->val : (long long)(__u32)en->val;
		} else {
			const struct btf_enum64 *en = btf_enum64(f.t) + i;
			name = kbtf_str(k, en->name_off);
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
	if (err)
		btfenum_free(out);
	return err;
}

const char *btfenum_name(const struct btfenum_names *e, long long v)
{
	for (size_t i = 0; i < e->n; i++)
		if (e->vals[i] == v)
			return e->names[i];
	return NULL;
}

bool btfenum_value(const struct btfenum_names *e, const char *name, long long *v)
{
	for (size_t i = 0; i < e->n; i++)
		if (strcmp(e->names[i], name) == 0) {
			*v = e->vals[i];
			return true;
		}
	return false;
}

void btfenum_free(struct btfenum_names *e)
{
	for (size_t i = 0; e->names && i < e->n; i++)
		free(e->names[i]);
	free(e->names);
	free(e->vals);
	memset(e, 0, sizeof(*e));
}

int btfenum_drop_reasons(const char *tracer, struct btfenum_names *out)
{
	int err;

	if (out->n)
		return 0;
	err = btfenum_load("skb_drop_reason", "SKB_DROP_REASON_", out);
	if (err)
		return out_error("%s: enum skb_drop_reason not found in the kernel's BTF: %s", tracer,
				 strerror(-err));
	return 0;
}
