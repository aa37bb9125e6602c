/* SPDX-License-Identifier: ISC */
/*
 * stats.c - counters by reason, and histograms with fixed buckets.
 */
#include "stats.h"

#include <string.h>

/*
 * The codes counted by name, refusals and drops together; the last slot is "other". A code
 * that ends a connection on purpose and is nobody's fault (replaced by a resume, shutting
 * down) is not counted at all: see not_counted[].
 */
static const char *const reasons[STATS_REASONS] = {
	"server-full",
	"too-many-from-address",
	"banned",
	"auth-failed",
	"agent-not-allowed",
	"agent-busy",
	"queue-full",
	"bad-nick",
	"join-rate",
	"timeout",
	"slow-consumer",
	"frame-too-long",
	"bad-utf8",
	"bad-frame",
	"kicked",
	"max-startups",
	"too-many-agents",
	"other",
};

static const char *const not_counted[] = { "replaced", "session-resumed", "shutting-down" };

/* Desk waits: seconds to minutes, up to half an hour. */
static const double wait_bounds[] = { 1, 5, 15, 30, 60, 120, 300, 600, 1800 };
/* Commits: a WAL commit without fsync is tens of microseconds; with one, milliseconds. */
static const double commit_bounds[] = { 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
					0.01,   0.025,   0.05,   0.1,   0.25,   1 };

_Static_assert(sizeof(wait_bounds) / sizeof(double) <= STATS_BUCKETS, "wait buckets");
_Static_assert(sizeof(commit_bounds) / sizeof(double) <= STATS_BUCKETS, "commit buckets");

void stats_init(struct stats *st)
{
	memset(st, 0, sizeof(*st));
	st->wait.bounds = wait_bounds;
	st->wait.nbounds = sizeof(wait_bounds) / sizeof(double);
	st->commit.bounds = commit_bounds;
	st->commit.nbounds = sizeof(commit_bounds) / sizeof(double);
	st->publish.bounds = commit_bounds; /* a round trip to Redis: the same scale */
	st->publish.nbounds = sizeof(commit_bounds) / sizeof(double);
}

const char *stats_reason_name(unsigned i)
{
	return i < STATS_REASONS ? reasons[i] : "other";
}

/* The slot of @code, or -1 when it is not counted. */
static int reason_slot(const char *code)
{
	for (size_t i = 0; i < sizeof(not_counted) / sizeof(*not_counted); i++)
		if (strcmp(code, not_counted[i]) == 0)
			return -1;
	for (unsigned i = 0; i < STATS_REASONS - 1; i++)
		if (strcmp(code, reasons[i]) == 0)
			return (int)i;
	return STATS_REASONS - 1;
}

void stats_refused(struct stats *st, const char *code)
{
	int i = reason_slot(code);

	if (i >= 0)
		st->refused[i]++;
}

void stats_dropped(struct stats *st, const char *code)
{
	int i = reason_slot(code);

	if (i >= 0)
		st->dropped[i]++;
}

void stats_observe(struct stats_histogram *h, double seconds)
{
	unsigned i = 0;

	while (i < h->nbounds && seconds > h->bounds[i])
		i++;
	if (i < h->nbounds)
		h->buckets[i]++;
	h->count++;
	h->sum += seconds;
}

const char *stats_upload_name(enum stats_upload r)
{
	static const char *const names[STATS_UP_RESULTS] = {
		"kept", "corrupt", "too-large", "full", "timeout", "cancelled", "refused", "lost",
	};

	return names[r];
}

const char *stats_download_name(enum stats_download r)
{
	static const char *const names[STATS_DOWN_RESULTS] = {
		"sent", "gone", "cancelled", "refused", "lost",
	};

	return names[r];
}
