/* SPDX-License-Identifier: ISC */
/*
 * file-route.c - a kept upload to the mode (file-route.h).
 *
 * A file message takes the path of its sender's chat message: it is handed to the mode's
 * message hook as a frame of type 6 (FD_FRAME_DATA) whose body is the text "SHA256 SIZE TYPE
 * NAME". The type is the file flag, carried alongside the text wherever the modes keep a
 * message as a frame (held, records, replays): record_store() and the room read it into
 * store_msg.file, and deliver.c gives a file message as the "file" notice to peers granted
 * "files" and nothing to the others. So the hold while no agent, strict turns, mutes, the
 * store, IDs, history and the cluster treat it as they treat chat, with no second path.
 *
 * TO: "*" is the sender's conversation (a customer's, the room, an agent's only customer);
 * else an agent names one of its customers, which becomes the "NAME: " prefix of 7.5 for an
 * agent granted "agent" (the team and cluster desk read it, as for its chat).
 */
#include "file-route.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <frontdesk/frame.h>

#include "cdesk.h"
#include "conn.h"
#include "desk.h"
#include "file-keep.h"
#include "server.h"
#include "team.h"

/* The name of agent @c's customer that @to ("*" or a name) means; NULL: none. */
static const char *customer_of(struct conn *c, const char *to)
{
	struct server *s = c->server;
	const char *name = strcmp(to, "*") == 0 ? "" : to;

	if (s->team)
		return team_customer(c, name);
	if (s->cdesk)
		return cdesk_customer(c, name);
	if (s->desk)
		return desk_customer(s, name);
	return NULL;
}

const char *file_route_check(struct conn *c, const char *to)
{
	if (c->role == ROLE_AGENT && !c->server->room)
		return customer_of(c, to) ? NULL : "no-customer";
	/* A customer, or a room's member: its one conversation. */
	return strcmp(to, "*") == 0 ? NULL : "no-customer";
}

struct conn *file_route_deaf(struct conn *c, const char *to)
{
	struct server *s = c->server;
	const char *name = strcmp(to, "*") == 0 ? "" : to;
	struct conn *peer = NULL;

	if (s->team)
		peer = team_file_peer(c, name);
	else if (s->desk)
		peer = desk_file_peer(c);
	return peer && conn_live(peer) && !peer->kept && !(peer->caps & CAP_FILES) ? peer : NULL;
}

int file_route_send(struct conn *c, const char *to, const char *text, size_t len)
{
	char body[FD_FRAME_BODY_BUFSIZE];
	struct fd_frame f = { .type = FD_FRAME_DATA, .body = body };
	const char *name = NULL;
	int n = 0;

	/* Sent again: young again, whatever retention thought of it (file-keep.c). */
	file_keep_touch(c->server, text, len);

	if (file_route_check(c, to)) {
		/* Its customer left while the bytes came: kept, but it reaches nobody. */
		conn_error(c, "no-customer", "%s is not one of your customers; file not sent", to);
		return -ENOENT;
	}
	if (c->role == ROLE_AGENT && !c->server->room && (c->caps & CAP_AGENT) && !c->server->desk)
		name = customer_of(c, to);
	if (name)
		n = snprintf(body, sizeof(body), "%s: ", name);
	if (n < 0 || (size_t)n + len > FD_MESSAGE_MAX_TEXT)
		return -E2BIG; /* cannot be: a name and "SHA256 SIZE TYPE NAME" are short */
	memcpy(body + n, text, len);
	f.len = (size_t)n + len;
	body[f.len] = '\0';
	c->server->mode->message(c, &f);
	return 0;
}
