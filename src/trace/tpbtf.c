/* tp_btf programs loaded with kernel type ids found by trace_btf_trim(); see
 * tpbtf.h. */
#include "trace/tpbtf.h"
#include "trace/btfmin.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/btf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEC_PREFIX   "tp_btf/"
#define TYPE_PREFIX  "btf_trace_"

static struct btf_id_query *queries;
static int nqueries;
static int handler_id; /* > 0 while registered */

static void free_queries(void)
{
	for (int i = 0; i < nqueries; i++)
		free((char *)queries[i].name);
	free(queries);
	queries = NULL;
	nqueries = 0;
}

struct btf_id_query *tpbtf_queries(const struct bpf_object *obj, int *n)
{
	struct bpf_program *p;

	free_queries();
	bpf_object__for_each_program(p, obj) {
		const char *sec = bpf_program__section_name(p), *tp;
		char name[256];
		bool seen = false;

		if (strncmp(sec, SEC_PREFIX, strlen(SEC_PREFIX)) != 0)
			continue;
		tp = sec + strlen(SEC_PREFIX);
		if (snprintf(name, sizeof(name), TYPE_PREFIX "%s", tp) >= (int)sizeof(name))
			continue;
		for (int i = 0; i < nqueries && !seen; i++)
			seen = strcmp(queries[i].name, name) == 0;
		if (seen)
			continue;
		struct btf_id_query *q = realloc(queries, sizeof(*q) * (size_t)(nqueries + 1));
		char *copy = strdup(name);
		if (!q || !copy)
			abort();
		queries = q;
		queries[nqueries++] = (struct btf_id_query){ .name = copy, .kind = BTF_KIND_TYPEDEF };
	}
	*n = nqueries;
	return nqueries ? queries : NULL;
}

static unsigned id_for(const struct bpf_program *p)
{
	const char *sec = bpf_program__section_name(p);
	char name[256];

	if (strncmp(sec, SEC_PREFIX, strlen(SEC_PREFIX)) != 0 ||
	    snprintf(name, sizeof(name), TYPE_PREFIX "%s", sec + strlen(SEC_PREFIX)) >=
		    (int)sizeof(name))
		return 0;
	for (int i = 0; i < nqueries; i++)
		if (strcmp(queries[i].name, name) == 0)
			return queries[i].id;
	return 0;
}

/* Called by libbpf just before the program goes to the kernel: from here on
 * it is what SEC("tp_btf/...") would have made it. */
static int prepare_load(struct bpf_program *prog, struct bpf_prog_load_opts *opts, long cookie)
{
	unsigned id = id_for(prog);
	int err;

	(void)cookie;
	if (!id)
		return -ESRCH; /* the kernel has no such tracepoint */
	err = bpf_program__set_type(prog, BPF_PROG_TYPE_TRACING);
	if (err)
		return err;
	opts->expected_attach_type = BPF_TRACE_RAW_TP;
	opts->attach_btf_id = id;
	opts->attach_btf_obj_fd = 0; /* vmlinux */
	return 0;
}

/* libbpf 1.1 shrinks its table of custom handlers with realloc() when one
 * is unregistered; shrinking the last away frees the table but keeps the
 * pointer, and the next registration frees it again (a double free: the
 * exporter loads several objects in one process). A handler for a section
 * no program uses stays registered for the life of the process, so the
 * table never shrinks to nothing. */
static void anchor_handler_table(void)
{
	LIBBPF_OPTS(libbpf_prog_handler_opts, ho);
	static int anchor;

	if (anchor <= 0)
		anchor = libbpf_register_prog_handler("netlens-unused-section", BPF_PROG_TYPE_SOCKET_FILTER,
						      0, &ho);
}

int tpbtf_enable(void)
{
	LIBBPF_OPTS(libbpf_prog_handler_opts, ho, .prog_prepare_load_fn = prepare_load);
	int id;

	if (handler_id > 0)
		return 0;
	anchor_handler_table();
	/* a raw tracepoint program to libbpf until prepare_load() runs */
	id = libbpf_register_prog_handler("tp_btf+", BPF_PROG_TYPE_RAW_TRACEPOINT,
					  BPF_TRACE_RAW_TP, &ho);
	if (id < 0)
		return id;
	handler_id = id;
	return 0;
}

void tpbtf_disable(void)
{
	if (handler_id > 0)
		libbpf_unregister_prog_handler(handler_id);
	handler_id = 0;
	free_queries();
}

struct bpf_link *tpbtf_attach(struct bpf_program *p)
{
	if (handler_id > 0 && bpf_program__type(p) == BPF_PROG_TYPE_TRACING &&
	    strncmp(bpf_program__section_name(p), SEC_PREFIX, strlen(SEC_PREFIX)) == 0)
		return bpf_program__attach_trace(p);
	return bpf_program__attach(p);
}
