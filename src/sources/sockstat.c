#include "sources/sockstat.h"
#include "sources/host.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sockstat_parse(struct sockstat *s, const char *text)
{
	char line[512];

	while (*text && s->n < SOCKSTAT_MAX) {
		size_t len = strcspn(text, "\n");
		size_t n = len < sizeof(line) - 1 ? len : sizeof(line) - 1;
		memcpy(line, text, n);
		line[n] = '\0';
		text += len + (text[len] == '\n');

		char *colon = strchr(line, ':');
		if (!colon || colon - line >= 16)
			continue;
		*colon = '\0';
		char *save = NULL, *key = strtok_r(colon + 1, " \t", &save);
		while (key && s->n < SOCKSTAT_MAX) {
			char *val = strtok_r(NULL, " \t", &save), *end;
			if (!val)
				break;
			long long v = strtoll(val, &end, 10);
			if (*end == '\0' && strlen(key) < 16) {
				memcpy(s->e[s->n].proto, line, strlen(line) + 1);
				memcpy(s->e[s->n].key, key, strlen(key) + 1);
				s->e[s->n].value = v;
				s->n++;
			}
			key = strtok_r(NULL, " \t", &save);
		}
	}
}

int sockstat_read(struct sockstat *s, struct host *h, const char *path)
{
	char *buf;
	size_t len;
	int err = host_read_file(h, path, &buf, &len);

	if (err)
		return err;
	sockstat_parse(s, buf);
	free(buf);
	return 0;
}

long long sockstat_get(const struct sockstat *s, const char *proto, const char *key)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->e[i].proto, proto) == 0 && strcmp(s->e[i].key, key) == 0)
			return s->e[i].value;
	return -1;
}

/* /proc/net/snmp holds pairs of lines: "Tcp: Name Name ..." then
 * "Tcp: value value ...". */
long long sockstat_snmp_parse(const char *text, const char *proto, const char *name)
{
	size_t plen = strlen(proto), nlen = strlen(name);
	const char *line = text;

	while (*line) {
		const char *eol = strchr(line, '\n');
		const char *next = eol ? eol + 1 : line + strlen(line);
		if (strncmp(line, proto, plen) == 0 && line[plen] == ':' && *next &&
		    strncmp(next, proto, plen) == 0 && next[plen] == ':') {
			const char *n = line + plen + 1, *v = next + plen + 1;
			/* walk names and values together */
			for (;;) {
				while (*n == ' ')
					n++;
				while (*v == ' ')
					v++;
				if (*n == '\n' || !*n || *v == '\n' || !*v)
					break;
				size_t wl = strcspn(n, " \n");
				if (wl == nlen && strncmp(n, name, nlen) == 0) {
					char *end;
					long long val = strtoll(v, &end, 10);
					return end != v ? val : -1;
				}
				n += wl;
				v += strcspn(v, " \n");
			}
			return -1;
		}
		line = next;
	}
	return -1;
}

long long sockstat_snmp_get(struct host *h, const char *proto, const char *name)
{
	char *buf;
	size_t len;
	long long v;

	if (host_read_file(h, "/proc/net/snmp", &buf, &len))
		return -1;
	v = sockstat_snmp_parse(buf, proto, name);
	free(buf);
	return v;
}
