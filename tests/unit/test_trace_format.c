/* Tracer formatting (trace/format.c): TCP flags and states, and the owner
 * and tuple cells that event rows and summaries share, including columns
 * hidden by a NULL title and key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "trace/format.h"
#include "capture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void test_tcp_flags(void **state)
{
	(void)state;
	char b[40];

	assert_string_equal(trace_tcp_flags_str(b, 0), "-");
	assert_string_equal(trace_tcp_flags_str(b, 0x12), "SYN|ACK");
	assert_string_equal(trace_tcp_flags_str(b, 0x04), "RST");
	assert_string_equal(trace_tcp_flags_str(b, 0xff), "FIN|SYN|RST|PSH|ACK|URG|ECE|CWR");
	assert_true(strlen(b) < sizeof(b));
	assert_string_equal(trace_tcp_flags_str(b, 0x101), "FIN"); /* bits past CWR ignored */
}

static void test_tcp_states(void **state)
{
	(void)state;
	assert_string_equal(tcp_state_name(1), "ESTABLISHED");
	assert_string_equal(tcp_state_name(10), "LISTEN");
	assert_string_equal(tcp_state_name(12), "NEW_SYN_RECV");
	assert_string_equal(tcp_state_name(0), "UNKNOWN");
	assert_string_equal(tcp_state_name(-1), "UNKNOWN");
	assert_string_equal(tcp_state_name(99), "UNKNOWN");
}

static bool owners;

/* An owner column pair hidden or shown by its declaration alone; the cells
 * are written either way. */
static void rows(void)
{
	const struct out_col cols[] = {
		{ owners ? "PID" : NULL, owners ? "pid" : NULL, OUT_RIGHT, 3 },
		{ owners ? "COMM" : NULL, owners ? "comm" : NULL, 0, 4 },
		{ "LADDR", "laddr", 0, 9 },
		{ "LPORT", "lport", OUT_RIGHT, 5 },
		{ "RADDR", "raddr", 0, 3 },
		{ "RPORT", "rport", OUT_RIGHT, 5 },
	};
	struct tr_tuple tu = { .saddr = { 10, 0, 0, 1 }, .daddr = { 0 }, .sport = 80,
			       .dport = 40000, .family = AF_INET };
	char comm[TR_COMM_LEN] = "curl";
	struct table *t = out_table_begin(cols, 6);

	out_row_begin(t);
	trace_cells_task(t, 0, 42, comm);
	trace_cells_tuple(t, 2, &tu);
	out_row_end(t);
	tu.family = AF_INET6;
	memset(tu.saddr, 0, 16);
	tu.saddr[15] = 1;
	memset(comm, 0, sizeof(comm));
	out_row_begin(t);
	trace_cells_task(t, 0, 0, comm);
	trace_cells_tuple(t, 2, &tu);
	out_row_end(t);
	out_table_end(t);
}

static void test_cells_text(void **state)
{
	(void)state;
	char *s;

	out_set_format(OUT_TEXT);
	owners = true;
	s = capture(rows);
	assert_string_equal(s, "PID COMM LADDR     LPORT RADDR   RPORT\n"
			       " 42 curl 10.0.0.1     80 0.0.0.0 40000\n"
			       "  - -    ::1          80 ::      40000\n");
	free(s);
	owners = false;
	s = capture(rows);
	assert_string_equal(s, "LADDR     LPORT RADDR   RPORT\n"
			       "10.0.0.1     80 0.0.0.0 40000\n"
			       "::1          80 ::      40000\n");
	free(s);
}

static void test_cells_json(void **state)
{
	(void)state;
	char *s;

	out_set_format(OUT_JSON);
	owners = true;
	s = capture(rows);
	assert_string_equal(s, "{\"pid\":42,\"comm\":\"curl\",\"ip\":4,\"laddr\":\"10.0.0.1\","
			       "\"lport\":80,\"raddr\":\"0.0.0.0\",\"rport\":40000}\n"
			       "{\"pid\":0,\"comm\":\"\",\"ip\":6,\"laddr\":\"::1\",\"lport\":80,"
			       "\"raddr\":\"::\",\"rport\":40000}\n");
	free(s);
	owners = false;
	s = capture(rows);
	out_set_format(OUT_TEXT);
	assert_string_equal(s, "{\"ip\":4,\"laddr\":\"10.0.0.1\",\"lport\":80,\"raddr\":\"0.0.0.0\","
			       "\"rport\":40000}\n"
			       "{\"ip\":6,\"laddr\":\"::1\",\"lport\":80,\"raddr\":\"::\",\"rport\":40000}\n");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp_flags),
		cmocka_unit_test(test_tcp_states),
		cmocka_unit_test(test_cells_text),
		cmocka_unit_test(test_cells_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
