/* Byte queue limits from sysfs. See bql.h. */
#include "sources/bql.h"
#include "sources/host.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const bql_field_names[BQL_NFIELDS] = {
	"limit", "limit_min", "limit_max", "inflight", "hold_time", "stall_thrs", "stall_max",
	"stall_cnt",
};

/* One number file: its value, or -errno. */
static int read_num(struct host *h, const char *path, int64_t *v)
{
	char *buf = NULL, *end;
	size_t len = 0;
	int err = host_read_file(h, path, &buf, &len);

	if (err)
		return err;
	errno = 0;
	unsigned long long x = strtoull(buf, &end, 10);
	if (end == buf || errno || x > INT64_MAX || (*end && *end != '\n') || buf[0] == '-')
		err = -EBADMSG;
	else
		*v = (int64_t)x;
	free(buf);
	return err;
}

int bql_read(struct host *h, const char *ifname, int ifindex, struct bql_dev *out)
{
	char path[192];
	int64_t idx;
	int err = 0;

	memset(out, 0, sizeof(*out));
	if (!*ifname || strchr(ifname, '/') || strcmp(ifname, ".") == 0 || strcmp(ifname, "..") == 0)
		return -EINVAL;
	snprintf(path, sizeof(path), "/sys/class/net/%s/ifindex", ifname);
	if (read_num(h, path, &idx) == 0 && idx != ifindex)
		return -ESTALE;
	for (unsigned q = 0; q < BQL_MAX_QUEUES; q++) {
		struct bql_queue rec = { .queue = q };
		for (int f = 0; f < BQL_NFIELDS; f++) {
			snprintf(path, sizeof(path), "/sys/class/net/%s/queues/tx-%u/byte_queue_limits/%s",
				 ifname, q, bql_field_names[f]);
			rec.v[f] = -1;
			err = read_num(h, path, &rec.v[f]);
			if (err == -ENOENT && f != BQL_LIMIT)
				err = 0; /* an older kernel's smaller set */
			if (err)
				break;
		}
		if (err == -ENOENT && q > 0) {
			err = 0; /* past the last queue */
			break;
		}
		if (err)
			break;
		struct bql_queue *nq = realloc(out->q, (out->n + 1) * sizeof(*nq));
		if (!nq) {
			err = -ENOMEM;
			break;
		}
		out->q = nq;
		out->q[out->n++] = rec;
	}
	if (err)
		bql_free(out);
	return err;
}

void bql_free(struct bql_dev *d)
{
	free(d->q);
	d->q = NULL;
	d->n = 0;
}
