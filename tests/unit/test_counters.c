/* Counter parsers on files recorded from a live kernel (tests/fixtures/
 * counters, with a hand-made sctp/snmp) against what iproute2's nstat printed
 * for the same files (nstat-az.expected, made with PROC_NET_SNMP=... nstat
 * -azs); malformed input; the history file format and its safety checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "sources/counters.h"
#include "sources/host.h"
#include "sources/nstat_hist.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *fixtures(void)
{
	const char *d = getenv("NETLENS_FIXTURES");
	return d ? d : "tests/fixtures";
}

/* A fake /proc: a temporary directory whose proc/net holds the fixtures. */
static char root[64];

static void copy(const char *from, const char *to)
{
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "cp '%s/counters/%s' '%s/proc/net/%s'", fixtures(), from, root, to);
	assert_int_equal(system(cmd), 0);
}

static int setup_root(void **state)
{
	char cmd[256];
	(void)state;
	strcpy(root, "/tmp/netlens-ut-XXXXXX");
	assert_non_null(mkdtemp(root));
	snprintf(cmd, sizeof(cmd), "mkdir -p %s/proc/net/sctp", root);
	assert_int_equal(system(cmd), 0);
	copy("snmp", "snmp");
	copy("netstat", "netstat");
	copy("snmp6", "snmp6");
	copy("sctp_snmp", "sctp/snmp");
	return 0;
}

static int teardown_root(void **state)
{
	char cmd[256];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	return system(cmd);
}

static void test_matches_iproute2(void **state)
{
	struct counter_set s;
	char path[512], name[128];
	unsigned long long v;
	size_t i = 0;
	(void)state;

	counters_init(&s);
	struct host *h = host_live(root);
	assert_int_equal(counters_read(h, &s, NULL), 0);
	snprintf(path, sizeof(path), "%s/counters/nstat-az.expected", fixtures());
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	while (fscanf(f, "%127s %llu", name, &v) == 2) {
		assert_true(i < s.n);
		assert_string_equal(s.v[i].name, name);
		assert_true(s.v[i].value == v);
		i++;
	}
	fclose(f);
	assert_int_equal(i, s.n); /* same names, same order, nothing extra */
	assert_non_null(counters_find(&s, "TcpExtListenOverflows"));
	assert_non_null(counters_find(&s, "SctpCurrEstab"));
	assert_null(counters_find(&s, "TcpCurrEstab")); /* a constant nstat leaves out */
	assert_null(counters_find(&s, "TcpMaxConn"));
	host_close(h);
	counters_free(&s);
}

static void test_optional_files(void **state)
{
	struct counter_set s;
	char p[128];
	(void)state;

	snprintf(p, sizeof(p), "%s/proc/net/sctp/snmp", root);
	rename(p, "/tmp/netlens-ut-sctp");
	counters_init(&s);
	struct host *h = host_live(root);
	assert_int_equal(counters_read(h, &s, NULL), 0);
	assert_null(counters_find(&s, "SctpCurrEstab"));
	assert_non_null(counters_find(&s, "IpInReceives"));
	rename("/tmp/netlens-ut-sctp", p);
	/* snmp is required */
	snprintf(p, sizeof(p), "%s/proc/net/snmp", root);
	rename(p, "/tmp/netlens-ut-snmp");
	counters_clear(&s);
	const char *file = NULL;
	assert_int_equal(counters_read(h, &s, &file), -ENOENT);
	assert_string_equal(file, "/proc/net/snmp");
	rename("/tmp/netlens-ut-snmp", p);
	host_close(h);
	counters_free(&s);
}

static void test_table_shapes(void **state)
{
	struct counter_set s;
	(void)state;
	counters_init(&s);

	/* well formed; more values than names pairs left to right */
	const char ok[] = "Tcp: A B\nTcp: 1 2 3\nUdp: X\nUdp: 18446744073709551615\n";
	assert_int_equal(counters_parse_table(&s, ok, strlen(ok)), 0);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.v[1].name, "TcpB");
	assert_true(s.v[1].value == 2);
	assert_true(s.v[2].value == UINT64_MAX);
	/* negative wraps as nstat's %llu; overflow and junk are malformed */
	counters_clear(&s);
	const char neg[] = "Ip: Q\nIp: -1\n";
	assert_int_equal(counters_parse_table(&s, neg, strlen(neg)), 0);
	assert_true(s.v[0].value == UINT64_MAX);
	const char *bad[] = {
		"Tcp: A B\nTcp: 1\n",                 /* fewer values */
		"Tcp: A\nUdp: 1\n",                   /* prefix mismatch */
		"Tcp: A\n",                           /* no value line */
		"Tcp: A\nTcp: 18446744073709551616\n", /* overflow */
		"Tcp: A\nTcp: 1x\n",                  /* junk */
		"nocolon A\nnocolon 1\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		counters_clear(&s);
		assert_int_equal(counters_parse_table(&s, bad[i], strlen(bad[i])), -EBADMSG);
	}
	/* not NUL-terminated: stops at len */
	counters_clear(&s);
	assert_int_equal(counters_parse_table(&s, "Tcp: A\nTcp: 12", 13), 0);
	assert_true(s.v[0].value == 1);
	/* pairs */
	counters_clear(&s);
	const char pairs[] = "Ip6InReceives 5\n\nIcmp6InMsgs\t7\nbroken\nx 1 2\n";
	assert_int_equal(counters_parse_pairs(&s, pairs, strlen(pairs)), -EBADMSG);
	assert_int_equal(s.n, 2);
	assert_true(counters_find(&s, "Icmp6InMsgs")->value == 7);
	/* names too long are refused */
	char longname[200];
	memset(longname, 'A', sizeof(longname));
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(counters_add(&s, "", longname, 1), -ENAMETOOLONG);
	counters_free(&s);
}

static const struct nstat_hist_id id1 = { "boot-1", 4, 4026531833ULL };

static void test_history_round_trip(void **state)
{
	struct counter_set cur;
	struct nstat_hist h;
	char path[] = "/tmp/netlens-ut-hist-XXXXXX";
	int fd;
	(void)state;

	int tmp = mkstemp(path);
	assert_true(tmp >= 0);
	close(tmp);
	unlink(path);
	/* created 0600 when missing */
	assert_int_equal(nstat_hist_open(path, true, &fd, NULL), 0);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(nstat_hist_load(fd, &id1, &h), 0);
	assert_false(h.found);
	counters_init(&cur);
	counters_add(&cur, "", "TcpInSegs", 10);
	counters_add(&cur, "", "UdpInDatagrams", 3);
	assert_int_equal(nstat_hist_save(fd, &id1, &h, &cur), 0);
	nstat_hist_free(&h);
	close(fd);

	/* another namespace gets its own section; ours is kept */
	struct nstat_hist_id id2 = id1;
	id2.ns_ino++;
	assert_int_equal(nstat_hist_open(path, true, &fd, NULL), 0);
	assert_int_equal(nstat_hist_load(fd, &id2, &h), 0);
	assert_false(h.found);
	assert_int_equal(h.nother, 1);
	counters_clear(&cur);
	counters_add(&cur, "", "TcpInSegs", 99);
	assert_int_equal(nstat_hist_save(fd, &id2, &h, &cur), 0);
	nstat_hist_free(&h);
	close(fd);

	assert_int_equal(nstat_hist_open(path, false, &fd, NULL), 0);
	assert_int_equal(nstat_hist_load(fd, &id1, &h), 0);
	assert_true(h.found);
	assert_true(counters_find(&h.prev, "TcpInSegs")->value == 10);
	assert_true(counters_find(&h.prev, "UdpInDatagrams")->value == 3);
	nstat_hist_free(&h);
	/* another boot: ignored */
	struct nstat_hist_id other = id1;
	strcpy(other.boot_id, "boot-2");
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(nstat_hist_load(fd, &other, &h), 0);
	assert_true(h.other_boot);
	assert_false(h.found);
	nstat_hist_free(&h);
	close(fd);
	unlink(path);
	counters_free(&cur);
}

static void test_history_refusals(void **state)
{
	char path[] = "/tmp/netlens-ut-hist-XXXXXX", lnk[64];
	const char *why = NULL;
	int fd;
	(void)state;

	int tmp = mkstemp(path);
	assert_true(tmp >= 0);
	close(tmp);
	snprintf(lnk, sizeof(lnk), "%s.lnk", path);
	assert_int_equal(symlink(path, lnk), 0);
	assert_int_equal(nstat_hist_open(lnk, true, &fd, &why), -ELOOP);
	assert_string_equal(why, "is a symbolic link");
	unlink(lnk);
	chmod(path, 0666);
	assert_int_equal(nstat_hist_open(path, true, &fd, &why), -EACCES);
	chmod(path, 0600);
	assert_int_equal(link(path, lnk), 0);
	assert_int_equal(nstat_hist_open(path, true, &fd, &why), -EMLINK);
	unlink(lnk);
	if (geteuid() == 0) {
		assert_int_equal(chown(path, 65534, 65534), 0);
		assert_int_equal(nstat_hist_open(path, true, &fd, &why), -EPERM);
		assert_string_equal(why, "is owned by another user");
	}
	unlink(path);
	assert_int_equal(nstat_hist_open(path, false, &fd, &why), -ENOENT);
	assert_int_equal(nstat_hist_open("/tmp", true, &fd, &why), -EISDIR);
}

static void test_history_corrupt(void **state)
{
	struct nstat_hist h;
	const char *texts[] = {
		"garbage\n",
		"netlens-nstat-history 1\n",
		"netlens-nstat-history 1\nboot boot-1\nns 4 4026531833 1\nTcpInSegs 1\n", /* no end */
		"netlens-nstat-history 1\nboot boot-1\nns 4 4026531833 1\nTcpInSegs x\nend\n",
		"netlens-nstat-history 1\nboot boot-1\nbogus\n",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		nstat_hist_parse(strdup(texts[i]), strlen(texts[i]), &id1, &h);
		assert_true(h.corrupt);
		assert_false(h.found);
		nstat_hist_free(&h);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_matches_iproute2),
		cmocka_unit_test(test_optional_files),
		cmocka_unit_test(test_table_shapes),
		cmocka_unit_test(test_history_round_trip),
		cmocka_unit_test(test_history_refusals),
		cmocka_unit_test(test_history_corrupt),
	};
	return cmocka_run_group_tests(tests, setup_root, teardown_root);
}
