/* /proc/net socket tables -> struct sock_rec. See procnet_sock.h. */
#include "sources/procnet_sock.h"
#include "sources/host.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

const char *procnet_sock_path(enum sock_kind kind, int family)
{
	bool v6 = family == AF_INET6;

	switch (kind) {
	case SK_TCP: return v6 ? "/proc/net/tcp6" : "/proc/net/tcp";
	case SK_UDP: return v6 ? "/proc/net/udp6" : "/proc/net/udp";
	case SK_RAW: return v6 ? "/proc/net/raw6" : "/proc/net/raw";
	case SK_UNIX: return "/proc/net/unix";
	case SK_PACKET: return "/proc/net/packet";
	default: return NULL;
	}
}

/* A cursor over one line: tokens separated by spaces. */
struct cur {
	const char *p, *end;
};

static void skip_spaces(struct cur *c)
{
	while (c->p < c->end && *c->p == ' ')
		c->p++;
}

/* Unsigned number in base (16 or 10) of at most maxdig digits, ending at a
 * space, the end of line or `stop`. */
static bool num(struct cur *c, int base, size_t maxdig, char stop, unsigned long long *v)
{
	size_t n = 0;

	skip_spaces(c);
	*v = 0;
	while (c->p < c->end && *c->p != ' ' && *c->p != stop) {
		int d;
		char ch = *c->p;
		if (ch >= '0' && ch <= '9')
			d = ch - '0';
		else if (base == 16 && ch >= 'a' && ch <= 'f')
			d = ch - 'a' + 10;
		else if (base == 16 && ch >= 'A' && ch <= 'F')
			d = ch - 'A' + 10;
		else
			return false;
		if (++n > maxdig)
			return false;
		*v = *v * (unsigned)base + (unsigned)d;
		c->p++;
	}
	if (n == 0)
		return false;
	if (stop && c->p < c->end && *c->p == stop)
		c->p++;
	else if (stop)
		return false;
	return true;
}

static bool skip_token(struct cur *c)
{
	skip_spaces(c);
	if (c->p >= c->end)
		return false;
	while (c->p < c->end && *c->p != ' ')
		c->p++;
	return true;
}

/* "0100007F:0016": the address words as the kernel printed them (%08X of
 * each 32-bit word in memory order), then the port. */
static bool endpoint(struct cur *c, int family, uint8_t *addr, uint16_t *port)
{
	int words = family == AF_INET6 ? 4 : 1;
	unsigned long long v;

	skip_spaces(c);
	for (int i = 0; i < words; i++) {
		struct cur w = { c->p, c->p + 8 <= c->end ? c->p + 8 : c->end };
		if (w.end - w.p != 8 || !num(&w, 16, 8, 0, &v))
			return false;
		uint32_t u = (uint32_t)v;
		memcpy(addr + 4 * i, &u, 4);
		c->p += 8;
	}
	if (c->p >= c->end || *c->p != ':')
		return false;
	c->p++;
	if (!num(c, 16, 4, 0, &v))
		return false;
	*port = (uint16_t)v;
	return true;
}

static int parse_inet_line(enum sock_kind kind, int family, struct cur *c, long hz,
			   struct sock_rec *s)
{
	unsigned long long sl, st, tx, rx, tr, when, retr, uid, timeout, ino;

	if (!num(c, 10, 10, ':', &sl) || !endpoint(c, family, s->src, &s->sport) ||
	    !endpoint(c, family, s->dst, &s->dport) || !num(c, 16, 2, 0, &st) ||
	    !num(c, 16, 8, ':', &tx) || !num(c, 16, 8, 0, &rx) || !num(c, 16, 2, ':', &tr) ||
	    !num(c, 16, 16, 0, &when) || !num(c, 16, 8, 0, &retr) || !num(c, 10, 10, 0, &uid) ||
	    !num(c, 10, 10, 0, &timeout) || !num(c, 10, 20, 0, &ino))
		return -EBADMSG;
	if (st >= SS_STATE_MAX)
		return -EBADMSG;
	s->kind = (uint8_t)kind;
	s->family = (uint8_t)family;
	s->type = kind == SK_UDP ? SOCK_DGRAM : kind == SK_RAW ? SOCK_RAW : SOCK_STREAM;
	s->state = (uint8_t)st;
	s->wqueue = (uint32_t)tx;
	s->rqueue = (uint32_t)rx;
	s->timer = (uint8_t)(tr > 4 ? 0 : tr);
	/* tm->when is in clock ticks (USER_HZ), rounded up as ss does */
	s->expires_ms = s->timer ? (uint32_t)((when * 1000 + (unsigned long long)hz - 1) /
					      (unsigned long long)hz)
				 : 0;
	s->retrans = (uint8_t)(retr > 255 ? 255 : retr);
	s->uid = (uint32_t)uid;
	s->inode = ino;
	s->has = SKH_UID;
	return 0;
}

static int parse_unix_line(struct cur *c, struct sock_rec *s, char *path, size_t cap)
{
	static const uint8_t state_map[] = { SS_CLOSE, SS_SYN_SENT, SS_ESTABLISHED, SS_CLOSING };
	unsigned long long num_, ref, proto, flags, type, st, ino;

	if (!num(c, 16, 16, ':', &num_) || !num(c, 16, 8, 0, &ref) || !num(c, 16, 8, 0, &proto) ||
	    !num(c, 16, 8, 0, &flags) || !num(c, 16, 4, 0, &type) || !num(c, 16, 2, 0, &st) ||
	    !num(c, 10, 20, 0, &ino))
		return -EBADMSG;
	s->kind = SK_UNIX;
	s->family = AF_UNIX;
	s->type = (uint8_t)type;
	s->inode = ino;
	/* __SO_ACCEPTCON marks a listener; else socket_state 1..4 */
	if (flags & (1u << 16))
		s->state = SS_LISTEN;
	else if (st >= 1 && st <= 4)
		s->state = state_map[st - 1];
	else
		s->state = SS_CLOSE;
	if (c->p < c->end && *c->p == ' ') {
		/* the path is the rest of the line (it may hold spaces); the
		 * kernel already shows abstract names with '@' */
		size_t n = (size_t)(c->end - c->p - 1);
		if (n > 0) {
			if (n >= cap)
				n = cap - 1;
			memcpy(path, c->p + 1, n);
			path[n] = '\0';
			s->path = path;
			s->has |= SKH_PATH;
		}
	}
	return 0;
}

static int parse_packet_line(struct cur *c, struct sock_rec *s)
{
	unsigned long long ref, type, proto, ifindex, running, rmem, uid, ino;

	if (!skip_token(c) || !num(c, 10, 10, 0, &ref) || !num(c, 10, 4, 0, &type) ||
	    !num(c, 16, 4, 0, &proto) || !num(c, 10, 10, 0, &ifindex) || !num(c, 10, 1, 0, &running) ||
	    !num(c, 10, 10, 0, &rmem) || !num(c, 10, 10, 0, &uid) || !num(c, 10, 20, 0, &ino))
		return -EBADMSG;
	s->kind = SK_PACKET;
	s->family = AF_PACKET;
	s->type = (uint8_t)type;
	s->state = SS_CLOSE;
	s->protocol = (uint16_t)proto;
	s->ifindex = (uint32_t)ifindex;
	s->rqueue = (uint32_t)rmem;
	s->uid = (uint32_t)uid;
	s->inode = ino;
	s->has = SKH_UID;
	return 0;
}

int procnet_sock_parse(enum sock_kind kind, int family, const char *text, long clk_tck,
		       sock_cb cb, void *arg)
{
	const char *line = strchr(text, '\n'); /* the first line is the header */
	char *path;
	int ret = 0;

	if (!procnet_sock_path(kind, family))
		return -EINVAL;
	if (!(path = malloc(4096 + 2)))
		return -ENOMEM;
	if (clk_tck <= 0)
		clk_tck = 100;
	while (line && *++line) {
		const char *eol = strchr(line, '\n');
		struct cur c = { line, eol ? eol : line + strlen(line) };
		struct sock_rec s;
		int err;

		memset(&s, 0, sizeof(s));
		if (c.end == c.p) {
			line = eol;
			continue;
		}
		if (kind == SK_UNIX)
			err = parse_unix_line(&c, &s, path, 4096 + 2);
		else if (kind == SK_PACKET)
			err = parse_packet_line(&c, &s);
		else
			err = parse_inet_line(kind, family, &c, clk_tck, &s);
		if (err || (err = cb(&s, arg)) != 0) {
			ret = err;
			break;
		}
		line = eol;
	}
	free(path);
	return ret;
}

int procnet_sock_dump(struct host *h, enum sock_kind kind, int family, sock_cb cb, void *arg)
{
	const char *path = procnet_sock_path(kind, family);
	char *buf;
	size_t len;
	int err;

	if (!path)
		return -ENOENT;
	if ((err = host_read_file(h, path, &buf, &len)) != 0)
		return err;
	if (memchr(buf, '\0', len))
		err = -EBADMSG;
	else
		err = procnet_sock_parse(kind, family, buf, sysconf(_SC_CLK_TCK), cb, arg);
	free(buf);
	return err;
}
