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

/* -K: closes the sockets the dump kept and prints each one closed. A
 * kernel that cannot (no CONFIG_INET_DIAG_DESTROY) or a caller that may
 * not (no CAP_NET_ADMIN) stops it with one error; another socket's failure
 * is one line naming the errno, and the run exits 1. */
int ss_kill_kept(struct ss_run *r)
{
	int err = 0;

	for (size_t i = 0; i < r->nkept && !err; i++) {
		struct kill_item *k = &r->kept[i];
		struct sock_rec *s = &k->s;
		int rc;

		s->tcpi = s->tcpi ? &k->tcpi : NULL;
		s->cong = s->cong ? k->cong : NULL;
		s->cc_info = s->cc_info ? k->cc_info : NULL;
		rc = sockdiag_destroy(&r->killer, s);
		if (rc == 0) {
			r->shown++;
			ss_print_sock(&r->pr, s);
		} else if (rc == -EOPNOTSUPP && s->kind == SK_MPTCP) {
			out_warn("the kernel cannot close MPTCP sockets (no destroy handler): close "
				 "their TCP subflows instead");
			r->kill_failed++;
			break;
		} else if (rc == -EOPNOTSUPP) {
			err = out_error("the kernel cannot close %s sockets: it was built without "
					"CONFIG_INET_DIAG_DESTROY (or lacks %s_diag)",
					kind_name(s->kind), s->kind == SK_RAW ? "raw" : s->kind == SK_UDP ? "udp" : "tcp");
		} else if (rc == -EPERM || rc == -EACCES) {
			err = out_error("closing sockets needs CAP_NET_ADMIN in their network namespace: "
					"run as root");
		} else if (rc == -ENOENT) {
			r->kill_gone++; /* closed on its own since the dump */
		} else {
			out_warn("could not close %s socket ino:%llu sport %u dport %u: %s (%s)",
				 kind_name(s->kind), (unsigned long long)s->inode, s->sport, s->dport,
				 strerrorname_np(-rc) ? strerrorname_np(-rc) : "?", strerror(-rc));
			r->kill_failed++;
		}
	}
	r->nkept = 0;
	return err ? -EPERM : 0;
}
