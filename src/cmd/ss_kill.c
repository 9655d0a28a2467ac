/* netlens ss -K: the sockets FILTER selects, kept while their dump runs
 * and closed over SOCK_DESTROY once it is complete, each one closed printed
 * as ss prints it. ss.c's dump callback keeps them; ss.c's run_dumps closes
 * them after each kind and family. */
#include "base/output.h"
#include "cmd/ss_run.h"
#include "sources/sockdiag.h"
#include "ss/ss.h"

#include <errno.h>
#include <linux/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A socket -K will close once its dump is complete (closing sockets while
 * the kernel walks the same table could make it skip some): the record
 * with what its pointers pointed to copied. */
struct kill_item {
	struct sock_rec s;
	struct tcp_info tcpi;
	char cong[32];
	uint8_t cc_info[64];
};

int ss_keep_for_kill(struct ss_run *r, const struct sock_rec *s)
{
	struct kill_item *k;

	if (r->nkept == r->capkept) {
		size_t cap = r->capkept ? r->capkept * 2 : 64;
		k = realloc(r->kept, cap * sizeof(*k));
		if (!k)
			return -ENOMEM;
		r->kept = k;
		r->capkept = cap;
	}
	k = &r->kept[r->nkept++];
	memset(k, 0, sizeof(*k));
	k->s = *s;
	k->s.path = NULL;
	if (s->tcpi) {
		size_t n = s->tcpi_len < sizeof(k->tcpi) ? s->tcpi_len : sizeof(k->tcpi);
		memcpy(&k->tcpi, s->tcpi, n);
		k->s.tcpi_len = n;
	}
	if (s->cong)
		snprintf(k->cong, sizeof(k->cong), "%s", s->cong);
	if (s->cc_info) {
		k->s.cc_len = s->cc_len < sizeof(k->cc_info) ? s->cc_len : sizeof(k->cc_info);
		memcpy(k->cc_info, s->cc_info, k->s.cc_len);
	}
	return 0;
}

enum ss_kill_outcome ss_kill_judge(enum sock_kind kind, int rc, char *msg, size_t cap)
{
	msg[0] = '\0';
	if (rc == 0)
		return SS_KILL_CLOSED;
	if (rc == -ENOENT)
		return SS_KILL_GONE; /* closed on its own since the dump */
	if (rc == -EOPNOTSUPP && kind == SK_MPTCP) {
		snprintf(msg, cap, "the kernel cannot close MPTCP sockets (no destroy handler): close "
				   "their TCP subflows instead");
		return SS_KILL_KIND_FAILED;
	}
	if (rc == -EOPNOTSUPP) {
		snprintf(msg, cap, "the kernel cannot close %s sockets: it was built without "
				   "CONFIG_INET_DIAG_DESTROY (or lacks %s_diag)",
			 kind_name(kind), kind == SK_RAW ? "raw" : kind == SK_UDP ? "udp" : "tcp");
		return SS_KILL_STOP;
	}
	if (rc == -EPERM || rc == -EACCES) {
		snprintf(msg, cap, "closing sockets needs CAP_NET_ADMIN in their network namespace: "
				   "run as root");
		return SS_KILL_STOP;
	}
	snprintf(msg, cap, "%s (%s)", strerrorname_np(-rc) ? strerrorname_np(-rc) : "?",
		 strerror(-rc));
	return SS_KILL_FAILED;
}

/* -K: closes the sockets the dump kept and prints each one closed. A
 * kernel that cannot (no CONFIG_INET_DIAG_DESTROY) or a caller that may
 * not (no CAP_NET_ADMIN) stops it with one error; another socket's failure
 * is one line naming the errno, and the run exits 1. */
int ss_kill_kept(struct ss_run *r)
{
	bool stop = false;
	char msg[256];

	for (size_t i = 0; i < r->nkept && !stop; i++) {
		struct kill_item *k = &r->kept[i];
		struct sock_rec *s = &k->s;

		s->tcpi = s->tcpi ? &k->tcpi : NULL;
		s->cong = s->cong ? k->cong : NULL;
		s->cc_info = s->cc_info ? k->cc_info : NULL;
		switch (ss_kill_judge(s->kind, sockdiag_destroy(&r->killer, s), msg, sizeof(msg))) {
		case SS_KILL_CLOSED:
			r->shown++;
			ss_print_sock(&r->pr, s);
			break;
		case SS_KILL_GONE:
			r->kill_gone++;
			break;
		case SS_KILL_FAILED:
			out_warn("could not close %s socket ino:%llu sport %u dport %u: %s",
				 kind_name(s->kind), (unsigned long long)s->inode, s->sport, s->dport, msg);
			r->kill_failed++;
			break;
		case SS_KILL_KIND_FAILED:
			out_warn("%s", msg);
			r->kill_failed++;
			r->nkept = 0;
			return 0;
		case SS_KILL_STOP:
			out_error("%s", msg);
			stop = true;
			break;
		}
	}
	r->nkept = 0;
	return stop ? -EPERM : 0;
}
