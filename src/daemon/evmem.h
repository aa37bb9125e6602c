/* SPDX-License-Identifier: ISC */
/*
 * evmem.h - libevent's allocator: freed evbuffer chains of the smallest size are kept for the
 * next delivery instead of going back to malloc.
 *
 * A message delivered to a member who had nothing queued makes libevent allocate one chain of
 * EVMEM_BLOCK bytes (its MIN_BUFFER_SIZE on 64-bit: every small chain) for that member's output,
 * and free it once written: in a room of 100 that is 99 malloc/free pairs per message, more
 * than glibc's tcache keeps (7 blocks per size). The cache keeps up to a bound of such blocks
 * on a free list threaded through the blocks themselves, so no allocation grows a header: a
 * block is classed when it is freed, by malloc_usable_size(). Every other size, and every
 * block past the bound, goes straight to malloc and free, so memory from these functions and
 * from malloc may be freed by either.
 *
 * One cache for the process (libevent's hook takes no context), used by one thread: the
 * daemon calls libevent from its loop only.
 */
#ifndef FRONTDESK_EVMEM_H
#define FRONTDESK_EVMEM_H

#include <stddef.h>

/* libevent 2.1's smallest chain (MIN_BUFFER_SIZE with its header, 64-bit builds). */
#define EVMEM_BLOCK 1024
/* A freed block up to this much bigger is still one (malloc rounds; realloc may leave more). */
#define EVMEM_SLACK 64
/* The daemon's bound: 1,024 blocks, about 1 MiB kept at most. */
#define EVMEM_MAX_BLOCKS 1024

/*
 * evmem_install() - keep up to @max_blocks freed chains, and make libevent allocate through
 * the cache. Call before any other libevent call (libevent would otherwise free through it
 * what malloc gave, which is harmless here, but its allocations would miss the cache).
 */
void evmem_install(size_t max_blocks);

/* evmem_release() - free the kept blocks; later frees go straight to free(). Idempotent. */
void evmem_release(void);

/* The allocator itself (libevent's malloc, realloc and free; the unit test calls them). */
void *evmem_malloc(size_t size);
void *evmem_realloc(void *ptr, size_t size);
void evmem_free(void *ptr);

/* Blocks kept now (for the test). */
size_t evmem_cached(void);

#endif
