/* qdisclat's tracer, for the exporter's qdisclat collector (export/bpf.c),
 * which keeps it loaded and reads its histograms at each scrape. */
#ifndef NETLENS_TRACERS_QDISCLAT_H
#define NETLENS_TRACERS_QDISCLAT_H

struct tracer;

const struct tracer *qdisclat_tracer(void);

#endif
