/* SPDX-License-Identifier: ISC */
/*
 * pace.h - a room member's sending pace (flood control, room.c): a bucket of messages
 * (max_msgs_per_sec, msg_burst) and one of message bytes (max_bytes_per_sec, bytes_burst).
 */
#ifndef FRONTDESK_PACE_H
#define FRONTDESK_PACE_H

#include <stdbool.h>
#include <stddef.h>

#include "rate.h"

struct config;

/* A sender's pace: what it may still send now, in messages and in message bytes. */
struct pace {
	struct bucket msgs;  /* max_msgs_per_sec, msg_burst */
	struct bucket bytes; /* max_bytes_per_sec, bytes_burst; bodies only */
};

/* pace_fill() - both buckets full (a newcomer). */
void pace_fill(struct pace *p, const struct config *cfg, double now);
/* pace_ready() - may a message of @len bytes go now? */
bool pace_ready(struct pace *p, const struct config *cfg, size_t len, double now);
void pace_spend(struct pace *p, size_t len);
/* pace_full() - both buckets are full again: the flood episode is over. */
bool pace_full(struct pace *p, const struct config *cfg, double now);
/*
 * pace_wait() - seconds until a message of @len bytes may go: at least a few messages' worth
 * (up to a tenth of a second) so that a fast sender costs a few wake-ups a second, not one per
 * message, but never so long that a bucket would overflow meanwhile.
 */
double pace_wait(const struct pace *p, const struct config *cfg, size_t len);

#endif
