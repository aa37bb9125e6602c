/* SPDX-License-Identifier: ISC */
/*
 * test-proxy.c - the PROXY protocol parser (proxy.h), v1 and v2, whole and cut at every byte,
 * and proxy_from matching (config.c's parser, proxy_trusted()).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <cmocka.h>

#include "config.h"
#include "proxy.h"

static const uint8_t sig[12] = { 0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
				 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A };

/* "ip:port" of a parsed client address. */
static const char *addr_text(const struct proxy_result *r)
{
	static char buf[80];
	char host[INET6_ADDRSTRLEN];

	if (r->addr.ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)&r->addr;

		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		snprintf(buf, sizeof(buf), "%s:%u", host, ntohs(in->sin_port));
	} else {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&r->addr;

		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		snprintf(buf, sizeof(buf), "[%s]:%u", host, ntohs(in6->sin6_port));
	}
	return buf;
}

/* @buf parses to DONE at @len, and every shorter prefix asks for more. */
static struct proxy_result done(const uint8_t *buf, size_t total, size_t len)
{
	struct proxy_result r;

	for (size_t i = 0; i < len; i++)
		assert_int_equal(proxy_parse(buf, i, &r), PROXY_NEED_MORE);
	assert_int_equal(proxy_parse(buf, total, &r), PROXY_DONE);
	assert_int_equal(r.len, len);
	return r;
}

static struct proxy_result done_text(const char *text, size_t header_len)
{
	return done((const uint8_t *)text, strlen(text), header_len);
}

static const char *refused(const uint8_t *buf, size_t len)
{
	struct proxy_result r;

	assert_int_equal(proxy_parse(buf, len, &r), PROXY_BAD);
	assert_non_null(r.why);
	return r.why;
}

static const char *refused_text(const char *text)
{
	return refused((const uint8_t *)text, strlen(text));
}

static void test_v1_tcp4(void **state)
{
	const char *h = "PROXY TCP4 203.0.113.7 192.0.2.1 51234 6666\r\n";
	/* What follows the header is the client's: not part of it. */
	char with_data[128];
	struct proxy_result r;

	snprintf(with_data, sizeof(with_data), "%snick bob\n", h);
	r = done_text(with_data, strlen(h));
	assert_int_equal(r.version, 1);
	assert_false(r.local);
	assert_int_equal(r.addrlen, sizeof(struct sockaddr_in));
	assert_string_equal(addr_text(&r), "203.0.113.7:51234");
}

static void test_v1_tcp6(void **state)
{
	const char *h = "PROXY TCP6 2001:db8::7 2001:db8::1 65535 21567\r\n";
	struct proxy_result r = done_text(h, strlen(h));

	assert_false(r.local);
	assert_int_equal(r.addrlen, sizeof(struct sockaddr_in6));
	assert_string_equal(addr_text(&r), "[2001:db8::7]:65535");
}

static void test_v1_unknown(void **state)
{
	const char *h = "PROXY UNKNOWN\r\n", *h2 = "PROXY UNKNOWN ffff:f...f:ffff 1 2 3\r\n";
	struct proxy_result r = done_text(h, strlen(h));

	assert_true(r.local);
	r = done_text(h2, strlen(h2));
	assert_true(r.local);
}

static void test_v1_malformed(void **state)
{
	refused_text("PROXY TCP4 203.0.113.7 192.0.2.1 51234\r\n");
	refused_text("PROXY TCP4 203.0.113.7 192.0.2.1 51234 6666 7\r\n");
	refused_text("PROXY TCP4 203.0.113.7  192.0.2.1 51234 6666\r\n");
	refused_text("PROXY TCP4 203.0.113.7 192.0.2.1 51234 6666 \r\n");
	refused_text("PROXY TCP4 2001:db8::7 192.0.2.1 1 2\r\n");
	refused_text("PROXY TCP6 203.0.113.7 2001:db8::1 1 2\r\n");
	refused_text("PROXY TCP4 203.0.113.7 192.0.2.1 65536 6666\r\n");
	refused_text("PROXY TCP4 203.0.113.7 192.0.2.1 -1 6666\r\n");
	refused_text("PROXY TCP4 203.0.113.7 192.0.2.1 0080 6666\r\n");
	refused_text("PROXY TCP4 203.0.113.256 192.0.2.1 1 2\r\n");
	refused_text("PROXY UDP4 203.0.113.7 192.0.2.1 1 2\r\n");
	refused_text("PROXY TCP4 203.0.113.7 192.0.2.1 1 2\n");
	refused_text("PROXY TCP4 203.0.113.7 192.0.2.1 1 2\rX");
	refused_text("PROXY\r\n");
	refused_text("PROXX TCP4");
	refused_text("PROXY TCP4 \x01");
	/* The client's own first line, from a peer that is not a balancer. */
	refused_text("nick bob\n");
	refused_text("0016|1|bob");
}

static void test_v1_too_long(void **state)
{
	char h[200];

	/* 107 bytes with "\r\n" is the most: one more is refused, not waited for. */
	memset(h, 0, sizeof(h));
	memcpy(h, "PROXY UNKNOWN ", 14);
	memset(h + 14, 'x', 105 - 14);
	memcpy(h + 105, "\r\n", 2);
	assert_int_equal(done_text(h, 107).len, 107);
	memset(h + 14, 'x', 106 - 14);
	memcpy(h + 106, "\r\n", 2);
	refused_text(h);
	memset(h + 14, 'x', 150);
	assert_non_null(strstr(refused((const uint8_t *)h, 107), "longer than 107"));
	/* ...and as soon as it cannot end in time, before the 108th byte arrives. */
	assert_non_null(strstr(refused((const uint8_t *)h, 106), "longer than 107"));
}

/* A v2 header: @cmd (0 LOCAL, 1 PROXY), @fam, then @alen bytes of @addr. */
static size_t v2(uint8_t *out, uint8_t cmd, uint8_t fam, const uint8_t *addr, size_t alen)
{
	memcpy(out, sig, 12);
	out[12] = (uint8_t)(0x20 | cmd);
	out[13] = fam;
	out[14] = (uint8_t)(alen >> 8);
	out[15] = (uint8_t)alen;
	if (alen)
		memcpy(out + 16, addr, alen);
	return 16 + alen;
}

static const uint8_t v4_block[12] = { 203, 0, 113, 7, 192, 0, 2, 1, 0xc8, 0x22, 0x1a, 0x0a };

static void test_v2_proxy_ipv4(void **state)
{
	uint8_t h[64];
	size_t n = v2(h, 1, 0x11, v4_block, sizeof(v4_block));
	struct proxy_result r;

	memcpy(h + n, "0012|1|bob", 10); /* the client's first frame follows */
	r = done(h, n + 10, n);
	assert_int_equal(r.version, 2);
	assert_false(r.local);
	assert_string_equal(addr_text(&r), "203.0.113.7:51234");
}

static void test_v2_proxy_ipv6(void **state)
{
	uint8_t block[36] = { 0x20,        0x01,        0x0d,        0xb8,        [15] = 7,
			      [16] = 0x20, [17] = 0x01, [18] = 0x0d, [19] = 0xb8, [31] = 1,
			      [32] = 0x01, [33] = 0xbb, [34] = 0x54, [35] = 0x3f };
	uint8_t h[64];
	size_t n = v2(h, 1, 0x21, block, sizeof(block));
	struct proxy_result r = done(h, n, n);

	assert_false(r.local);
	assert_string_equal(addr_text(&r), "[2001:db8::7]:443");
}

static void test_v2_local(void **state)
{
	uint8_t h[64];
	size_t n = v2(h, 0, 0x00, NULL, 0);
	struct proxy_result r = done(h, n, n);

	assert_true(r.local);
	/* LOCAL with addresses anyway: they are the balancer's, ignored. */
	n = v2(h, 0, 0x11, v4_block, sizeof(v4_block));
	r = done(h, n, n);
	assert_true(r.local);
	/* PROXY with the family unspecified: no client address either. */
	n = v2(h, 1, 0x00, NULL, 0);
	r = done(h, n, n);
	assert_true(r.local);
}

static void test_v2_tlvs(void **state)
{
	uint8_t block[12 + 3 + 5 + 3 + 20], h[128];
	size_t n;
	struct proxy_result r;

	memcpy(block, v4_block, 12);
	/* PP2_TYPE_ALPN "h2", then PP2_TYPE_AUTHORITY, then a NOOP with padding. */
	memcpy(block + 12, "\x01\x00\x02h2", 5);
	memcpy(block + 17,
	       "\x02\x00\x03"
	       "a.b",
	       6);
	memcpy(block + 23, "\x04\x00\x14", 3);
	memset(block + 26, 0, 14);
	n = v2(h, 1, 0x11, block, 40);
	r = done(h, n, n);
	assert_int_equal(r.len, 56);
	assert_string_equal(addr_text(&r), "203.0.113.7:51234");
}

static void test_v2_refused(void **state)
{
	uint8_t h[64], big[16];
	size_t n = v2(h, 1, 0x11, v4_block, sizeof(v4_block));

	/* A wrong signature: refused at its first wrong byte. */
	h[7] = 'X';
	assert_non_null(strstr(refused(h, 8), "signature"));
	h[7] = 0x51;
	h[12] = 0x11; /* version 1 in binary */
	refused(h, 13);
	h[12] = 0x22; /* command 2 */
	refused(h, 13);
	h[12] = 0x21;
	h[13] = 0x12; /* UDP over IPv4 */
	refused(h, 16);
	h[13] = 0x31; /* Unix socket */
	refused(h, n);
	h[13] = 0x11;
	h[15] = 11; /* an IPv4 block one byte short */
	refused(h, n);
	/* Longer than PROXY_HEADER_MAX: refused as soon as the length is known. */
	v2(big, 1, 0x11, NULL, 0);
	big[14] = 0x04;
	big[15] = 0x00;
	assert_non_null(strstr(refused(big, 16), "longer"));
	/* Garbage. */
	refused((const uint8_t *)"\r\n\r\nGET / HTTP/1.0", 18);
	refused((const uint8_t *)"\x16\x03\x01\x02\x00", 5); /* a TLS ClientHello */
}

static void test_trusted(void **state)
{
	const char *text = "proxy_from = 127.0.0.1, 10.1.0.0/16 ,2001:db8::/48\n";
	struct config c;
	char *errors = NULL;
	FILE *f;
	struct sockaddr_in in = { .sin_family = AF_INET };
	struct sockaddr_in6 in6 = { .sin6_family = AF_INET6 };

	config_init(&c);
	f = fmemopen((void *)text, strlen(text), "r");
	assert_int_equal(config_load_file(&c, f, "t", &errors), 0);
	fclose(f);
	assert_int_equal(c.proxy_from.n, 3);
	inet_pton(AF_INET, "127.0.0.1", &in.sin_addr);
	assert_true(proxy_trusted(&c.proxy_from, (struct sockaddr *)&in));
	inet_pton(AF_INET, "127.0.0.2", &in.sin_addr);
	assert_false(proxy_trusted(&c.proxy_from, (struct sockaddr *)&in));
	inet_pton(AF_INET, "10.1.255.3", &in.sin_addr);
	assert_true(proxy_trusted(&c.proxy_from, (struct sockaddr *)&in));
	inet_pton(AF_INET, "10.2.0.3", &in.sin_addr);
	assert_false(proxy_trusted(&c.proxy_from, (struct sockaddr *)&in));
	inet_pton(AF_INET6, "::ffff:10.1.2.3", &in6.sin6_addr); /* through a dual-stack listener */
	assert_true(proxy_trusted(&c.proxy_from, (struct sockaddr *)&in6));
	inet_pton(AF_INET6, "2001:db8:0:ffff::1", &in6.sin6_addr);
	assert_true(proxy_trusted(&c.proxy_from, (struct sockaddr *)&in6));
	inet_pton(AF_INET6, "2001:db8:1::1", &in6.sin6_addr);
	assert_false(proxy_trusted(&c.proxy_from, (struct sockaddr *)&in6));
	/* The default trusts nobody. */
	config_init(&c);
	assert_int_equal(c.proxy_from.n, 0);
	inet_pton(AF_INET, "127.0.0.1", &in.sin_addr);
	assert_false(proxy_trusted(&c.proxy_from, (struct sockaddr *)&in));
}

static void config_refuses(const char *text, const char *why_part)
{
	struct config c;
	char *errors = NULL;
	FILE *f = fmemopen((void *)text, strlen(text), "r");

	config_init(&c);
	assert_int_equal(config_load_file(&c, f, "t", &errors), -EINVAL);
	fclose(f);
	assert_non_null(strstr(errors, why_part));
	free(errors);
}

static void test_config_refusals(void **state)
{
	config_refuses("proxy_from = 0.0.0.0/0\n", "too wide");
	config_refuses("proxy_from = 10.0.0.0/7\n", "too wide");
	config_refuses("proxy_from = ::/0\n", "too wide");
	config_refuses("proxy_from = 10.0.0.1/33\n", "not an IPv4 or IPv6");
	config_refuses("proxy_from = 10.0.0.1/\n", "not an IPv4 or IPv6");
	config_refuses("proxy_from = lb.example\n", "not an IPv4 or IPv6");
	config_refuses("proxy_from = 127.0.0.1,\n", "not an IPv4 or IPv6");
	config_refuses("proxy_from = 1.1.1.1,1.1.1.2,1.1.1.3,1.1.1.4,1.1.1.5,1.1.1.6,1.1.1.7,"
		       "1.1.1.8,1.1.1.9,1.1.1.10,1.1.1.11,1.1.1.12,1.1.1.13,1.1.1.14,1.1.1.15,"
		       "1.1.1.16,1.1.1.17\n",
		       "at most 16");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v1_tcp4),       cmocka_unit_test(test_v1_tcp6),
		cmocka_unit_test(test_v1_unknown),    cmocka_unit_test(test_v1_malformed),
		cmocka_unit_test(test_v1_too_long),   cmocka_unit_test(test_v2_proxy_ipv4),
		cmocka_unit_test(test_v2_proxy_ipv6), cmocka_unit_test(test_v2_local),
		cmocka_unit_test(test_v2_tlvs),       cmocka_unit_test(test_v2_refused),
		cmocka_unit_test(test_trusted),       cmocka_unit_test(test_config_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
