/* SPDX-License-Identifier: ISC */
/* pace.c - a room member's sending pace (see pace.h). */
#include "pace.h"

#include "config.h"

/* Longest wait of a flood timer between two releases: a few messages go per wake-up, not one. */
#define FLOOD_TICK 0.1

void pace_fill(struct pace *p, const struct config *cfg, double now)
{
	bucket_fill(&p->msgs, cfg->msg_burst, now);
	bucket_fill(&p->bytes, cfg->bytes_burst, now);
}

bool pace_ready(struct pace *p, const struct config *cfg, size_t len, double now)
{
	return bucket_ready(&p->msgs, cfg->max_msgs_per_sec, cfg->msg_burst, 1, now) &&
	       bucket_ready(&p->bytes, cfg->max_bytes_per_sec, cfg->bytes_burst, (double)len, now);
}

void pace_spend(struct pace *p, size_t len)
{
	bucket_spend(&p->msgs, 1);
	bucket_spend(&p->bytes, (double)len);
}

bool pace_full(struct pace *p, const struct config *cfg, double now)
{
	return bucket_full(&p->msgs, cfg->max_msgs_per_sec, cfg->msg_burst, now) &&
	       bucket_full(&p->bytes, cfg->max_bytes_per_sec, cfg->bytes_burst, now);
}

double pace_wait(const struct pace *p, const struct config *cfg, size_t len)
{
	double wait = bucket_wait(&p->msgs, cfg->max_msgs_per_sec, cfg->msg_burst, 1);
	double bytes =
	    bucket_wait(&p->bytes, cfg->max_bytes_per_sec, cfg->bytes_burst, (double)len);
	double tick = FLOOD_TICK;

	if (bytes > wait)
		wait = bytes;
	if (cfg->max_msgs_per_sec && 0.5 * cfg->msg_burst / cfg->max_msgs_per_sec < tick)
		tick = 0.5 * cfg->msg_burst / cfg->max_msgs_per_sec;
	if (cfg->max_bytes_per_sec && 0.5 * cfg->bytes_burst / cfg->max_bytes_per_sec < tick)
		tick = 0.5 * cfg->bytes_burst / cfg->max_bytes_per_sec;
	return wait > tick ? wait : tick;
}
