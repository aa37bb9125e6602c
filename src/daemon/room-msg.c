/* SPDX-License-Identifier: ISC */
/*
 * room-msg.c - private messages in the room: "msg NICK TEXT" (a line member's "/msg NICK text")
 * reaches NICK alone, and its sender's own copy if it is granted "ids".
 *
 * A private message takes its way through the room as a room message does, so what holds for
 * one holds for the other: the same flood control (it counts against the sender's pace and is
 * held in order among its room messages, as a type 4 frame "CONN NICK TEXT" in conn->held (the
 * number of the conn called NICK when it was written: it goes to that member); a leaver's
 * go out at its pace too), and an ID from the same counter, given when it is released. The
 * client drops a message whose ID is not above the highest it saw, so a private message waits
 * in the room's FIFO (room-fanout.c) with the broadcasts: nobody gets ID N before N - 1.
 *
 * It is not kept: not in the room's history (nor any history, resume or frontdeskctl), only its
 * ID is written (store_reserve_id(): meta's last_id), so that no restart gives that ID again;
 * it is delivered once that write has committed, as anything with an ID. So a member whose
 * connection is lost does not get back the private messages it had not read, and one whose
 * session waits to be resumed cannot be sent any ("NICK is away"): the sender is told.
 *
 * Who gets what: the target, granted "ids", type 5 "ID TIME @SENDER SENDER TEXT"; framed with
 * notices, the notice "private SENDER -- TEXT"; on the line protocol, "* private from SENDER:
 * TEXT", which no member can forge: a member's line is "NICK: TEXT", a nickname has no space
 * (nick.c), so only the server writes a line that starts with "* ", and control characters in
 * a text are shown as spaces (line_encode()). A seed client (no notices) cannot tell a private
 * message from the room's: it gets none, and the sender hears "error no-such-nick".
 */
#include "room-priv.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "clock.h"
#include "cluster.h"
#include "deliver.h"
#include "line.h"
#include "log.h"
#include "room.h"
#include "server.h"
#include "session.h"

/* "ID TIME @NICK FROM " at its longest: 20 digits each, two nicknames, four spaces and "@". */
#define TAG_MAX(from_len, to_len) (20 + 1 + 20 + 1 + 1 + (to_len) + 1 + (from_len) + 1)

/* Whether what @nick sends is refused: an operator muted it (room-mod.c keeps the mutes). */
static bool muted(struct room *r, const char *nick)
{
	return r->nmutes && room_muted(r, nick);
}

/* Whether @t can be sent a private message it can tell from the room's. */
static bool can_receive(const struct conn *t)
{
	return t->proto == PROTO_LINE || t->notices;
}

/*
 * In a cluster a private message takes its ID from the same sequence as the room's, so it goes
 * on the bus too (not into the stream: it is not kept) and is delivered when it comes back.
 */
static void private_publish(struct room *r, const struct pending *p, struct conn *from)
{
	struct bus_msg b = { .kind = BUS_PRIVATE,
			     .time_ms = p->m.time_ms,
			     .a = p->from_conn,
			     .b = p->to_conn,
			     .from = p->m.from,
			     .to = p->to,
			     .text = p->m.text,
			     .len = p->m.len };

	if (cluster_publish(r->server->cluster, &b) < 0 && from)
		conn_error(from, "out-of-memory", "your message could not be sent");
}

/* A private message for a member of another node, until the cluster says which has it. */
struct private_req {
	struct server *server;
	uint64_t from;   /* the sender's conn, while it is live */
	bool copy;       /* ...granted "ids": its copy */
	int64_t time_ms; /* accepted */
	char nick[NICK_BUFSIZE], to[NICK_BUFSIZE];
	size_t len;
	char text[];
};

static void on_private_whois(void *arg, const char *node, int err)
{
	struct private_req *q = arg;
	struct conn *from = q->from ? server_find_conn(q->server, q->from) : NULL;
	struct bus_msg b = { .kind = BUS_PRIVATE,
			     .time_ms = q->time_ms,
			     .from = q->nick,
			     .to = q->to,
			     .text = q->text,
			     .len = q->len };

	if (from && !conn_live(from))
		from = NULL;
	if (node && strcmp(node, cluster_node(q->server->cluster)) != 0) {
		b.a = from && q->copy ? from->id : 0;
		if (cluster_publish(q->server->cluster, &b) < 0 && from)
			conn_error(from, "out-of-memory", "your message could not be sent");
	} else if (from) {
		conn_error(from, err < 0 ? "cluster-unavailable" : "no-such-nick",
			   err < 0 ? "the cluster cannot be asked who has %s now"
				   : "no member is called %s",
			   q->to);
	}
	free(q);
}

/*
 * In a cluster a name not found here may be a member of another node: the cluster says which
 * (cluster_whois()), and the message goes on the bus for that node to deliver. Whether its
 * target can read private messages only that node knows: the sender is not told if not.
 */
static void private_elsewhere(struct room *r, const char *nick, struct conn *from, const char *to,
			      const char *text, size_t len)
{
	struct private_req *q = calloc(1, sizeof(*q) + len);

	if (!q) {
		if (from)
			conn_error(from, "out-of-memory", "your message could not be sent");
		return;
	}
	q->server = r->server;
	q->from = from ? from->id : 0;
	q->copy = from && (from->caps & CAP_IDS);
	q->time_ms = fd_clock_unix_ms();
	snprintf(q->nick, sizeof(q->nick), "%s", nick);
	snprintf(q->to, sizeof(q->to), "%s", to);
	memcpy(q->text, text, len);
	q->len = len;
	if (cluster_whois(r->server->cluster, to, on_private_whois, q) < 0)
		on_private_whois(q, NULL, -ENOTCONN);
}

/*
 * Private message @body ("CONN NICK TEXT", @len bytes: cmd_msg() put there the number of the
 * conn called NICK when it was sent) from @nick, released now: its ID, then to that conn (and
 * the sender's copy) after what waits. Held meanwhile (its sender's pace), it goes to whom it
 * was written to, not to whoever has the name by now. @from: the sender while it is live (a
 * leaver's has none), told why when nothing can be sent.
 */
static void private_send(struct room *r, const char *nick, struct conn *from, const char *body,
			 size_t len)
{
	char *end;
	unsigned long long id = strtoull(body, &end, 10);
	const char *sp;
	size_t to_len;
	struct pending p = { .to = NULL };
	char to[NICK_BUFSIZE] = "";
	struct conn *t = id ? server_find_conn(r->server, id) : NULL;

	len -= (size_t)(end + 1 - body); /* past "CONN " */
	body = end + 1;
	sp = memchr(body, ' ', len);
	to_len = sp ? (size_t)(sp - body) : 0; /* cmd_msg() made sure of the space */
	if (to_len && to_len < sizeof(to)) {
		memcpy(to, body, to_len);
		to[to_len] = '\0';
	}
	if (t && !conn_live(t))
		t = NULL;
	if ((!t || !member_of(t)) && r->server->cluster && *to) {
		private_elsewhere(r, nick, from, to, sp + 1, len - to_len - 1);
		return;
	}
	if (!t || !member_of(t)) {
		if (from && *to && session_nick_reserved(r->server, to))
			conn_error(from, "no-such-nick",
				   "%s is away; private messages are not kept for it", to);
		else if (from)
			conn_error(from, "no-such-nick", "no member is called %.*s",
				   (int)(to_len < NICK_BUFSIZE ? to_len : NICK_BUFSIZE), body);
		return;
	}
	if (!can_receive(t)) {
		if (from)
			conn_error(from, "no-such-nick", "%s cannot receive private messages", to);
		return;
	}
	p.m = (struct store_msg){
		.time_ms = fd_clock_unix_ms(), .from = nick, .text = sp + 1, .len = len - to_len - 1
	};
	if (TAG_MAX(strlen(nick), to_len) + p.m.len > FD_FRAME_MAX_BODY) {
		if (from)
			conn_error(from, "frame-too-long",
				   "with the nicknames the message is over %d bytes; not sent",
				   FD_FRAME_MAX_BODY);
		return;
	}
	p.data = p.m.text;
	p.len = p.m.len;
	p.to = t->nick;
	p.to_conn = t->id;
	/* To itself: one copy, the target's (the same ID twice would be dropped as seen). */
	if (from && from != t && (from->caps & CAP_IDS))
		p.from_conn = from->id;
	r->server->stats.messages++;
	if (r->server->cluster) {
		private_publish(r, &p, from);
		return;
	}
	p.ticket = store_reserve_id(r->server->store, &p.m.id);
	if (queue_entry(r, &p, from) < 0)
		log_warnx("out of memory: private message %" PRIu64 " is not delivered", p.m.id);
}

/*
 * Back from the bus: to its parties here, after what waits, as private_send() queues it. On
 * the sender's node, the sender's copy (and the target, if it is a member there); on another,
 * the member called @m->to, if it is there and can tell a private message from the room's.
 */
void private_from_bus(struct room *r, const struct bus_msg *m)
{
	struct pending p = {
		.data = m->text, .len = m->len, .to = m->to, .to_conn = m->b, .from_conn = m->a
	};
	struct conn *t;

	if (!m->mine) {
		t = server_find_nick(r->server, m->to);
		if (!t || !member_of(t) || !can_receive(t))
			return;
		p.to_conn = t->id;
		p.from_conn = 0;
	}
	p.m = (struct store_msg){
		.id = m->id, .time_ms = m->time_ms, .from = m->from, .text = m->text, .len = m->len
	};
	if (queue_entry(r, &p, NULL) < 0)
		log_warnx("out of memory: private message %" PRIu64 " is not delivered", m->id);
}

void room_send(struct room *r, const char *nick, struct conn *from, const struct fd_frame *f)
{
	/* Checked as it goes out: it has cost its pace; a leaver's last ones go nowhere. */
	if (muted(r, nick)) {
		if (from)
			conn_error(from, "muted", "an operator muted you: nothing you say is sent");
		return;
	}
	if (f->type == FD_FRAME_COMMAND)
		private_send(r, nick, from, f->body, f->len);
	else
		relay(r, nick, from, f);
}

void private_encode(struct evbuffer *out, const struct pending *p, const struct conn *c)
{
	char body[FD_FRAME_BODY_BUFSIZE];
	unsigned enc = c ? deliver_enc(deliver_kind(c)) : DELIVER_FRAME;
	bool target = c && c->id == p->to_conn;
	int n;

	if (!c || (!target && c->id != p->from_conn))
		return;
	if (enc == DELIVER_TAGGED)
		n = snprintf(body, sizeof(body), "%" PRIu64 " %" PRId64 " @%s %s ", p->m.id,
			     p->m.time_ms, target ? p->m.from : p->to, p->m.from);
	else if (!target)
		return; /* the sender's copy is for "ids" only */
	else if (enc == DELIVER_LINE)
		n = snprintf(body, sizeof(body), "private from %s: ", p->m.from);
	else if (c->notices)
		n = snprintf(body, sizeof(body), "private %s -- ", p->m.from);
	else
		return;
	if (n < 0 || (size_t)n + p->len > FD_FRAME_MAX_BODY)
		return; /* cannot be: private_send() made sure it fits */
	memcpy(body + n, p->data, p->len);
	if (enc == DELIVER_TAGGED)
		fd_frame_encode(out, FD_FRAME_TAGGED, body, (size_t)n + p->len);
	else if (enc == DELIVER_LINE)
		line_encode(out, FD_FRAME_NOTICE, body, (size_t)n + p->len);
	else
		fd_frame_encode(out, FD_FRAME_NOTICE, body, (size_t)n + p->len);
}

/* msg NICK TEXT: to NICK alone, on the way a room message takes (its pace, its order). */
void cmd_msg(struct conn *c, const char *arg)
{
	const char *sp = strchr(arg, ' ');
	char body[FD_FRAME_BODY_BUFSIZE], to[NICK_BUFSIZE] = "";
	struct fd_frame f = { .type = FD_FRAME_COMMAND, .body = body };
	struct conn *t = NULL;
	int n;

	if (muted(c->server->room, c->nick)) {
		conn_error(c, "muted", "an operator muted you: nothing you say is sent");
		return;
	}
	if (!sp || sp == arg || !sp[1]) {
		conn_error(c, "bad-command", "msg NICK TEXT");
		return;
	}
	if (strlen(sp + 1) > FD_MESSAGE_MAX_TEXT) {
		conn_error(c, "frame-too-long", "a message is at most %d bytes; %zu bytes not sent",
			   FD_MESSAGE_MAX_TEXT, strlen(sp + 1));
		return;
	}
	/* Whom it is written to, now: held, it goes to that member or to nobody. */
	if ((size_t)(sp - arg) < sizeof(to)) {
		memcpy(to, arg, (size_t)(sp - arg));
		t = server_find_nick(c->server, to);
	}
	n = snprintf(body, sizeof(body), "%llu %s", t ? (unsigned long long)t->id : 0ULL, arg);
	if (n < 0 || (size_t)n >= sizeof(body)) {
		conn_error(c, "frame-too-long", "the message is too long to send privately");
		return;
	}
	f.len = (size_t)n;
	room_ops.message(c, &f);
}
