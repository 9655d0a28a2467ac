/* DNS over TCP from the sender's side: the bytes of each TCP send on a DNS
 * port (dnssnoop's tcp_sendmsg_locked records) put back into messages.
 *
 * On TCP every DNS message follows its two-byte length (RFC 1035 4.2.2),
 * and a sender may write them in any pieces: the length and the message
 * apart (two send() calls), several messages at once (glibc's writev of
 * an A and an AAAA query), a message over two sends. A record holds the
 * first caplen bytes of a send of paylen bytes (the rest was not copied):
 * a message's bytes past the first gap are unknown, and a message whose
 * length falls in a gap cannot be followed (the stream is dropped until
 * its next send that starts a message).
 *
 * A stream is remembered while it sends (forgotten when idle for the
 * sweep's time, or the least recently active past 4,096), so that its
 * packets, which follow its sends, are known to be read already. */
#ifndef NETLENS_TRACERS_DNS_STREAM_H
#define NETLENS_TRACERS_DNS_STREAM_H

#include "bpf/dnssnoop.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dns_streams;

/* A whole message completed by record e: len bytes at msg (without the
 * length), fewer than the message's own length when part of it was not
 * copied. */
typedef void dns_stream_fn(void *arg, const struct dnssnoop_event *e, const uint8_t *msg,
			   size_t len);

/* NULL when out of memory. */
struct dns_streams *dns_streams_new(void);
void dns_streams_free(struct dns_streams *s);
/* One TCP send (e->proto 6, e->ifindex 0): calls fn for each message it
 * completes, in order. */
void dns_streams_feed(struct dns_streams *s, const struct dnssnoop_event *e, dns_stream_fn *fn,
		      void *arg);
/* True when the sends of flow t (source to destination) are followed: its
 * packets carry what they sent, read there. */
bool dns_streams_followed(struct dns_streams *s, const struct tr_tuple *t);
/* Forgets the streams idle since before now - idle_ns. */
void dns_streams_sweep(struct dns_streams *s, uint64_t now_ns, uint64_t idle_ns);
/* Streams remembered. */
size_t dns_streams_count(const struct dns_streams *s);

#endif
