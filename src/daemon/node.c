/* SPDX-License-Identifier: ISC */
/*
 * node.c - this daemon as one node of a cluster (cluster = redis://...): the bus's hooks
 * (cluster.h) on the server's side. What comes back goes to the room; the members hear when
 * the node loses Redis and when it is back ("cluster-down", "cluster-up": new notices, so only
 * for clients granted a capability, and line members), and when Redis lost its data ("epoch
 * E" again, to those granted "ids": they forget the IDs they saw, protocol 7.2).
 */
#include "node.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <event2/event.h>

#include "cluster.h"
#include "conn.h"
#include "log.h"
#include "notify.h"
#include "room.h"
#include "server.h"

static void on_deliver(void *arg, const struct bus_msg *m)
{
	room_bus_deliver(arg, m);
}

/* @what to every attached member granted one of @caps, and to line members if @line. */
static void tell_members(struct server *s, unsigned caps, bool line, const char *what)
{
	struct conn *c;

	TAILQ_FOREACH (c, &s->conns, entry)
		if (conn_live(c) && c->mode_link == MODE_LINK_ATTACHED &&
		    ((c->caps & caps) || (line && c->proto == PROTO_LINE)))
			conn_notice(c, "%s", what);
}

static void on_state(void *arg, bool up)
{
	struct server *s = arg;

	tell_members(s, ~0u, true, up ? "cluster-up" : "cluster-down");
	notify_status_now(s->notify);
}

void node_pause(struct conn *c)
{
	if (!conn_live(c))
		return;
	conn_pause(c, PAUSE_CLUSTER);
	conn_error_now(c, "cluster-unavailable",
		       "the server cannot reach its cluster and holds all it may; nothing you send "
		       "is read until it can");
}

/* The outbox is full (@full): every reader is paused until it is back under half. */
static void on_full(void *arg, bool full)
{
	struct server *s = arg;
	struct conn *c;

	s->cluster_full = full;
	log_warnx("cluster: %s", full ? "the outbox is full; reading stops until Redis is back"
				       : "the outbox drained; reading again");
	TAILQ_FOREACH (c, &s->conns, entry)
		if (full)
			node_pause(c);
		else
			conn_resume(c, PAUSE_CLUSTER);
}

static void on_new_epoch(void *arg, const char *epoch)
{
	char what[64];

	snprintf(what, sizeof(what), "epoch %s", epoch);
	tell_members(arg, CAP_IDS, false, what);
}

static void on_published(void *arg, double seconds)
{
	struct server *s = arg;

	stats_observe(&s->stats.publish, seconds);
	/* Stopping, the sweep waits for the last of them (server.c). */
	if (s->stopping && !cluster_held_bytes(s->cluster))
		event_active(s->sweep, EV_READ, 0);
}

int node_start(struct server *s)
{
	static const struct cluster_hooks hooks = {
		.deliver = on_deliver,
		.state = on_state,
		.full = on_full,
		.new_epoch = on_new_epoch,
		.published = on_published,
	};

	if (!s->config.cluster)
		return 0;
	if (s->config.mode != MODE_GROUP) {
		log_warnx("cluster: only mode = group runs on several nodes in this version; "
			  "the desk's line across nodes comes next");
		return -ENOTSUP;
	}
	return cluster_new(s->base, &s->config, &hooks, s, &s->cluster);
}
