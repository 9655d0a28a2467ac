/* The filter language of ss: state clauses and an address/port expression.
 *
 *   ss_filter_parse()    words -> a filter (state clauses + expression AST)
 *   ss_filter_match()    the expression over a struct sock_rec, in user space
 *   ss_filter_bytecode() the same expression as inet_diag bytecode
 *
 * Guarantee: for every inet socket, the kernel running the bytecode from
 * ss_filter_bytecode() accepts it exactly when ss_filter_match() does (the
 * matcher is a re-statement of inet_diag_bc_run's rules, including the
 * IPv4-mapped IPv6 case). The library never prints and never exits.
 *
 * Memory: ss_filter_parse() allocates *out; the caller frees it with
 * ss_filter_free(). Strings returned by ss_filter_text() belong to the
 * filter. ss_filter_bytecode() returns a malloc'ed buffer the caller frees.
 * A NULL filter is valid everywhere and means "no filter".
 */
#ifndef NETLENS_SS_FILTER_H
#define NETLENS_SS_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sources/sockdiag.h"

struct ss_filter;

struct ss_filter_error {
	int column; /* 1-based column in the joined text */
	char msg[160];
};

/* argv: the words after ss's options, e.g. {"state","established","(","dport","=",":ssh",
 * "or","sport","=",":http",")"}. The words are joined with single spaces and the joined
 * text is split again on blanks, so one word may also hold a whole expression; error
 * columns refer to the joined string. Returns 0, -ENOMEM, or -EINVAL with err filled.
 * On -EINVAL *out is still set, to a filter that holds only the joined text (so the
 * caller can show ss_filter_text() under the error); it matches everything and must be
 * freed like any other. On -ENOMEM *out is NULL. */
int ss_filter_parse(int argc, char **argv, struct ss_filter **out, struct ss_filter_error *err);
/* The same where `src`/`dst` mean UNIX socket paths (glob patterns, as
 * iproute2 reads them when only UNIX sockets are asked for) if family is
 * AF_UNIX; a "unix:" prefix on the word says so whatever the family. */
int ss_filter_parse_family(int argc, char **argv, int family, struct ss_filter **out,
			   struct ss_filter_error *err);
/* Names in the filter that need the host: `dev NAME` (an interface of the
 * current network namespace, else a number) and `cgroup PATH` (a cgroup v2
 * directory, absolute or under the cgroup2 mount). With live false (a
 * snapshot) device names are refused: only an index can be trusted.
 * 0, or -ENODEV/-ENOENT/... with err filled (column and what to do). */
int ss_filter_resolve(struct ss_filter *f, bool live, struct ss_filter_error *err);
const char *ss_filter_text(const struct ss_filter *f); /* the joined text (for error display) */
/* State mask (bit per enum sock_state) from state/exclude clauses, or default_states when
 * none were given. Clauses apply in order, as in ss: `state X` adds X, `exclude X` removes
 * X; the first clause starts from no states (state) or from SS_ALL_STATES (exclude). */
uint32_t ss_filter_states(const struct ss_filter *f, uint32_t default_states);
bool ss_filter_has_states(const struct ss_filter *f);
bool ss_filter_has_expr(const struct ss_filter *f);
bool ss_filter_match(const struct ss_filter *f, const struct sock_rec *s); /* the expression only; true if none */
/* Kernel bytecode for the expression; *bc malloc'ed. With no expression: 0, *bc NULL,
 * *len 0. -EOPNOTSUPP when it cannot be expressed (too large for the 16-bit jumps; then
 * user space checks), -ENOMEM. */
int ss_filter_bytecode(const struct ss_filter *f, void **bc, size_t *len);
void ss_filter_free(struct ss_filter *f);

/* ---- Internal: the AST, shared by filter.c, filter_match.c and filter_bc.c only. ---- */

enum ssf_kind {
	SSF_AND,
	SSF_OR,
	SSF_NOT,
	SSF_HOST, /* src/dst address and/or port: the kernel's S_COND/D_COND */
	SSF_PORT, /* sport/dport compared with a number: S_EQ/S_GE/S_LE, D_... */
	SSF_DEV,  /* the bound interface (sk_bound_dev_if): DEV_COND */
	SSF_CGROUP, /* the socket's cgroup v2 id: CGROUP_COND */
	SSF_UNIX, /* a UNIX socket's path (dst: the peer's, unknown here) against
		   * a glob; false for every other kind */
};

enum ssf_cmp { SSF_EQ, SSF_GE, SSF_LE };

struct ssf_node {
	uint8_t kind;   /* enum ssf_kind */
	uint8_t dst;    /* HOST, PORT: 1 for the remote side */
	uint8_t cmp;    /* PORT: enum ssf_cmp */
	uint8_t family; /* HOST: AF_UNSPEC (any), AF_INET, AF_INET6 */
	uint8_t prefix_len;   /* HOST: 0 matches any address of the family */
	int32_t port;   /* HOST: -1 for any; PORT: 0..65535 */
	uint8_t addr[16];     /* HOST: network order */
	int a, b;       /* AND/OR: both children; NOT: a. Indexes into ss_filter.nodes. */
	int str;        /* DEV, CGROUP, UNIX: the word (ss_filter.strs), -1 none */
	int column;     /* DEV, CGROUP: where the word is, for resolve errors */
	uint32_t ifindex;   /* DEV, once resolved */
	uint64_t cgroup_id; /* CGROUP, once resolved */
};

struct ss_filter_state_clause {
	uint32_t mask;
	bool exclude;
};

struct ss_filter {
	char *text;
	struct ss_filter_state_clause *states;
	int nstates;
	struct ssf_node *nodes;
	int nnodes, cap;
	int root; /* -1 when there is no expression */
	char **strs; /* words the nodes keep: device names, cgroup paths, globs */
	int nstrs;
};

#endif
