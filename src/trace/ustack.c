/* User addresses to symbols with libdwfl (see ustack.h). */
#include "trace/ustack.h"

#include <elfutils/libdwfl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct uproc {
	uint32_t pid;
	Dwfl *dwfl; /* NULL: the process could not be read (gone) */
};

struct ustacks {
	struct uproc *v;
	size_t n, cap;
};

/* libdwfl's dwfl_linux_proc_find_elf opens a module by the path that
 * /proc/PID/maps gives, which is the path in the process's own mount
 * namespace: from ours it names another file, or none. Open it through
 * /proc/PID/root instead (the process's root, whatever its namespace).
 * Only regular files: a mapped device could block on open. The module's
 * userdata is its struct uproc (set by ustacks_attach()). */
static int find_elf(Dwfl_Module *mod, void **userdata, const char *name, Dwarf_Addr base,
		    char **file_name, Elf **elfp)
{
	const struct uproc *p = *userdata;
	char path[4096];
	struct stat st;
	int fd;

	(void)mod;
	(void)base;
	*elfp = NULL;
	if (!p || name[0] != '/')
		return -1;
	if ((size_t)snprintf(path, sizeof(path), "/proc/%u/root%s", p->pid, name) >= sizeof(path))
		return -1;
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	*file_name = strdup(path);
	if (!*file_name) {
		close(fd);
		return -1;
	}
	return fd;
}

static char *debuginfo_path;

static const Dwfl_Callbacks callbacks = {
	.find_elf = find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.debuginfo_path = &debuginfo_path,
};

static int set_userdata(Dwfl_Module *mod, void **userdata, const char *name, Dwarf_Addr start,
			void *arg)
{
	(void)mod;
	(void)name;
	(void)start;
	*userdata = arg;
	return DWARF_CB_OK;
}

struct ustacks *ustacks_new(void)
{
	return calloc(1, sizeof(struct ustacks));
}

/* pid's session, made on its first use; NULL when out of memory. */
static struct uproc *uproc_of(struct ustacks *u, uint32_t pid)
{
	struct uproc *p;

	for (size_t i = 0; i < u->n; i++)
		if (u->v[i].pid == pid)
			return &u->v[i];
	if (u->n == u->cap) {
		size_t cap = u->cap ? u->cap * 2 : 16;
		struct uproc *v = realloc(u->v, cap * sizeof(*v));
		if (!v)
			return NULL;
		u->v = v;
		u->cap = cap;
	}
	p = &u->v[u->n++];
	p->pid = pid;
	p->dwfl = dwfl_begin(&callbacks);
	if (!p->dwfl)
		return p;
	dwfl_report_begin(p->dwfl);
	if (dwfl_linux_proc_report(p->dwfl, (pid_t)pid) != 0 ||
	    dwfl_report_end(p->dwfl, NULL, NULL) != 0) {
		dwfl_end(p->dwfl);
		p->dwfl = NULL;
		return p;
	}
	return p;
}

bool ustacks_known(struct ustacks *u, uint32_t pid)
{
	struct uproc *p = uproc_of(u, pid);

	return p && p->dwfl;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

const char *ustacks_str(struct ustacks *u, uint32_t pid, uint64_t addr, bool ret, char *buf,
			size_t cap)
{
	struct uproc *p = uproc_of(u, pid);
	uint64_t look = ret && addr ? addr - 1 : addr;
	Dwfl_Module *mod;
	const char *mname, *sym;
	GElf_Off off;
	GElf_Sym s;

	snprintf(buf, cap, "0x%llx", (unsigned long long)addr);
	if (!p || !p->dwfl)
		return buf;
	mod = dwfl_addrmodule(p->dwfl, look);
	if (!mod)
		return buf;
	/* find_elf, called from here on the module's first lookup, needs the pid */
	dwfl_getmodules(p->dwfl, set_userdata, p, 0);
	mname = dwfl_module_info(mod, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
	sym = dwfl_module_addrinfo(mod, look, &off, &s, NULL, NULL, NULL);
	dwfl_getmodules(p->dwfl, set_userdata, NULL, 0);
	mname = base_name(mname ? mname : "?");
	if (sym)
		snprintf(buf, cap, "%s+0x%llx (%s)", sym, (unsigned long long)(off + (look != addr)),
			 mname);
	else
		snprintf(buf, cap, "0x%llx (%s)", (unsigned long long)addr, mname);
	return buf;
}

void ustacks_free(struct ustacks *u)
{
	if (!u)
		return;
	for (size_t i = 0; i < u->n; i++)
		if (u->v[i].dwfl)
			dwfl_end(u->v[i].dwfl);
	free(u->v);
	free(u);
}
