/* The command table: lookup and usage. Entries come from the "netlens_cmds"
 * linker section that NETLENS_COMMAND fills (see command.h). */
#include "command.h"

#include "base/opts.h"

#include <stdio.h>
#include <string.h>

const struct command *command_find(const char *name)
{
	const struct command *c, *prefix = NULL;
	int nprefix = 0;

	for_each_command(c) {
		if (strcmp(c->name, name) == 0)
			return c;
		if (strncmp(c->name, name, strlen(name)) == 0) {
			prefix = c;
			nprefix++;
		}
	}
	/* a unique prefix also names a command, as in bpftool */
	return nprefix == 1 ? prefix : NULL;
}

void command_usage(const struct command *cmd, int to_stderr)
{
	FILE *f = to_stderr ? stderr : stdout;

	fprintf(f, "netlens %s: %s\n\n", cmd->name, cmd->summary);
	fprintf(f, "usage: netlens %s %s\n\n", cmd->name, cmd->synopsis ? cmd->synopsis : "[options]");
	if (cmd->about)
		fprintf(f, "%s\n", cmd->about);
	opts_print_help(f, cmd->opts);
	if (cmd->notes)
		fprintf(f, "\n%s", cmd->notes);
}

