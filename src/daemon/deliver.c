/* SPDX-License-Identifier: ISC */
/* deliver.c - commit, then deliver (see deliver.h). */
#include "deliver.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "conn.h"
#include "line.h"
#include "server.h"
#include "store.h"

static bool gate_shut(const struct conn *c)
{
	return c->gate_hold || c->gate_ticket;
}

struct evbuffer *deliver_out(struct conn *c)
{
	return gate_shut(c) ? c->gated : bufferevent_get_output(c->bev);
}

size_t deliver_gated(const struct conn *c)
{
	return c->gated ? evbuffer_get_length(c->gated) : 0;
}

static int make_gate(struct conn *c)
{
	if (!c->gated && !(c->gated = evbuffer_new()))
		return -ENOMEM;
	return 0;
}

/* @c on the server's list of gated conns: the next commit opens it. */
static int list_gated(struct conn *c)
{
	struct server *s = c->server;

	if (s->ngated == s->gated_cap) {
		size_t cap = s->gated_cap ? 2 * s->gated_cap : 16;
		struct conn **v = realloc(s->gated, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		s->gated = v;
		s->gated_cap = cap;
	}
	s->gated[s->ngated++] = c;
	return 0;
}

int deliver_gate(struct conn *c, uint64_t ticket)
{
	if (ticket <= store_committed(c->server->store))
		return 0;
	if (make_gate(c) < 0 || (!c->gate_ticket && list_gated(c) < 0))
		return -ENOMEM;
	c->gate_ticket = true; /* everything after this goes behind it, in order */
	return 0;
}

void deliver_forget(struct conn *c)
{
	struct server *s = c->server;

	if (!c->gate_ticket)
		return; /* listed exactly while its gate waits for a commit */
	for (size_t i = 0; i < s->ngated; i++)
		if (s->gated[i] == c) {
			s->gated[i] = NULL; /* deliver_committed() drops the hole */
			break;
		}
	c->gate_ticket = false;
}

int deliver_hold(struct conn *c)
{
	if (make_gate(c) < 0)
		return -ENOMEM;
	c->gate_hold = true;
	return 0;
}

/* Move what waited into the output, in order; the conn then checks its bounds. */
static void open_gate(struct conn *c)
{
	if (c->gated && evbuffer_get_length(c->gated) > 0)
		evbuffer_add_buffer(bufferevent_get_output(c->bev), c->gated);
	conn_output_added(c);
}

void deliver_release(struct conn *c)
{
	if (!c->gate_hold)
		return;
	c->gate_hold = false;
	if (!c->gate_ticket)
		open_gate(c);
}

struct evbuffer *deliver_set_aside(struct conn *c)
{
	struct evbuffer *aside = c->gated;

	c->gated = evbuffer_new();
	if (!c->gated) {
		c->gated = aside; /* no memory: the answer goes after the live messages */
		return NULL;
	}
	return aside;
}

void deliver_put_back(struct conn *c, struct evbuffer *aside)
{
	if (aside) {
		evbuffer_add_buffer(c->gated, aside);
		evbuffer_free(aside);
	}
	deliver_release(c);
}

void deliver_pass(struct conn *c)
{
	if (!c->gate_ticket)
		open_gate(c);
}

void deliver_discard(struct conn *c)
{
	if (c->gated)
		evbuffer_drain(c->gated, evbuffer_get_length(c->gated));
	deliver_forget(c);
	c->gate_hold = false;
}

/*
 * Only the conns gated before this commit: with a long line of idle customers, walking every
 * conn per commit was the desk's largest cost. open_gate() may close a conn (its output
 * bound; it moves to @gone, not freed) or gate another for the next batch (appended after
 * @n, left listed); the array is read afresh each time as that may move it.
 */
void deliver_committed(struct server *s)
{
	size_t n = s->ngated, kept = 0;

	for (size_t i = 0; i < n; i++) {
		struct conn *c = s->gated[i];

		if (!c)
			continue;
		s->gated[i] = NULL;
		c->gate_ticket = false;
		if (!c->gate_hold)
			open_gate(c);
	}
	for (size_t i = 0; i < s->ngated; i++)
		if (s->gated[i])
			s->gated[kept++] = s->gated[i];
	s->ngated = kept;
	if (s->mode && s->mode->committed)
		s->mode->committed(s); /* the room's deferred broadcasts */
}

size_t deliver_tag(char *buf, const struct store_msg *m)
{
	char conv[24];
	int n;

	if (m->conv)
		snprintf(conv, sizeof(conv), "c%" PRIu64, m->conv);
	else
		snprintf(conv, sizeof(conv), "*");
	n = snprintf(buf, FD_FRAME_BODY_BUFSIZE, "%" PRIu64 " %" PRId64 " %s %s ", m->id,
		     m->time_ms, conv, m->from);
	if (n < 0 || (size_t)n + m->len > FD_FRAME_MAX_BODY)
		return 0;
	memcpy(buf + n, m->text, m->len);
	return (size_t)n + m->len;
}

size_t deliver_file_tag(char *buf, const struct store_msg *m)
{
	char tagged[FD_FRAME_BODY_BUFSIZE];
	size_t len = deliver_tag(tagged, m);

	if (!len || len + 5 > FD_FRAME_MAX_BODY)
		return 0;
	memcpy(buf, "file ", 5);
	memcpy(buf + 5, tagged, len);
	return len + 5;
}

const char *deliver_conv_tag(const struct conn *to, uint64_t conv, char buf[24])
{
	buf[0] = '\0';
	if ((to->caps & CAP_IDS) && conv)
		snprintf(buf, 24, " c%" PRIu64, conv);
	return buf;
}

int deliver_msg(struct conn *c, uint64_t ticket, const struct store_msg *m, bool room)
{
	char body[FD_FRAME_BODY_BUFSIZE];
	size_t len;

	if (!conn_live(c))
		return -EPIPE;
	if (!deliver_takes(c, m))
		return 0; /* a peer that did not opt in never sees a file */
	if (deliver_gate(c, ticket) < 0) {
		conn_fail(c, "out-of-memory", "the server could not deliver a message");
		return -ENOMEM;
	}
	if (m->file) {
		len = deliver_file_tag(body, m);
		return len ? conn_send_frame(c, FD_FRAME_NOTICE, body, len) : -E2BIG;
	}
	if (c->caps & CAP_IDS) {
		len = deliver_tag(body, m);
		return conn_send_frame(c, FD_FRAME_TAGGED, body, len);
	}
	if (!room)
		return conn_send_frame(c, FD_FRAME_MESSAGE, m->text, m->len);
	len = (size_t)snprintf(body, sizeof(body), "%s: ", m->from);
	if (len + m->len > FD_FRAME_MAX_BODY)
		return -E2BIG;
	memcpy(body + len, m->text, m->len);
	return conn_send_frame(c, FD_FRAME_MESSAGE, body, len + m->len);
}

bool deliver_takes(const struct conn *c, const struct store_msg *m)
{
	return !m->file || (c->caps & CAP_FILES);
}

unsigned deliver_kind(const struct conn *c)
{
	unsigned enc = c->proto == PROTO_LINE ? DELIVER_LINE
		       : c->caps & CAP_IDS    ? DELIVER_TAGGED
					      : DELIVER_FRAME;

	return 2 * enc + c->notices + (c->caps & CAP_FILES ? DELIVER_FILES : 0);
}

/* File message @m as a peer of @kind takes it: the notice "file ...", or nothing. */
static void encode_file(struct evbuffer *out, unsigned kind, const struct store_msg *m)
{
	char body[FD_FRAME_BODY_BUFSIZE];
	size_t len;

	if (kind >= DELIVER_FILES && deliver_enc(kind) != DELIVER_LINE &&
	    (len = deliver_file_tag(body, m)))
		fd_frame_encode(out, FD_FRAME_NOTICE, body, len);
}

void deliver_encode(struct evbuffer *out, unsigned kind, const struct store_msg *m,
		    const char *data, size_t len)
{
	char tagged[FD_FRAME_BODY_BUFSIZE];
	enum fd_frame_type type = m ? FD_FRAME_MESSAGE : FD_FRAME_NOTICE;
	unsigned enc = deliver_enc(kind);

	if (!m && !(kind & 1))
		return;
	if (m && m->file) {
		encode_file(out, kind, m);
		return;
	}
	if (m && enc == DELIVER_FRAME) {
		evbuffer_add(out, data, len); /* the frame as it is */
		return;
	}
	if (m && enc == DELIVER_TAGGED) {
		type = FD_FRAME_TAGGED;
		data = tagged;
		if (!(len = deliver_tag(tagged, m)))
			return;
	} else if (m) {
		data += FD_FRAME_HEADER_LEN;
		len -= FD_FRAME_HEADER_LEN;
	}
	if (enc == DELIVER_LINE)
		line_encode(out, type, data, len);
	else
		fd_frame_encode(out, type, data, len);
}

int deliver_record_msg(struct evbuffer *rec, const struct store_msg *m)
{
	char body[FD_FRAME_BODY_BUFSIZE];
	size_t len = deliver_tag(body, m);

	if (!len)
		return -E2BIG;
	return fd_frame_encode(rec, m->file ? FD_FRAME_DATA : FD_FRAME_TAGGED, body, len);
}

/* Undo deliver_tag() on @f's body: the message (a file's: type 6), text and sender in @f. */
static bool untag(const struct fd_frame *f, struct store_msg *m, char *from, size_t from_size)
{
	char conv[24];
	unsigned long long id;
	long long time_ms;
	int n = 0;

	if (sscanf(f->body, "%llu %lld %23s %n", &id, &time_ms, conv, &n) != 3 || !n)
		return false;
	const char *p = f->body + n, *sp = memchr(p, ' ', f->len - (size_t)n);

	if (!sp || (size_t)(sp - p) >= from_size)
		return false;
	memcpy(from, p, (size_t)(sp - p));
	from[sp - p] = '\0';
	*m = (struct store_msg){ .id = id,
				 .time_ms = time_ms,
				 .from = from,
				 .file = f->type == FD_FRAME_DATA,
				 .text = sp + 1,
				 .len = f->len - (size_t)(sp + 1 - f->body) };
	m->conv = conv[0] == 'c' ? strtoull(conv + 1, NULL, 10) : 0;
	return true;
}

bool deliver_record_send(struct conn *c, struct evbuffer *rec, uint64_t ticket, bool paced)
{
	char body[FD_FRAME_BODY_BUFSIZE], from[NICK_BUFSIZE];
	struct store_msg m;
	struct fd_frame f;
	size_t want;
	bool sent = false;

	while (conn_live(c) && !(paced && conn_output_busy(c)) &&
	       fd_frame_decode_from_server(rec, FD_FRAME_MAX_LEN, body, &f, &want) == 1) {
		if (f.type == FD_FRAME_NOTICE)
			conn_notice(c, "%s", f.body);
		else if (untag(&f, &m, from, sizeof(from)))
			/* An agent with several chats must see whose it is ("NAME: TEXT"). */
			deliver_msg(c, ticket, &m, c->caps & CAP_AGENT);
		sent = true;
	}
	return sent;
}
