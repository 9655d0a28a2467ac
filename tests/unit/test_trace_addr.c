/* Tracer rows: addresses are formatted without inet_ntop's sprintf per
 * part, and must read exactly as inet_ntop writes them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "trace/trace.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

static void check(uint16_t family, const uint8_t *a)
{
	char got[64], want[64];

	assert_non_null(inet_ntop(family, a, want, sizeof(want)));
	assert_string_equal(trace_addr_str(got, family, a), want);
}

static void test_ipv4(void **state)
{
	(void)state;
	uint8_t a[16] = { 0 };

	for (unsigned v = 0; v < 256; v++) {
		a[0] = (uint8_t)v, a[1] = (uint8_t)(255 - v), a[2] = (uint8_t)(v / 10), a[3] = 0;
		check(AF_INET, a);
	}
}

static void test_ipv6(void **state)
{
	(void)state;
	static const char *const fixed[] = {
		"::", "::1", "1::", "2001:db8::1", "2001:db8:0:0:1:0:0:1", "2001:0:0:1:0:0:0:1",
		"1:0:1:0:1:0:1:0", "0:1:0:1:0:1:0:1", "fe80::abcd:ef01:2345:6789", "::ffff:127.0.0.1",
		"::127.0.0.1", "::0.0.1.0", "::ffff:0:1", "::fffe:1.2.3.4", "0:0:0:0:0:ffff::",
		"1:2:3:4:5:6:7:8", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "::1:0:0:0:0:0",
	};
	uint8_t a[16];
	uint64_t r = 88172645463325252ull;

	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		assert_int_equal(inet_pton(AF_INET6, fixed[i], a), 1);
		check(AF_INET6, a);
	}
	/* random groups, each zero half the time: every run of zeros */
	for (int i = 0; i < 200000; i++) {
		for (int g = 0; g < 8; g++) {
			r ^= r << 13, r ^= r >> 7, r ^= r << 17;
			unsigned w = (r & 1) ? 0 : (r >> 8) & ((r & 2) ? 0xf : 0xffff);
			if (i % 7 == 0 && g == 5)
				w = 0xffff;
			a[2 * g] = (uint8_t)(w >> 8), a[2 * g + 1] = (uint8_t)w;
		}
		check(AF_INET6, a);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4),
		cmocka_unit_test(test_ipv6),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
