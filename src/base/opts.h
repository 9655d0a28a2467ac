/* Option tables: one declaration per option.
 *
 * Each option is written once, as a row {id, long name, argument, help}.
 * From the rows come getopt_long's short and long tables, the option list
 * in `netlens COMMAND -h`, and the messages for misuse, so an option can
 * never be accepted without being documented, or documented without being
 * accepted (model: git's parse-options OPT_* tables).
 *
 * A command's options are a list of groups (struct opt_group): its own
 * rows plus shared groups declared once (state sources -N/--netns/--from,
 * the tracers' filters, ...). A letter may appear in only one group of a
 * list; opts_begin() refuses a clash, so the `-c` that meant two things in
 * two tracers cannot come back.
 *
 * Every command also accepts -j/--json (JSON output) and -h/--help; they
 * are implicit and listed under the command's options.
 *
 *	static const struct opt nstat_rows[] = {
 *		{ 'a', "ignore", NULL, "absolute values (totals since boot)" },
 *		{ 'i', "interval", "SECS", "print per-second rates every SECS" },
 *		{ OPT_EXPLAIN, "explain", "NAME", "what counter NAME means" },
 *		OPT_END,
 *	};
 *	static const struct opt_group nstat_opts[] = {
 *		{ NULL, nstat_rows }, { NULL, state_src_rows }, OPT_GROUPS_END,
 *	};
 *	...
 *	struct opts p;
 *	int c;
 *	if (opts_begin(&p, "nstat", nstat_opts, argc, argv))
 *		return EXIT_USAGE;
 *	while ((c = opts_next(&p)) > 0)
 *		switch (c) { case 'i': if (opts_secs(&p, &o.interval)) return EXIT_USAGE; ... }
 *	if (c < 0)
 *		return EXIT_USAGE;
 *	operands: argv[p.next .. argc)
 *
 * Errors go through out_error() (one line, JSON under -j) and name the
 * option and the command's help: "-i: 'x' is not a positive number of
 * seconds: see 'netlens nstat -h'".
 */
#ifndef NETLENS_OPTS_H
#define NETLENS_OPTS_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Ids of long-only options start here; a command numbers its own from
 * OPT_LONG, shared groups use the ranges named below. */
enum {
	OPT_LONG = 256,        /* a command's own long-only options */
	OPT_SHARED = 0x4000,   /* shared groups (state_src, trace) number from here */
};

struct opt {
	int id;            /* the short letter, or >= OPT_LONG for long-only */
	const char *name;  /* long name without "--", or NULL (short only) */
	const char *arg;   /* argument name in the help ("SECS"); NULL: no argument */
	const char *help;  /* one line; NULL hides the row from -h (an alias) */
};
#define OPT_END { 0, NULL, NULL, NULL }

struct opt_group {
	const char *title; /* heading in -h ("Filters"); NULL: the command's own */
	const struct opt *rows;
};
#define OPT_GROUPS_END { NULL, NULL }

#define OPTS_MAX 96

struct opts {
	const char *cmd;   /* command name, for messages */
	const struct opt_group *groups;
	int argc;
	char **argv;
	int next;          /* after opts_next() returned 0: the first operand */
	const char *arg;   /* the current option's argument, or NULL */
	const struct opt *cur; /* the current option's row */
	bool long_used;    /* the user wrote the long name */
	char shortopts[2 * OPTS_MAX + 4];
	struct option longopts[OPTS_MAX + 1];
};

/* Builds the getopt tables. Returns 0, or EXIT_USAGE after reporting a
 * table that declares a letter or name twice (a programming error). */
int opts_begin(struct opts *p, const char *cmd, const struct opt_group *groups, int argc,
	       char **argv);
/* The next option's id; 0 when only operands remain (p->next); -1 after
 * reporting misuse (unknown option, missing argument). -j and -h are
 * handled here and never returned. */
int opts_next(struct opts *p);

/* Reports misuse of the current option: "OPT: <message>: see 'netlens CMD
 * -h'" through out_error(); returns EXIT_USAGE. */
int opts_fail(const struct opts *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Reports a wrong operand or a wrong combination (no option to name). */
int opts_fail_cmd(const struct opts *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Argument parsers for the current option: 0, or EXIT_USAGE after an
 * opts_fail() naming the option and what was expected. */
int opts_ulong(const struct opts *p, unsigned long min, unsigned long max, unsigned long *v);
int opts_secs(const struct opts *p, double *v);          /* > 0, at most 1e7 */
/* Seconds from min to max, decimal only ("1", "0.5", ".25"): no sign,
 * exponent, hex, blanks, inf or nan. */
int opts_secs_range(const struct opts *p, double min, double max, double *v);

/* A comma-separated list: 0 when it has at least one item and no empty
 * one ("a,,b", "a,", ",", ""), else EXIT_USAGE after an opts_fail() that
 * says what the items are (what: "ports", "socket kinds", ...). */
int opts_list(const struct opts *p, const char *what);

/* "-i" or "--interval" as the user wrote it, for messages. */
const char *opts_name(const struct opts *p);

/* The option list of `-h`: each group under its title, rows aligned. */
void opts_print_help(FILE *f, const struct opt_group *groups);

/* True when the groups declare an option with this id (tests, help). */
bool opts_has(const struct opt_group *groups, int id);

#endif
