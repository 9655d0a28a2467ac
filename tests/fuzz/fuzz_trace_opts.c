/* libFuzzer target: argument vectors through the tracers' option parser
 * (trace_parse_opts with every shared group and a tracer's own row) and the
 * base parser's value readers (opts_ulong, opts_secs), without running a
 * tracer. The input is split on NUL bytes into arguments. A parse must
 * return (0 or EXIT_USAGE), never crash, leak or exit; opts_begin resets
 * getopt's state (optind = 0) for every run. */
#include "base/opts.h"
#include "base/output.h"
#include "trace/opts.h"
#include "trace/trace.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { MAX_ARGS = 32 };

static const struct opt own_rows[] = {
	{ 'c', "counts", NULL, "count" },
	OPT_END,
};
static const struct opt_group tracer_opts[] = {
	{ NULL, own_rows }, TRACE_OWNER_GROUP, TRACE_FILTER_GROUP, TRACE_EVENT_GROUP,
	TRACE_RUN_GROUP, TRACE_INTERVAL_GROUP, OPT_GROUPS_END,
};
static const struct tracer fuzz_tracer = {
	.name = "fuzz", .opts = tracer_opts, .opt = trace_opt_summary,
};

static const struct opt base_rows[] = {
	{ 'i', "interval", "SECS", "seconds" },
	{ 'n', "count", "N", "a count" },
	{ 'a', "all", NULL, "a flag" },
	{ OPT_LONG, "explain", "NAME", "a long-only option" },
	OPT_END,
};
static const struct opt_group base_opts[] = { { NULL, base_rows }, OPT_GROUPS_END };

static void parse_base(int argc, char **argv)
{
	struct opts p;
	unsigned long v;
	double secs;
	int c;

	if (opts_begin(&p, "fuzz", base_opts, argc, argv))
		return;
	while ((c = opts_next(&p)) > 0) {
		if (c == 'i' && opts_secs(&p, &secs))
			return;
		if (c == 'n' && opts_ulong(&p, 1, 1000, &v))
			return;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *argv[MAX_ARGS + 2];
	int argc = 0;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	argv[argc++] = (char *)"fuzz";
	for (size_t i = 0; i <= size && argc <= MAX_ARGS; i += strlen(buf + i) + 1)
		argv[argc++] = buf + i;
	argv[argc] = NULL;

	struct trace_ctx tc = { .tr = &fuzz_tracer };
	trace_parse_opts(&tc, argc, argv);
	parse_base(argc, argv);
	out_set_format(OUT_TEXT); /* -j in one input must not carry over */
	free(buf);
	return 0;
}
