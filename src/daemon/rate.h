/* SPDX-License-Identifier: ISC */
/*
 * rate.h - token buckets: a room member's messages, bytes and renames, and joins per address.
 *
 * A bucket holds up to BURST tokens and earns RATE a second; an event that costs COST tokens
 * may happen when the bucket holds them (an event costing more than BURST, when it is full, so
 * that it happens at all). A rate of 0 means no limit. Times are fd_clock_seconds().
 */
#ifndef FRONTDESK_RATE_H
#define FRONTDESK_RATE_H

#include <stdbool.h>
#include <stddef.h>

struct bucket {
	double tokens;
	double at; /* when @tokens was last brought up to date */
};

/* bucket_fill() - a full bucket, as at a member's join. */
static inline void bucket_fill(struct bucket *b, double burst, double now)
{
	b->tokens = burst;
	b->at = now;
}

/* Bring @b up to date: RATE a second since the last time, up to BURST. */
static inline void bucket_refill(struct bucket *b, double rate, double burst, double now)
{
	/* No limit (or one just switched on by a reload) starts full. */
	if (!rate) {
		bucket_fill(b, burst, now);
		return;
	}
	b->tokens += (now - b->at) * rate;
	if (b->tokens > burst)
		b->tokens = burst;
	b->at = now;
}

/* bucket_ready() - whether @cost may be spent now. Inline: it runs for every chat message. */
static inline bool bucket_ready(struct bucket *b, double rate, double burst, double cost,
				double now)
{
	bucket_refill(b, rate, burst, now);
	return !rate || b->tokens >= (cost < burst ? cost : burst);
}

/* bucket_spend() - take @cost after bucket_ready() said yes; a cost above BURST goes negative. */
static inline void bucket_spend(struct bucket *b, double cost)
{
	b->tokens -= cost;
}

/* bucket_full() - whether it holds BURST again. */
static inline bool bucket_full(struct bucket *b, double rate, double burst, double now)
{
	bucket_refill(b, rate, burst, now);
	return b->tokens >= burst;
}

/* bucket_wait() - seconds from the last update until @cost may be spent. */
static inline double bucket_wait(const struct bucket *b, double rate, double burst, double cost)
{
	double need = (cost < burst ? cost : burst) - b->tokens;

	return rate && need > 0 ? need / rate : 0;
}

struct addr_rate;

/*
 * addr_rate_new() - a table of buckets by peer address, for joins. It is bounded (ADDR_SLOTS
 * addresses); past that, the address closest to a full bucket is forgotten first, so under an
 * attack from more addresses than that the per-address limit weakens, never the memory bound.
 */
int addr_rate_new(struct addr_rate **ret);
void addr_rate_free(struct addr_rate *t);
/*
 * addr_rate_take() - one event from @host (@len bytes, no NUL needed): true, or false with
 * *@ret_wait the seconds until the next one may happen.
 */
bool addr_rate_take(struct addr_rate *t, const char *host, size_t len, double rate, double burst,
		    double now, double *ret_wait);

#endif
