/* SPDX-License-Identifier: ISC */
/* offline.c - conversations given to an agent after the fact (see offline.h). */
#include "offline.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <event2/event.h>

#include <frontdesk/frame.h>

#include "conn.h"
#include "deliver.h"
#include "server.h"
#include "store.h"

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
	struct offline *o = arg;

	o->fetched(o->arg);
}

int offline_init(struct offline *o, struct server *s, void (*fetched)(void *arg), void *arg)
{
	*o = (struct offline){ .server = s, .fetched = fetched, .arg = arg };
	/* Conversations cut by a crash or kept by an earlier run wait in the store. */
	o->more = true;
	o->buf = evbuffer_new();
	o->retry = evtimer_new(s->base, on_retry, o);
	return o->buf && o->retry ? 0 : -ENOMEM;
}

void offline_free(struct offline *o)
{
	if (o->buf)
		evbuffer_free(o->buf);
	if (o->retry)
		event_free(o->retry);
	o->buf = NULL;
	o->retry = NULL;
}

/* The store gave the oldest conversation kept for the next agent (or none is left). */
static void on_offline(void *arg, const struct store_msg *msgs, size_t n, int err)
{
	struct offline *o = arg;
	char note[NICK_BUFSIZE + 32];

	o->fetching = false;
	if (err < 0) {
		/* Tried again in a second: not at once, which would spin while the store fails. */
		o->more = true;
		evtimer_add(o->retry, &(struct timeval){ .tv_sec = 1 });
		return;
	}
	if (n == 0) {
		o->more = false;
		o->fetched(o->arg);
		return;
	}
	snprintf(note, sizeof(note), "customer %s", msgs[0].from);
	fd_frame_encode(o->buf, FD_FRAME_NOTICE, note, strlen(note));
	for (size_t i = 0; i < n; i++)
		if (msgs[i].id)
			deliver_record_msg(o->buf, &msgs[i]);
	snprintf(note, sizeof(note), "customer-left %s", msgs[0].from);
	fd_frame_encode(o->buf, FD_FRAME_NOTICE, note, strlen(note));
	o->ticket = 0; /* read after its commit */
	o->giving = msgs[0].conv;
	o->giving_left = evbuffer_get_length(o->buf);
	o->to = 0;
	snprintf(o->customer, sizeof(o->customer), "%s", msgs[0].from);
	o->fetched(o->arg);
}

bool offline_give(struct offline *o, struct conn *agent)
{
	size_t before = evbuffer_get_length(o->buf), taken;
	bool sent;

	/* Begun with an agent that went: this one is told first whose conversation it is. */
	if (o->giving && o->to && o->to != agent->id)
		conn_notice(agent, "customer %s", o->customer);
	/* Paced by the agent's output: a conversation may be long. */
	sent = deliver_record_send(agent, o->buf, o->ticket, true);
	taken = before - evbuffer_get_length(o->buf);
	if (o->giving && taken)
		o->to = agent->id;
	o->giving_left = taken < o->giving_left ? o->giving_left - taken : 0;
	/* Given whole: the store need not keep it any more (until then a crash keeps it). */
	if (o->giving && o->giving_left == 0) {
		store_offline_done(o->server->store, o->giving);
		o->giving = 0;
	}
	/*
	 * One conversation at a time from the store: the oldest still kept, once this one is out.
	 * Not the next after the last one read: with several agents they end in any order. The
	 * read comes after the write that let go of the last one, so it never reads it again.
	 */
	if (evbuffer_get_length(o->buf) == 0 && o->more && !o->fetching &&
	    store_offline_next(o->server->store, 0, on_offline, o) == 0)
		o->fetching = true;
	return sent;
}
