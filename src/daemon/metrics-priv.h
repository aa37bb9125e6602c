/* SPDX-License-Identifier: ISC */
/*
 * metrics-priv.h - what metrics.c's two answers share: one snapshot of the gauges, taken per
 * request, written out as Prometheus text (metrics-text.c) or JSON (metrics-json.c).
 */
#ifndef FRONTDESK_METRICS_PRIV_H
#define FRONTDESK_METRICS_PRIV_H

#include <stdint.h>

#include "conn.h"
#include "inspect.h"

struct evbuffer;
struct server;

/* The gauges at one moment. */
struct snapshot {
	unsigned conns[3][2]; /* live conns by enum conn_role and enum conn_proto */
	uint64_t unsent;      /* bytes of output not yet written, across conns */
	unsigned waiting;     /* customers in line */
	double longest_wait;  /* seconds, of the one waiting longest */
	unsigned agents[AGENT_STATUSES];
	unsigned members;      /* group mode: attached members */
	double uptime;         /* seconds */
	const char *not_ready; /* metrics_not_ready() */
};

void snapshot_take(struct server *s, struct snapshot *sn);

/* The process's own numbers (the process_* metrics); -1 where /proc does not say. */
struct process_stats {
	double cpu_seconds;
	double rss_bytes, vsz_bytes;
	double open_fds, max_fds;
};

void process_stats_read(struct process_stats *ps);

/* metrics_text() - the Prometheus text exposition format 0.0.4. */
void metrics_text(struct server *s, struct evbuffer *out);
/* metrics_status() - the JSON of /status (frontdeskctl status). */
void metrics_status(struct server *s, struct evbuffer *out);

#endif
