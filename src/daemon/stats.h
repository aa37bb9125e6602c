/* SPDX-License-Identifier: ISC */
/*
 * stats.h - what the daemon counts for /metrics (metrics.c) and `frontdeskctl status`.
 *
 * Only what cannot be read off the live state is kept here: counters since start and two
 * histograms. Gauges (connections by role, unsent bytes, the line, the agents) are computed
 * when someone asks, by walking the conns and asking the mode, so the hot paths pay nothing
 * for them. A counter is one addition where the event happens: a broadcast adds its number of
 * recipients once, not one per member (the fan-out's budget for counting is 2%).
 *
 * Reasons (refused, dropped) are the error codes sent to the peer; a fixed table keeps their
 * number bounded whatever a code says, and codes outside it count as "other".
 */
#ifndef FRONTDESK_STATS_H
#define FRONTDESK_STATS_H

#include <stdint.h>

/* Error codes counted by name; others count as "other" (the last slot). */
#define STATS_REASONS 18

/* A histogram with fixed upper bounds, in seconds (the +Inf bucket is @count). */
#define STATS_BUCKETS 12
struct stats_histogram {
	const double *bounds; /* ascending, @nbounds of them */
	unsigned nbounds;
	uint64_t buckets[STATS_BUCKETS]; /* not cumulative: observations <= bounds[i], > the one
					    before */
	uint64_t count;
	double sum;
};

struct stats {
	uint64_t connections[3]; /* accepted, by enum conn_role */
	uint64_t refused[STATS_REASONS];
	uint64_t dropped[STATS_REASONS];
	uint64_t flood_slowed;
	uint64_t messages;
	uint64_t deliveries;
	uint64_t conversations;
	struct stats_histogram wait;    /* desk: arrival in line to served */
	struct stats_histogram commit;  /* the store's commits */
	struct stats_histogram publish; /* the cluster's publishes, sent to answered */
};

void stats_init(struct stats *st);
/* stats_reason_name() - the code counted in slot @i ("other" for the last). */
const char *stats_reason_name(unsigned i);
/* stats_refused()/stats_dropped() - a peer refused before it was attached, or dropped after. */
void stats_refused(struct stats *st, const char *code);
void stats_dropped(struct stats *st, const char *code);
void stats_observe(struct stats_histogram *h, double seconds);

#endif
