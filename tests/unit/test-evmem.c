/* SPDX-License-Identifier: ISC */
/* test-evmem.c - the chain cache under libevent: what it keeps, what it hands out, its bound. */
#include <malloc.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <event2/buffer.h>

#include "evmem.h"

/* Whether a block freed now is one the cache keeps (its class, as malloc made it). */
static bool in_class(void *p)
{
	size_t usable = malloc_usable_size(p);

	return usable >= EVMEM_BLOCK && usable <= EVMEM_BLOCK + EVMEM_SLACK;
}

static int fresh(void **state)
{
	evmem_release();
	evmem_install(8);
	return 0;
}

/* A chain-sized block comes back to the next chain-sized request; no other size is kept. */
static void test_sizes(void **state)
{
	void *p = evmem_malloc(EVMEM_BLOCK), *q;

	assert_non_null(p);
	memset(p, 0xab, EVMEM_BLOCK);
	evmem_free(p);
	assert_int_equal(evmem_cached(), 1);
	q = evmem_malloc(EVMEM_BLOCK);
	assert_ptr_equal(q, p);
	assert_int_equal(evmem_cached(), 0);
	memset(q, 0xcd, EVMEM_BLOCK); /* all of it writable again */
	evmem_free(q);

	/* Smaller, bigger and twice the size go to free(); a smaller request is never served. */
	evmem_free(evmem_malloc(16));
	evmem_free(evmem_malloc(EVMEM_BLOCK / 2));
	evmem_free(evmem_malloc(2 * EVMEM_BLOCK));
	evmem_free(evmem_malloc(64 * 1024));
	assert_int_equal(evmem_cached(), 1);
	p = evmem_malloc(EVMEM_BLOCK - 8);
	assert_int_equal(evmem_cached(), 1);
	evmem_free(p);
	evmem_free(NULL);
}

/* realloc: a kept block handed out resizes as any; a block resized into the class is kept. */
static void test_realloc_across_classes(void **state)
{
	unsigned char *p, *q;
	size_t kept;

	evmem_free(evmem_malloc(EVMEM_BLOCK));
	p = evmem_realloc(NULL, EVMEM_BLOCK); /* realloc(NULL) is malloc: from the cache */
	assert_int_equal(evmem_cached(), 0);
	for (int i = 0; i < EVMEM_BLOCK; i++)
		p[i] = (unsigned char)i;
	p = evmem_realloc(p, 8 * EVMEM_BLOCK);
	assert_non_null(p);
	for (int i = 0; i < EVMEM_BLOCK; i++)
		assert_int_equal(p[i], (unsigned char)i);
	evmem_free(p);
	assert_int_equal(evmem_cached(), 0);

	/* Down into the class: kept if malloc made its block one of it (in place, or moved). */
	q = evmem_malloc(8 * EVMEM_BLOCK);
	q[0] = 42;
	q = evmem_realloc(q, EVMEM_BLOCK);
	assert_non_null(q);
	assert_int_equal(q[0], 42);
	kept = in_class(q) ? 1 : 0;
	evmem_free(q);
	assert_int_equal(evmem_cached(), kept);

	/* Up into the class from a small block, then out again. */
	q = evmem_malloc(32);
	q = evmem_realloc(q, EVMEM_BLOCK);
	q = evmem_realloc(q, 3 * EVMEM_BLOCK);
	evmem_free(q);
	assert_int_equal(evmem_cached(), kept);
}

/* At most the bound is kept; a lower bound trims; release empties it for good. */
static void test_bound(void **state)
{
	void *p[12];

	for (int i = 0; i < 12; i++)
		p[i] = evmem_malloc(EVMEM_BLOCK);
	for (int i = 0; i < 12; i++)
		evmem_free(p[i]);
	assert_int_equal(evmem_cached(), 8);
	evmem_install(3);
	assert_int_equal(evmem_cached(), 3);
	evmem_release();
	assert_int_equal(evmem_cached(), 0);
	evmem_free(evmem_malloc(EVMEM_BLOCK));
	assert_int_equal(evmem_cached(), 0);
}

/* libevent's own chains: an output written and drained leaves its chain for the next one. */
static void test_libevent_chain(void **state)
{
	struct evbuffer *out = evbuffer_new();
	char msg[100] = { 0 };

	assert_non_null(out);
	assert_int_equal(evbuffer_add(out, msg, sizeof(msg)), 0);
	assert_int_equal(evmem_cached(), 0);
	assert_int_equal(evbuffer_drain(out, sizeof(msg)), 0);
	assert_int_equal(evmem_cached(), 1);
	assert_int_equal(evbuffer_add(out, msg, sizeof(msg)), 0);
	assert_int_equal(evmem_cached(), 0);
	evbuffer_free(out);
	assert_int_equal(evmem_cached(), 1);
	evmem_release();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_sizes, fresh),
		cmocka_unit_test_setup(test_realloc_across_classes, fresh),
		cmocka_unit_test_setup(test_bound, fresh),
		cmocka_unit_test_setup(test_libevent_chain, fresh),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
