/* Common tracer option parsing (internal to the framework). */
#ifndef NETLENS_TRACE_OPTS_H
#define NETLENS_TRACE_OPTS_H

#include "trace/trace.h"

/* Parses argv into tc->o, handing the tracer's own options to tr->opt.
 * Returns 0, or EXIT_USAGE after printing why. */
int trace_parse_opts(struct trace_ctx *tc, int argc, char **argv);

#endif
