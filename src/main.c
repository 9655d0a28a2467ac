/* netlens entry point: global options, the command table walk, and the one
 * place where a command's flags (root, BPF, BTF) are checked. */
#include "base/opts.h"
#include "base/output.h"
#include "base/privs.h"
#include "command.h"

#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *default_command = "doctor";

static int cmp_cmd(const void *a, const void *b)
{
	return strcmp((*(const struct command *const *)a)->name,
		      (*(const struct command *const *)b)->name);
}

static void print_help(FILE *f)
{
	const struct command *c, *list[256];
	size_t n = 0;

	fprintf(f, "usage: netlens [-j|--json] [--version] COMMAND [options]\n\n"
		   "Linux network observability and diagnosis. With no COMMAND, runs '%s'.\n\n"
		   "Commands:\n",
		default_command);
	for_each_command(c)
		if (!(c->flags & CMD_HIDDEN) && n < 256)
			list[n++] = c;
	qsort(list, n, sizeof(list[0]), cmp_cmd);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "  %-12s %s%s\n", list[i]->name, list[i]->summary,
			(list[i]->flags & (CMD_NEEDS_ROOT | CMD_NEEDS_BPF)) ? " [root]" : "");
	fprintf(f, "\nGlobal options:\n"
		   "  -j, --json     JSON output (JSON lines for streams)\n"
		   "  -h, --help     this help; 'netlens COMMAND -h' for a command\n"
		   "  --version      print the version\n");
}

enum { OPT_ALIASES = OPT_LONG };

static const struct opt help_rows[] = {
	{ OPT_ALIASES, "aliases", NULL, "the commands installed as symlinks (make install)" },
	OPT_END,
};

static const struct opt_group help_opts[] = { { NULL, help_rows }, OPT_GROUPS_END };

static int cmd_help(int argc, char **argv)
{
	const struct command *c;
	bool aliases = false;
	struct opts p;
	int o;

	if (opts_begin(&p, "help", help_opts, argc, argv))
		return EXIT_USAGE;
	while ((o = opts_next(&p)) > 0)
		aliases = o == OPT_ALIASES;
	if (o < 0)
		return EXIT_USAGE;
	if (aliases) {
		for_each_command(c)
			if (c->flags & CMD_ALIAS)
				printf("%s\n", c->name);
		return EXIT_OK;
	}
	if (p.next < argc) {
		c = command_find(argv[p.next]);
		if (!c) {
			out_error("unknown command '%s': see 'netlens help'", argv[p.next]);
			return EXIT_USAGE;
		}
		command_usage(c, 0);
		return EXIT_OK;
	}
	print_help(stdout);
	return EXIT_OK;
}

NETLENS_COMMAND(help, .name = "help", .run = cmd_help, .summary = "list commands, or show one's usage",
		.synopsis = "[--aliases] [COMMAND]", .opts = help_opts);

/* The runner: checks flags once, then hands over. */
static int run_command(const struct command *cmd, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			command_usage(cmd, 0);
			return EXIT_OK;
		}
	}
	if (cmd->flags & CMD_NEEDS_ROOT) {
		if (geteuid() != 0)
			return out_error("'%s' needs root: run it with sudo", cmd->name);
	}
	if (cmd->flags & CMD_NEEDS_BTF) {
		if (access("/sys/kernel/btf/vmlinux", R_OK) != 0)
			return out_error("kernel BTF not found at /sys/kernel/btf/vmlinux: '%s' needs a "
					 "kernel built with CONFIG_DEBUG_INFO_BTF=y",
					 cmd->name);
	}
	if (cmd->flags & CMD_NEEDS_BPF) {
		const char *missing = privs_missing_for_bpf();
		if (missing)
			return out_error("'%s' loads BPF programs and lacks %s: run it as root",
					 cmd->name, missing);
	}
	optind = 0; /* reset getopt for the command's own parsing */
	return cmd->run(argc, argv);
}

int main(int argc, char **argv)
{
	const char *self = basename(argv[0]);
	const struct command *cmd;
	int i;

	out_stdout_init();

	/* busybox style: a symlink named after a command runs that command */
	if (strcmp(self, "netlens") != 0) {
		const struct command *c;
		for_each_command(c)
			if (strcmp(c->name, self) == 0)
				return out_finish(run_command(c, argc, argv));
	}

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];
		if (strcmp(a, "-j") == 0 || strcmp(a, "--json") == 0) {
			out_set_format(OUT_JSON);
		} else if (strcmp(a, "--version") == 0 || strcmp(a, "-V") == 0) {
			printf("netlens %s\n", NETLENS_VERSION);
			return out_finish(EXIT_OK);
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			print_help(stdout);
			return out_finish(EXIT_OK);
		} else if (strcmp(a, "--") == 0) {
			i++;
			break;
		} else {
			out_error("unknown global option '%s' (netlens takes -j, -h, --version before the command): see 'netlens help'", a);
			return EXIT_USAGE;
		}
	}
	if (i >= argc) {
		static char *def_argv[2];
		def_argv[0] = (char *)default_command;
		cmd = command_find(default_command);
		if (!cmd)
			return out_error("default command '%s' is not built in", default_command);
		return out_finish(run_command(cmd, 1, def_argv));
	}
	cmd = command_find(argv[i]);
	if (!cmd) {
		out_error("unknown command '%s': see 'netlens help'", argv[i]);
		return EXIT_USAGE;
	}
	return out_finish(run_command(cmd, argc - i, argv + i));
}
