/* SPDX-License-Identifier: ISC */
/* test-bans.c - ban parsing, durations and matching (bans.h), IPv4 and IPv6. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <cmocka.h>

#include "bans.h"

static struct ban parsed(const char *text)
{
	struct ban b = { 0 };
	const char *why = NULL;

	assert_int_equal(ban_parse(text, &b, &why), 0);
	return b;
}

static void refused(const char *text, const char *why_part)
{
	struct ban b = { 0 };
	const char *why = NULL;

	assert_int_equal(ban_parse(text, &b, &why), -EINVAL);
	assert_non_null(strstr(why, why_part));
}

static void test_parse_canonical(void **state)
{
	assert_string_equal(parsed("nick:bob").spec, "nick:bob");
	assert_string_equal(parsed("addr:10.1.2.3").spec, "addr:10.1.2.3");
	assert_string_equal(parsed("addr:10.1.2.3/8").spec, "addr:10.0.0.0/8");
	assert_string_equal(parsed("addr:10.1.2.3/32").spec, "addr:10.1.2.3");
	assert_string_equal(parsed("addr:2001:DB8:0:0::1").spec, "addr:2001:db8::1");
	assert_string_equal(parsed("addr:2001:db8:1:2::5/64").spec, "addr:2001:db8:1:2::/64");
}

static void test_parse_refusals(void **state)
{
	refused("addr:0.0.0.0/0", "would ban too many");
	refused("addr:::/0", "would ban too many");
	refused("addr:10.0.0.0/7", "would ban too many");
	refused("addr:2001:db8::/31", "would ban too many");
	refused("addr:10.0.0.1/33", "prefix");
	refused("addr:10.0.0.1/", "prefix");
	refused("addr:10.0.0.1/-1", "prefix");
	refused("addr:10.0.0.256", "not an IPv4 or IPv6");
	refused("addr:", "not an IPv4 or IPv6");
	refused("10.0.0.1", "nick:NAME or addr:");
	refused("host:example.org", "nick:NAME or addr:");
	refused("nick:", "not a valid nickname");
	refused("nick:a b", "not a valid nickname");
}

static void test_durations(void **state)
{
	unsigned s = 0;

	assert_int_equal(ban_duration("90", &s), 0);
	assert_int_equal(s, 90);
	assert_int_equal(ban_duration("10m", &s), 0);
	assert_int_equal(s, 600);
	assert_int_equal(ban_duration("2h", &s), 0);
	assert_int_equal(s, 7200);
	assert_int_equal(ban_duration("7d", &s), 0);
	assert_int_equal(s, 7 * 86400);
	assert_int_equal(ban_duration("0", &s), -EINVAL);
	assert_int_equal(ban_duration("10y", &s), -EINVAL);
	assert_int_equal(ban_duration("10mm", &s), -EINVAL);
	assert_int_equal(ban_duration("-5m", &s), -EINVAL);
	assert_int_equal(ban_duration("400d", &s), -EINVAL);
	assert_int_equal(ban_duration("", &s), -EINVAL);
}

static void test_peer_matching(void **state)
{
	struct ban net = parsed("addr:192.0.2.0/24"), one = parsed("addr:192.0.2.7");
	struct ban v6 = parsed("addr:2001:db8::/32"), nick = parsed("nick:192.0.2.7");

	assert_true(ban_peer_matches(&net, "192.0.2.99:4000"));
	assert_false(ban_peer_matches(&net, "192.0.3.1:4000"));
	assert_true(ban_peer_matches(&one, "192.0.2.7:1"));
	assert_false(ban_peer_matches(&one, "192.0.2.8:1"));
	/* An IPv4 peer through an IPv6 listener is its IPv4 address. */
	assert_true(ban_peer_matches(&one, "[::ffff:192.0.2.7]:1"));
	assert_true(ban_peer_matches(&v6, "[2001:db8:ffff::1]:443"));
	assert_false(ban_peer_matches(&v6, "[2001:db9::1]:443"));
	assert_false(ban_peer_matches(&v6, "192.0.2.7:1"));
	assert_false(ban_peer_matches(&one, "agent-socket"));
	/* A nick ban is no address ban, even when the name looks like one. */
	assert_false(ban_peer_matches(&nick, "192.0.2.7:1"));
}

static void test_sockaddr_matching(void **state)
{
	struct ban net = parsed("addr:198.51.100.0/24"), v6 = parsed("addr:2001:db8::1");
	struct sockaddr_in in4 = { .sin_family = AF_INET };
	struct sockaddr_in6 in6 = { .sin6_family = AF_INET6 };

	inet_pton(AF_INET, "198.51.100.200", &in4.sin_addr);
	assert_true(ban_addr_matches(&net, (struct sockaddr *)&in4));
	inet_pton(AF_INET6, "::ffff:198.51.100.1", &in6.sin6_addr);
	assert_true(ban_addr_matches(&net, (struct sockaddr *)&in6));
	inet_pton(AF_INET6, "2001:db8::1", &in6.sin6_addr);
	assert_true(ban_addr_matches(&v6, (struct sockaddr *)&in6));
	assert_false(ban_addr_matches(&net, (struct sockaddr *)&in6));
}

static void test_list_expiry_and_lookup(void **state)
{
	struct bans l = { 0 };
	struct ban a = parsed("nick:bob"), b = parsed("addr:203.0.113.0/24");

	a.until = 100;
	assert_int_equal(bans_put(&l, &a), 0);
	assert_int_equal(bans_put(&l, &b), 0);
	assert_int_equal(bans_put(&l, &a), 0); /* the same spec: replaced, not added */
	assert_int_equal(l.n, 2);
	assert_non_null(bans_nick(&l, "bob", 99));
	assert_null(bans_nick(&l, "bob", 100)); /* expired, though still listed */
	assert_null(bans_nick(&l, "bobby", 99));
	assert_non_null(bans_peer(&l, "203.0.113.5:9", 1000));
	bans_expire(&l, 100, NULL, NULL);
	assert_int_equal(l.n, 1);
	assert_null(bans_find(&l, "nick:bob"));
	assert_true(bans_del(&l, "addr:203.0.113.0/24"));
	assert_false(bans_del(&l, "addr:203.0.113.0/24"));
	assert_null(bans_peer(&l, "203.0.113.5:9", 1000));
	bans_free(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_canonical),
		cmocka_unit_test(test_parse_refusals),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_peer_matching),
		cmocka_unit_test(test_sockaddr_matching),
		cmocka_unit_test(test_list_expiry_and_lookup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
