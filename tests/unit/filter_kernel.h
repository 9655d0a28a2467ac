/* Shared by the ss filter unit tests: a restatement of the kernel's
 * inet_diag_bc_audit() and inet_diag_bc_run() (net/ipv4/inet_diag.c) and small
 * helpers. Functions are static inline so each test file takes what it uses.
 * Include after <cmocka.h>. */
#ifndef NETLENS_TEST_FILTER_KERNEL_H
#define NETLENS_TEST_FILTER_KERNEL_H

#include <arpa/inet.h>
#include <errno.h>
#include <linux/inet_diag.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "ss/filter.h"

/* ---- helpers ---- */

static inline struct ss_filter *parse1(const char *text)
{
	char *argv[1] = { (char *)text };
	struct ss_filter *f = NULL;
	struct ss_filter_error err;
	int rc = ss_filter_parse(1, argv, &f, &err);

	if (rc)
		fail_msg("parse '%s': %d at column %d: %s", text, rc, err.column, err.msg);
	return f;
}

static inline struct sock_rec sk(int family, const char *src, int sport, const char *dst, int dport)
{
	struct sock_rec s = { .kind = SK_TCP, .family = (uint8_t)family, .state = SS_ESTABLISHED };

	assert_int_equal(inet_pton(family, src, s.src), 1);
	assert_int_equal(inet_pton(family, dst, s.dst), 1);
	s.sport = (uint16_t)sport;
	s.dport = (uint16_t)dport;
	return s;
}

/* ---- the kernel's rules, restated ---- */

static inline struct inet_diag_bc_op op_at(const uint8_t *bc)
{
	struct inet_diag_bc_op op;

	memcpy(&op, bc, sizeof(op));
	return op;
}

static inline bool valid_cc(const uint8_t *bc, int len, int cc)
{
	while (len >= 0) {
		struct inet_diag_bc_op op = op_at(bc);

		if (cc > len)
			return false;
		if (cc == len)
			return true;
		if (op.yes < 4 || (op.yes & 3))
			return false;
		len -= op.yes;
		bc += op.yes;
	}
	return false;
}

static inline int bc_audit(const uint8_t *prog, int plen)
{
	const uint8_t *bc = prog;
	int len = plen;

	if (plen < 4)
		return -EINVAL;
	while (len > 0) {
		struct inet_diag_bc_op op = op_at(bc);
		int min_len = 4;

		switch (op.code) {
		case INET_DIAG_BC_S_COND:
		case INET_DIAG_BC_D_COND: {
			struct inet_diag_hostcond hc;
			int alen;

			min_len += sizeof(hc);
			if (len < min_len)
				return -EINVAL;
			memcpy(&hc, bc + 4, sizeof(hc));
			if (hc.family == AF_UNSPEC)
				alen = 0;
			else if (hc.family == AF_INET)
				alen = 4;
			else if (hc.family == AF_INET6)
				alen = 16;
			else
				return -EINVAL;
			min_len += alen;
			if (len < min_len || hc.prefix_len > 8 * alen)
				return -EINVAL;
			break;
		}
		case INET_DIAG_BC_S_EQ: case INET_DIAG_BC_S_GE: case INET_DIAG_BC_S_LE:
		case INET_DIAG_BC_D_EQ: case INET_DIAG_BC_D_GE: case INET_DIAG_BC_D_LE:
			min_len += 4;
			if (len < min_len)
				return -EINVAL;
			break;
		case INET_DIAG_BC_DEV_COND: /* valid_devcond() */
			min_len += 4;
			if (len < min_len)
				return -EINVAL;
			break;
		case INET_DIAG_BC_CGROUP_COND: /* valid_cgroupcond() */
			min_len += 8;
			if (len < min_len)
				return -EINVAL;
			break;
		case INET_DIAG_BC_JMP:
		case INET_DIAG_BC_NOP:
			break;
		default:
			return -EINVAL;
		}
		if (op.code != INET_DIAG_BC_NOP) {
			if (op.no < min_len || op.no > len + 4 || (op.no & 3))
				return -EINVAL;
			if (op.no < len && !valid_cc(prog, plen, len - op.no))
				return -EINVAL;
		}
		if (op.yes < min_len || op.yes > len + 4 || (op.yes & 3))
			return -EINVAL;
		bc += op.yes;
		len -= op.yes;
	}
	return len == 0 ? 0 : -EINVAL;
}

static inline bool bits_eq(const uint8_t *a, const uint8_t *b, int bits)
{
	int words = bits >> 5;

	bits &= 31;
	if (words && memcmp(a, b, (size_t)words * 4))
		return false;
	if (bits) {
		uint32_t w1, w2, mask = htonl(0xffffffffu << (32 - bits));

		memcpy(&w1, a + words * 4, 4);
		memcpy(&w2, b + words * 4, 4);
		if ((w1 ^ w2) & mask)
			return false;
	}
	return true;
}

static inline bool bc_run(const uint8_t *bc, int len, const struct sock_rec *s)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };

	while (len > 0) {
		struct inet_diag_bc_op op = op_at(bc), arg = { 0 };
		bool yes = true;

		if (op.code >= INET_DIAG_BC_S_GE && op.code <= INET_DIAG_BC_D_LE)
			arg = op_at(bc + 4);
		if (op.code == INET_DIAG_BC_S_EQ || op.code == INET_DIAG_BC_D_EQ)
			arg = op_at(bc + 4);

		switch (op.code) {
		case INET_DIAG_BC_NOP: break;
		case INET_DIAG_BC_JMP: yes = false; break;
		case INET_DIAG_BC_S_EQ: yes = s->sport == arg.no; break;
		case INET_DIAG_BC_S_GE: yes = s->sport >= arg.no; break;
		case INET_DIAG_BC_S_LE: yes = s->sport <= arg.no; break;
		case INET_DIAG_BC_D_EQ: yes = s->dport == arg.no; break;
		case INET_DIAG_BC_D_GE: yes = s->dport >= arg.no; break;
		case INET_DIAG_BC_D_LE: yes = s->dport <= arg.no; break;
		case INET_DIAG_BC_DEV_COND: {
			uint32_t ifindex;
			memcpy(&ifindex, bc + 4, 4);
			yes = ifindex == s->ifindex;
			break;
		}
		case INET_DIAG_BC_CGROUP_COND: {
			uint64_t id;
			memcpy(&id, bc + 4, 8);
			yes = id == s->cgroup_id;
			break;
		}
		case INET_DIAG_BC_S_COND:
		case INET_DIAG_BC_D_COND: {
			bool src = op.code == INET_DIAG_BC_S_COND;
			const uint8_t *addr = src ? s->src : s->dst;
			struct inet_diag_hostcond hc;
			const uint8_t *caddr = bc + 4 + sizeof(hc);

			memcpy(&hc, bc + 4, sizeof(hc));
			if (hc.port != -1 && hc.port != (src ? s->sport : s->dport)) {
				yes = false;
				break;
			}
			if (hc.family != AF_UNSPEC && hc.family != s->family) {
				if (s->family == AF_INET6 && hc.family == AF_INET &&
				    !memcmp(addr, mapped, 12) && bits_eq(addr + 12, caddr, hc.prefix_len))
					break;
				yes = false;
				break;
			}
			if (hc.prefix_len == 0)
				break;
			yes = bits_eq(addr, caddr, hc.prefix_len);
			break;
		}
		default:
			fail_msg("unknown op %d", op.code);
		}
		bc += yes ? op.yes : op.no;
		len -= yes ? op.yes : op.no;
	}
	return len == 0;
}

/* Compile f, audit the program, and return it (caller frees). */
static inline uint8_t *compiled(const struct ss_filter *f, int *len)
{
	void *bc = NULL;
	size_t n = 0;

	assert_int_equal(ss_filter_bytecode(f, &bc, &n), 0);
	assert_non_null(bc);
	assert_int_equal(bc_audit(bc, (int)n), 0);
	*len = (int)n;
	return bc;
}

/* match() and the bytecode must agree; returns the answer. */
static inline bool both(const struct ss_filter *f, const struct sock_rec *s)
{
	int len;
	uint8_t *bc = compiled(f, &len);
	bool m = ss_filter_match(f, s), k = bc_run(bc, len, s);

	free(bc);
	if (m != k)
		fail_msg("'%s': match %d, bytecode %d", ss_filter_text(f), m, k);
	return m;
}

static inline bool matches(const char *text, const struct sock_rec *s)
{
	struct ss_filter *f = parse1(text);
	bool r = both(f, s);

	ss_filter_free(f);
	return r;
}


#endif
