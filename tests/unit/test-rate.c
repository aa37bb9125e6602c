/* SPDX-License-Identifier: ISC */
/* test-rate.c - token buckets and the per-address join table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "rate.h"

/* A burst at once, then one every 1/rate seconds, never more. */
static void test_burst_then_rate(void **state)
{
	struct bucket b;

	bucket_fill(&b, 3, 100.0);
	for (int i = 0; i < 3; i++) {
		assert_true(bucket_ready(&b, 2, 3, 1, 100.0));
		bucket_spend(&b, 1);
	}
	assert_false(bucket_ready(&b, 2, 3, 1, 100.0));
	assert_true(bucket_wait(&b, 2, 3, 1) > 0.49 && bucket_wait(&b, 2, 3, 1) < 0.51);
	assert_false(bucket_ready(&b, 2, 3, 1, 100.4));
	assert_true(bucket_ready(&b, 2, 3, 1, 100.5));
	bucket_spend(&b, 1);
	/* A long rest fills it up to the burst, no further. */
	assert_true(bucket_full(&b, 2, 3, 200.0));
	assert_true(b.tokens == 3);
}

/* Bytes: a cost above the burst goes when the bucket is full, and leaves a debt. */
static void test_cost_above_burst(void **state)
{
	struct bucket b;

	bucket_fill(&b, 1000, 0.0);
	assert_true(bucket_ready(&b, 100, 1000, 5000, 0.0));
	bucket_spend(&b, 5000);
	assert_false(bucket_ready(&b, 100, 1000, 10, 1.0));
	assert_true(bucket_wait(&b, 100, 1000, 10) > 39 && bucket_wait(&b, 100, 1000, 10) < 39.2);
	assert_true(bucket_ready(&b, 100, 1000, 10, 40.2));
}

/* Rate 0 is no limit, and a limit switched on later starts from a full bucket. */
static void test_no_limit(void **state)
{
	struct bucket b;

	bucket_fill(&b, 2, 0.0);
	for (int i = 0; i < 1000; i++) {
		assert_true(bucket_ready(&b, 0, 2, 1, 0.0));
		bucket_spend(&b, 1);
	}
	assert_true(bucket_ready(&b, 1, 2, 1, 0.0));
	assert_true(bucket_wait(&b, 0, 2, 1) == 0);
}

static void test_joins_per_address(void **state)
{
	struct addr_rate *t;
	double wait = 0;

	assert_int_equal(addr_rate_new(&t), 0);
	/* Two at once from 10.0.0.1, then one a minute (rate 1/60 s). */
	assert_true(addr_rate_take(t, "10.0.0.1", 8, 1.0 / 60, 2, 0.0, &wait));
	assert_true(addr_rate_take(t, "10.0.0.1", 8, 1.0 / 60, 2, 0.0, &wait));
	assert_false(addr_rate_take(t, "10.0.0.1", 8, 1.0 / 60, 2, 1.0, &wait));
	assert_true(wait > 58 && wait < 60);
	/* Another address has its own bucket; only the host part is given. */
	assert_true(addr_rate_take(t, "10.0.0.2:4000", 8, 1.0 / 60, 2, 1.0, &wait));
	assert_true(addr_rate_take(t, "10.0.0.1", 8, 1.0 / 60, 2, 60.0, &wait));
	/* Many more addresses than the table holds: it stays bounded, and the busy one is kept
	 * as long as others with less to forget are around. */
	for (int i = 0; i < 5000; i++) {
		char host[32];
		int n = snprintf(host, sizeof(host), "192.168.%d.%d", i / 256, i % 256);

		addr_rate_take(t, host, (size_t)n, 1.0 / 60, 2, 61.0, &wait);
	}
	addr_rate_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_then_rate),
		cmocka_unit_test(test_cost_above_burst),
		cmocka_unit_test(test_no_limit),
		cmocka_unit_test(test_joins_per_address),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
