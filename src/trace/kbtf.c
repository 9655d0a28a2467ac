/* The kernel BTF, mapped and walked in place; see kbtf.h. */
#include "trace/kbtf.h"

#include <bpf/btf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int kbtf_open(struct kbtf *k, const char *path)
{
	struct btf_header h;
	struct stat st;
	int fd, err = 0;

	memset(k, 0, sizeof(*k));
	fd = open(path ? path : "/sys/kernel/btf/vmlinux", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || st.st_size < (off_t)sizeof(h)) {
		err = -EINVAL;
		goto out;
	}
	k->size = (size_t)st.st_size;
	k->data = mmap(NULL, k->size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (k->data != MAP_FAILED) {
		k->mapped = true;
	} else {
		uint8_t *buf = malloc(k->size);
		size_t got = 0;
		k->data = NULL;
		if (!buf) {
			err = -ENOMEM;
			goto out;
		}
		while (got < k->size) {
			ssize_t r = read(fd, buf + got, k->size - got);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				err = r < 0 ? -errno : -EIO;
				free(buf);
				goto out;
			}
			got += (size_t)r;
		}
		k->data = buf;
	}
	memcpy(&h, k->data, sizeof(h));
	/* type headers are read in place: the section must start 4-byte
	 * aligned (the file's start is, mapped or malloc'ed) */
	if (h.magic != BTF_MAGIC || h.version != BTF_VERSION || h.hdr_len < sizeof(h) ||
	    (h.hdr_len + (uint64_t)h.type_off) % 4 ||
	    (uint64_t)h.hdr_len + h.type_off + h.type_len > k->size ||
	    (uint64_t)h.hdr_len + h.str_off + h.str_len > k->size || h.str_len == 0 ||
	    k->data[h.hdr_len + h.str_off + h.str_len - 1] != '\0') {
		err = -EINVAL;
		goto out;
	}
	k->types = k->data + h.hdr_len + h.type_off;
	k->types_len = h.type_len;
	k->strs = k->data + h.hdr_len + h.str_off;
	k->strs_len = h.str_len;
out:
	close(fd);
	return err;
}

void kbtf_close(struct kbtf *k)
{
	if (k->mapped)
		munmap((void *)k->data, k->size);
	else
		free((void *)k->data);
	memset(k, 0, sizeof(*k));
}

const char *kbtf_str(const struct kbtf *k, uint32_t off)
{
	return off < k->strs_len ? (const char *)k->strs + off : NULL;
}

size_t kbtf_type_extra(const struct btf_type *t)
{
	uint16_t vlen = btf_vlen(t);

	switch (btf_kind(t)) {
	case BTF_KIND_INT:
	case BTF_KIND_VAR:
	case BTF_KIND_DECL_TAG:
		return 4;
	case BTF_KIND_ARRAY:
		return sizeof(struct btf_array);
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		return (size_t)vlen * sizeof(struct btf_member);
	case BTF_KIND_ENUM:
		return (size_t)vlen * sizeof(struct btf_enum);
	case BTF_KIND_ENUM64:
		return (size_t)vlen * sizeof(struct btf_enum64);
	case BTF_KIND_FUNC_PROTO:
		return (size_t)vlen * sizeof(struct btf_param);
	case BTF_KIND_DATASEC:
		return (size_t)vlen * sizeof(struct btf_var_secinfo);
	case BTF_KIND_PTR:
	case BTF_KIND_FWD:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_FUNC:
	case BTF_KIND_FLOAT:
	case BTF_KIND_TYPE_TAG:
		return 0;
	}
	return (size_t)-1;
}

int kbtf_walk(const struct kbtf *k,
	      int (*fn)(void *arg, uint32_t id, const struct btf_type *t, uint32_t pos),
	      void *arg)
{
	uint32_t pos = 0, id = 1;

	while (pos < k->types_len) {
		const struct btf_type *t;
		size_t extra;
		int r;
		if (k->types_len - pos < sizeof(*t) || pos % 4)
			return -EINVAL;
		t = (const struct btf_type *)(k->types + pos);
		extra = kbtf_type_extra(t);
		if (extra == (size_t)-1)
			return -EOPNOTSUPP; /* a BTF kind newer than this code */
		if (k->types_len - pos - sizeof(*t) < extra)
			return -EINVAL;
		if ((r = fn(arg, id, t, pos)) != 0)
			return r;
		pos += (uint32_t)(sizeof(*t) + extra);
		id++;
	}
	return 0;
}

struct find_arg {
	unsigned kind;
	const char *name;
	const struct kbtf *k;
};

static int find_type(void *arg, uint32_t id, const struct btf_type *t, uint32_t pos)
{
	const struct find_arg *f = arg;
	const char *name;

	(void)pos;
	if (BTF_INFO_KIND(t->info) != f->kind || !t->name_off)
		return 0;
	name = kbtf_str(f->k, t->name_off);
	return name && strcmp(name, f->name) == 0 ? (int)id : 0;
}

int kbtf_find(const struct kbtf *k, unsigned kind, const char *name)
{
	struct find_arg f = { kind, name, k };
	int r = kbtf_walk(k, find_type, &f);

	return r > 0 ? r : r < 0 ? r : -ENOENT;
}

bool kbtf_has_str(const struct kbtf *k, const char *s)
{
	size_t n = strlen(s) + 1; /* with its NUL */
	const uint8_t *p = k->strs, *end = k->strs + k->strs_len;

	/* a whole string: preceded by a NUL (or the section's start) */
	while (p < end && (p = memmem(p, (size_t)(end - p), s, n)) != NULL) {
		if (p == k->strs || p[-1] == '\0')
			return true;
		p++;
	}
	return false;
}
