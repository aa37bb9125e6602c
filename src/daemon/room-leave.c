/* SPDX-License-Identifier: ISC */
/*
 * room-leave.c - members leaving the room: a member that leaves with messages held becomes a
 * leaver, which sends them at its pace, then "left NAME" (see room.c).
 */
#include "room-priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "cluster.h"
#include "log.h"
#include "room.h"
#include "server.h"
#include "session.h"

void member_free(struct member *m)
{
	if (m->flood_timer)
		event_free(m->flood_timer);
	free(m);
}

unsigned leavers_drop(struct room *r, bool (*match)(const struct leaver *l, const void *arg),
		      const void *arg)
{
	struct leaver *l, *next;
	unsigned n = 0;

	for (l = TAILQ_FIRST(&r->leavers); l; l = next) {
		next = TAILQ_NEXT(l, entry);
		if (!match(l, arg))
			continue;
		log_info("%s (%s), gone, is stopped: what it still held is dropped", l->nick,
			 l->peer);
		TAILQ_REMOVE(&r->leavers, l, entry);
		r->nleavers--;
		leaver_free(l);
		n++;
	}
	return n;
}

void leaver_free(struct leaver *l)
{
	if (l->timer)
		event_free(l->timer);
	if (l->held)
		evbuffer_free(l->held);
	free(l);
}

/* "left NICK" to every member, unless the room is too big for it (room_quiet()). */
static void say_left(struct room *r, const char *nick)
{
	if (!room_quiet(r, 1))
		tell_all(r, NULL, "left %s", nick);
}

/* Send what the leaver's pace allows; after its last message, it has left. */
static void leaver_release(struct leaver *l)
{
	struct room *r = l->room;
	double wait;

	if (!release(r, &l->pace, l->held, l->nick, NULL, &wait)) {
		arm(l->timer, wait);
		return;
	}
	TAILQ_REMOVE(&r->leavers, l, entry);
	r->nleavers--;
	log_debug("%s: its last held message is sent", l->nick);
	say_left(r, l->nick);
	leaver_free(l);
}

static void on_leaver_timer(evutil_socket_t fd, short what, void *arg)
{
	leaver_release(arg);
}

/* Send all of @held from @nick now, then "left NICK". */
static void send_all_and_leave(struct room *r, struct evbuffer *held, const char *nick)
{
	struct fd_frame f;
	size_t len;

	while (held && held_peek(held, &len)) {
		held_take(held, r->server->held_body, &f);
		room_send(r, nick, NULL, &f); /* a room message, or a private one */
	}
	say_left(r, nick);
}

/*
 * @m's conn is gone. Messages it still held were accepted: they go out at its pace (not all at
 * once, which would let anyone bypass the rate by leaving), then "left NAME". Leavers outlive
 * their conns, so they are bounded apart: past max_clients of them (joins unlimited, a crowd
 * that floods and leaves), a leaver's lines go at once, so memory stays within max_clients
 * times max_held_bytes and nothing accepted is lost.
 */
void member_leaves(struct room *r, struct member *m, struct conn *c)
{
	struct evbuffer *held = conn_give_held(c);
	struct leaver *l;

	/* Kicked or banned: "kicked"/"banned" said it, and what it still held goes nowhere. */
	if (m->removed) {
		if (held)
			evbuffer_free(held);
		return;
	}
	if (held && !r->server->stopping && r->nleavers >= r->server->config.max_clients) {
		log_warnx("%s: %u members are still sending their last lines; its own go at once",
			  c->nick, r->nleavers);
		send_all_and_leave(r, held, c->nick);
		evbuffer_free(held);
		return;
	}
	if (held && !r->server->stopping) {
		l = calloc(1, sizeof(*l));
		if (l && (l->timer = evtimer_new(r->server->base, on_leaver_timer, l))) {
			l->room = r;
			l->held = held;
			l->pace = m->pace;
			memcpy(l->nick, c->nick, sizeof(l->nick));
			/* c->peer is only as long as the address (conn.h): no memcpy of 64. */
			snprintf(l->peer, sizeof(l->peer), "%s", c->peer);
			TAILQ_INSERT_TAIL(&r->leavers, l, entry);
			r->nleavers++;
			leaver_release(l);
			return;
		}
		free(l);
		log_warnx("%s: out of memory; %zu bytes of its last messages are lost", c->nick,
			  evbuffer_get_length(held));
	}
	if (held)
		evbuffer_free(held);
	say_left(r, c->nick);
}

void room_leaver_names(struct server *s, struct cluster_names *names)
{
	struct leaver *l;

	if (s->room)
		TAILQ_FOREACH (l, &s->room->leavers, entry)
			cluster_names_add(names, l->nick);
}
