/* The command table.
 *
 * Every command lives in one file and registers itself with NETLENS_COMMAND;
 * the entries land in the "netlens_cmds" linker section and main.c walks it.
 * Adding a command therefore touches exactly one new file.
 *
 * The runner (main.c) applies the flags in one place: privilege and kernel
 * feature checks happen before the handler runs, with one clear message.
 * Handlers return a process exit status; they never call exit().
 */
#ifndef NETLENS_COMMAND_H
#define NETLENS_COMMAND_H

enum cmd_flags {
	CMD_NEEDS_ROOT = 1 << 0, /* refuses to run without euid 0 */
	CMD_NEEDS_BPF  = 1 << 1, /* loads BPF: CAP_BPF+CAP_PERFMON or root */
	CMD_NEEDS_BTF  = 1 << 2, /* CO-RE: /sys/kernel/btf/vmlinux must exist */
	CMD_ALIAS      = 1 << 3, /* installed as a symlink (busybox style) */
	CMD_HIDDEN     = 1 << 4, /* not listed by `netlens help` */
};

struct opt_group;

/* `netlens COMMAND -h` prints "usage: netlens NAME SYNOPSIS", the about
 * text, the options generated from the command's option table (base/opts.h)
 * and the notes (environment, examples). */
struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	unsigned flags;
	const char *summary;  /* one line for `netlens help` */
	const char *synopsis; /* "[options] [PATTERN...]" */
	const char *about;    /* paragraph(s) before the options, or NULL */
	const struct opt_group *opts; /* the option table the command parses with */
	const char *notes;    /* text after the options, or NULL */
};

#define NETLENS_COMMAND(id, ...)                                               \
	static const struct command netlens_cmd_##id                          \
		__attribute__((used, section("netlens_cmds"), aligned(8))) = { \
			__VA_ARGS__                                            \
		}

extern const struct command __start_netlens_cmds[];
extern const struct command __stop_netlens_cmds[];

#define for_each_command(c) for (c = __start_netlens_cmds; c < __stop_netlens_cmds; c++)

/* Exact name, or a unique prefix (as bpftool does); NULL otherwise. */
const struct command *command_find(const char *name);

/* Prints the command's usage to stdout (help requested) or stderr (misuse). */
void command_usage(const struct command *cmd, int to_stderr);

#endif
