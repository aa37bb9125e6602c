/* SPDX-License-Identifier: ISC */
/*
 * evmem.c - libevent's allocator (evmem.h): a bounded free list of chain-sized blocks.
 *
 * State: the list's head, its length and its bound, static because event_set_mem_functions()
 * passes no context. A kept block's first word links to the next; the rest is poisoned for
 * ASan and marked unaddressable for memcheck while it is kept, so a use after libevent freed
 * a chain is still caught as it was with free().
 */
#include <malloc.h>
#include <stdlib.h>

#include <event2/event.h>

#include "evmem.h"

#if defined(__SANITIZE_ADDRESS__) && __has_include(<sanitizer/asan_interface.h>)
#include <sanitizer/asan_interface.h>
#define KEPT_POISON(p, n)   ASAN_POISON_MEMORY_REGION(p, n)
#define KEPT_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define KEPT_POISON(p, n)   ((void)(p), (void)(n))
#define KEPT_UNPOISON(p, n) ((void)(p), (void)(n))
#endif
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#else
#define VALGRIND_MAKE_MEM_NOACCESS(p, n)  ((void)(p), (void)(n))
#define VALGRIND_MAKE_MEM_UNDEFINED(p, n) ((void)(p), (void)(n))
#endif

struct kept {
	struct kept *next;
};

static struct kept *kept_head;
static size_t kept_count, kept_max;

/* The part of a kept block past its link: no one's while it is kept. */
static void kept_seal(struct kept *k)
{
	KEPT_POISON(k + 1, EVMEM_BLOCK - sizeof(*k));
	VALGRIND_MAKE_MEM_NOACCESS(k + 1, EVMEM_BLOCK - sizeof(*k));
}

/* A kept block, handed out: all of it the caller's, its bytes as undefined as malloc's. */
static void *kept_pop(void)
{
	struct kept *k = kept_head;

	kept_head = k->next;
	kept_count--;
	KEPT_UNPOISON(k, EVMEM_BLOCK);
	VALGRIND_MAKE_MEM_UNDEFINED(k, EVMEM_BLOCK);
	return k;
}

void *evmem_malloc(size_t size)
{
	if (size == EVMEM_BLOCK && kept_head)
		return kept_pop();
	return malloc(size);
}

/* A kept block is no longer libevent's, so it never comes here: realloc() resizes any other. */
void *evmem_realloc(void *ptr, size_t size)
{
	if (!ptr)
		return evmem_malloc(size);
	return realloc(ptr, size);
}

/*
 * Classed by what malloc made of it, not by what was asked: a block of the class may have come
 * from malloc(EVMEM_BLOCK), from realloc, or from a request a few bytes off (malloc rounds
 * them alike); any of them serves a request of EVMEM_BLOCK bytes.
 */
void evmem_free(void *ptr)
{
	struct kept *k = ptr;
	size_t usable;

	if (!ptr)
		return;
	if (kept_count >= kept_max) {
		free(ptr);
		return;
	}
	usable = malloc_usable_size(ptr);
	if (usable < EVMEM_BLOCK || usable > EVMEM_BLOCK + EVMEM_SLACK) {
		free(ptr);
		return;
	}
	k->next = kept_head;
	kept_head = k;
	kept_count++;
	kept_seal(k);
}

/* Down to @max blocks kept. */
static void kept_trim(size_t max)
{
	while (kept_count > max)
		free(kept_pop());
}

void evmem_install(size_t max_blocks)
{
	kept_trim(max_blocks);
	kept_max = max_blocks;
	event_set_mem_functions(evmem_malloc, evmem_realloc, evmem_free);
}

void evmem_release(void)
{
	kept_trim(0);
	kept_max = 0;
}

size_t evmem_cached(void)
{
	return kept_count;
}
