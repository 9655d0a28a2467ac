/* Option tables -> getopt_long, help text and misuse messages (opts.h). */
#include "base/opts.h"

#include "base/output.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* -j and -h are accepted by every command; listed after its own rows. */
static const struct opt implicit_rows[] = {
	{ 'j', "json", NULL, "JSON output (JSON lines for lists and streams)" },
	{ 'h', "help", NULL, "this help" },
	OPT_END,
};

#define for_each_row(g, o)                                                             \
	for (const struct opt_group *g = (groups); g && g->rows; g++)                  \
		for (const struct opt *o = g->rows; o->id; o++)

static const struct opt *find_row(const struct opt_group *groups, int id)
{
	for_each_row(g, o)
		if (o->id == id)
			return o;
	for (const struct opt *o = implicit_rows; o->id; o++)
		if (o->id == id)
			return o;
	return NULL;
}

bool opts_has(const struct opt_group *groups, int id)
{
	for_each_row(g, o)
		if (o->id == id)
			return true;
	return false;
}

static int add_row(struct opts *p, const struct opt *o, size_t *ns, size_t *nl)
{
	if (o->id < OPT_LONG) {
		if (strchr(p->shortopts + 1, o->id))
			return -1;
		p->shortopts[(*ns)++] = (char)o->id;
		if (o->arg)
			p->shortopts[(*ns)++] = ':';
		p->shortopts[*ns] = '\0';
	}
	if (o->name) {
		for (size_t i = 0; i < *nl; i++)
			if (strcmp(p->longopts[i].name, o->name) == 0)
				return -1;
		if (*nl >= OPTS_MAX)
			return -1;
		p->longopts[(*nl)++] = (struct option){ o->name, o->arg ? required_argument
									: no_argument,
							 NULL, o->id };
	}
	return 0;
}

/* -j anywhere among the options switches to JSON before any message, so
 * even the first misuse is reported in the mode the user asked for. */
static void prescan_json(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return;
		if (strcmp(argv[i], "-j") == 0 || strcmp(argv[i], "--json") == 0)
			out_set_format(OUT_JSON);
	}
}

int opts_begin(struct opts *p, const char *cmd, const struct opt_group *groups, int argc,
	       char **argv)
{
	size_t ns = 1, nl = 0;

	memset(p, 0, sizeof(*p));
	p->cmd = cmd;
	p->groups = groups;
	p->argc = argc;
	p->argv = argv;
	p->shortopts[0] = ':'; /* a missing argument returns ':', not '?' */
	prescan_json(argc, argv);
	for_each_row(g, o) {
		if (add_row(p, o, &ns, &nl) != 0)
			return out_error("%s: the option table declares %s%s%c twice or has too "
					 "many rows",
					 cmd, o->name ? "--" : "-", o->name ? o->name : "",
					 o->name ? ' ' : (char)o->id);
	}
	for (const struct opt *o = implicit_rows; o->id; o++)
		if (!opts_has(groups, o->id) && add_row(p, o, &ns, &nl) != 0)
			return out_error("%s: the option table takes -%c or --%s from every "
					 "command's -j/-h",
					 cmd, o->id, o->name);
	memset(&p->longopts[nl], 0, sizeof(p->longopts[nl]));
	optind = 0; /* full reset: getopt's state survives from earlier parses */
	opterr = 0;
	return 0;
}

/* The option as the user wrote it, without any "=value". */
static void written_name(const struct opts *p, char *buf, size_t cap)
{
	const char *w = optind > 0 && optind <= p->argc ? p->argv[optind - 1] : "";

	if (optopt && optopt < OPT_LONG && !(w[0] == '-' && w[1] == '-')) {
		snprintf(buf, cap, "-%c", optopt);
		return;
	}
	snprintf(buf, cap, "%.*s", (int)strcspn(w, "="), w);
}

int opts_next(struct opts *p)
{
	for (;;) {
		int idx = -1;
		int c = getopt_long(p->argc, p->argv, p->shortopts, p->longopts, &idx);
		char name[64];

		if (c == -1) {
			p->next = optind;
			p->cur = NULL;
			p->arg = NULL;
			return 0;
		}
		if (c == '?' || c == ':') {
			const struct opt *o = c == ':' ? find_row(p->groups, optopt) : NULL;
			written_name(p, name, sizeof(name));
			if (c == ':')
				out_error("%s: needs an argument (%s): see 'netlens %s -h'", name,
					  o && o->arg ? o->arg : "a value", p->cmd);
			else
				out_error("%s: not an option of '%s': see 'netlens %s -h'", name,
					  p->cmd, p->cmd);
			return -1;
		}
		p->cur = find_row(p->groups, c);
		p->arg = optarg;
		p->long_used = idx >= 0;
		if (!opts_has(p->groups, c)) {
			if (c == 'j')
				out_set_format(OUT_JSON);
			continue; /* -h was answered by the runner before parsing */
		}
		return c;
	}
}

const char *opts_name(const struct opts *p)
{
	static char buf[64];

	if (!p->cur)
		return p->cmd;
	if (p->long_used || p->cur->id >= OPT_LONG)
		snprintf(buf, sizeof(buf), "--%s", p->cur->name);
	else
		snprintf(buf, sizeof(buf), "-%c", p->cur->id);
	return buf;
}

static int vfail(const struct opts *p, const char *prefix, const char *fmt, va_list ap)
{
	char msg[512];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (prefix)
		out_error("%s: %s: see 'netlens %s -h'", prefix, msg, p->cmd);
	else
		out_error("%s: see 'netlens %s -h'", msg, p->cmd);
	return EXIT_USAGE;
}

int opts_fail(const struct opts *p, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vfail(p, opts_name(p), fmt, ap);
	va_end(ap);
	return r;
}

int opts_fail_cmd(const struct opts *p, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vfail(p, NULL, fmt, ap);
	va_end(ap);
	return r;
}

int opts_ulong(const struct opts *p, unsigned long min, unsigned long max, unsigned long *v)
{
	const char *a = p->arg ? p->arg : "";
	char *end;

	errno = 0;
	*v = strtoul(a, &end, 10); /* decimal only: 010 is ten, 0x10 is refused */
	if (!*a || *a == '-' || *a == '+' || *a == ' ' || errno || *end || *v < min || *v > max)
		return opts_fail(p, "'%s' is not a whole number from %lu to %lu", a, min, max);
	return 0;
}

int opts_list(const struct opts *p, const char *what)
{
	const char *a = p->arg ? p->arg : "";

	if (!*a || *a == ',' || a[strlen(a) - 1] == ',' || strstr(a, ",,"))
		return opts_fail(p, "'%s' has an empty item: give %s separated by single commas", a,
				 what);
	return 0;
}

/* digits, with at most one '.', and at least one digit */
static bool plain_decimal(const char *a)
{
	bool digit = false, dot = false;

	for (; *a; a++) {
		if (*a >= '0' && *a <= '9')
			digit = true;
		else if (*a == '.' && !dot)
			dot = true;
		else
			return false;
	}
	return digit;
}

int opts_secs_range(const struct opts *p, double min, double max, double *v)
{
	const char *a = p->arg ? p->arg : "";

	errno = 0;
	*v = plain_decimal(a) ? strtod(a, NULL) : NAN;
	if (errno || !isfinite(*v) || *v < min || *v > max)
		return opts_fail(p, "'%s' is not a number of seconds from %g to %g", a, min, max);
	return 0;
}

int opts_secs(const struct opts *p, double *v)
{
	const char *a = p->arg ? p->arg : "";

	errno = 0;
	*v = plain_decimal(a) ? strtod(a, NULL) : NAN;
	if (errno || !isfinite(*v) || !(*v > 0) || *v > 1e7)
		return opts_fail(p, "'%s' is not a number of seconds above 0", a);
	return 0;
}

/* "  -i, --interval SECS" as the help's left column. */
static int left_column(const struct opt *o, char *buf, size_t cap)
{
	char s[8] = "    ";

	if (o->id < OPT_LONG)
		snprintf(s, sizeof(s), "-%c%s", o->id, o->name ? ", " : "");
	return snprintf(buf, cap, "  %s%s%s%s%s", s, o->name ? "--" : "", o->name ? o->name : "",
			o->arg ? " " : "", o->arg ? o->arg : "");
}

static void print_rows(FILE *f, const struct opt *rows, const struct opt_group *all, int width)
{
	char left[128];

	for (const struct opt *o = rows; o->id; o++) {
		if (!o->help || (rows == implicit_rows && opts_has(all, o->id)))
			continue;
		int n = left_column(o, left, sizeof(left));
		if (n > width)
			fprintf(f, "%s\n%*s  %s\n", left, width, "", o->help);
		else
			fprintf(f, "%-*s  %s\n", width, left, o->help);
	}
}

void opts_print_help(FILE *f, const struct opt_group *groups)
{
	char left[128];
	int width = 0;

	for_each_row(g, o) {
		int n = left_column(o, left, sizeof(left));
		if (o->help && n > width && n <= 30)
			width = n;
	}
	if (width < 18)
		width = 18;
	fprintf(f, "Options:\n");
	for (const struct opt_group *g = groups; g && g->rows; g++)
		if (!g->title)
			print_rows(f, g->rows, groups, width);
	print_rows(f, implicit_rows, groups, width);
	for (const struct opt_group *g = groups; g && g->rows; g++) {
		if (!g->title)
			continue;
		fprintf(f, "\n%s:\n", g->title);
		print_rows(f, g->rows, groups, width);
	}
}
