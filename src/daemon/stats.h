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

/* How an upload ended (files.h); stats_upload_name() says it in /metrics. */
enum stats_upload {
	STATS_UP_KEPT,      /* verified and kept: its file message went */
	STATS_UP_CORRUPT,   /* more bytes than SIZE, or a size or SHA-256 that differs */
	STATS_UP_TOO_LARGE, /* refused at the offer: over max_file_size */
	STATS_UP_FULL,      /* refused or cut: the quota or the disk full, a write failed */
	STATS_UP_TIMEOUT,   /* no data for file_timeout */
	STATS_UP_CANCELLED, /* file-cancel */
	STATS_UP_REFUSED,   /* refused at the offer otherwise: malformed, no such customer... */
	STATS_UP_LOST,      /* its conn ended first */
	STATS_UP_RESULTS
};

/* How a download ended; stats_download_name(). */
enum stats_download {
	STATS_DOWN_SENT,      /* every byte went */
	STATS_DOWN_GONE,      /* no such file kept, or it could not be read */
	STATS_DOWN_CANCELLED, /* file-cancel */
	STATS_DOWN_REFUSED,   /* malformed, TAG in use, too many open */
	STATS_DOWN_LOST,      /* its conn ended first */
	STATS_DOWN_RESULTS
};

struct stats_files {
	uint64_t up[STATS_UP_RESULTS];
	uint64_t down[STATS_DOWN_RESULTS];
	uint64_t bytes_up;   /* data bytes written to uploads (kept or not) */
	uint64_t bytes_down; /* data bytes sent in downloads */
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
	struct stats_files files;
};

void stats_init(struct stats *st);
/* stats_reason_name() - the code counted in slot @i ("other" for the last). */
const char *stats_reason_name(unsigned i);
/* stats_refused()/stats_dropped() - a peer refused before it was attached, or dropped after. */
void stats_refused(struct stats *st, const char *code);
void stats_dropped(struct stats *st, const char *code);
void stats_observe(struct stats_histogram *h, double seconds);
const char *stats_upload_name(enum stats_upload r);
const char *stats_download_name(enum stats_download r);

#endif
