/* What a file is, in words for an error line ("a FIFO", "a directory"), so
 * a refusal can say why a path was not used. */
#ifndef NETLENS_FILEKIND_H
#define NETLENS_FILEKIND_H

#include <stddef.h>
#include <sys/types.h>

/* st_mode's file type with its article: "a regular file", "a FIFO", ... */
const char *file_kind(mode_t mode);

/* A whole regular file of at most max bytes, NUL-terminated, into *buf
 * (malloc'ed; *len excludes the NUL). A FIFO, a device or a directory is
 * refused without waiting on it; so is a larger file. 0, or -errno with
 * one phrase in err ("No such file or directory", "it is a FIFO, not a
 * regular file", "larger than N bytes"). */
int file_read_small(const char *path, size_t max, char **buf, size_t *len, char *err,
		    size_t errlen);

#endif
