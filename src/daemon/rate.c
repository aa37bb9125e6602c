/* SPDX-License-Identifier: ISC */
/* rate.c - the per-address table of token buckets (see rate.h). */
#include "rate.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

/* Addresses the join table remembers, and how many slots one address may be looked for in. */
#define ADDR_SLOTS 1024 /* a power of two */
#define ADDR_PROBE 8

struct addr_slot {
	uint64_t key; /* a hash of the address; 0: free */
	struct bucket bucket;
};

struct addr_rate {
	struct addr_slot slot[ADDR_SLOTS];
};

int addr_rate_new(struct addr_rate **ret)
{
	*ret = calloc(1, sizeof(**ret));
	return *ret ? 0 : -ENOMEM;
}

void addr_rate_free(struct addr_rate *t)
{
	free(t);
}

/* FNV-1a: addresses are short and not chosen freely by whoever sends from them. */
static uint64_t addr_key(const char *host, size_t len)
{
	uint64_t h = 14695981039346656037ull;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)host[i]) * 1099511628211ull;
	return h | 1; /* never 0, which marks a free slot */
}

bool addr_rate_take(struct addr_rate *t, const char *host, size_t len, double rate, double burst,
		    double now, double *ret_wait)
{
	uint64_t key = addr_key(host, len);
	struct addr_slot *s = NULL, *victim = NULL;

	for (unsigned i = 0; i < ADDR_PROBE && !s; i++) {
		struct addr_slot *x = &t->slot[(key + i) & (ADDR_SLOTS - 1)];

		if (x->key == key) {
			s = x;
		} else if (!victim || victim->key) {
			/* A free slot, else the address with the least left to forget. */
			if (x->key)
				bucket_refill(&x->bucket, rate, burst, now);
			if (!victim || !x->key || x->bucket.tokens > victim->bucket.tokens)
				victim = x;
		}
	}
	if (!s) {
		s = victim;
		s->key = key;
		bucket_fill(&s->bucket, burst, now);
	}
	if (!bucket_ready(&s->bucket, rate, burst, 1, now)) {
		*ret_wait = bucket_wait(&s->bucket, rate, burst, 1);
		return false;
	}
	bucket_spend(&s->bucket, 1);
	return true;
}
