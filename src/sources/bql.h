/* Byte queue limits per transmit queue, from
 * /sys/class/net/DEV/queues/tx-N/byte_queue_limits/ (through the host, so
 * snapshots record them).
 *
 * A device whose driver does not account its queues in bytes (loopback,
 * veth and other LLTX devices) has no byte_queue_limits directory: that is
 * -ENOENT, an answer, not a failure. Memory: struct bql_dev owns its array;
 * free with bql_free(). Functions return 0 or -errno and never print.
 */
#ifndef NETLENS_BQL_H
#define NETLENS_BQL_H

#include <stddef.h>
#include <stdint.h>

struct host;

enum { BQL_MAX_QUEUES = 4096 };

/* The files, in the kernel's names; -1 where a file is missing (the stall
 * files came with 6.9). limit, limit_min, limit_max, inflight in bytes;
 * hold_time, stall_thrs, stall_max in milliseconds; stall_cnt a count. */
enum bql_field { BQL_LIMIT, BQL_LIMIT_MIN, BQL_LIMIT_MAX, BQL_INFLIGHT, BQL_HOLD_TIME,
		 BQL_STALL_THRS, BQL_STALL_MAX, BQL_STALL_CNT, BQL_NFIELDS };
extern const char *const bql_field_names[BQL_NFIELDS];

struct bql_queue {
	unsigned queue; /* the N of tx-N */
	int64_t v[BQL_NFIELDS];
};

struct bql_dev {
	struct bql_queue *q;
	size_t n;
};

/* -ENOENT: no byte queue limits on this device (or not recorded); -ESTALE:
 * sysfs shows another namespace's device of that name; -EINVAL: a name
 * unfit for a path; -EBADMSG: a file that is not a number. */
int bql_read(struct host *h, const char *ifname, int ifindex, struct bql_dev *out);
void bql_free(struct bql_dev *d);

#endif
