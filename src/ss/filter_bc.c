/* ss filter -> inet_diag bytecode (INET_DIAG_REQ_BYTECODE).
 *
 * The kernel's program model (net/ipv4/inet_diag.c): ops run front to back; a test
 * continues at op+yes when true and op+no when false; reaching exactly the end accepts,
 * landing 4 bytes past it rejects. inet_diag_bc_audit() walks the `yes` chain only and
 * wants every `no` to land on an op of that chain (or on end / end+4), so here `yes` is
 * always "the next op" and every branch is a `no`, plus JMP (always takes `no`).
 *
 * Compilation is by continuations: compile(e, T, F) emits code that goes to T when e
 * holds and to F when not. Code is written backwards from the end of the buffer, so
 * T and F are always already placed; a position is its distance from the end
 * (ACCEPT = 0, REJECT = -4). not e = compile(e, F, T); a and b = compile(a, start of
 * compile(b, T, F), F); a or b = compile(a, T, start of compile(b, T, F)).
 *
 * Memory: ss_filter_bytecode() returns a malloc'ed program the caller frees.
 */
#include "ss/filter.h"

#include <errno.h>
#include <linux/inet_diag.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

enum {
	ACCEPT = 0,
	REJECT = -4,
	OP = sizeof(struct inet_diag_bc_op),
	MAX_PROG = 0xffff - 4, /* the netlink attribute's length is 16 bits, header included */
};

struct emitter {
	uint8_t *buf;
	int size; /* bytes of buf */
	int cur;  /* distance from the end of buf to the first op emitted so far */
	int rc;
};

/* Reserve n bytes in front of the current code; returns where they start. */
static uint8_t *prepend(struct emitter *e, int n)
{
	if (e->cur + n > e->size) {
		e->rc = -EOPNOTSUPP;
		return NULL;
	}
	e->cur += n;
	return e->buf + e->size - e->cur;
}

/* One op at the front: yes falls through, no jumps to target. */
static void put_op(struct emitter *e, uint8_t code, int n, int target, const void *payload)
{
	uint8_t *at = prepend(e, n);
	struct inet_diag_bc_op op = { .code = code, .yes = (uint8_t)n };

	if (!at)
		return;
	if (e->cur - target > 0xffff) {
		e->rc = -EOPNOTSUPP;
		return;
	}
	op.no = (unsigned short)(e->cur - target);
	memcpy(at, &op, OP);
	if (n > OP)
		memcpy(at + OP, payload, (size_t)(n - OP));
}

static void leaf(struct emitter *e, const struct ssf_node *n, int t, int f)
{
	uint8_t payload[sizeof(struct inet_diag_hostcond) + 16];
	int len = OP;
	uint8_t code;

	if (n->kind == SSF_UNIX) {
		/* a UNIX path never matches an inet socket: straight to f */
		put_op(e, INET_DIAG_BC_JMP, OP, f, NULL);
		return;
	}
	if (t != e->cur)
		put_op(e, INET_DIAG_BC_JMP, OP, t, NULL);
	if (n->kind == SSF_DEV) {
		/* the op, then the interface index (u32) */
		memcpy(payload, &n->ifindex, sizeof(n->ifindex));
		put_op(e, INET_DIAG_BC_DEV_COND, OP + (int)sizeof(n->ifindex), f, payload);
		return;
	}
	if (n->kind == SSF_CGROUP) {
		/* the op, then the cgroup v2 id (u64, unaligned) */
		memcpy(payload, &n->cgroup_id, sizeof(n->cgroup_id));
		put_op(e, INET_DIAG_BC_CGROUP_COND, OP + (int)sizeof(n->cgroup_id), f, payload);
		return;
	}
	if (n->kind == SSF_HOST) {
		struct inet_diag_hostcond hc;
		int alen = n->family == AF_INET ? 4 : n->family == AF_INET6 ? 16 : 0;

		/* field by field after a memset: an initialiser leaves the 2 bytes of
		 * padding after prefix_len undefined, and they go to the kernel */
		memset(&hc, 0, sizeof(hc));
		hc.family = n->family;
		hc.prefix_len = n->prefix_len;
		hc.port = n->port;
		memcpy(payload, &hc, sizeof(hc));
		memcpy(payload + sizeof(hc), n->addr, (size_t)alen);
		len += (int)sizeof(hc) + alen;
		code = n->dst ? INET_DIAG_BC_D_COND : INET_DIAG_BC_S_COND;
	} else {
		/* The port rides in the `no` field of a second op. */
		struct inet_diag_bc_op arg = { .no = (unsigned short)n->port };
		static const uint8_t codes[2][3] = {
			{ INET_DIAG_BC_S_EQ, INET_DIAG_BC_S_GE, INET_DIAG_BC_S_LE },
			{ INET_DIAG_BC_D_EQ, INET_DIAG_BC_D_GE, INET_DIAG_BC_D_LE },
		};

		memcpy(payload, &arg, sizeof(arg));
		len += OP;
		code = codes[n->dst ? 1 : 0][n->cmp];
	}
	put_op(e, code, len, f, payload);
}

static void compile(struct emitter *e, const struct ss_filter *fl, int id, int t, int f)
{
	const struct ssf_node *n = &fl->nodes[id];

	if (e->rc)
		return;
	switch (n->kind) {
	case SSF_NOT:
		compile(e, fl, n->a, f, t);
		break;
	case SSF_AND:
		compile(e, fl, n->b, t, f);
		compile(e, fl, n->a, e->cur, f);
		break;
	case SSF_OR:
		compile(e, fl, n->b, t, f);
		compile(e, fl, n->a, t, e->cur);
		break;
	default:
		leaf(e, n, t, f);
		break;
	}
}

int ss_filter_bytecode(const struct ss_filter *f, void **bc, size_t *len)
{
	struct emitter e = { 0 };
	size_t bound = 0;

	*bc = NULL;
	*len = 0;
	if (!ss_filter_has_expr(f))
		return 0;
	/* Each leaf is at most a JMP plus an op, a hostcond and an IPv6 address. */
	for (int i = 0; i < f->nnodes; i++)
		if (f->nodes[i].kind != SSF_AND && f->nodes[i].kind != SSF_OR &&
		    f->nodes[i].kind != SSF_NOT)
			bound += 2 * OP + sizeof(struct inet_diag_hostcond) + 16;
	e.size = bound < MAX_PROG ? (int)bound : MAX_PROG;
	e.buf = malloc((size_t)e.size);
	if (!e.buf)
		return -ENOMEM;
	compile(&e, f, f->root, ACCEPT, REJECT);
	if (e.rc) {
		free(e.buf);
		return e.rc;
	}
	memmove(e.buf, e.buf + e.size - e.cur, (size_t)e.cur);
	*bc = e.buf;
	*len = (size_t)e.cur;
	return 0;
}
