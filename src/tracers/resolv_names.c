/* EAI_* and h_errno names (tracers/resolv_names.h). The values are the
 * C libraries' ABI, written out here so the names do not depend on the
 * headers netlens is built with. */
#include "tracers/resolv_names.h"

#include <stddef.h>

struct code_name {
	int v;
	const char *name;
};

static const struct code_name eai[] = {
	{ -1, "EAI_BADFLAGS" },    { -2, "EAI_NONAME" },      { -3, "EAI_AGAIN" },
	{ -4, "EAI_FAIL" },        { -5, "EAI_NODATA" },      { -6, "EAI_FAMILY" },
	{ -7, "EAI_SOCKTYPE" },    { -8, "EAI_SERVICE" },     { -9, "EAI_ADDRFAMILY" },
	{ -10, "EAI_MEMORY" },     { -11, "EAI_SYSTEM" },     { -12, "EAI_OVERFLOW" },
	/* glibc's getaddrinfo_a() and IDN codes */
	{ -100, "EAI_INPROGRESS" }, { -101, "EAI_CANCELED" }, { -102, "EAI_NOTCANCELED" },
	{ -103, "EAI_ALLDONE" },   { -104, "EAI_INTR" },      { -105, "EAI_IDN_ENCODE" },
};

static const struct code_name herr[] = {
	{ -1, "NETDB_INTERNAL" }, { 1, "HOST_NOT_FOUND" }, { 2, "TRY_AGAIN" },
	{ 3, "NO_RECOVERY" },     { 4, "NO_DATA" },
};

static const char *lookup(const struct code_name *t, size_t n, int v)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].v == v)
			return t[i].name;
	return NULL;
}

const char *resolv_eai_name(int v)
{
	return lookup(eai, sizeof(eai) / sizeof(eai[0]), v);
}

const char *resolv_herr_name(int v)
{
	return lookup(herr, sizeof(herr) / sizeof(herr[0]), v);
}
