/* Names of the resolver's result codes, for the name-resolution tracers:
 * getaddrinfo()'s EAI_* values and gethostbyname()'s h_errno values (the
 * same numbers in glibc's and musl's <netdb.h>; glibc has more EAI_*). */
#ifndef NETLENS_TRACERS_RESOLV_NAMES_H
#define NETLENS_TRACERS_RESOLV_NAMES_H

/* "EAI_NONAME" for -2 ..., NULL for a value neither library defines. */
const char *resolv_eai_name(int v);
/* "HOST_NOT_FOUND" for 1 ..., "NETDB_INTERNAL" for -1, NULL otherwise. */
const char *resolv_herr_name(int v);

#endif
