/* SPDX-License-Identifier: ISC */
/*
 * test-auth.c - answers to a challenge, unbound (protocol section 6) and bound to a TLS
 * session's exporter value, against vectors from an independent HMAC (Python's hmac module).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "auth.h"

static const unsigned char key[] = "sixteen byte key";
#define KEY_LEN (sizeof(key) - 1)

static const char challenge[] = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
/* HMAC-SHA256(key, challenge bytes) */
static const char unbound[] = "7a98e066f52e53fdcf2b073d9fb28f9917ddbaaea24f87c93d042714fd135f54";
/* HMAC-SHA256(key, challenge bytes || bytes 0x20..0x3f as the exporter value) */
static const char bound[] = "cd989a4b3b7d7b089eb78b38166f33e1256e19dc706ffeb0eef52673e7a15320";

static void binding(unsigned char out[AUTH_BINDING_BYTES])
{
	for (unsigned i = 0; i < AUTH_BINDING_BYTES; i++)
		out[i] = (unsigned char)(0x20 + i);
}

static void test_response(void **state)
{
	unsigned char b[AUTH_BINDING_BYTES];
	char out[AUTH_RESPONSE_LEN + 1];

	binding(b);
	assert_int_equal(auth_response(key, KEY_LEN, challenge, 64, NULL, 0, out), 0);
	assert_string_equal(out, unbound);
	assert_int_equal(auth_response(key, KEY_LEN, challenge, 64, b, sizeof(b), out), 0);
	assert_string_equal(out, bound);
	assert_int_equal(auth_response(key, KEY_LEN, challenge, 63, NULL, 0, out), -EINVAL);
	assert_int_equal(auth_response(key, KEY_LEN, challenge, 64, b, sizeof(b) + 1, out),
			 -EINVAL);
}

/* Each answer is right only where it was made: bound or not, and for this session. */
static void test_check(void **state)
{
	unsigned char b[AUTH_BINDING_BYTES];

	binding(b);
	assert_true(auth_check(key, KEY_LEN, challenge, NULL, 0, unbound, 64));
	assert_true(auth_check(key, KEY_LEN, challenge, b, sizeof(b), bound, 64));
	assert_false(auth_check(key, KEY_LEN, challenge, b, sizeof(b), unbound, 64));
	assert_false(auth_check(key, KEY_LEN, challenge, NULL, 0, bound, 64));
	b[31] ^= 1; /* another session */
	assert_false(auth_check(key, KEY_LEN, challenge, b, sizeof(b), bound, 64));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_response),
		cmocka_unit_test(test_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
