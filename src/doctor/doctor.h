/* netlens doctor: evidence in, findings out.
 *
 * Collection and judgement are apart. evidence.c samples the host once
 * (twice, an interval apart, for rates): counters, softnet, links and
 * qdiscs, protocol memory, sockets with their TCP internals and memory.
 * What only some rules need (sysctls, routes and routing rules, carrier
 * counts, RPS masks, neighbour counts, /proc/net/stat tables, TIME-WAIT
 * sockets, socket owners) is read through the host the first time a rule
 * asks, by an ev_*() accessor below, and kept: a snapshot answers it as the
 * live host did, and two rules asking see one value. Rules get a const
 * evidence and never touch the host (ev->h is evidence.c's), so a rule is a
 * pure function of the evidence and is unit-tested on recorded evidence
 * (tests/unit/test_doctor_rules.c).
 *
 * A rule is a row in a table: DOCTOR_RULE(...) places a struct doctor_rule
 * in the "doctor_rules" linker section (like commands), one small file per
 * area (rules_*.c). Adding a rule touches one file and one row. A rule's
 * check() reads the evidence and calls finding_add() for each problem, with
 * the numbers behind it (finding_evidence) and the fix (finding_fix); or
 * rule_skip() when its evidence is missing (say why).
 *
 * Thresholds are named per rule with defaults; `--set ID.NAME=VALUE` or a
 * config file line `ID.NAME = VALUE` overrides them (doctor_config_set() and
 * doctor_config_file() in report.c).
 * Memory: the evidence owns everything it read, memoized reads included,
 * until evidence_free(); the report owns its findings until report_free().
 */
#ifndef NETLENS_DOCTOR_H
#define NETLENS_DOCTOR_H

#include "base/strbuf.h"
#include "sources/counters.h"
#include "sources/linkextra.h"
#include "sources/neigh.h"
#include "sources/procstat.h"
#include "sources/route.h"
#include "sources/rtnl.h"
#include "sources/sockmem.h"
#include "sources/sockstat.h"
#include "sources/softnet.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct host;

enum severity { SEV_NONE = 0, SEV_INFO, SEV_WARNING, SEV_CRITICAL };

const char *severity_name(enum severity s); /* "info", "warning", "critical" */

/* A socket as doctor keeps it: what rules need, copied out of the dump. */
struct ev_sock {
	uint8_t kind, family, state;
	uint16_t sport, dport;
	uint8_t src[16], dst[16];
	uint32_t rqueue, wqueue; /* listeners: accept queue and its limit */
	uint32_t synq;           /* listeners: half-open requests (NEW_SYN_RECV) */
	uint64_t inode;
	uint32_t drops;          /* skmem d: packets dropped at this socket */
	uint32_t rcvbuf, sndbuf;
	bool has_mem, has_tcpi;
	uint32_t total_retrans, rtt_us, snd_cwnd;
	uint64_t bytes_sent, bytes_retrans;
	uint64_t busy_us, rwnd_limited_us, sndbuf_limited_us;
	bool opt_sack, opt_ts, opt_wscale;
};

struct ev_memo; /* reads done on first use (evidence.c) */

struct evidence {
	struct host *h;            /* evidence.c's: rules use the accessors */
	bool live;                 /* the live host, not a snapshot */
	int nsamples;              /* 1 or 2 */
	double interval;           /* seconds between the samples */
	struct counter_set ctr[2];
	bool have_ctr;
	struct softnet softnet[2];
	bool have_softnet;
	struct rtnl_links links[2];
	struct rtnl_qdiscs qdiscs[2];
	bool have_links, have_qdiscs;
	struct rtnl_addrs addrs;
	bool have_addrs;
	struct proto_list protos;
	bool have_protos;
	struct sockstat sockstat;
	bool have_sockstat;
	struct ev_sock *socks;     /* TCP and UDP, at the last sample */
	size_t nsocks, cap_socks;
	bool have_socks;
	struct strbuf missing;     /* what could not be read, for the report ("" or NULL: all) */
	struct ev_memo *memo;      /* written through a const evidence: a cache */
	double taken;              /* CLOCK_MONOTONIC seconds at the last sample (live) */
};

/* Reads sample 0, waits interval seconds (live) and reads sample 1; from a
 * snapshot, uses its samples and interval. interval 0: one sample. */
int evidence_gather(struct evidence *ev, struct host *h, double interval);
/* For a sampler that runs again and again (the exporter): the first sample
 * is the last one of prev, the evidence the previous call gathered, so
 * rates cover the time between the calls and no call waits. prev is
 * consumed (its last sample moved into ev, the rest freed); a prev with no
 * sample (zeroed: the first call) gives one sample. Live hosts only. */
int evidence_gather_after(struct evidence *ev, struct evidence *prev, struct host *h);
void evidence_free(struct evidence *ev);

/* Counter value at the last sample; -1 when absent. */
long long ev_counter(const struct evidence *ev, const char *name);
/* Increase between the samples (0 with one sample; -1 when absent). */
long long ev_delta(const struct evidence *ev, const char *name);
/* Per second, from ev_delta; -1 when absent or one sample. */
double ev_rate(const struct evidence *ev, const char *name);

/* ---- read on first use, through the host, then kept ----
 * Those returning a pointer return NULL when the host could not answer;
 * err (when not NULL) then gets -errno. Live hosts answer at the time of
 * the first call (after the last sample), snapshots from the last sample. */

/* A sysctl by dotted name; -1 when unreadable. */
long long ev_sysctl(const struct evidence *ev, const char *name);
/* Its text ("4096 131072 6291456"); false when unreadable. */
bool ev_sysctl_str(const struct evidence *ev, const char *name, char *buf, size_t size);
/* "nginx (pid 123)" for a socket inode; false when unknown (snapshots do
 * not record processes: always unknown there). */
bool ev_owner(const struct evidence *ev, uint64_t inode, char *buf, size_t size);
/* IPv4 routes (every table) and IPv4 policy routing rules. */
const struct rt_routes *ev_routes4(const struct evidence *ev, int *err);
const struct route_rules *ev_rules4(const struct evidence *ev, int *err);
/* Carrier up/down counts of every link. */
const struct link_carriers *ev_carriers(const struct evidence *ev);
/* RPS masks of a link of the last sample; 0 or -errno (-ESTALE: another
 * namespace's sysfs). */
int ev_rps(const struct evidence *ev, const struct rtnl_link *l, struct link_rps *out);
/* The TCP memory pool against net.ipv4.tcp_mem. */
const struct sockmem_pool_state *ev_tcp_pool(const struct evidence *ev);
/* Neighbour table counts, family AF_INET (ARP) or AF_INET6 (NDISC). */
const struct neigh_counts *ev_neigh(const struct evidence *ev, int family);
/* /proc/net/stat/TABLE ("nf_conntrack", "arp_cache", "ndisc_cache") at the
 * last sample. Its per-CPU columns, summed, are also counters "TABLE:COLUMN"
 * of both samples (ev_delta). */
const struct procstat *ev_stat_table(const struct evidence *ev, const char *table);
/* TCP sockets in TIME-WAIT (not part of ev->socks: a dump of its own). */
const struct ev_sock *ev_timewait(const struct evidence *ev, size_t *n, int *err);

/* Per-CPU increases of /proc/net/softnet_stat between the samples, CPUs
 * present in both, matched by number; 32-bit kernel counters, so the
 * differences survive a wrap. NULL (n 0) with one sample. */
struct ev_cpu {
	unsigned cpu;
	uint32_t processed, dropped, squeeze, rps, flow_limit, backlog;
};
const struct ev_cpu *ev_softnet_deltas(const struct evidence *ev, size_t *n);
/* "127.0.0.1:8080" / "[::1]:80" */
const char *ev_endpoint(const struct ev_sock *s, bool local, char *buf, size_t size);

/* ---- findings ---- */

struct finding;
struct report;

struct rule_threshold {
	const char *name;
	double value;      /* default */
	const char *help;
};

struct doctor_rule {
	const char *id;     /* stable, kebab-case */
	const char *area;   /* "tcp-listen", "tcp-memory", "udp", "nic", ... */
	const char *title;  /* what it checks, one line */
	const char *explain; /* background for --explain: what, why, how to fix */
	const struct rule_threshold *thresholds; /* ends with name == NULL; may be NULL */
	void (*check)(struct report *r, const struct evidence *ev);
};

#define DOCTOR_RULE(name, ...)                                                         \
	static const struct doctor_rule doctor_rule_##name                            \
		__attribute__((used, section("doctor_rules"), aligned(8))) = { __VA_ARGS__ }

extern const struct doctor_rule __start_doctor_rules[];
extern const struct doctor_rule __stop_doctor_rules[];
#define for_each_rule(r) for (r = __start_doctor_rules; r < __stop_doctor_rules; r++)

const struct doctor_rule *rule_find(const char *id);

/* Threshold of the rule being checked (after --set / config overrides). */
double rule_threshold(const struct report *r, const char *name);

/* A finding of the rule being checked. subject: what it is about, short
 * and stable, the same from run to run: a device ("eth0"), a listener
 * ("0.0.0.0:80", "[::]:443", as ev_endpoint() writes it), a CPU ("cpu1"),
 * a sysctl ("net.ipv4.tcp_syncookies"), a table or pool ("nf_conntrack"),
 * a subnet, a destination, or "host" for what concerns the whole host or
 * namespace. It tells one rule's findings apart: the Prometheus series of
 * a finding are labelled by id and subject. Never NULL or empty (a bug:
 * abort). summary: one line. */
struct finding *finding_add(struct report *r, enum severity sev, const char *subject,
			    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* One piece of evidence: where it came from and what it says. */
void finding_evidence(struct finding *f, const char *source, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Room for one more element in the array *v (a T **) holding n of *cap
 * elements of size bytes: grows it (doubling) when full; false when out of
 * memory (*v unchanged). Findings and rules grow their lists with it. */
bool doctor_vec_room(void *v, size_t n, size_t *cap, size_t size);
/* A number worth exporting (JSON "values", Prometheus gauge). */
void finding_value(struct finding *f, const char *name, double v);
/* The fix: the concrete command or setting, and its trade-off. */
void finding_fix(struct finding *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The rule could not look (missing evidence): says why. */
void rule_skip(struct report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- the run ---- */

struct doctor_config {
	const char **only, **skip; /* rule ids or areas; NULL-terminated or NULL */
	struct { char id[64], name[64]; double value; } set[64];
	int nset;
};

/* Parses "ID.NAME=VALUE"; err gets a one-line reason. A value is a plain
 * decimal number, finite and not negative (thresholds are counts, rates,
 * shares, times and sizes). Errors quote at most the offending token,
 * bounded, control bytes replaced. */
int doctor_config_set(struct doctor_config *c, const char *assignment, char *err, size_t errlen);
/* Lines "ID.NAME = VALUE" ('#' starts a comment; lines of any length) in
 * buf[0..len), named name in errors ("NAME:LINE: reason"; never a line's
 * text). At most DOCTOR_CONFIG_MAX_BYTES and DOCTOR_CONFIG_MAX_LINES. */
enum { DOCTOR_CONFIG_MAX_BYTES = 1 << 20, DOCTOR_CONFIG_MAX_LINES = 65536 };
int doctor_config_parse(struct doctor_config *c, const char *buf, size_t len, const char *name,
			char *err, size_t errlen);
/* Reads a config file of such lines. Refused: anything but a regular file
 * (checked on the opened descriptor, opened without waiting, so a FIFO or
 * device cannot hang or feed it forever), a file owned by someone other
 * than root or the caller, or writable by its group or others. */
int doctor_config_file(struct doctor_config *c, const char *path, char *err, size_t errlen);

/* Whether --only and --skip leave the rule to run (cfg NULL: every rule). */
bool rule_selected(const struct doctor_config *cfg, const struct doctor_rule *rule);
struct report *report_new(const struct doctor_config *cfg);
void report_run(struct report *r, const struct evidence *ev);
enum severity report_worst(const struct report *r);
void report_print_text(const struct report *r, const struct evidence *ev);
void report_print_json(const struct report *r, const struct evidence *ev);
void report_print_prom(const struct report *r, const struct evidence *ev);
/* The findings as metric families (base/prom.h), for --prom and the exporter. */
struct prom;
void report_prom(const struct report *r, struct prom *p);
void report_free(struct report *r);

/* Reading a report back (tests): findings in the order the rules added them. */
size_t report_count(const struct report *r);
const struct finding *report_finding(const struct report *r, size_t i);
const char *finding_rule_id(const struct finding *f);
enum severity finding_severity(const struct finding *f);
const char *finding_summary(const struct finding *f);
const char *finding_subject(const struct finding *f);
const char *finding_fix_text(const struct finding *f); /* "" when none */
/* A value by name (finding_value); NAN when absent. */
double finding_get_value(const struct finding *f, const char *name);
/* Evidence line i and its source (when not NULL); NULL past the last. */
const char *finding_evidence_text(const struct finding *f, int i, const char **source);
/* Why the rule was skipped; NULL when it ran or was not selected. */
const char *report_skip_reason(const struct report *r, const char *id);

#endif
