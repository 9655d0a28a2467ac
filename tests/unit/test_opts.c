/* Option tables: parsing, refusals, messages in both output modes, help. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "base/opts.h"
#include "base/output.h"
#include "capture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { T_LONG = OPT_LONG };

static const struct opt rows[] = {
	{ 'a', "all", NULL, "every one" },
	{ 'i', "interval", "SECS", "every SECS" },
	{ 'n', "count", "N", "stop after N" },
	{ 'c', NULL, "N", NULL }, /* hidden alias */
	{ T_LONG, "explain", "NAME", "what NAME means" },
	OPT_END,
};
static const struct opt extra[] = {
	{ 'N', "net", "NAME", "in namespace NAME" },
	OPT_END,
};
static const struct opt_group groups[] = {
	{ NULL, rows }, { "Source", extra }, OPT_GROUPS_END,
};

struct parse {
	const char *argv[10]; /* NULL-terminated */
	int ids[8], nids, next, status;
	double secs;
};

static int do_parse(void *arg)
{
	struct parse *ps = arg;
	struct opts p;
	int argc = 0, c;

	while (ps->argv[argc])
		argc++;
	if ((ps->status = opts_begin(&p, "demo", groups, argc, (char **)ps->argv)) != 0)
		return ps->status;
	while ((c = opts_next(&p)) > 0) {
		ps->ids[ps->nids++] = c;
		if (c == 'i' && opts_secs(&p, &ps->secs))
			return ps->status = EXIT_USAGE;
		if (c == 'c' && opts_secs_range(&p, 0.5, 10, &ps->secs))
			return ps->status = EXIT_USAGE;
		if (c == 'n' && opts_list(&p, "names"))
			return ps->status = EXIT_USAGE;
	}
	ps->next = p.next;
	return ps->status = c < 0 ? EXIT_USAGE : 0;
}

static void test_parse(void **state)
{
	(void)state;
	struct parse ps = { .argv = { "demo", "-a", "--interval=2", "-c", "3.5", "--explain", "x",
				      "pat" } };
	char *out, *err;

	out_set_format(OUT_TEXT);
	assert_int_equal(capture_run(do_parse, &ps, &out, &err), 0);
	assert_int_equal(ps.nids, 4);
	assert_int_equal(ps.ids[0], 'a');
	assert_int_equal(ps.ids[1], 'i');
	assert_int_equal(ps.ids[2], 'c');
	assert_int_equal(ps.ids[3], T_LONG);
	assert_true(ps.secs == 3.5);
	assert_string_equal(ps.argv[ps.next], "pat");
	assert_string_equal(out, "");
	assert_string_equal(err, "");
	free(out);
	free(err);
}

static void expect_error(const char *const *argv, bool json, const char *want)
{
	struct parse ps = { 0 };
	char *out, *err;

	for (int i = 0; argv[i]; i++)
		ps.argv[i] = argv[i];
	out_set_format(OUT_TEXT);
	assert_int_equal(capture_run(do_parse, &ps, &out, &err), EXIT_USAGE);
	if (json) {
		assert_string_equal(err, "");
		assert_non_null(strstr(out, "{\"error\":"));
		assert_non_null(strstr(out, want));
		assert_null(strchr(strchr(out, '\n') + 1, '\n')); /* one line */
	} else {
		assert_string_equal(out, "");
		assert_non_null(strstr(err, "netlens: error: "));
		assert_non_null(strstr(err, want));
		assert_null(strchr(strchr(err, '\n') + 1, '\n'));
	}
	free(out);
	free(err);
	out_set_format(OUT_TEXT);
}

static void test_misuse(void **state)
{
	(void)state;
	expect_error((const char *[]){ "demo", "-x", NULL }, false,
		     "-x: not an option of 'demo': see 'netlens demo -h'");
	expect_error((const char *[]){ "demo", "--bogus=1", NULL }, false,
		     "--bogus: not an option of 'demo'");
	expect_error((const char *[]){ "demo", "-i", NULL }, false, "-i: needs an argument (SECS)");
	expect_error((const char *[]){ "demo", "--interval", NULL }, false,
		     "--interval: needs an argument (SECS)");
	expect_error((const char *[]){ "demo", "--interval", "nan", NULL }, false,
		     "--interval: 'nan' is not a number of seconds above 0");
	/* seconds are plain decimals: no hex, exponents, signs or spaces */
	expect_error((const char *[]){ "demo", "-i", "0x10", NULL }, false,
		     "-i: '0x10' is not a number of seconds above 0");
	expect_error((const char *[]){ "demo", "-i", "1e3", NULL }, false, "'1e3' is not");
	expect_error((const char *[]){ "demo", "-i", " 1", NULL }, false, "' 1' is not");
	expect_error((const char *[]){ "demo", "-i", "1.2.3", NULL }, false, "'1.2.3' is not");
	expect_error((const char *[]){ "demo", "-i", ".", NULL }, false, "'.' is not");
	expect_error((const char *[]){ "demo", "-c", "0.4", NULL }, false,
		     "-c: '0.4' is not a number of seconds from 0.5 to 10");
	expect_error((const char *[]){ "demo", "-c", "11", NULL }, false, "from 0.5 to 10");
	/* a list with an empty item is a typo, not "everything" */
	expect_error((const char *[]){ "demo", "-n", "", NULL }, false,
		     "-n: '' has an empty item: give names separated by single commas");
	expect_error((const char *[]){ "demo", "-n", "a,,b", NULL }, false, "'a,,b' has an empty");
	expect_error((const char *[]){ "demo", "-n", ",a", NULL }, false, "',a' has an empty");
	expect_error((const char *[]){ "demo", "-n", "a,", NULL }, false, "'a,' has an empty");
	/* -j anywhere: even a misuse before it is reported as JSON */
	expect_error((const char *[]){ "demo", "-x", "-j", NULL }, true,
		     "-x: not an option of 'demo'");
	expect_error((const char *[]){ "demo", "-j", "-i", "0", NULL }, true,
		     "-i: '0' is not a number of seconds above 0");
}

static void test_clash_refused(void **state)
{
	(void)state;
	static const struct opt twice[] = { { 'c', "counts", NULL, "count" }, OPT_END };
	static const struct opt_group bad[] = {
		{ NULL, rows }, { "Other", twice }, OPT_GROUPS_END,
	};
	struct opts p;
	char *argv[] = { (char *)"demo", NULL };
	FILE *fe = tmpfile();
	int se = dup(2);

	out_set_format(OUT_TEXT);
	dup2(fileno(fe), 2);
	assert_int_not_equal(opts_begin(&p, "demo", bad, 1, argv), 0);
	dup2(se, 2);
	close(se);
	fclose(fe);
}

static void test_help(void **state)
{
	(void)state;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	opts_print_help(f, groups);
	fclose(f);
	assert_non_null(strstr(buf, "Options:\n  -a, --all "));
	assert_non_null(strstr(buf, "  -i, --interval SECS  every SECS\n"));
	assert_non_null(strstr(buf, "      --explain NAME   what NAME means\n"));
	assert_non_null(strstr(buf, "  -j, --json "));
	assert_non_null(strstr(buf, "\nSource:\n  -N, --net NAME "));
	assert_null(strstr(buf, "  -c")); /* the hidden alias */
	free(buf);
	assert_true(opts_has(groups, 'N'));
	assert_false(opts_has(groups, 'p'));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_misuse),
		cmocka_unit_test(test_clash_refused),
		cmocka_unit_test(test_help),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
