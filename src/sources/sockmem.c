/* /proc/net/protocols and the memory pool zones; see sockmem.h. */
#include "sources/sockmem.h"
#include "sources/host.h"
#include "sources/sysctl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct sockmem_pool sockmem_pools[] = {
	{ "tcp", "net.ipv4.tcp_mem", "TCP", "TCP" },
	{ "udp", "net.ipv4.udp_mem", "UDP", "UDP" },
	{ "sctp", "net.sctp.sctp_mem", "SCTP", NULL },
	{ NULL, NULL, NULL, NULL },
};

void sockmem_free(struct proto_list *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}

const char *sockmem_press_name(enum sockmem_press p)
{
	return p == PRESS_YES ? "yes" : p == PRESS_NO ? "no" : "NI";
}

/* Copies token i (0-based, blank separated) of line into out. */
static bool token(const char *line, size_t len, int i, char *out, size_t size)
{
	size_t p = 0;

	for (int k = 0;; k++) {
		while (p < len && (line[p] == ' ' || line[p] == '\t'))
			p++;
		if (p >= len)
			return false;
		size_t s = p;
		while (p < len && line[p] != ' ' && line[p] != '\t')
			p++;
		if (k == i) {
			if (p - s >= size)
				return false;
			memcpy(out, line + s, p - s);
			out[p - s] = '\0';
			return true;
		}
	}
}

static bool num(const char *s, long long *v)
{
	char *end;

	if (!*s)
		return false;
	errno = 0;
	*v = strtoll(s, &end, 10);
	return !*end && !errno;
}

static int parse_line(struct proto_rec *r, const char *line, size_t len)
{
	char t[8][32];

	for (int i = 0; i < 8; i++)
		if (!token(line, len, i, t[i], sizeof(t[i])))
			return -EBADMSG;
	memset(r, 0, sizeof(*r));
	strcpy(r->name, t[0]);
	strcpy(r->module, t[7]);
	if (!num(t[1], &r->size) || !num(t[2], &r->sockets) || !num(t[3], &r->memory) ||
	    !num(t[5], &r->maxhdr))
		return -EBADMSG;
	if (!strcmp(t[4], "yes"))
		r->press = PRESS_YES;
	else if (!strcmp(t[4], "no"))
		r->press = PRESS_NO;
	else if (!strcmp(t[4], "NI"))
		r->press = PRESS_NI;
	else
		return -EBADMSG;
	if (strcmp(t[6], "yes") && strcmp(t[6], "no"))
		return -EBADMSG;
	r->slab = !strcmp(t[6], "yes");
	return 0;
}

int sockmem_parse_protocols(struct proto_list *l, const char *text, size_t len)
{
	const char *p = text, *end = text + len;
	int bad = 0;
	bool header = true;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		const char *line = p;
		p = nl ? nl + 1 : end;
		if (header) {
			header = false;
			if (n >= 8 && memcmp(line, "protocol", 8) == 0)
				continue;
			bad = -EBADMSG; /* no header: parse anyway */
		}
		if (n == 0)
			continue;
		if (l->n == l->cap) {
			size_t cap = l->cap ? l->cap * 2 : 32;
			struct proto_rec *v = realloc(l->v, cap * sizeof(*v));
			if (!v)
				return -ENOMEM;
			l->v = v;
			l->cap = cap;
		}
		if (parse_line(&l->v[l->n], line, n) == 0)
			l->n++;
		else
			bad = -EBADMSG;
	}
	return bad;
}

int sockmem_read_protocols(struct host *h, struct proto_list *l)
{
	char *buf;
	size_t len;
	int err = host_read_file(h, "/proc/net/protocols", &buf, &len);

	if (err)
		return err;
	err = sockmem_parse_protocols(l, buf, len);
	free(buf);
	return err;
}

const struct proto_rec *sockmem_proto(const struct proto_list *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].name, name) == 0)
			return &l->v[i];
	return NULL;
}

enum sockmem_zone sockmem_zone(uint64_t pages, const uint64_t thr[3])
{
	if (pages <= thr[0])
		return ZONE_BELOW_LOW;
	if (pages <= thr[1])
		return ZONE_LOW_TO_PRESSURE;
	if (pages <= thr[2])
		return ZONE_PRESSURE_TO_HIGH;
	return ZONE_ABOVE_HIGH;
}

const char *sockmem_zone_name(enum sockmem_zone z)
{
	static const char *const names[] = { "below-low", "low-to-pressure", "pressure-to-high",
					     "above-high" };
	return (unsigned)z < 4 ? names[z] : "?";
}

const char *sockmem_zone_meaning(enum sockmem_zone z, bool in_pressure)
{
	switch (z) {
	case ZONE_BELOW_LOW:
		return "below low: memory is not regulated (and any pressure mode has ended)";
	case ZONE_LOW_TO_PRESSURE:
		return in_pressure
			? "between low and pressure, still in pressure mode: it ends only when usage falls to low"
			: "between low and pressure: not regulated yet; pressure starts above the pressure threshold";
	case ZONE_PRESSURE_TO_HIGH:
		return "memory pressure: socket buffers are capped, receive windows shrink, receive queues "
		       "are collapsed and out-of-order data pruned (TCPMemoryPressures, PruneCalled, OfoPruned)";
	case ZONE_ABOVE_HIGH:
		return "above high: the hard limit; new data is dropped (TCPRcvQDrop, RcvPruned), senders "
		       "wait for memory, sockets closed with data are reset (TCPAbortOnMemory)";
	}
	return "";
}

int sockmem_pool_state(struct host *h, const struct sockmem_pool *p, const struct proto_list *l,
		       struct sockmem_pool_state *st)
{
	const struct proto_rec *r = sockmem_proto(l, p->proto);
	size_t n = 0;

	memset(st, 0, sizeof(*st));
	if (r && r->memory >= 0) {
		st->have_usage = true;
		st->pages = (uint64_t)r->memory;
	}
	if (r && r->press != PRESS_NI) {
		st->have_press = true;
		st->in_pressure = r->press == PRESS_YES;
	}
	if (sysctl_read_u64s(h, p->sysctl, st->thr, 3, &n) == 0 && n == 3)
		st->have_thr = true;
	if (!r && !st->have_thr)
		return -ENOENT;
	if (st->have_usage && st->have_thr)
		st->zone = sockmem_zone(st->pages, st->thr);
	return 0;
}
