/* The exporter's collectors: each turns one part of the host's state into
 * metric families (base/prom.h) at every scrape.
 *
 * A collector reads through a struct host (sources/host.h), the same
 * readers the commands use, so `netlens exporter` and `netlens ifstat`
 * cannot disagree. collect() appends whole families to p and returns 0,
 * or -errno with one line in err; the scrape then drops what it wrote and
 * reports netlens_scrape_collector_success{collector="NAME"} 0.
 * A scrape runs collectors on several threads at once (never one
 * collector twice): collect() reads the context and writes its own state
 * and p only, with no process-wide state it changes (no out_*() calls).
 *
 * Cardinality: every label set is bounded by something the host has a
 * fixed number of (devices, CPUs, qdiscs, listening sockets, counters),
 * never by connections, processes or ephemeral ports; docs/exporter.md
 * lists each family and the most series it can produce.
 */
#ifndef NETLENS_EXPORT_COLLECT_H
#define NETLENS_EXPORT_COLLECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct host;
struct prom;
struct evidence;

struct collect_ctx {
	struct host *h;
	size_t max_listeners; /* listeners labelled one by one; the rest summed */
	struct evidence *doctor_prev; /* the doctor collector's previous evidence */
	/* BPF collectors count events of this network namespace (its nsfs
	 * inode), the one the exporter serves; 0: every namespace */
	uint32_t bpf_netns;
	size_t tcp_per_remote; /* the tcp collector's remotes with series of their own; 0: none */
	void *state; /* the collector's own, made by its start() */
};

struct collector {
	const char *name;
	const char *help;
	bool on_by_default;
	int (*collect)(const struct collect_ctx *c, struct prom *p, char *err, size_t errlen);
	/* Optional (the BPF collectors): at start, load what the collector
	 * keeps between scrapes into *state; -errno with the reason in err
	 * (a capability it lacks, a hook the kernel does not have), and the
	 * exporter serves without it. stop() frees *state. */
	int (*start)(const struct collect_ctx *c, void **state, char *err, size_t errlen);
	void (*stop)(void *state);
	/* Optional (the BPF collectors): events the kernel could not count
	 * (trace/load.h), which the scrape exports for each collector */
	void (*uncounted)(void *state, uint64_t *runs_missed, uint64_t *dropped_keys);
};

extern const struct collector collectors[]; /* name == NULL ends it */

const struct collector *collector_find(const char *name);

/* The collectors (state.c, doctor.c, bpf.c, dns.c). */
#define COLLECTOR_FN(name) \
	int collect_##name(const struct collect_ctx *c, struct prom *p, char *err, size_t errlen)
COLLECTOR_FN(sockets);
COLLECTOR_FN(listeners);
COLLECTOR_FN(netstat);
COLLECTOR_FN(netdev);
COLLECTOR_FN(softnet);
COLLECTOR_FN(qdisc);
COLLECTOR_FN(sockmem);
COLLECTOR_FN(tables);
COLLECTOR_FN(doctor);
COLLECTOR_FN(tcp);
COLLECTOR_FN(drops);
COLLECTOR_FN(qdisclat);
COLLECTOR_FN(dns);
int collect_tcp_start(const struct collect_ctx *c, void **state, char *err, size_t errlen);
int collect_drops_start(const struct collect_ctx *c, void **state, char *err, size_t errlen);
int collect_qdisclat_start(const struct collect_ctx *c, void **state, char *err, size_t errlen);
void collect_bpf_stop(void *state);
void collect_bpf_uncounted(void *state, uint64_t *runs_missed, uint64_t *dropped_keys);
int collect_dns_start(const struct collect_ctx *c, void **state, char *err, size_t errlen);
void collect_dns_stop(void *state);
void collect_dns_uncounted(void *state, uint64_t *runs_missed, uint64_t *dropped_keys);

#endif
