/* What the counting socket tracers share on the user side (sockstat,
 * sofamily, soprotocol): their filters, and the new-socket count table of
 * sofamily and soprotocol (their BPF programs are one source too,
 * bpf/sonew.bpf.h). */
#ifndef NETLENS_TRACERS_SO_COUNT_H
#define NETLENS_TRACERS_SO_COUNT_H

#include "base/opts.h"
#include "trace/opts.h"
#include "trace/trace.h"

/* -p, --comm (the calling process), --netns, --cgroup. */
extern const struct opt so_count_filter_rows[];
#define SO_COUNT_FILTER_GROUP { "Filters", so_count_filter_rows }

#endif
