/* The Prometheus writer (base/prom.c): text 0.0.4 and OpenMetrics framing,
 * escaping, values, snake case; and the exporter's web configuration
 * (export/webconfig.c): what it refuses, and bcrypt checks with the cache. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "base/prom.h"
#include "base/strbuf.h"
#include "export/webconfig.h"

#include <crypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *write_both(bool om)
{
	struct strbuf sb = STRBUF_INIT;
	struct prom p = PROM_INIT(&sb, om);

	prom_family(&p, "x_drops_total", PROM_COUNTER, "Drops: a \\ and a\nnewline.");
	prom_sample(&p, 3, "dev", "eth\"0", NULL);
	prom_sample(&p, 1e20, NULL);
	prom_family(&p, "x_queue", PROM_GAUGE, "Queue.");
	prom_sample(&p, 0.5, "a", "1", "b", "2", NULL);
	prom_end(&p);
	return sb.buf;
}

static void test_text_and_openmetrics(void **state)
{
	(void)state;
	char *t = write_both(false), *o = write_both(true);
	assert_string_equal(t, "# HELP x_drops_total Drops: a \\\\ and a\\nnewline.\n"
			       "# TYPE x_drops_total counter\n"
			       "x_drops_total{dev=\"eth\\\"0\"} 3\n"
			       "x_drops_total 1e+20\n"
			       "# HELP x_queue Queue.\n# TYPE x_queue gauge\n"
			       "x_queue{a=\"1\",b=\"2\"} 0.5\n");
	/* OpenMetrics: the counter family without _total, its samples with it; # EOF */
	assert_string_equal(o, "# HELP x_drops Drops: a \\\\ and a\\nnewline.\n"
			       "# TYPE x_drops counter\n"
			       "x_drops_total{dev=\"eth\\\"0\"} 3\n"
			       "x_drops_total 1e+20\n"
			       "# HELP x_queue Queue.\n# TYPE x_queue gauge\n"
			       "x_queue{a=\"1\",b=\"2\"} 0.5\n# EOF\n");
	free(t);
	free(o);
}

/* log2 slots of microseconds as a histogram of seconds: cumulative
 * buckets at 2^(i+1) us, +Inf last, _count the slots' sum; labels escaped,
 * le after them; none at all without labels. */
static void test_histogram_log2(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct prom p = PROM_INIT(&sb, false);
	const uint64_t slots[4] = { 1, 0, 2, 3 };
	const char *labels[] = { "dev", "a\"b", NULL };

	(void)state;
	prom_family(&p, "x_seconds", PROM_HISTOGRAM, "Time.");
	prom_histogram_log2(&p, slots, 4, 1e-6, 0.25, labels);
	prom_histogram_log2(&p, slots, 2, 1e-6, 0, NULL);
	assert_string_equal(sb.buf, "# HELP x_seconds Time.\n"
				    "# TYPE x_seconds histogram\n"
				    "x_seconds_bucket{dev=\"a\\\"b\",le=\"2e-06\"} 1\n"
				    "x_seconds_bucket{dev=\"a\\\"b\",le=\"4e-06\"} 1\n"
				    "x_seconds_bucket{dev=\"a\\\"b\",le=\"8e-06\"} 3\n"
				    "x_seconds_bucket{dev=\"a\\\"b\",le=\"+Inf\"} 6\n"
				    "x_seconds_sum{dev=\"a\\\"b\"} 0.25\n"
				    "x_seconds_count{dev=\"a\\\"b\"} 6\n"
				    "x_seconds_bucket{le=\"2e-06\"} 1\n"
				    "x_seconds_bucket{le=\"+Inf\"} 1\n"
				    "x_seconds_sum 0\n"
				    "x_seconds_count 1\n");
	sb_free(&sb);
}

static void test_snake_case(void **state)
{
	static const struct { const char *in, *want; } v[] = {
		{ "TcpExtListenOverflows", "tcp_ext_listen_overflows" },
		{ "TcpExtTCPLossProbes", "tcp_ext_tcp_loss_probes" },
		{ "Ip6InOctets", "ip6_in_octets" },
		{ "Icmp6InMLDv2Reports", "icmp6_in_mldv2_reports" },
		{ "IcmpMsgInType3", "icmp_msg_in_type3" },
		{ "MPTcpExtMPJoinAckHMacFailure", "mp_tcp_ext_mp_join_ack_hmac_failure" },
		{ "UdpNoPorts", "udp_no_ports" },
		{ "", "" },
	};
	char out[128], tiny[6];
	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		prom_snake_case(v[i].in, out, sizeof(out));
		assert_string_equal(out, v[i].want);
	}
	prom_snake_case("TcpExtListenOverflows", tiny, sizeof(tiny));
	assert_true(strlen(tiny) < sizeof(tiny));
}

static char dir[] = "/tmp/nlt-prom-XXXXXX";

static const char *write_file(const char *name, const char *text)
{
	static char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

static void refused(const char *text, const char *want)
{
	struct web_config c;
	char err[512];

	assert_int_equal(web_config_load(write_file("web.yml", text), &c, err, sizeof(err)), -1);
	if (!strstr(err, want))
		fail_msg("'%s' not in '%s'", want, err);
	assert_non_null(strstr(err, "web.yml: "));
	assert_null(c.users);
}

static void test_web_config_refusals(void **state)
{
	(void)state;
	refused("", "empty");
	refused("- a\n- b\n", "not a mapping");
	refused("tls_server_confg:\n  cert_file: a\n", "tls_server_confg is not supported");
	/* not a config (a shadow file parses as YAML): never quoted back */
	refused("root:*:20228:0:99999:7::\n", "the key on line 1 is not supported");
	refused("basic_auth_users:\n  u: secret\n", "basic_auth_users.u: not a bcrypt hash");
	refused("basic_auth_users: [a, b]\n", "expected a mapping");
	refused("tls_server_config:\n  key_file: k\n", "needs both cert_file and key_file");
	refused("tls_server_config:\n  cert_file: a\n  key_file: b\n  client_ca_file: c\n",
		"tls_server_config: client_ca_file is not supported");
	refused("tls_server_config:\n  cert_file: nosuch.crt\n  key_file: b\n",
		"tls_server_config.cert_file: No such file");
	write_file("notpem.crt", "hello\n");
	refused("tls_server_config:\n  cert_file: notpem.crt\n  key_file: notpem.crt\n",
		"notpem.crt is not a PEM file");
	refused("a: [\n", "line ");
}

static void test_web_config_not_a_file(void **state)
{
	struct web_config c;
	char path[300], err[512];
	(void)state;

	/* a FIFO is refused at once, never waited on */
	snprintf(path, sizeof(path), "%s/fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(web_config_load(path, &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "it is a FIFO, not a regular file"));
	assert_int_equal(web_config_load(dir, &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "it is a directory"));
	snprintf(path, sizeof(path), "tls_server_config:\n  cert_file: fifo\n  key_file: fifo\n");
	refused(path, "tls_server_config.cert_file: it is a FIFO");
}

static void test_web_config_auth(void **state)
{
	struct web_config c;
	char yml[512], err[256], setting[CRYPT_GENSALT_OUTPUT_SIZE];
	const char *hash;
	(void)state;

	assert_non_null(crypt_gensalt_rn("$2b$", 4, NULL, 0, setting, sizeof(setting)));
	hash = crypt("s3cret", setting);
	assert_non_null(hash);
	snprintf(yml, sizeof(yml), "basic_auth_users:\n  prom: '%s'\n", hash);
	assert_int_equal(web_config_load(write_file("web.yml", yml), &c, err, sizeof(err)), 0);
	assert_int_equal(c.nusers, 1);
	assert_false(web_config_auth(&c, NULL, NULL));
	assert_false(web_config_auth(&c, "prom", "wrong"));
	assert_false(web_config_auth(&c, "other", "s3cret"));
	assert_int_equal(c.ok_used, 0);
	assert_true(web_config_auth(&c, "prom", "s3cret"));
	assert_int_equal(c.ok_used, 1);
	assert_true(web_config_auth(&c, "prom", "s3cret")); /* from the cache */
	assert_int_equal(c.ok_used, 1);
	assert_false(web_config_auth(&c, "prom", "s3cre"));
	web_config_free(&c);
	/* no users: everyone */
	assert_int_equal(web_config_load(write_file("web.yml", "basic_auth_users: {}\n"), &c, err,
					  sizeof(err)), 0);
	assert_true(web_config_auth(&c, NULL, NULL));
	web_config_free(&c);
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[300];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_and_openmetrics),
		cmocka_unit_test(test_snake_case),
		cmocka_unit_test(test_histogram_log2),
		cmocka_unit_test(test_web_config_refusals),
		cmocka_unit_test(test_web_config_auth),
		cmocka_unit_test(test_web_config_not_a_file),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
