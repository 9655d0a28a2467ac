/* Reading net.* settings through the host; see sysctl.h. */
#include "sources/sysctl.h"
#include "sources/host.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sysctl_path(const char *name, char *path, size_t size)
{
	static const char root[] = "/proc/sys/";
	size_t n = strlen(name);

	if (n == 0 || sizeof(root) + n > size || strstr(name, "..") || name[0] == '.' ||
	    name[0] == '/')
		return -EINVAL;
	memcpy(path, root, sizeof(root) - 1);
	for (size_t i = 0; i <= n; i++) {
		char c = name[i];
		path[sizeof(root) - 1 + i] = c == '.' ? '/' : c == '/' ? '.' : c;
	}
	/* a '/' in the name became '.', so no component can be ".." now */
	if (strstr(path, "/../") || strstr(path, "/./"))
		return -EINVAL;
	return 0;
}

int sysctl_read(struct host *h, const char *name, char *val, size_t size)
{
	char path[512], *buf;
	size_t len;
	int err = sysctl_path(name, path, sizeof(path));

	if (err)
		return err;
	err = host_read_file(h, path, &buf, &len);
	if (err)
		return err;
	sysctl_normalize(buf, len, val, size);
	free(buf);
	return 0;
}

void sysctl_normalize(const char *raw, size_t len, char *val, size_t size)
{
	size_t o = 0;
	bool space = false;

	for (size_t i = 0; i < len && o + 1 < size; i++) {
		char c = raw[i];
		if (c == ' ' || c == '\t' || c == '\n') {
			space = o > 0;
			continue;
		}
		if (space && o + 2 < size)
			val[o++] = ' ';
		space = false;
		val[o++] = c;
	}
	if (size)
		val[o] = '\0';
}

int sysctl_read_u64s(struct host *h, const char *name, uint64_t *v, size_t max, size_t *n)
{
	char val[256];
	int err = sysctl_read(h, name, val, sizeof(val));

	*n = 0;
	return err ? err : sysctl_parse_u64s(val, v, max, n);
}

int sysctl_parse_u64s(const char *val, uint64_t *v, size_t max, size_t *n)
{
	const char *p = val;
	char *end;

	*n = 0;
	while (*p && *n < max) {
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		if (*p == '-')
			return -EBADMSG;
		errno = 0;
		unsigned long long x = strtoull(p, &end, 10);
		if (end == p || errno || (*end && *end != ' '))
			return -EBADMSG;
		v[(*n)++] = x;
		p = end;
	}
	return *n ? 0 : -EBADMSG;
}

int sysctl_interfaces(struct host *h, char (*names)[SYSCTL_IFNAME], size_t max, size_t *n)
{
	char *buf, *line, *save = NULL;
	size_t len;
	int err = host_read_file(h, "/proc/net/dev", &buf, &len);

	*n = 0;
	if (err)
		return err;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *colon = strchr(line, ':');
		if (!colon || strchr(line, '|'))
			continue; /* the two header lines */
		while (*line == ' ')
			line++;
		size_t l = (size_t)(colon - line);
		if (l == 0 || l >= SYSCTL_IFNAME || memchr(line, '/', l) || *n >= max)
			continue;
		memcpy(names[*n], line, l);
		names[*n][l] = '\0';
		(*n)++;
	}
	free(buf);
	return 0;
}

static int conf_name(char *out, size_t size, const char *dev, const char *key)
{
	char d[SYSCTL_IFNAME];
	size_t i;

	/* a '.' in an interface name is written '/' in dotted notation */
	for (i = 0; dev[i] && i + 1 < sizeof(d); i++)
		d[i] = dev[i] == '.' ? '/' : dev[i];
	d[i] = '\0';
	return snprintf(out, size, "net.ipv4.conf.%s.%s", d, key) >= (int)size ? -ENAMETOOLONG : 0;
}

int sysctl_each(struct host *h, int (*fn)(const char *name, const struct sysctl_def *d, void *arg),
		void *arg)
{
	char (*ifs)[SYSCTL_IFNAME] = NULL;
	size_t nifs = 0;
	char name[128];
	int ret = 0;

	for (const struct sysctl_def *d = sysctl_defs; d->name && !ret; d++) {
		if (!(d->flags & SYSCTL_CONF)) {
			ret = fn(d->name, d, arg);
			continue;
		}
		const char *key = strrchr(d->name, '.') + 1;
		if ((d->flags & SYSCTL_PER_IF) && !ifs) {
			ifs = calloc(SYSCTL_MAX_IFS, sizeof(*ifs));
			if (!ifs)
				return -ENOMEM;
			if (sysctl_interfaces(h, ifs, SYSCTL_MAX_IFS, &nifs) < 0)
				nifs = 0;
		}
		const char *fixed[] = { "all", "default" };
		for (size_t i = 0; i < 2 && !ret; i++)
			if (!(ret = conf_name(name, sizeof(name), fixed[i], key)))
				ret = fn(name, d, arg);
		for (size_t i = 0; (d->flags & SYSCTL_PER_IF) && i < nifs && !ret; i++)
			if (!(ret = conf_name(name, sizeof(name), ifs[i], key)))
				ret = fn(name, d, arg);
	}
	free(ifs);
	return ret;
}

long long sysctl_read_ll(struct host *h, const char *name)
{
	char buf[64];

	if (sysctl_read(h, name, buf, sizeof(buf)) < 0)
		return -1;
	return sysctl_parse_ll(buf);
}

long long sysctl_parse_ll(const char *val)
{
	char *end;
	long long v = strtoll(val, &end, 10);

	return end == val ? -1 : v;
}
