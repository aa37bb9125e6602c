/* SPDX-License-Identifier: ISC */
/*
 * conn-kept.c - a conn with no peer: kept by the mode in the place of a customer whose session
 * survived a restart, or one whose socket was let go while its session waits (session.h).
 * Out of conn.c, which is about a live peer's bytes.
 */
#include "conn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/bufferevent.h>
#include <event2/event.h>

#include "admit.h"
#include "clock.h"
#include "conn-write.h"
#include "deliver.h"
#include "server.h"

struct conn *conn_new_kept(struct server *s, enum conn_role role, const char *nick)
{
	struct bufferevent *none = bufferevent_socket_new(s->base, -1, 0);
	static const char kept[] = "kept across a restart";
	struct conn *c = none ? calloc(1, sizeof(*c) + sizeof(kept)) : NULL;

	if (!c) {
		if (none)
			bufferevent_free(none);
		return NULL;
	}
	c->server = s;
	c->bev = none;
	c->id = ++s->next_id;
	c->role = role;
	c->state = CONN_DEAD;
	c->mode_link = MODE_LINK_DETACHED;
	c->kept = true;
	c->since = fd_clock_seconds();
	snprintf(c->nick, sizeof(c->nick), "%s", nick);
	memcpy(c->peer, kept, sizeof(kept));
	c->asked = "";
	TAILQ_INSERT_TAIL(&s->gone, c, entry);
	return c;
}

void conn_release_socket(struct conn *c)
{
	struct bufferevent *none;

	/* A pair end (a web client's, web.h) holds no descriptor but its partner's socket. */
	if (bufferevent_getfd(c->bev) < 0 && !bufferevent_pair_get_partner(c->bev))
		return;
	/*
	 * It holds no descriptor now: it no longer counts against max_clients and
	 * max_per_address (its own resume must get in), and what waited for its peer goes (what
	 * it missed is replayed from the store).
	 */
	admit_forget(c);
	deliver_discard(c);
	conn_write_stop(c, false);
	none = bufferevent_socket_new(c->server->base, -1, 0);
	if (!none)
		return; /* kept with its descriptor: freed with the conn */
	bufferevent_free(c->bev);
	c->bev = none;
}
