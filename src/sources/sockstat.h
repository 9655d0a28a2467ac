/* /proc/net/sockstat and sockstat6: "PROTO: key value key value ...".
 * Parsed into a flat list so callers ask by name; unknown lines are kept,
 * missing ones read as -1. */
#ifndef NETLENS_SOCKSTAT_H
#define NETLENS_SOCKSTAT_H

#include <stddef.h>

enum { SOCKSTAT_MAX = 64 };

struct sockstat {
	size_t n;
	struct {
		char proto[16];
		char key[16];
		long long value;
	} e[SOCKSTAT_MAX];
};

struct host;

/* Appends the entries of one file, read from host h; returns 0 or -errno. */
int sockstat_read(struct sockstat *s, struct host *h, const char *path);
/* Parses text in the file's format (exposed for tests). */
void sockstat_parse(struct sockstat *s, const char *text);
long long sockstat_get(const struct sockstat *s, const char *proto, const char *key);

/* One counter of /proc/net/snmp ("Tcp", "CurrEstab"), read from host h:
 * its value, or -1 when the file or the counter is missing. */
long long sockstat_snmp_get(struct host *h, const char *proto, const char *name);
/* The same over text in the file's format (exposed for tests). */
long long sockstat_snmp_parse(const char *text, const char *proto, const char *name);

#endif
