/* Trimmed kernel BTF for CO-RE relocation; see btfmin.h.
 *
 * 1. The object's CO-RE relocation records (.BTF.ext) and its own BTF give,
 *    for every relocated access, a root type name and kind and the chain of
 *    member names (anonymous members are not part of the chain, as in
 *    libbpf's bpf_core_parse_spec()).
 * 2. One streaming pass over the kernel string section finds the offsets of
 *    those names (vmlinux BTF strings are deduplicated, so equal offsets
 *    mean equal strings); one streaming pass over the type section records
 *    where each type starts and which types are candidate roots (same
 *    essential name and kind, as bpf_core_find_cands() picks them).
 * 3. Each chain is walked through the kernel types the way
 *    bpf_core_match_member() does (by name, descending into anonymous
 *    struct/union members), marking the members used.
 * 4. The output BTF has every candidate root and every type on the walked
 *    paths, with the kernel's names, sizes and member offsets, but only the
 *    marked members; pointers to structs point to forward declarations
 *    (CO-RE never follows a pointer within one relocation).
 * The kernel BTF is mapped or read once (kbtf.h); the same pass over its
 * types answers id lookups (btf_id_query). Memory: one u32 per kernel type.
 */
#include "trace/btfmin.h"
#include "base/fnv.h"
#include "trace/kbtf.h"

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <linux/bpf.h>
#include <linux/btf.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MAX_STEPS   32
#define MAX_ANON    8
/* Modifiers and typedefs followed in a row (libbpf's MAX_RESOLVE_DEPTH), and
 * types emitted inside one another; a kernel needs a handful of each. More
 * means a cycle (a typedef of itself) or garbage: -ELOOP, never a hang or a
 * stack overflow. */
#define MAX_SKIP    32
#define MAX_NEST    64

/* ---- small helpers ---- */

static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q)
		abort();
	return q;
}

static uint32_t hash_str(const char *s, size_t n)
{
	return fnv1a32(s, n);
}

/* ---- what the object asks for ---- */

enum step_kind { STEP_MEMBER, STEP_ARRAY };

struct step {
	enum step_kind kind;
	int name; /* index into want[] */
};

struct chain {
	int root_name;  /* index into want[] */
	int root_kind;  /* BTF_KIND_* */
	int nsteps;
	struct step steps[MAX_STEPS];
};

struct want {
	char *s;
	size_t len;
	uint32_t hash;
	uint32_t *offs; /* kernel string offsets holding this string */
	int noffs;
};

/* ---- the kernel BTF ---- */


struct need {
	uint32_t kid;
	uint32_t vlen;
	uint8_t *used;     /* per member, for structs/unions */
	bool root;
};

struct trim {
	const struct btf *lbtf;
	struct want *want;
	int nwant;
	struct chain *chains;
	int nchains;
	struct kbtf k;
	uint32_t *off;     /* kernel type id -> offset in the type section */
	uint32_t ntypes;   /* highest kernel type id + 1 */
	uint32_t capoff;
	uint32_t *cands;   /* candidate roots (kernel ids) */
	int ncands;
	struct need *needs;
	size_t nneeds, capneeds;
	/* emitted: kernel id -> new id (open addressing) */
	uint32_t *emit_k, *emit_v;
	size_t nemit, capemit;
	/* kernel string offsets of root names, with the kinds wanted there */
	struct rootoff { uint32_t off; uint32_t kinds; } *roots;
	int nroots;
	struct btf *out;
	/* the kernel types emit() is inside of, outermost first */
	uint32_t nest[MAX_NEST];
	int nnest;
	/* id lookups riding along (btfmin.h), each with its name's want[] index */
	struct btf_id_query *q;
	int nq;
	int *qwant;
};

static int want_index(struct trim *tr, const char *s, size_t n)
{
	uint32_t h = hash_str(s, n);

	for (int i = 0; i < tr->nwant; i++)
		if (tr->want[i].hash == h && tr->want[i].len == n && !memcmp(tr->want[i].s, s, n))
			return i;
	tr->want = xrealloc(tr->want, sizeof(*tr->want) * (size_t)(tr->nwant + 1));
	tr->want[tr->nwant] = (struct want){ .s = strndup(s, n), .len = n, .hash = h };
	if (!tr->want[tr->nwant].s)
		abort();
	return tr->nwant++;
}

/* libbpf's essential name: "sock___x" -> "sock" */
static size_t essential_len(const char *name)
{
	const char *p = strstr(name, "___");

	return p ? (size_t)(p - name) : strlen(name);
}

static bool skippable(const struct btf_type *t)
{
	return btf_is_mod(t) || btf_is_typedef(t);
}

/* NULL when the chain is longer than MAX_SKIP (a cycle). */
static const struct btf_type *skip_mods_typedefs(const struct btf *btf, uint32_t id, uint32_t *res)
{
	const struct btf_type *t = btf__type_by_id(btf, id);

	for (int hops = 0; t && skippable(t); hops++) {
		id = t->type;
		t = hops < MAX_SKIP ? btf__type_by_id(btf, id) : NULL;
	}
	if (res)
		*res = id;
	return t;
}

/* One relocation record -> one chain (or an error for kinds not handled). */
static int add_relo(struct trim *tr, const struct bpf_core_relo *r)
{
	const struct btf *lb = tr->lbtf;
	const struct btf_type *t = btf__type_by_id(lb, r->type_id);
	const char *spec = btf__name_by_offset(lb, r->access_str_off);
	const char *name;
	struct chain c = { 0 };
	uint32_t id = r->type_id;
	char *end;

	switch (r->kind) {
	case BPF_CORE_FIELD_BYTE_OFFSET:
	case BPF_CORE_FIELD_BYTE_SIZE:
	case BPF_CORE_FIELD_EXISTS:
	case BPF_CORE_FIELD_SIGNED:
	case BPF_CORE_FIELD_LSHIFT_U64:
	case BPF_CORE_FIELD_RSHIFT_U64:
		break;
	default:
		return -EOPNOTSUPP; /* type and enum relocations: use the full BTF */
	}
	if (!t || !spec || !*spec)
		return -EINVAL;
	name = btf__name_by_offset(lb, t->name_off);
	if (!name || !*name)
		return -EOPNOTSUPP; /* anonymous root */
	c.root_name = want_index(tr, name, essential_len(name));
	c.root_kind = btf_kind(t);
	/* the first number indexes the root as an array; then members/elements */
	strtoul(spec, &end, 10);
	while (*end == ':') {
		unsigned long idx = strtoul(end + 1, &end, 10);
		const struct btf_type *ct = skip_mods_typedefs(lb, id, &id);

		if (!ct || c.nsteps >= MAX_STEPS)
			return -EINVAL;
		if (btf_is_composite(ct)) {
			const struct btf_member *m;
			if (idx >= btf_vlen(ct))
				return -EINVAL;
			m = btf_members(ct) + idx;
			if (m->name_off) {
				const char *mn = btf__name_by_offset(lb, m->name_off);
				c.steps[c.nsteps++] = (struct step){ STEP_MEMBER,
								     want_index(tr, mn, strlen(mn)) };
			}
			id = m->type;
		} else if (btf_is_array(ct)) {
			c.steps[c.nsteps++] = (struct step){ STEP_ARRAY, -1 };
			id = btf_array(ct)->type;
		} else {
			return -EINVAL;
		}
	}
	if (*end)
		return -EINVAL;
	tr->chains = xrealloc(tr->chains, sizeof(*tr->chains) * (size_t)(tr->nchains + 1));
	tr->chains[tr->nchains++] = c;
	return 0;
}

/* .BTF.ext of the ELF image -> chains */
static int read_relos(struct trim *tr, const void *elf_img, size_t elf_sz)
{
	struct btf_ext_hdr {
		uint16_t magic;
		uint8_t version, flags;
		uint32_t hdr_len;
		uint32_t func_info_off, func_info_len, line_info_off, line_info_len;
		uint32_t core_relo_off, core_relo_len;
	} h;
	Elf *elf;
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	const uint8_t *ext = NULL, *p, *endp;
	size_t ext_sz = 0;
	uint32_t rec_size;
	int err = 0;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EINVAL;
	elf = elf_memory((char *)elf_img, elf_sz);
	if (!elf)
		return -EINVAL;
	if (elf_getshdrstrndx(elf, &shstrndx)) {
		elf_end(elf);
		return -EINVAL;
	}
	while ((scn = elf_nextscn(elf, scn)) != NULL) {
		GElf_Shdr sh;
		const char *n;
		Elf_Data *d;
		if (!gelf_getshdr(scn, &sh))
			continue;
		n = elf_strptr(elf, shstrndx, sh.sh_name);
		if (!n || strcmp(n, ".BTF.ext"))
			continue;
		d = elf_getdata(scn, NULL);
		if (d && d->d_buf) {
			ext = d->d_buf;
			ext_sz = d->d_size;
		}
		break;
	}
	if (!ext || ext_sz < offsetof(struct btf_ext_hdr, core_relo_off)) {
		elf_end(elf);
		return -ENOENT;
	}
	memcpy(&h, ext, ext_sz < sizeof(h) ? ext_sz : sizeof(h));
	if (h.magic != BTF_MAGIC || h.hdr_len > ext_sz ||
	    h.hdr_len < offsetof(struct btf_ext_hdr, core_relo_len) + sizeof(uint32_t)) {
		elf_end(elf); /* no CO-RE relocations at all: nothing to trim for */
		return -ENOENT;
	}
	if ((uint64_t)h.hdr_len + h.core_relo_off + h.core_relo_len > ext_sz || h.core_relo_len < 4) {
		elf_end(elf);
		return -EINVAL;
	}
	p = ext + h.hdr_len + h.core_relo_off;
	endp = p + h.core_relo_len;
	memcpy(&rec_size, p, 4);
	p += 4;
	if (rec_size < sizeof(struct bpf_core_relo)) {
		elf_end(elf);
		return -EINVAL;
	}
	while (!err && p + 8 <= endp) {
		uint32_t num;
		memcpy(&num, p + 4, 4);
		p += 8;
		if ((uint64_t)num * rec_size > (uint64_t)(endp - p)) {
			err = -EINVAL;
			break;
		}
		for (uint32_t i = 0; i < num && !err; i++, p += rec_size) {
			struct bpf_core_relo r;
			memcpy(&r, p, sizeof(r));
			err = add_relo(tr, &r);
		}
	}
	elf_end(elf);
	return err;
}

/* ---- scanning the kernel BTF ---- */

/* Strings: record the offsets of the wanted ones. */
static int scan_strings(struct trim *tr)
{
	const char *p = (const char *)tr->k.strs, *end = p + tr->k.strs_len;
	uint64_t lens = 0; /* bit n: some wanted string has length n (63: or more) */
	uint8_t first[256] = { 0 };
	size_t cap = 64;
	int *slot;

	while (cap < (size_t)tr->nwant * 4)
		cap *= 2;
	slot = malloc(cap * sizeof(*slot));
	if (!slot)
		return -ENOMEM;
	memset(slot, -1, cap * sizeof(*slot));
	for (int i = 0; i < tr->nwant; i++) {
		size_t j = tr->want[i].hash & (cap - 1);
		while (slot[j] >= 0)
			j = (j + 1) & (cap - 1);
		slot[j] = i;
		lens |= 1ULL << (tr->want[i].len < 63 ? tr->want[i].len : 63);
		first[(uint8_t)tr->want[i].s[0]] = 1;
	}
	while (p < end) {
		size_t n = strlen(p); /* the section ends with a NUL (checked) */
		if (first[(uint8_t)*p] && (lens >> (n < 63 ? n : 63) & 1)) {
			uint32_t h = hash_str(p, n);
			for (size_t j = h & (cap - 1); slot[j] >= 0; j = (j + 1) & (cap - 1)) {
				struct want *wt = &tr->want[slot[j]];
				if (wt->hash != h || wt->len != n || memcmp(wt->s, p, n))
					continue;
				wt->offs = xrealloc(wt->offs, sizeof(*wt->offs) * (size_t)(wt->noffs + 1));
				wt->offs[wt->noffs++] = (uint32_t)(p - (const char *)tr->k.strs);
			}
		}
		p += n + 1;
	}
	free(slot);
	return 0;
}

static bool want_has(const struct want *w, uint32_t off)
{
	for (int i = 0; i < w->noffs; i++)
		if (w->offs[i] == off)
			return true;
	return false;
}


static int cmp_root(const void *a, const void *b)
{
	uint32_t x = ((const struct rootoff *)a)->off, y = ((const struct rootoff *)b)->off;

	return x < y ? -1 : x > y;
}

/* The (string offset, kinds) of the chains' roots, sorted for lookups. */
static void build_roots(struct trim *tr)
{
	for (int c = 0; c < tr->nchains; c++) {
		const struct want *w = &tr->want[tr->chains[c].root_name];
		for (int i = 0; i < w->noffs; i++) {
			int r;
			for (r = 0; r < tr->nroots && tr->roots[r].off != w->offs[i]; r++)
				;
			if (r == tr->nroots) {
				tr->roots = xrealloc(tr->roots, sizeof(*tr->roots) * (size_t)(tr->nroots + 1));
				tr->roots[tr->nroots++] = (struct rootoff){ w->offs[i], 0 };
			}
			tr->roots[r].kinds |= 1u << tr->chains[c].root_kind;
		}
	}
	if (tr->nroots > 1) /* roots is NULL when the kernel has none of the names */
		qsort(tr->roots, (size_t)tr->nroots, sizeof(*tr->roots), cmp_root);
}

static bool is_root(const struct trim *tr, uint32_t name_off, unsigned kind)
{
	int lo = 0, hi = tr->nroots - 1;

	while (lo <= hi) {
		int mid = (lo + hi) / 2;
		if (tr->roots[mid].off == name_off)
			return tr->roots[mid].kinds >> kind & 1;
		if (tr->roots[mid].off < name_off)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return false;
}

/* Types: the offset of each, and the candidate roots. */
static int scan_type(void *arg, uint32_t id, const struct btf_type *t, uint32_t pos)
{
	struct trim *tr = arg;

	if (id >= tr->capoff) {
		tr->capoff = tr->capoff ? tr->capoff * 2 : 1 << 16;
		tr->off = xrealloc(tr->off, sizeof(*tr->off) * tr->capoff);
	}
	tr->off[id] = pos;
	tr->ntypes = id + 1;
	for (int i = 0; i < tr->nq; i++)
		if (!tr->q[i].id && btf_kind(t) == tr->q[i].kind && t->name_off &&
		    want_has(&tr->want[tr->qwant[i]], t->name_off))
			tr->q[i].id = id;
	if (t->name_off && is_root(tr, t->name_off, btf_kind(t))) {
		tr->cands = xrealloc(tr->cands, sizeof(*tr->cands) * (size_t)(tr->ncands + 1));
		tr->cands[tr->ncands++] = id;
	}
	return 0;
}

static int scan_types(struct trim *tr)
{
	return kbtf_walk(&tr->k, scan_type, tr);
}

/* The kernel type `id`: headers are 4-byte aligned in the section. */
static const struct btf_type *ktype(struct trim *tr, uint32_t id)
{
	if (id == 0 || id >= tr->ntypes)
		return NULL;
	return (const struct btf_type *)(tr->k.types + tr->off[id]);
}

/* As skip_mods_typedefs(), in the kernel BTF. */
static const struct btf_type *kskip(struct trim *tr, uint32_t id, uint32_t *res)
{
	const struct btf_type *t = ktype(tr, id);

	for (int hops = 0; t && skippable(t); hops++) {
		id = t->type;
		t = hops < MAX_SKIP ? ktype(tr, id) : NULL;
	}
	*res = id;
	return t;
}

/* A kernel string (names of emitted types and members). */
static const char *kstr(struct trim *tr, uint32_t off)
{
	return kbtf_str(&tr->k, off);
}

/* ---- marking ---- */

static struct need *need_for(struct trim *tr, uint32_t kid)
{
	const struct btf_type *t;

	for (size_t i = 0; i < tr->nneeds; i++)
		if (tr->needs[i].kid == kid)
			return &tr->needs[i];
	t = ktype(tr, kid);
	if (!t)
		return NULL;
	if (tr->nneeds == tr->capneeds) {
		tr->capneeds = tr->capneeds ? tr->capneeds * 2 : 64;
		tr->needs = xrealloc(tr->needs, sizeof(*tr->needs) * tr->capneeds);
	}
	tr->needs[tr->nneeds] = (struct need){ .kid = kid };
	if (btf_is_composite(t)) {
		tr->needs[tr->nneeds].vlen = btf_vlen(t);
		tr->needs[tr->nneeds].used = calloc(btf_vlen(t) + 1, 1);
		if (!tr->needs[tr->nneeds].used)
			abort();
	}
	return &tr->needs[tr->nneeds++];
}

/* Member `name` of composite kid, depth first through anonymous members:
 * marks the path and returns the member's type, 0 if absent, -1 on error. */
static int64_t find_member(struct trim *tr, uint32_t kid, const struct want *name, int depth)
{
	const struct btf_type *t = ktype(tr, kid);
	const struct btf_member *m;

	if (!t || !btf_is_composite(t) || depth > MAX_ANON)
		return t ? 0 : -1;
	m = btf_members(t);
	for (uint16_t i = 0; i < btf_vlen(t); i++, m++) {
		if (m->name_off) {
			if (!want_has(name, m->name_off))
				continue;
			struct need *n = need_for(tr, kid);
			if (!n)
				return -1;
			n->used[i] = 1;
			return m->type;
		}
		uint32_t inner;
		const struct btf_type *it = kskip(tr, m->type, &inner);
		if (!it)
			return -1;
		if (!btf_is_composite(it))
			continue;
		int64_t r = find_member(tr, inner, name, depth + 1);
		if (r < 0)
			return r;
		if (r > 0) {
			struct need *n = need_for(tr, kid);
			if (!n)
				return -1;
			n->used[i] = 1;
			return r;
		}
	}
	return 0;
}

static int mark_chain(struct trim *tr, const struct chain *c, uint32_t root)
{
	uint32_t id = root;

	for (int s = 0; s < c->nsteps; s++) {
		uint32_t cur;
		const struct btf_type *t = kskip(tr, id, &cur);
		if (!t)
			return -EINVAL;
		if (c->steps[s].kind == STEP_ARRAY) {
			if (!btf_is_array(t))
				return 0; /* no match: libbpf finds none either */
			id = btf_array(t)->type;
			continue;
		}
		if (!btf_is_composite(t))
			return 0;
		int64_t r = find_member(tr, cur, &tr->want[c->steps[s].name], 0);
		if (r < 0)
			return -EINVAL;
		if (r == 0)
			return 0;
		id = (uint32_t)r;
	}
	return 0;
}

/* ---- emitting ---- */

static int emit(struct trim *tr, uint32_t kid);

/* kernel id -> emitted id (a few hundred at most: a linear list will do);
 * set: record v and return it; else the emitted id or -1. */
static int emitted(struct trim *tr, uint32_t kid, bool set, int v)
{
	if (!set) {
		for (size_t i = 0; i < tr->nemit; i++)
			if (tr->emit_k[i] == kid)
				return (int)tr->emit_v[i];
		return -1;
	}
	if (tr->nemit == tr->capemit) {
		tr->capemit = tr->capemit ? tr->capemit * 2 : 256;
		tr->emit_k = xrealloc(tr->emit_k, sizeof(*tr->emit_k) * tr->capemit);
		tr->emit_v = xrealloc(tr->emit_v, sizeof(*tr->emit_v) * tr->capemit);
	}
	tr->emit_k[tr->nemit] = kid;
	tr->emit_v[tr->nemit++] = (uint32_t)v;
	return v;
}

/* A pointer's target: structs and unions become forward declarations. */
static int emit_ptr_target(struct trim *tr, uint32_t kid)
{
	const struct btf_type *t;
	const char *name;
	uint32_t under;

	if (kid == 0)
		return 0;
	t = kskip(tr, kid, &under);
	if (!t)
		return -EINVAL;
	if (btf_is_func_proto(t) || btf_is_func(t))
		return 0; /* void * */
	if (btf_is_composite(t) || btf_is_fwd(t)) {
		if (!t->name_off)
			return 0;
		if (!(name = kstr(tr, t->name_off)))
			return -EINVAL;
		bool is_union = btf_is_union(t) || (btf_is_fwd(t) && btf_kflag(t));
		/* one fwd per name and kind, keyed by the kernel type it stands for */
		int have = emitted(tr, under | 0x80000000u, false, 0);
		if (have >= 0)
			return have;
		int id = btf__add_fwd(tr->out, name, is_union ? BTF_FWD_UNION : BTF_FWD_STRUCT);
		return id < 0 ? id : emitted(tr, under | 0x80000000u, true, id);
	}
	return emit(tr, kid);
}

/* A struct or union with the members the relocations use, at the kernel's
 * offsets and with the kernel's size. */
static int emit_composite(struct trim *tr, uint32_t kid, const struct btf_type *t,
			  const char *name)
{
	struct need *n = NULL;
	uint16_t vlen = btf_vlen(t);
	bool is_union = btf_is_union(t);
	uint32_t size = t->size;
	int *mt = calloc((size_t)vlen + 1, sizeof(*mt)), id, err;
	const struct btf_member *ms = btf_members(t);

	if (!mt)
		return -ENOMEM;
	for (size_t i = 0; i < tr->nneeds; i++)
		if (tr->needs[i].kid == kid)
			n = &tr->needs[i];
	/* member types first: the struct's fields must follow it at once */
	for (uint16_t i = 0; n && i < vlen; i++) {
		if (!n->used[i])
			continue;
		mt[i] = emit(tr, ms[i].type);
		if (mt[i] < 0) {
			err = mt[i];
			free(mt);
			return err;
		}
	}
	id = is_union ? btf__add_union(tr->out, name[0] ? name : NULL, size)
		      : btf__add_struct(tr->out, name[0] ? name : NULL, size);
	for (uint16_t i = 0; id > 0 && n && i < vlen; i++) {
		const char *mname = "";
		uint32_t bit_off = ms[i].offset, bit_sz = 0;
		if (!n->used[i])
			continue;
		if (ms[i].name_off && !(mname = kstr(tr, ms[i].name_off))) {
			id = -EINVAL;
			break;
		}
		if (btf_kflag(t)) {
			bit_sz = BTF_MEMBER_BITFIELD_SIZE(ms[i].offset);
			bit_off = BTF_MEMBER_BIT_OFFSET(ms[i].offset);
		}
		err = btf__add_field(tr->out, mname[0] ? mname : NULL, mt[i], bit_off, bit_sz);
		if (err < 0)
			id = err;
	}
	free(mt);
	return id;
}

static int emit_new(struct trim *tr, uint32_t kid);

/* Kernel type kid in the output (once): its id there, or -errno; -ELOOP
 * for a type that contains itself or nesting deeper than MAX_NEST. */
static int emit(struct trim *tr, uint32_t kid)
{
	int id;

	if (kid == 0)
		return 0;
	if ((id = emitted(tr, kid, false, 0)) >= 0)
		return id;
	for (int i = 0; i < tr->nnest; i++)
		if (tr->nest[i] == kid)
			return -ELOOP;
	if (tr->nnest == MAX_NEST)
		return -ELOOP;
	tr->nest[tr->nnest++] = kid;
	id = emit_new(tr, kid);
	tr->nnest--;
	return id;
}

static int emit_new(struct trim *tr, uint32_t kid)
{
	const struct btf_type *t;
	const char *name = "";
	int id;

	t = ktype(tr, kid);
	if (!t)
		return -EINVAL;
	if (t->name_off && !(name = kstr(tr, t->name_off)))
		return -EINVAL;
	switch (btf_kind(t)) {
	case BTF_KIND_INT: {
		uint32_t d = *(const uint32_t *)(t + 1);
		if (BTF_INT_OFFSET(d) || BTF_INT_BITS(d) != t->size * 8)
			return -EOPNOTSUPP;
		id = btf__add_int(tr->out, name, t->size, BTF_INT_ENCODING(d));
		break;
	}
	case BTF_KIND_FLOAT:
		id = btf__add_float(tr->out, name, t->size);
		break;
	case BTF_KIND_PTR: {
		int tgt = emit_ptr_target(tr, t->type);
		if (tgt < 0)
			return tgt;
		id = btf__add_ptr(tr->out, tgt);
		break;
	}
	case BTF_KIND_ARRAY: {
		const struct btf_array a = *btf_array(t);
		int e = emit(tr, a.type), ix;
		if (e < 0)
			return e;
		ix = emit(tr, a.index_type);
		if (ix < 0)
			return ix;
		id = btf__add_array(tr->out, ix, e, a.nelems);
		break;
	}
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		id = emit_composite(tr, kid, t, name);
		break;
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
		id = btf__add_enum(tr->out, name[0] ? name : NULL, t->size);
		break;
	case BTF_KIND_FWD:
		id = btf__add_fwd(tr->out, name, btf_kflag(t) ? BTF_FWD_UNION : BTF_FWD_STRUCT);
		break;
	case BTF_KIND_TYPEDEF: {
		uint32_t under = t->type;
		int u = emit(tr, under);
		if (u < 0)
			return u;
		id = btf__add_typedef(tr->out, name, u);
		break;
	}
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_TYPE_TAG:
		id = emit(tr, t->type); /* CO-RE looks through modifiers */
		break;
	default:
		return -EOPNOTSUPP;
	}
	if (id < 0)
		return id;
	return emitted(tr, kid, true, id);
}

static void trim_free(struct trim *tr)
{
	for (int i = 0; i < tr->nwant; i++) {
		free(tr->want[i].s);
		free(tr->want[i].offs);
	}
	free(tr->want);
	free(tr->chains);
	kbtf_close(&tr->k);
	free(tr->off);
	free(tr->cands);
	for (size_t i = 0; i < tr->nneeds; i++)
		free(tr->needs[i].used);
	free(tr->needs);
	free(tr->emit_k);
	free(tr->emit_v);
	free(tr->roots);
	free(tr->qwant);
	btf__free(tr->out);
}

int trace_btf_trim(const struct bpf_object *obj, const void *elf, size_t elf_sz,
		   const char *kernel_btf, struct btf_id_query *q, int nq)
{
	struct trim tr = { .q = q, .nq = nq > 0 ? nq : 0 };
	const void *raw;
	uint32_t raw_sz;
	int err, fd = -1;

	tr.lbtf = bpf_object__btf(obj);
	if (!tr.lbtf || !elf || !elf_sz)
		return -EINVAL;
	if ((err = read_relos(&tr, elf, elf_sz)) != 0)
		goto out;
	tr.qwant = xrealloc(NULL, sizeof(*tr.qwant) * (size_t)(tr.nq + 1));
	for (int i = 0; i < tr.nq; i++) {
		q[i].id = 0;
		tr.qwant[i] = want_index(&tr, q[i].name, strlen(q[i].name));
	}
	if ((err = kbtf_open(&tr.k, kernel_btf)) != 0)
		goto out;
	if ((err = scan_strings(&tr)) != 0)
		goto out;
	build_roots(&tr);
	if ((err = scan_types(&tr)) != 0)
		goto out;
	/* walk every chain from every candidate root of its name and kind */
	for (int c = 0; c < tr.nchains; c++) {
		for (int i = 0; i < tr.ncands; i++) {
			const struct btf_type *t = ktype(&tr, tr.cands[i]);
			if (!t || (int)btf_kind(t) != tr.chains[c].root_kind ||
			    !want_has(&tr.want[tr.chains[c].root_name], t->name_off))
				continue;
			struct need *n = need_for(&tr, tr.cands[i]);
			if (!n) {
				err = -EINVAL;
				goto out;
			}
			n->root = true;
			if ((err = mark_chain(&tr, &tr.chains[c], tr.cands[i])) != 0)
				goto out;
		}
	}
	tr.out = btf__new_empty();
	if (!tr.out) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < tr.nneeds; i++) {
		if (!tr.needs[i].root)
			continue;
		int id = emit(&tr, tr.needs[i].kid);
		if (id < 0) {
			err = id;
			goto out;
		}
	}
	raw = btf__raw_data(tr.out, &raw_sz);
	if (!raw) {
		err = -ENOMEM;
		goto out;
	}
	fd = memfd_create("netlens-btf", MFD_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	for (uint32_t done = 0; done < raw_sz;) {
		ssize_t w = write(fd, (const char *)raw + done, raw_sz - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			err = w < 0 ? -errno : -EIO;
			close(fd);
			fd = -1;
			goto out;
		}
		done += (uint32_t)w;
	}
out:
	trim_free(&tr);
	return err ? err : fd;
}
