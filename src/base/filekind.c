#include "base/filekind.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *file_kind(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: return "a regular file";
	case S_IFDIR: return "a directory";
	case S_IFIFO: return "a FIFO";
	case S_IFSOCK: return "a socket";
	case S_IFCHR: return "a character device";
	case S_IFBLK: return "a block device";
	case S_IFLNK: return "a symbolic link";
	}
	return "a file of unknown type";
}

int file_read_small(const char *path, size_t max, char **buf, size_t *len, char *err,
		    size_t errlen)
{
	/* O_NONBLOCK: opening a FIFO must not wait for a writer */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY), e = 0;
	struct stat st;
	char *b = NULL;
	size_t n = 0;

	*buf = NULL;
	if (fd < 0) {
		e = errno;
		snprintf(err, errlen, "%s", strerror(e));
		return -e;
	}
	if (fstat(fd, &st) < 0) {
		e = errno;
		snprintf(err, errlen, "%s", strerror(e));
	} else if (!S_ISREG(st.st_mode)) {
		e = EINVAL;
		snprintf(err, errlen, "it is %s, not a regular file", file_kind(st.st_mode));
	} else if ((size_t)st.st_size > max) {
		e = EFBIG;
		snprintf(err, errlen, "larger than %zu bytes", max);
	} else if (!(b = malloc(max + 1))) {
		e = ENOMEM;
		snprintf(err, errlen, "%s", strerror(e));
	}
	while (!e && n <= max) {
		ssize_t r = read(fd, b + n, max + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			e = errno;
			snprintf(err, errlen, "%s", strerror(e));
		}
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	if (!e && n > max) {
		e = EFBIG;
		snprintf(err, errlen, "larger than %zu bytes", max);
	}
	close(fd);
	if (e) {
		free(b);
		return -e;
	}
	b[n] = '\0';
	*buf = b;
	*len = n;
	return 0;
}
