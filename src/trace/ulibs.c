/* Uprobes on shared libraries by file (trace/ulibs.h). */
#include "trace/ulibs.h"

#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ULIB_MAX_FUNCS 16
#define ULIB_ENOTSUPP  524 /* the kernel's own ENOTSUPP, which libc has no name for */

struct ulib {
	unsigned dev_major, dev_minor;
	unsigned long ino;
	struct bpf_link *links[2 * ULIB_MAX_FUNCS];
	int nlinks;
};

/* A process as last scanned: rescanned when its executable changes. */
struct proc_seen {
	uint32_t pid;
	dev_t exe_dev;
	ino_t exe_ino;
};

struct ulibs {
	struct ulibs_cfg cfg;
	struct ulib *libs;
	size_t nlibs, cap;
	int probed;
	struct proc_seen *seen, *next; /* the last scan's processes, this one's */
	size_t nseen, capseen, nnext, capnext;
};

struct ulibs *ulibs_new(const struct ulibs_cfg *cfg)
{
	struct ulibs *u = calloc(1, sizeof(*u));

	if (!u)
		return NULL;
	u->cfg = *cfg;
	if (u->cfg.nfuncs > ULIB_MAX_FUNCS)
		u->cfg.nfuncs = ULIB_MAX_FUNCS;
	return u;
}

int ulibs_probed(const struct ulibs *u)
{
	return u ? u->probed : 0;
}

void ulibs_free(struct ulibs *u)
{
	if (!u)
		return;
	for (size_t i = 0; i < u->nlibs; i++)
		for (int j = 0; j < u->libs[i].nlinks; j++)
			bpf_link__destroy(u->libs[i].links[j]);
	free(u->libs);
	free(u->seen);
	free(u->next);
	free(u);
}

/* ---- symbols ---- */

int ulibs_elf_offsets(int fd, const struct ulib_func *funcs, int nfuncs, uint64_t *off)
{
	uint64_t addr[ULIB_MAX_FUNCS] = { 0 };
	bool hidden[ULIB_MAX_FUNCS] = { false };
	Elf_Scn *scn = NULL;
	Elf_Data *versym = NULL;
	size_t nph;
	Elf *e;

	if (nfuncs > ULIB_MAX_FUNCS)
		return -E2BIG;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EINVAL;
	e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!e || elf_kind(e) != ELF_K_ELF) {
		if (e)
			elf_end(e);
		return -ENOEXEC;
	}
	while ((scn = elf_nextscn(e, scn)) != NULL) {
		GElf_Shdr sh;
		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_GNU_versym)
			versym = elf_getdata(scn, NULL);
	}
	while ((scn = elf_nextscn(e, scn)) != NULL) {
		GElf_Shdr sh;
		Elf_Data *d;
		if (!gelf_getshdr(scn, &sh) || (sh.sh_type != SHT_DYNSYM && sh.sh_type != SHT_SYMTAB))
			continue;
		d = elf_getdata(scn, NULL);
		if (!d || !sh.sh_entsize)
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym sym;
			const char *name;
			bool hid = false;
			if (!gelf_getsym(d, (int)i, &sym) || GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
			    sym.st_shndx == SHN_UNDEF || !sym.st_value)
				continue;
			name = elf_strptr(e, sh.sh_link, sym.st_name);
			if (!name)
				continue;
			if (sh.sh_type == SHT_DYNSYM && versym &&
			    (i + 1) * sizeof(GElf_Versym) <= versym->d_size)
				hid = ((const GElf_Versym *)versym->d_buf)[i] & 0x8000;
			for (int f = 0; f < nfuncs; f++) {
				size_t n = strlen(funcs[f].name);
				if (strncmp(name, funcs[f].name, n) != 0 ||
				    (name[n] != '\0' && name[n] != '@'))
					continue;
				if (sh.sh_type == SHT_SYMTAB && name[n] == '@')
					hid = name[n + 1] != '@';
				if (!addr[f] || (hidden[f] && !hid)) {
					addr[f] = sym.st_value;
					hidden[f] = hid;
				}
			}
		}
	}
	if (elf_getphdrnum(e, &nph) == 0)
		for (int f = 0; f < nfuncs; f++) {
			off[f] = 0;
			for (size_t i = 0; addr[f] && i < nph; i++) {
				GElf_Phdr ph;
				if (gelf_getphdr(e, (int)i, &ph) && ph.p_type == PT_LOAD &&
				    addr[f] >= ph.p_vaddr && addr[f] < ph.p_vaddr + ph.p_memsz) {
					off[f] = addr[f] - ph.p_vaddr + ph.p_offset;
					break;
				}
			}
		}
	elf_end(e);
	return 0;
}

/* ---- probing one library ---- */

static const char *attach_hint(int err)
{
	switch (err) {
	case EPERM:
	case EACCES:
		return "uprobes need root (CAP_SYS_ADMIN, or CAP_PERFMON with "
		       "kernel.perf_event_paranoid <= 2)";
	case ENOENT:
		return "no uprobe events in this kernel (CONFIG_UPROBE_EVENTS), or the file is gone";
	case EINVAL:
		return "the kernel refused the offset (not an instruction start?)";
	case EMFILE:
	case ENFILE:
		return "out of file descriptors (ulimit -n)";
	case ULIB_ENOTSUPP:
		return "the instruction there cannot be probed (an int3, or one uprobes do not "
		       "handle)";
	default:
		return "see dmesg";
	}
}

static int probe_lib(struct ulibs *u, struct ulib *lib, const char *path, char *why, size_t cap)
{
	uint64_t off[ULIB_MAX_FUNCS] = { 0 };
	int fd = open(path, O_RDONLY | O_CLOEXEC), err, n = 0;
	char names[128] = "";

	if (fd < 0) {
		err = -errno;
		snprintf(why, cap, "cannot open it: %s", strerror(errno));
		return err;
	}
	err = ulibs_elf_offsets(fd, u->cfg.funcs, u->cfg.nfuncs, off);
	close(fd);
	if (err) {
		snprintf(why, cap, "not an ELF object");
		return err;
	}
	for (int f = 0; f < u->cfg.nfuncs; f++) {
		size_t len = strlen(names);
		snprintf(names + len, sizeof(names) - len, "%s%s", f ? ", " : "",
			 u->cfg.funcs[f].name);
	}
	for (int f = 0; f < u->cfg.nfuncs; f++) {
		LIBBPF_OPTS(bpf_uprobe_opts, o, .bpf_cookie = u->cfg.funcs[f].cookie);
		struct bpf_link *l;
		if (!off[f])
			continue;
		/* the return probe first: a call that enters between the two is
		 * then not left waiting for a return never seen */
		for (int r = 1; r >= 0; r--) {
			o.retprobe = r;
			/* with a pid, the kernel installs the breakpoints in that
			 * process only (its perf event filters by mm: every thread,
			 * also later ones); other processes never trap */
			l = bpf_program__attach_uprobe_opts(r ? u->cfg.ret : u->cfg.entry,
							    u->cfg.pid ? (pid_t)u->cfg.pid : -1,
							    path, (size_t)off[f], &o);
			if (!l) {
				err = errno ? errno : EINVAL;
				snprintf(why, cap, "attaching a %s to %s at 0x%llx: %s: %s",
					 r ? "uretprobe" : "uprobe", u->cfg.funcs[f].name,
					 (unsigned long long)off[f],
					 err == ULIB_ENOTSUPP ? "ENOTSUPP" : strerror(err),
					 attach_hint(err));
				return -err;
			}
			lib->links[lib->nlinks++] = l;
		}
		n++;
	}
	if (!n) {
		snprintf(why, cap, "exports none of %s", names);
		return -ENOENT;
	}
	return n;
}

/* ---- scanning processes ---- */

static struct ulib *find_lib(struct ulibs *u, unsigned maj, unsigned min, unsigned long ino)
{
	for (size_t i = 0; i < u->nlibs; i++)
		if (u->libs[i].ino == ino && u->libs[i].dev_major == maj &&
		    u->libs[i].dev_minor == min)
			return &u->libs[i];
	return NULL;
}

/* Room for one more element in the array *v of n (capacity *cap). */
static bool room(void **v, size_t *cap, size_t n, size_t elem)
{
	size_t c;
	void *p;

	if (n < *cap)
		return true;
	c = *cap ? *cap * 2 : 16;
	p = realloc(*v, c * elem);
	if (!p)
		return false;
	*v = p;
	*cap = c;
	return true;
}

static struct ulib *add_lib(struct ulibs *u, unsigned maj, unsigned min, unsigned long ino)
{
	if (!room((void **)&u->libs, &u->cap, u->nlibs, sizeof(*u->libs)))
		return NULL;
	u->libs[u->nlibs] = (struct ulib){ .dev_major = maj, .dev_minor = min, .ino = ino };
	return &u->libs[u->nlibs++];
}

/* The path to open the file of a mapping through: /proc/PID/root/PATH
 * when it is that file, else /proc/PID/map_files/RANGE. */
static void lib_path(char *buf, size_t cap, uint32_t pid, const char *range, const char *path,
		     unsigned long ino)
{
	struct stat st;
	size_t n = strlen(path);
	bool deleted = n > 10 && strcmp(path + n - 10, " (deleted)") == 0;

	snprintf(buf, cap, "/proc/%u/root%s", pid, path);
	if (!deleted && stat(buf, &st) == 0 && st.st_ino == ino)
		return;
	snprintf(buf, cap, "/proc/%u/map_files/%s", pid, range);
}

static int scan_maps(struct ulibs *u, uint32_t pid,
		     void (*report)(void *arg, const struct ulib_report *r), void *arg)
{
	char fn[64], *line = NULL;
	size_t lcap = 0;
	int probed = 0;
	FILE *f;

	snprintf(fn, sizeof(fn), "/proc/%u/maps", pid);
	f = fopen(fn, "re");
	if (!f)
		return -errno;
	while (getline(&line, &lcap, f) > 0) {
		char range[64], perms[8], path[PATH_MAX + 32], opened[PATH_MAX + 64], why[256];
		unsigned maj, min;
		unsigned long ino;
		int pos = 0;
		struct ulib *lib;
		if (sscanf(line, "%63s %7s %*x %x:%x %lu %n", range, perms, &maj, &min, &ino, &pos) < 5 ||
		    !pos || !strchr(perms, 'x') || line[pos] != '/')
			continue;
		snprintf(path, sizeof(path), "%s", line + pos);
		path[strcspn(path, "\n")] = '\0';
		if (!u->cfg.match(path) || find_lib(u, maj, min, ino))
			continue;
		lib = add_lib(u, maj, min, ino);
		if (!lib)
			break;
		lib_path(opened, sizeof(opened), pid, range, path, ino);
		int r = probe_lib(u, lib, opened, why, sizeof(why));
		if (r <= 0) {
			/* undo what attached; the library stays known, not retried */
			for (int j = 0; j < lib->nlinks; j++)
				bpf_link__destroy(lib->links[j]);
			lib->nlinks = 0;
		} else {
			u->probed++;
			probed++;
		}
		if (report) {
			struct ulib_report rep = { .path = path, .opened = opened, .pid = pid,
						   .nfuncs = r > 0 ? r : 0, .err = r < 0 ? r : 0,
						   .why = r > 0 ? NULL : why };
			report(arg, &rep);
		}
	}
	free(line);
	fclose(f);
	return probed;
}

static int cmp_seen(const void *a, const void *b)
{
	const struct proc_seen *x = a, *y = b;

	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

/* True when pid ran the same executable at the last scan. Records it for
 * the next one either way. */
static bool seen_before(struct ulibs *u, uint32_t pid)
{
	struct proc_seen key = { .pid = pid }, *old;
	char fn[64];
	struct stat st;

	snprintf(fn, sizeof(fn), "/proc/%u/exe", pid);
	if (stat(fn, &st) != 0)
		return true; /* a kernel thread, or gone: nothing to map */
	key.exe_dev = st.st_dev;
	key.exe_ino = st.st_ino;
	if (!room((void **)&u->next, &u->capnext, u->nnext, sizeof(*u->next)))
		return false;
	u->next[u->nnext++] = key;
	old = u->nseen ? bsearch(&key, u->seen, u->nseen, sizeof(key), cmp_seen) : NULL;
	return old && old->exe_dev == key.exe_dev && old->exe_ino == key.exe_ino;
}

int ulibs_scan(struct ulibs *u, void (*report)(void *arg, const struct ulib_report *r),
	       void *arg)
{
	struct proc_seen *t;
	struct dirent *de;
	size_t cap;
	int probed = 0, r;
	DIR *d;

	if (u->cfg.pid) {
		r = seen_before(u, u->cfg.pid) ? 0 : scan_maps(u, u->cfg.pid, report, arg);
		probed = r;
	} else {
		d = opendir("/proc");
		if (!d)
			return -errno;
		while ((de = readdir(d)) != NULL) {
			char *end;
			unsigned long pid = strtoul(de->d_name, &end, 10);
			if (*end || !pid || pid > UINT32_MAX || seen_before(u, (uint32_t)pid))
				continue;
			r = scan_maps(u, (uint32_t)pid, report, arg);
			if (r > 0)
				probed += r;
		}
		closedir(d);
	}
	/* this scan's processes are the next one's "before" */
	qsort(u->next, u->nnext, sizeof(*u->next), cmp_seen);
	t = u->seen;
	u->seen = u->next;
	u->next = t;
	cap = u->capseen;
	u->capseen = u->capnext;
	u->capnext = cap;
	u->nseen = u->nnext;
	u->nnext = 0;
	return probed;
}
