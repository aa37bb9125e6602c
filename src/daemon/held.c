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

bool held_peek(struct evbuffer *held, size_t *ret_len)
{
	char digits[4];
	size_t len = 0;

	/* Frames we encoded ourselves: "LLLL|2|BODY". */
	if (!held || evbuffer_copyout(held, digits, sizeof(digits)) != sizeof(digits))
		return false;
	for (size_t i = 0; i < sizeof(digits); i++)
		len = len * 10 + (size_t)(digits[i] - '0');
	*ret_len = len - FD_FRAME_HEADER_LEN;
	return true;
}

bool held_file_first(struct evbuffer *held)
{
	char head[FD_FRAME_HEADER_LEN];

	/* "LLLL|T|": the type is the sixth byte. */
	return held && evbuffer_copyout(held, head, sizeof(head)) == sizeof(head) &&
	       head[5] == '0' + FD_FRAME_DATA;
}

bool held_take(struct evbuffer *held, char *body, struct fd_frame *ret)
{
	size_t want;

	/* Our own frames: type 2, or the desk's type 5 records (desk-record.c). */
	return held && fd_frame_decode_from_server(held, FD_FRAME_MAX_LEN, body, ret, &want) == 1;
}

bool conn_take_held(struct conn *c, char *body, struct fd_frame *ret)
{
	if (!held_take(c->held, body, ret))
		return false;
	if (evbuffer_get_length(c->held) <= c->server->config.max_held_bytes)
		conn_resume(c, PAUSE_HELD);
	return true;
}

void conn_drop_held(struct conn *c)
{
	if (c->held)
		evbuffer_drain(c->held, evbuffer_get_length(c->held));
	conn_resume(c, PAUSE_HELD);
}

void conn_adopt_held(struct conn *c, struct evbuffer *held)
{
	if (!held)
		return;
	if (c->held)
		evbuffer_free(c->held);
	c->held = held;
	if (evbuffer_get_length(held) > c->server->config.max_held_bytes)
		conn_pause(c, PAUSE_HELD);
}

void conn_move_held(struct conn *to, struct conn *from)
{
	conn_adopt_held(to, conn_give_held(from));
}

struct evbuffer *conn_give_held(struct conn *c)
{
	struct evbuffer *held = c->held;

	if (!conn_has_held(c))
		return NULL;
	log_debug("%s (%s): %zu bytes held at the end", c->peer, c->nick,
		  evbuffer_get_length(held));
	c->held = NULL;
	conn_resume(c, PAUSE_HELD);
	return held;
}
