/* SPDX-License-Identifier: ISC */
/*
 * room.c - group mode: every message from a member goes to every member, sender included.
 *
 * State: the members in join order, each a struct member (its conn, its token bucket, its
 * flood timer) owned by the room, reached from the conn through conn->mode_data. Framed and
 * line members share the list.
 *
 * Broadcast encodes "NICK: TEXT" once per protocol (a frame, and a line only if a line member
 * is present) and appends those bytes to each member's output. Everything runs on the one event
 * loop and each message goes to all members at once, so every member sees one order. Sending
 * never frees: a member past max_output_bytes is only marked closing (conn_fail) and skipped;
 * the server's sweep calls room_detach() later, outside the loop. A member past
 * soft_output_bytes stops being read until it catches up, so it cannot make others' output grow.
 * Appending is a copy (evbuffer_add): measured with callgrind, 50 members, it costs about 385
 * instructions per member for a 100-byte message against 608 for evbuffer_add_reference on one
 * refcounted block (whose many small chains also cost more to write and free); references win
 * only for large messages (4000 bytes: 850 against 1190), which chat rarely has.
 *
 * Flood control: a token bucket per member (max_msgs_per_sec, msg_burst). A message that finds
 * the bucket empty is held, not lost; the member gets "error flood" and its reading pauses
 * until the bucket is full again. The FLOOD_STRIKES-th trip within FLOOD_FORGET seconds drops
 * the member with "error flood".
 */
#include "room.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "clock.h"
#include "line.h"
#include "log.h"
#include "nick.h"
#include "server.h"

/* Trips of the rate limit that drop a member, unless FLOOD_FORGET seconds pass between them. */
#define FLOOD_STRIKES 3
#define FLOOD_FORGET  30

struct member {
	struct room *room;
	struct conn *conn;
	struct event *flood_timer; /* ends a flood pause; made at the first one */
	double tokens;             /* messages it may send now, up to msg_burst */
	double refilled;           /* monotonic seconds of the last refill */
	double last_trip;
	unsigned strikes;
	bool expelled; /* dropped for flooding: what it had held back is not sent */
	TAILQ_ENTRY(member) entry;
};

TAILQ_HEAD(member_list, member);

struct room {
	struct server *server;
	struct member_list members; /* in join order */
	unsigned nmembers;
	unsigned nline;               /* members on the line protocol */
	struct evbuffer *line;        /* the current broadcast, encoded as a line */
	char frame[FD_FRAME_MAX_LEN]; /* the current broadcast, encoded as a frame */
};

static struct member *member_of(const struct conn *c)
{
	return c->mode_data;
}

/* Every live member with notices on (line members always) hears @fmt. */
#define tell_all(r, except, ...)                                                                   \
	do {                                                                                       \
		struct member *m_;                                                                 \
		TAILQ_FOREACH (m_, &(r)->members, entry)                                           \
			if (m_->conn != (except) && conn_live(m_->conn))                           \
				conn_notice(m_->conn, __VA_ARGS__);                                \
	} while (0)

/* Send "NICK: TEXT" from @from to every member, itself included. */
static void broadcast(struct room *r, struct conn *from, const char *text, size_t len)
{
	size_t nick_len = strlen(from->nick), body_len = nick_len + 2 + len;
	const void *line = NULL;
	size_t line_len = 0;
	struct member *m;
	char *body = r->frame + FD_FRAME_HEADER_LEN;

	if (body_len > FD_FRAME_MAX_BODY) {
		conn_error(from, "frame-too-long",
			   "with your nickname the message is over %d bytes; not sent",
			   FD_FRAME_MAX_BODY);
		return;
	}
	fd_frame_format_header(r->frame, FD_FRAME_MESSAGE, body_len);
	memcpy(body, from->nick, nick_len);
	memcpy(body + nick_len, ": ", 2);
	memcpy(body + nick_len + 2, text, len);
	if (r->nline) {
		evbuffer_drain(r->line, evbuffer_get_length(r->line));
		if (line_encode(r->line, FD_FRAME_MESSAGE, body, body_len) == 0) {
			line_len = evbuffer_get_length(r->line);
			line = evbuffer_pullup(r->line, -1);
		}
	}
	TAILQ_FOREACH (m, &r->members, entry) {
		struct conn *c = m->conn;

		if (!conn_live(c))
			continue;
		if (c->proto == PROTO_LINE) {
			if (line)
				conn_send_encoded(c, line, line_len);
		} else {
			conn_send_encoded(c, r->frame, FD_FRAME_HEADER_LEN + body_len);
		}
	}
}

/* Take one message's worth from @m's bucket; false when it is empty. */
static bool take_token(struct member *m)
{
	const struct config *cfg = &m->room->server->config;
	double now = fd_clock_seconds();

	if (!cfg->max_msgs_per_sec)
		return true;
	m->tokens += (now - m->refilled) * cfg->max_msgs_per_sec;
	if (m->tokens > cfg->msg_burst)
		m->tokens = cfg->msg_burst;
	m->refilled = now;
	if (m->tokens < 1)
		return false;
	m->tokens -= 1;
	return true;
}

/* Seconds until @m's bucket is full again. */
static double refill_time(const struct member *m)
{
	const struct config *cfg = &m->room->server->config;

	return (cfg->msg_burst - m->tokens) / cfg->max_msgs_per_sec;
}

static void arm_flood_timer(struct member *m)
{
	double wait = refill_time(m);
	struct timeval tv = { .tv_sec = (time_t)wait,
			      .tv_usec = (suseconds_t)((wait - (double)(time_t)wait) * 1e6) + 1 };

	evtimer_add(m->flood_timer, &tv);
}

static void on_flood_timer(evutil_socket_t fd, short what, void *arg);

/* @m sent a message with an empty bucket: pause it, or drop it when it keeps doing so. */
static void flood_trip(struct member *m)
{
	const struct config *cfg = &m->room->server->config;
	struct conn *c = m->conn;
	double now = fd_clock_seconds();

	if (now - m->last_trip > FLOOD_FORGET)
		m->strikes = 0;
	m->last_trip = now;
	if (!m->flood_timer)
		m->flood_timer = evtimer_new(c->server->base, on_flood_timer, m);
	if (++m->strikes >= FLOOD_STRIKES || !m->flood_timer) {
		m->expelled = true;
		conn_fail(c, "flood", "more than %u messages a second, %d times; disconnected",
			  cfg->max_msgs_per_sec, FLOOD_STRIKES);
		return;
	}
	conn_error(c, "flood", "more than %u messages a second; reading paused for %.1f s",
		   cfg->max_msgs_per_sec, refill_time(m));
	log_info("%s (%s): flood, reading paused", c->peer, c->nick);
	conn_pause(c, PAUSE_FLOOD);
	arm_flood_timer(m);
}

/* A flood pause is over: send what was held back, then read again. */
static void on_flood_timer(evutil_socket_t fd, short what, void *arg)
{
	struct member *m = arg;
	struct conn *c = m->conn;
	struct server *s = m->room->server;
	struct fd_frame f;

	if (!conn_live(c))
		return;
	while (conn_has_held(c) && take_token(m) && conn_take_held(c, s->held_body, &f))
		broadcast(m->room, c, f.body, f.len);
	if (conn_has_held(c))
		arm_flood_timer(m);
	else
		conn_resume(c, PAUSE_FLOOD);
}

static void room_hello(struct conn *c)
{
	if (c->proto == PROTO_LINE)
		conn_notice(c,
			    "welcome group %s -- /nick NAME renames you, "
			    "/who lists the members, quit leaves",
			    c->nick);
	else
		conn_notice(c, "welcome group %s", c->nick);
	/* The name asked for was taken: say so (a seed client cannot answer an error). */
	if (strcmp(c->asked, c->nick) != 0)
		conn_notice(c, "renamed %s %s", c->asked, c->nick);
}

static void room_attach(struct conn *c)
{
	struct room *r = c->server->room;
	struct member *m = calloc(1, sizeof(*m));

	if (!m) {
		conn_fail(c, "server-full", "out of memory");
		return;
	}
	m->room = r;
	m->conn = c;
	m->tokens = c->server->config.msg_burst;
	m->refilled = fd_clock_seconds();
	c->mode_data = m;
	TAILQ_INSERT_TAIL(&r->members, m, entry);
	r->nmembers++;
	if (c->proto == PROTO_LINE)
		r->nline++;
	conn_set_state(c, CONN_ACTIVE);
	tell_all(r, c, "joined %s", c->nick);
}

static void member_free(struct member *m)
{
	if (m->flood_timer)
		event_free(m->flood_timer);
	free(m);
}

static void room_detach(struct conn *c)
{
	struct room *r = c->server->room;
	struct member *m = member_of(c);
	struct fd_frame f;

	if (!m)
		return;
	/*
	 * Messages the rate limit held back were accepted: a member who leaves (a paste and
	 * "quit", or EOF) has them sent before "left". One expelled for flooding does not.
	 */
	while (!m->expelled && conn_take_held(c, c->server->held_body, &f))
		broadcast(r, c, f.body, f.len);
	TAILQ_REMOVE(&r->members, m, entry);
	r->nmembers--;
	if (c->proto == PROTO_LINE)
		r->nline--;
	c->mode_data = NULL;
	member_free(m);
	log_info("%s (%s) left the room, %u members", c->nick, c->peer, r->nmembers);
	tell_all(r, c, "left %s", c->nick);
}

static void room_message(struct conn *c, const struct fd_frame *f)
{
	struct member *m = member_of(c);

	/* Behind a held message, or over the rate: keep it (in order) and slow the sender. */
	if (conn_has_held(c) || !take_token(m)) {
		conn_hold(c, f);
		if (!(c->paused & PAUSE_FLOOD))
			flood_trip(m);
		return;
	}
	broadcast(c->server->room, c, f->body, f->len);
}

/* who: "member NICK" for each member in join order, then "members N". */
static void cmd_who(struct conn *c, const char *arg)
{
	struct room *r = c->server->room;
	struct member *m;
	unsigned n = 0;

	TAILQ_FOREACH (m, &r->members, entry) {
		if (!conn_live(m->conn))
			continue;
		conn_notice(c, "member %s", m->conn->nick);
		n++;
	}
	conn_notice(c, "members %u", n);
}

/* nick NAME: rename; a taken name gets a number, like at join. */
static void cmd_nick(struct conn *c, const char *arg)
{
	struct room *r = c->server->room;
	char old[NICK_BUFSIZE], nick[NICK_BUFSIZE];

	if (!fd_nick_valid(arg, strlen(arg))) {
		conn_error(c, "bad-nick", FD_NICK_RULE);
		return;
	}
	snprintf(nick, sizeof(nick), "%s", arg);
	server_unique_nick(c->server, c, nick);
	if (strcmp(nick, c->nick) == 0)
		return;
	memcpy(old, c->nick, sizeof(old));
	memcpy(c->nick, nick, sizeof(nick));
	log_info("%s: %s is now %s", c->peer, old, nick);
	tell_all(r, NULL, "renamed %s %s", old, nick);
}

/* For `systemctl status`: "3 members (1 on the line protocol)", "1 member", "no members". */
static void room_status(struct server *s, char *buf, size_t len)
{
	const struct room *r = s->room;

	if (!r->nmembers)
		snprintf(buf, len, "no members");
	else if (!r->nline)
		snprintf(buf, len, "%u member%s", r->nmembers, r->nmembers == 1 ? "" : "s");
	else
		snprintf(buf, len, "%u member%s (%u on the line protocol)", r->nmembers,
			 r->nmembers == 1 ? "" : "s", r->nline);
}

static const struct command room_commands[] = {
	{ "who", 1u << ROLE_MEMBER, ARG_NONE, cmd_who },
	{ "nick", 1u << ROLE_MEMBER, ARG_REQUIRED, cmd_nick },
	{ NULL, 0, ARG_NONE, NULL },
};

const struct mode_ops room_ops = {
	.attach = room_attach,
	.hello = room_hello,
	.message = room_message,
	.detach = room_detach,
	.status = room_status,
	.commands = room_commands,
};

size_t room_member_size(void)
{
	return sizeof(struct member);
}

int room_new(struct server *s, struct room **ret)
{
	struct room *r = calloc(1, sizeof(*r));

	if (!r)
		return -ENOMEM;
	r->server = s;
	TAILQ_INIT(&r->members);
	r->line = evbuffer_new();
	if (!r->line) {
		free(r);
		return -ENOMEM;
	}
	*ret = r;
	return 0;
}

/* The conns are the server's (and may be freed already): only the members are freed here. */
void room_free(struct room *r)
{
	struct member *m;

	if (!r)
		return;
	while ((m = TAILQ_FIRST(&r->members))) {
		TAILQ_REMOVE(&r->members, m, entry);
		member_free(m);
	}
	evbuffer_free(r->line);
	free(r);
}
