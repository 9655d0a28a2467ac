/* Prometheus exposition: the text format 0.0.4 and OpenMetrics 1.0.
 *
 * A writer appends metric families to a strbuf. A family is its HELP and
 * TYPE lines followed by its samples, all together (a family must never be
 * split); prom_family() starts one and prom_sample() adds a sample to it:
 *
 *	struct prom p = PROM_INIT(&sb, openmetrics);
 *	prom_family(&p, "netlens_softnet_processed_total", PROM_COUNTER,
 *		    "Packets the CPU's NET_RX softirq took from its queues.");
 *	prom_sample(&p, 12345, "cpu", "0", NULL);   // labels: pairs, then NULL
 *	prom_end(&p);                                // "# EOF" in OpenMetrics
 *
 * Counter families are named with their _total suffix; in OpenMetrics the
 * HELP and TYPE lines name the family without it, as that format wants.
 * Label values and HELP text are escaped (backslash, quote, newline);
 * non-finite values print as NaN, +Inf and -Inf. Never prints, never
 * fails: a strbuf that cannot grow aborts (base/strbuf.h).
 */
#ifndef NETLENS_PROM_H
#define NETLENS_PROM_H

#include "base/strbuf.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum prom_type { PROM_GAUGE, PROM_COUNTER, PROM_HISTOGRAM };

struct prom {
	struct strbuf *sb;
	bool openmetrics;
	const char *family; /* the family being written (borrowed) */
};
#define PROM_INIT(sbp, om) ((struct prom){ .sb = (sbp), .openmetrics = (om) })

/* Content-Type of each format. */
#define PROM_TEXT_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define PROM_OPENMETRICS_TYPE "application/openmetrics-text; version=1.0.0; charset=utf-8"

void prom_family(struct prom *p, const char *name, enum prom_type type, const char *help);
/* A sample of the current family: labels as name, value pairs ending with NULL. */
void prom_sample(struct prom *p, double v, ...);
void prom_vsample(struct prom *p, const char *suffix, double v, va_list labels);
/* A histogram's series: suffix "_bucket" (with an "le" label), "_sum", "_count". */
void prom_sample_suffix(struct prom *p, const char *suffix, double v, ...);
/* A histogram's series from log2 slots: slot i counts values in
 * [2^i, 2^(i+1)) units (slot 0 also 0), the last everything above; so
 * bucket i's bound is le = 2^(i+1) * unit, the last +Inf, and _count the
 * slots' sum. labels: name, value pairs ending with NULL (NULL: none);
 * sum in the family's unit (seconds). */
void prom_histogram_log2(struct prom *p, const uint64_t *slots, int nslots, double unit,
			 double sum, const char *const *labels);
void prom_end(struct prom *p);

/* A CamelCase name (nstat's TcpExtListenOverflows) in snake case, as
 * Prometheus names are written: a word starts at a capital after a small
 * letter or a digit, and at the last capital of a run followed by two small
 * letters (TcpExtTCPLossProbes -> tcp_ext_tcp_loss_probes, Ip6InOctets ->
 * ip6_in_octets, Icmp6InMLDv2Reports -> icmp6_in_mldv2_reports); "HMac"
 * stays one word (hmac: promtool reads a lone "h" as a unit). Cut to fit
 * size (which must be > 0). */
void prom_snake_case(const char *in, char *out, size_t size);

/* The pieces, for writers of their own: an escaped label value, a value. */
void prom_label(struct strbuf *sb, const char *s);
void prom_value(struct strbuf *sb, double v);

#endif
