/* What a file is, in words for an error line ("a FIFO", "a directory"), so
 * a refusal can say why a path was not used. */
#ifndef NETLENS_FILEKIND_H
#define NETLENS_FILEKIND_H

#include <sys/types.h>

/* st_mode's file type with its article: "a regular file", "a FIFO", ... */
const char *file_kind(mode_t mode);

#endif
