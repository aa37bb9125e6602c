/* SPDX-License-Identifier: ISC */
/* held.c - the held queue of one conn (see held.h). */
#include "held.h"

#include <errno.h>

#include <event2/buffer.h>

#include "conn.h"
#include "log.h"
#include "server.h"

int conn_hold(struct conn *c, const struct fd_frame *f)
{
	/* Made on first use: most members never hold anything, and idle ones are most of them. */
	if ((!c->held && !(c->held = evbuffer_new())) ||
	    fd_frame_encode(c->held, f->type, f->body, f->len) < 0) {
		/* Ours, not the peer's, fault: not "server-full", which tells it to come back. */
		conn_fail(c, "out-of-memory", "the server could not keep your message");
		return -ENOMEM;
	}
	if (!(c->paused & PAUSE_HELD) &&
	    evbuffer_get_length(c->held) > c->server->config.max_held_bytes) {
		conn_pause(c, PAUSE_HELD);
		log_debug("%s (%s): holding %zu bytes, reading paused", c->peer, c->nick,
			  evbuffer_get_length(c->held));
	}
	return 0;
}

bool conn_has_held(const struct conn *c)
{
	return c->held && evbuffer_get_length(c->held) > 0;
}

bool conn_take_held(struct conn *c, char *body, struct fd_frame *ret)
{
	size_t want;

	if (!c->held || fd_frame_decode(c->held, FD_FRAME_MAX_LEN, body, ret, &want) != 1)
		return false;
	if (evbuffer_get_length(c->held) <= c->server->config.max_held_bytes)
		conn_resume(c, PAUSE_HELD);
	return true;
}

void conn_unhold(struct conn *c, const struct fd_frame *f)
{
	struct evbuffer *one = evbuffer_new();

	/* Only ever after conn_take_held(), so @held exists; made here should that change. */
	if (!c->held)
		c->held = evbuffer_new();
	if (!one || !c->held) {
		evbuffer_free(one);
		return;
	}
	if (fd_frame_encode(one, f->type, f->body, f->len) == 0)
		evbuffer_prepend_buffer(c->held, one);
	evbuffer_free(one);
}

void conn_drop_held(struct conn *c)
{
	if (c->held)
		evbuffer_drain(c->held, evbuffer_get_length(c->held));
	conn_resume(c, PAUSE_HELD);
}
