/* Offload features over ethtool netlink, and their `ethtool -k` lines. See ethnl.h. */
#include "sources/ethnl.h"
#include "sources/host.h"
#include "sources/nlattr.h"
#include "sources/nldump.h"

#include <errno.h>
#include <linux/ethtool.h>
#include <linux/ethtool_netlink.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <stdlib.h>
#include <string.h>

/* Bounds on what a reply may claim: the kernel has about 70 features. */
enum { MAX_FEATURES = 4096 };

/* ---- nested attributes that repeat (strings, string sets) ---- */

struct nest_it {
	const char *p;
	size_t left;
	bool bad; /* a length lied */
};

static void nest_begin(struct nest_it *it, const struct nlattr *nest)
{
	it->p = nlattr_data(nest);
	it->left = nlattr_len(nest);
	it->bad = false;
}

/* The next attribute and its type, or NULL at the end (or when it->bad). */
static const struct nlattr *nest_next(struct nest_it *it, uint16_t *type)
{
	struct nlattr a;

	if (it->left < sizeof(a))
		return NULL; /* padding at most */
	memcpy(&a, it->p, sizeof(a));
	if (a.nla_len < sizeof(a) || a.nla_len > it->left) {
		it->bad = true;
		return NULL;
	}
	const struct nlattr *cur = (const struct nlattr *)it->p;
	size_t step = NLA_ALIGN((size_t)a.nla_len);
	if (step > it->left)
		step = it->left;
	it->p += step;
	it->left -= step;
	*type = a.nla_type & NLA_TYPE_MASK;
	return cur;
}

/* ---- the controller: which id the "ethtool" family has ---- */

struct family_ctx {
	const char *name;
	uint16_t id;
	bool found;
};

static int on_family(const struct nlmsghdr *nlh, void *arg)
{
	struct family_ctx *c = arg;
	struct nlattr_tb tb;
	char name[GENL_NAMSIZ];
	int err = nlattr_tb_msg(nlh, GENL_HDRLEN, &tb);

	if (err)
		return err;
	if (!nlattr_str(tb.a[CTRL_ATTR_FAMILY_NAME], name, sizeof(name)) || strcmp(name, c->name))
		return 0;
	if (!nlattr_u16(tb.a[CTRL_ATTR_FAMILY_ID], &c->id))
		return -EBADMSG;
	c->found = true;
	return 1;
}

int ethnl_parse_family_id(const void *buf, size_t len, const char *name, uint16_t *id)
{
	struct family_ctx c = { .name = name };
	int err = nl_parse_dump(buf, len, 0, 0, on_family, &c, NULL);

	if (err < 0)
		return err;
	if (!c.found)
		return -ENOENT;
	*id = c.id;
	return 0;
}

static int family_id(struct host *h, uint16_t *id)
{
	struct genlmsghdr g = { .cmd = CTRL_CMD_GETFAMILY, .version = 1 };
	struct nl_req req = NL_REQ(NETLINK_GENERIC, GENL_ID_CTRL, g);
	char *buf = NULL;
	size_t len = 0;
	int err = nl_dump_bytes(h, &req, &buf, &len);

	if (!err)
		err = ethnl_parse_family_id(buf, len, ETHTOOL_GENL_NAME, id);
	free(buf);
	return err;
}

/* ---- feature names: ETH_SS_FEATURES ---- */

struct strset_ctx {
	char (*names)[ETH_FEAT_NAME_LEN];
	size_t n;
	bool done;
};

static int strings_into(struct strset_ctx *c, const struct nlattr *strings, uint32_t count)
{
	struct nest_it it;
	const struct nlattr *s;
	uint16_t type;

	if (count > MAX_FEATURES)
		return -E2BIG;
	c->names = calloc(count ? count : 1, sizeof(*c->names));
	if (!c->names)
		return -ENOMEM;
	c->n = count;
	nest_begin(&it, strings);
	while ((s = nest_next(&it, &type))) {
		struct nlattr_tb tb;
		uint32_t idx;
		if (type != ETHTOOL_A_STRINGS_STRING)
			continue;
		if (nlattr_tb_nested(s, &tb) || !nlattr_u32(tb.a[ETHTOOL_A_STRING_INDEX], &idx))
			return -EBADMSG;
		if (idx < count)
			nlattr_str(tb.a[ETHTOOL_A_STRING_VALUE], c->names[idx], ETH_FEAT_NAME_LEN);
	}
	return it.bad ? -EBADMSG : 0;
}

static int on_strset(const struct nlmsghdr *nlh, void *arg)
{
	struct strset_ctx *c = arg;
	struct nlattr_tb tb;
	struct nest_it it;
	const struct nlattr *set;
	uint16_t type;
	int err = nlattr_tb_msg(nlh, GENL_HDRLEN, &tb);

	if (err)
		return err;
	if (!tb.a[ETHTOOL_A_STRSET_STRINGSETS])
		return 0;
	nest_begin(&it, tb.a[ETHTOOL_A_STRSET_STRINGSETS]);
	while ((set = nest_next(&it, &type))) {
		struct nlattr_tb st;
		uint32_t id, count = 0;
		if (type != ETHTOOL_A_STRINGSETS_STRINGSET)
			continue;
		if (nlattr_tb_nested(set, &st) || !nlattr_u32(st.a[ETHTOOL_A_STRINGSET_ID], &id))
			return -EBADMSG;
		if (id != ETH_SS_FEATURES)
			continue;
		nlattr_u32(st.a[ETHTOOL_A_STRINGSET_COUNT], &count);
		if (!st.a[ETHTOOL_A_STRINGSET_STRINGS])
			return -EBADMSG;
		err = strings_into(c, st.a[ETHTOOL_A_STRINGSET_STRINGS], count);
		if (err)
			return err;
		c->done = true;
		return 1; /* the set is global: one device's copy is enough */
	}
	return it.bad ? -EBADMSG : 0;
}

int ethnl_parse_strset(const void *buf, size_t len, char (**names)[ETH_FEAT_NAME_LEN], size_t *n)
{
	struct strset_ctx c = { 0 };
	int err = nl_parse_dump(buf, len, 0, 0, on_strset, &c, NULL);

	if (err >= 0 && !c.done)
		err = -ENOENT;
	if (err < 0) {
		free(c.names);
		return err;
	}
	*names = c.names;
	*n = c.n;
	return 0;
}

/* ---- features ---- */

struct feat_ctx {
	char (*names)[ETH_FEAT_NAME_LEN];
	size_t nnames;
	struct eth_features_all *out;
};

/* A compact bitset (ETHTOOL_A_BITSET_SIZE, _VALUE) -> bit i into flag at
 * offset off of each feature. Its size must be n. */
static int bitset_into(const struct nlattr *a, struct eth_features *f, size_t off)
{
	struct nlattr_tb tb;
	uint32_t size;

	if (!a || nlattr_tb_nested(a, &tb) || !nlattr_u32(tb.a[ETHTOOL_A_BITSET_SIZE], &size) ||
	    size != f->n || !tb.a[ETHTOOL_A_BITSET_VALUE])
		return -EBADMSG;
	const uint8_t *v = nlattr_data(tb.a[ETHTOOL_A_BITSET_VALUE]);
	size_t vlen = nlattr_len(tb.a[ETHTOOL_A_BITSET_VALUE]);
	if (vlen < (f->n + 31) / 32 * 4)
		return -EBADMSG;
	for (size_t i = 0; i < f->n; i++) {
		uint32_t w;
		memcpy(&w, v + i / 32 * 4, sizeof(w));
		*((bool *)((char *)&f->v[i] + off)) = (w >> (i % 32)) & 1;
	}
	return 0;
}

static int on_features(const struct nlmsghdr *nlh, void *arg)
{
	struct feat_ctx *c = arg;
	struct nlattr_tb tb, hdr;
	struct eth_features *f;
	uint32_t ifindex, size;
	int err = nlattr_tb_msg(nlh, GENL_HDRLEN, &tb);

	if (err)
		return err;
	if (!tb.a[ETHTOOL_A_FEATURES_HEADER] || nlattr_tb_nested(tb.a[ETHTOOL_A_FEATURES_HEADER], &hdr) ||
	    !nlattr_u32(hdr.a[ETHTOOL_A_HEADER_DEV_INDEX], &ifindex) || !tb.a[ETHTOOL_A_FEATURES_HW])
		return -EBADMSG;
	struct nlattr_tb hw;
	if (nlattr_tb_nested(tb.a[ETHTOOL_A_FEATURES_HW], &hw) ||
	    !nlattr_u32(hw.a[ETHTOOL_A_BITSET_SIZE], &size))
		return -EBADMSG;
	if (size > MAX_FEATURES)
		return -E2BIG;
	f = nl_vec_grow(NL_VEC(c->out));
	if (!f)
		return -ENOMEM;
	f->ifindex = (int)ifindex;
	nlattr_str(hdr.a[ETHTOOL_A_HEADER_DEV_NAME], f->ifname, sizeof(f->ifname));
	f->n = size;
	f->v = calloc(size ? size : 1, sizeof(*f->v));
	if (!f->v)
		return -ENOMEM;
	for (size_t i = 0; i < size && i < c->nnames; i++)
		memcpy(f->v[i].name, c->names[i], ETH_FEAT_NAME_LEN);
	static const struct {
		int attr;
		size_t off;
	} sets[] = {
		{ ETHTOOL_A_FEATURES_HW, offsetof(struct eth_feature, hw) },
		{ ETHTOOL_A_FEATURES_WANTED, offsetof(struct eth_feature, wanted) },
		{ ETHTOOL_A_FEATURES_ACTIVE, offsetof(struct eth_feature, active) },
		{ ETHTOOL_A_FEATURES_NOCHANGE, offsetof(struct eth_feature, nochange) },
	};
	for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++)
		if ((err = bitset_into(tb.a[sets[i].attr], f, sets[i].off)))
			return err;
	return 0;
}

int ethnl_parse_features(const void *buf, size_t len, char (*names)[ETH_FEAT_NAME_LEN],
			 size_t nnames, struct eth_features_all *out)
{
	struct feat_ctx c = { .names = names, .nnames = nnames, .out = out };
	int err = nl_parse_dump(buf, len, 0, 0, on_features, &c, NULL);

	return err < 0 ? err : 0;
}

/* The family id, the request's command and a header with flags. */
static int ethnl_dump(struct host *h, uint16_t id, const void *req, size_t reqlen, char **buf,
		      size_t *len)
{
	struct nl_req r = { .protocol = NETLINK_GENERIC, .type = id, .hdr = req, .hdrlen = reqlen };
	int err = nl_dump_bytes(h, &r, buf, len);

	/* a kernel that knows the family but not the message */
	return err == -EINVAL || err == -EPROTONOSUPPORT ? -EOPNOTSUPP : err;
}

static struct nlattr attr(uint16_t type, size_t payload)
{
	return (struct nlattr){ .nla_len = (uint16_t)(NLA_HDRLEN + payload), .nla_type = type };
}

int ethnl_features_load(struct host *h, struct eth_features_all *out)
{
	struct {
		struct genlmsghdr g;
		struct nlattr sets, set, id;
		uint32_t id_val;
	} sreq = {
		.g = { .cmd = ETHTOOL_MSG_STRSET_GET, .version = ETHTOOL_GENL_VERSION },
		.sets = attr(ETHTOOL_A_STRSET_STRINGSETS | NLA_F_NESTED, 2 * NLA_HDRLEN + 4),
		.set = attr(ETHTOOL_A_STRINGSETS_STRINGSET | NLA_F_NESTED, NLA_HDRLEN + 4),
		.id = attr(ETHTOOL_A_STRINGSET_ID, 4),
		.id_val = ETH_SS_FEATURES,
	};
	struct {
		struct genlmsghdr g;
		struct nlattr hdr, flags;
		uint32_t flags_val;
	} freq = {
		.g = { .cmd = ETHTOOL_MSG_FEATURES_GET, .version = ETHTOOL_GENL_VERSION },
		.hdr = attr(ETHTOOL_A_FEATURES_HEADER | NLA_F_NESTED, NLA_HDRLEN + 4),
		.flags = attr(ETHTOOL_A_HEADER_FLAGS, 4),
		.flags_val = ETHTOOL_FLAG_COMPACT_BITSETS,
	};
	char (*names)[ETH_FEAT_NAME_LEN] = NULL;
	size_t nnames = 0, len = 0;
	char *buf = NULL;
	uint16_t id;
	int err;

	memset(out, 0, sizeof(*out));
	if ((err = family_id(h, &id)))
		return err;
	err = ethnl_dump(h, id, &sreq, sizeof(sreq), &buf, &len);
	if (!err)
		err = ethnl_parse_strset(buf, len, &names, &nnames);
	free(buf);
	buf = NULL;
	if (!err)
		err = ethnl_dump(h, id, &freq, sizeof(freq), &buf, &len);
	if (!err)
		err = ethnl_parse_features(buf, len, names, nnames, out);
	free(buf);
	free(names);
	if (err)
		eth_features_free(out);
	return err;
}

const struct eth_features *eth_features_find(const struct eth_features_all *all, int ifindex,
					     const char *ifname)
{
	for (size_t i = 0; i < all->n; i++)
		if (all->v[i].ifindex == ifindex && strcmp(all->v[i].ifname, ifname) == 0)
			return &all->v[i];
	return NULL;
}

void eth_features_clear(struct eth_features *f)
{
	free(f->v);
	f->v = NULL;
	f->n = 0;
}

void eth_features_free(struct eth_features_all *all)
{
	for (size_t i = 0; i < all->n; i++)
		eth_features_clear(&all->v[i]);
	free(all->v);
	memset(all, 0, sizeof(*all));
}

/* ---- ethtool -k's lines ---- */

/* ethtool's legacy flags: the name it prints and the features (a pattern
 * with at most one '*') each stands for, in its order. */
static const struct legacy {
	const char *name, *pattern;
	bool hidden; /* UDP fragmentation offload: no kernel with netlink has it */
} legacy[] = {
	{ "rx-checksumming", "rx-checksum", false },
	{ "tx-checksumming", "tx-checksum-*", false },
	{ "scatter-gather", "tx-scatter-gather*", false },
	{ "tcp-segmentation-offload", "tx-tcp*-segmentation", false },
	{ "udp-fragmentation-offload", "tx-udp-fragmentation", true },
	{ "generic-segmentation-offload", "tx-generic-segmentation", false },
	{ "generic-receive-offload", "rx-gro", false },
	{ "large-receive-offload", "rx-lro", false },
	{ "rx-vlan-offload", "rx-vlan-hw-parse", false },
	{ "tx-vlan-offload", "tx-vlan-hw-insert", false },
	{ "ntuple-filters", "rx-ntuple-filter", false },
	{ "receive-hashing", "rx-hashing", false },
};
enum { NLEGACY = sizeof(legacy) / sizeof(legacy[0]) };

static bool pattern_match(const char *name, const char *pattern)
{
	const char *star = strchr(pattern, '*');

	if (!star)
		return strcmp(name, pattern) == 0;
	size_t pre = (size_t)(star - pattern), post = strlen(star + 1), n = strlen(name);
	return n >= pre + post && strncmp(name, pattern, pre) == 0 &&
	       strcmp(name + n - post, star + 1) == 0;
}

static int legacy_of(const char *name)
{
	if (!*name)
		return -1;
	for (int j = 0; j < NLEGACY; j++)
		if (pattern_match(name, legacy[j].pattern))
			return j;
	return -1;
}

static struct eth_offload feature_line(const struct eth_feature *e, const char *name,
				       const char *group)
{
	return (struct eth_offload){
		.name = name, .kernel_name = e->name, .group = group, .active = e->active,
		.fixed = !e->hw || e->nochange, .requested = e->wanted,
	};
}

size_t ethtool_offloads(const struct eth_features *f, struct eth_offload *out, size_t room)
{
	size_t k = 0;

	for (int j = 0; j < NLEGACY; j++) {
		size_t match = 0;
		bool on = false;
		if (legacy[j].hidden)
			continue;
		for (size_t i = 0; i < f->n; i++)
			if (legacy_of(f->v[i].name) == j) {
				match++;
				on = on || f->v[i].active;
			}
		if (match != 1 && k < room)
			out[k++] = (struct eth_offload){ .name = legacy[j].name, .active = on };
		for (size_t i = 0; match && i < f->n && k < room; i++)
			if (legacy_of(f->v[i].name) == j)
				out[k++] = match == 1 ? feature_line(&f->v[i], legacy[j].name, NULL)
						      : feature_line(&f->v[i], f->v[i].name, legacy[j].name);
	}
	for (size_t i = 0; i < f->n && k < room; i++)
		if (f->v[i].name[0] && legacy_of(f->v[i].name) < 0)
			out[k++] = feature_line(&f->v[i], f->v[i].name, NULL);
	return k;
}
