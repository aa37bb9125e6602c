/* SPDX-License-Identifier: ISC */
/* test-admit.c - what per-address limits count a peer as. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "admit.h"

static void expect_key(const char *peer, const char *want)
{
	char key[ADMIT_KEY_MAX];
	size_t n = admit_address_key(peer, key, sizeof(key));

	assert_string_equal(key, want);
	assert_int_equal(n, strlen(want));
}

static void test_ipv4_is_the_address(void **state)
{
	expect_key("192.0.2.7:40000", "192.0.2.7");
	expect_key("127.0.0.1:1", "127.0.0.1");
}

/* Every address of one /64 is one address: a host picks any of them at will. */
static void test_ipv6_is_the_64(void **state)
{
	expect_key("[2001:db8:1:2:aaaa:bbbb:cccc:dddd]:5000", "2001:db8:1:2::/64");
	expect_key("[2001:db8:1:2::1]:6000", "2001:db8:1:2::/64");
	expect_key("[2001:db8:1:3::1]:6000", "2001:db8:1:3::/64");
	expect_key("[::1]:21567", "::/64");
}

static void test_odd_names_are_kept_whole(void **state)
{
	expect_key("agent-socket", "agent-socket");
	expect_key("[not-an-address]:1", "[not-an-address]");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4_is_the_address),
		cmocka_unit_test(test_ipv6_is_the_64),
		cmocka_unit_test(test_odd_names_are_kept_whole),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
