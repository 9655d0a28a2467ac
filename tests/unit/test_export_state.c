/* The exporter's listeners collector on a recorded host: a snapshot's
 * sock_diag dumps hold every state and extension, so the collector reads
 * SK_MEMINFO_DROPS from a recording as it does live (the exporter serves
 * live hosts only, but its readers are the snapshot's). The fixture is
 * tests/fixtures/doctor/listener.nlsnap (record.sh): a listener on
 * 127.0.0.1:40404, backlog 4, 5 connections never accepted, nothing
 * dropped yet (`netlens ss -tlnm --from` shows d0). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "base/prom.h"
#include "base/strbuf.h"
#include "export/collect.h"
#include "sources/host.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* collect_listeners() on the fixture, at most max listeners one by one. */
static char *listeners(size_t max)
{
	const char *dir = getenv("NETLENS_FIXTURES");
	char path[512], err[256];
	struct host *h;
	struct strbuf sb = STRBUF_INIT;
	struct prom p = PROM_INIT(&sb, false);

	snprintf(path, sizeof(path), "%s/doctor/listener.nlsnap", dir ? dir : "tests/fixtures");
	if (host_open(path, &h, err, sizeof(err)) != 0)
		fail_msg("%s: %s", path, err);
	struct collect_ctx c = { .h = h, .max_listeners = max };
	if (collect_listeners(&c, &p, err, sizeof(err)) != 0)
		fail_msg("collect_listeners: %s", err);
	host_close(h);
	return sb.buf;
}

#define LBL "{protocol=\"tcp\",address=\"127.0.0.1\",port=\"40404\"}"

static void test_listen_drops_from_a_recording(void **state)
{
	(void)state;
	char *out = listeners(10);
	assert_non_null(strstr(out, "# TYPE netlens_listen_drops_total counter\n"));
	assert_non_null(strstr(out, "\nnetlens_listen_drops_total" LBL " 0\n"));
	assert_non_null(strstr(out, "\nnetlens_listen_queue_length" LBL " 5\n"));
	assert_non_null(strstr(out, "\nnetlens_listen_queue_limit" LBL " 4\n"));
	free(out);
}

static void test_omitted_listeners_have_no_drops_series(void **state)
{
	(void)state;
	char *out = listeners(0);
	assert_null(strstr(out, "\nnetlens_listen_drops_total{"));
	assert_non_null(strstr(out, "\nnetlens_listeners_omitted{protocol=\"tcp\"} 1\n"));
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_listen_drops_from_a_recording),
		cmocka_unit_test(test_omitted_listeners_have_no_drops_series),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
