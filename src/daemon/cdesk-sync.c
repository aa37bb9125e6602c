/* SPDX-License-Identifier: ISC */
/*
 * cdesk-sync.c - after each reconnection, the desk across nodes checks its conversations
 * against Redis (see cdesk.c). A node that lost Redis catches up on the events it missed from
 * the room's stream; but a Redis that went back in time (a failover that lost its last writes,
 * an old AOF) may have forgotten a conversation this node has, and the stream's bound may have
 * trimmed an event away. A conversation Redis no longer has would wait for ever: its customer
 * here goes back in line (told "transferred", then its place), its agent here hears that the
 * customer left; and each agent here is told to Redis again (which counts its conversations
 * again).
 *
 * Redis is read once this node has delivered every event up to the read (the read answers the
 * last ID given too): a conversation being ended or moved by an event still on its way is not
 * taken for a lost one.
 */
#include "cdesk.h"
#include "cdesk-priv.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <hiredis/hiredis.h>

#include "cluster.h"
#include "log.h"
#include "session.h"

/* Reads that found events still on their way, at most, before this node gives up until the
 * next reconnection. */
#define SYNC_TRIES 20
/* Conversations checked by one read, at most. */
#define SYNC_MAX 1000

/* KEYS[1]: "NAME:desk"; ARGV[1]: "N N ...". {the last ID given, then N, 1 or 0 for each}. */
static const char sync_lua[] =
    "local out = { redis.call('GET', string.sub(KEYS[1], 1, #KEYS[1] - 4) .. 'room:id') or '0' }\n"
    "for n in string.gmatch(ARGV[1], '%d+') do\n"
    "  out[#out + 1] = n\n"
    "  out[#out + 1] = redis.call('EXISTS', KEYS[1] .. ':c:' .. n)\n"
    "end\n"
    "return out\n";

/* Conversation @ch is gone from Redis: what each side here must know. */
static void lost(struct cdesk *d, struct dchat *ch)
{
	log_warnx("cluster: Redis no longer has conversation c%" PRIu64 " (%s): its customer goes "
		  "back in line",
		  ch->n, ch->cnick);
	if (ch->agent && dagent_here(ch->agent))
		conn_notice(ch->agent->conn, "customer-left %s", ch->cnick);
	cd_unserve_here(ch, "left");
	cdesk_requeue(ch);
}

static void on_sync(void *arg, const struct redisReply *r)
{
	struct cdesk *d = arg;
	struct dchat *ch;

	if (!r || r->type != REDIS_REPLY_ARRAY || r->elements < 1 ||
	    r->element[0]->type != REDIS_REPLY_STRING)
		return; /* lost again: the next reconnection checks */
	if (cluster_last_id(d->cl) < strtoull(r->element[0]->str, NULL, 10)) {
		if (++d->sync_tries < SYNC_TRIES)
			event_add(d->sync, &(struct timeval){ 0, 100000 });
		return;
	}
	/* Those ended or moved by an event meanwhile are no longer found here. */
	for (size_t i = 1; i + 1 < r->elements; i += 2)
		if (r->element[i]->type == REDIS_REPLY_STRING &&
		    r->element[i + 1]->type == REDIS_REPLY_INTEGER &&
		    r->element[i + 1]->integer == 0 &&
		    (ch = dchat_find(d, strtoull(r->element[i]->str, NULL, 10))))
			lost(d, ch);
}

static void sync_read(struct cdesk *d)
{
	struct evbuffer *ns = evbuffer_new();
	struct dchat *ch;
	unsigned n = 0;

	if (!ns)
		return;
	TAILQ_FOREACH (ch, &d->chats, entry)
		if (ch->n && n++ < SYNC_MAX)
			evbuffer_add_printf(ns, "%" PRIu64 " ", ch->n);
	if (n && n <= SYNC_MAX && evbuffer_add(ns, "", 1) == 0)
		cluster_desk_read(d->cl, sync_lua, (const char *)evbuffer_pullup(ns, -1), on_sync,
				  d);
	evbuffer_free(ns);
}

void cdesk_on_sync(evutil_socket_t fd, short what, void *arg)
{
	sync_read(arg);
}

void cdesk_sync(struct cdesk *d)
{
	struct dagent *a;

	/* Redis counts each agent's conversations again, and has it again if it forgot it. */
	TAILQ_FOREACH (a, &d->agents, entry)
		cdesk_agent_act(a);
	d->sync_tries = 0;
	sync_read(d);
}
