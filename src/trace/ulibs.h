/* Uprobes on functions of shared libraries, attached by FILE: every
 * process that maps the file, now or later, runs them.
 *
 * ulibs_scan() reads /proc/PID/maps of each process (or of one, -p) and
 * picks the executable mappings whose file the caller's match() accepts
 * (libc: glibc's libc.so.6, musl's ld-musl-*.so.1 ...). Each distinct
 * file, by the (device, inode) the mapping shows, is probed once: its
 * symbols are read with libelf (versioned ones such as
 * getaddrinfo@@GLIBC_2.2.5 included) and each function found gets the
 * entry and return programs, with its cookie. The file is opened through
 * /proc/PID/root/PATH, so a process in another mount namespace (a
 * container) is probed on its own file; when that path names another file
 * than the mapping (a mount over it since, an overlay) or the file was
 * deleted, through /proc/PID/map_files/START-END, which is the mapped
 * file itself. Scans after the first look only at processes new since the
 * last (a PID with another executable is new: it exec'ed).
 */
#ifndef NETLENS_TRACE_ULIBS_H
#define NETLENS_TRACE_ULIBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bpf_program;

struct ulib_func {
	const char *name;
	uint64_t cookie;
};

struct ulibs_cfg {
	bool (*match)(const char *path);    /* the mapped file's path */
	const struct ulib_func *funcs;
	int nfuncs;
	struct bpf_program *entry, *ret;    /* uprobe, uretprobe */
	uint32_t pid;                       /* 0: every process */
};

struct ulibs;

/* NULL when out of memory. */
struct ulibs *ulibs_new(const struct ulibs_cfg *cfg);

/* One library found by a scan: what happened to it. */
struct ulib_report {
	const char *path;     /* as the process maps it */
	const char *opened;   /* the path probed (/proc/PID/root/..., map_files) */
	uint32_t pid;         /* the process it was found in */
	int nfuncs;           /* functions probed; 0: none (see err, why) */
	int err;              /* 0, or the -errno of the failure */
	const char *why;      /* the failure in words, NULL when probed */
};

/* Scans for libraries not probed yet and probes them, calling report()
 * for each one found (probed or failed). Returns the number probed by
 * this scan, or -errno when /proc cannot be read (or, with a pid, that process's maps). */
int ulibs_scan(struct ulibs *u, void (*report)(void *arg, const struct ulib_report *r),
	       void *arg);
/* The file offset of each of funcs in the ELF file at fd, 0 for one it
 * does not define (at most 16 funcs): the defined STT_FUNC symbol of that
 * name in .dynsym or .symtab ("name@VERSION" in a .symtab), the default
 * version first when several versions differ, its address turned into a
 * file offset through the PT_LOAD segment holding it (what a uprobe
 * takes). 0, or -errno (-ENOEXEC: not an ELF object). */
int ulibs_elf_offsets(int fd, const struct ulib_func *funcs, int nfuncs, uint64_t *off);

/* Libraries probed so far. */
int ulibs_probed(const struct ulibs *u);
/* Destroys every uprobe. */
void ulibs_free(struct ulibs *u);

#endif
