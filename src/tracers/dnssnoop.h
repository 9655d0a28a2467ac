/* dnssnoop's kernel side (its hooks and BPF object, without the command's
 * printing), for the exporter's dns collector (export/dns.c), which keeps
 * it loaded and pairs its records with tracers/dns_match.h. */
#ifndef NETLENS_TRACERS_DNSSNOOP_H
#define NETLENS_TRACERS_DNSSNOOP_H

struct tracer;

const struct tracer *dnssnoop_tracer(void);

#endif
