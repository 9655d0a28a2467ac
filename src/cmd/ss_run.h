/* One `netlens ss` run, as the command's files share it: ss.c (options,
 * planning, the dumps), ss_kill.c (-K: keeping sockets and closing them),
 * ss_events.c (-E: destroyed sockets as a stream) and ss_summary.c (-s: the
 * tables of totals). Private to cmd/; the row printer's half is ss/ss.h. */
#ifndef NETLENS_CMD_SS_RUN_H
#define NETLENS_CMD_SS_RUN_H

#include "cmd/state_src.h"
#include "sources/nl.h"
#include "sources/sockdiag.h"
#include "sources/sockstat.h"
#include "ss/ss.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct host;
struct kill_item;
struct ss_filter;

#define KIND(k) (1u << (k))

struct ss_run {
	struct ss_opts o;
	bool kill, events;     /* -K, -E */
	double duration;       /* --duration, 0: until a signal */
	struct nl_dump killer; /* -K: the socket SOCK_DESTROY goes over */
	struct kill_item *kept;
	size_t nkept, capkept;
	unsigned kill_failed, kill_gone;
	struct state_src src;   /* -N, --netns, --from */
	const char *record_path;
	struct ss_filter *filter;
	void *bytecode;
	size_t bytecode_len;
	bool kernel_filter_failed;
	bool user_filter; /* current dump needs the user-space matcher */
	uint32_t states;
	struct ss_printer pr;
	struct host *host;
	struct rtnl_links links;  /* a snapshot's, for device names */
	struct sockstat sockstat; /* -s: read before netlens opens any socket */
	long long curr_estab;     /* -s: Tcp CurrEstab, or -1 */
	bool use_iter;         /* list TCP through the BPF iterator */
	bool filter_states;    /* the source holds every state: filter here */
	unsigned proc_kinds;   /* kinds read from /proc/net (no diag module) */
	char proc_note[512];   /* the files read, for the one note on stderr */
	char proc_mods[128];   /* the diag modules missing */
	/* summary: counts per kind, family (0 v4 / 1 v6 / 2 other) and state */
	unsigned long counts[SK_KIND_MAX][3][SS_STATE_MAX];
	unsigned long shown;
};

static inline const char *kind_name(enum sock_kind k)
{
	static const char *const n[SK_KIND_MAX] = { "TCP", "UDP", "RAW", "MPTCP", "UNIX", "PACKET" };
	return n[k];
}

/* ss_kill.c */
int ss_keep_for_kill(struct ss_run *r, const struct sock_rec *s);
int ss_kill_kept(struct ss_run *r);

/* What -K makes of SOCK_DESTROY's answer rc for a socket of kind: closed,
 * gone already, or a failure: of this socket only (a warning), of every
 * socket of its kind (a warning, the kind's run ends), or of the whole run
 * (an error: the kernel cannot, the caller may not). msg gets the text of
 * a failure. A pure function: the kernel and privileges this runs on
 * cannot show every answer. */
enum ss_kill_outcome { SS_KILL_CLOSED, SS_KILL_GONE, SS_KILL_FAILED, SS_KILL_KIND_FAILED,
		       SS_KILL_STOP };
enum ss_kill_outcome ss_kill_judge(enum sock_kind kind, int rc, char *msg, size_t cap);

/* ss_events.c */
int ss_run_events(struct ss_run *r, struct nl_dump *ev);

/* ss_summary.c */
void ss_print_summary(struct ss_run *r);

#endif
