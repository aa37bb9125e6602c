/* SPDX-License-Identifier: ISC */
/*
 * room-fanout.c - the room's broadcasts (see room.c for why they are made once per kind of
 * member and copied, and why they wait for the store's commit in one FIFO): encoding, the
 * fan-out, the entries waiting for a commit, and the gates of members whose own entry waits.
 */
#include "room-priv.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "clock.h"
#include "cluster.h"
#include "file-keep.h"
#include "log.h"
#include "room.h"
#include "server.h"

/*
 * @n entries from @p on but the first @skip, as a member of @kind takes them, into @out; private
 * messages only for @c (NULL: a kind's shared bytes, which never hold one).
 */
static void encode(struct evbuffer *out, const struct pending *p, unsigned skip, unsigned n,
		   unsigned kind, const struct conn *c)
{
	evbuffer_drain(out, evbuffer_get_length(out));
	for (unsigned i = 0; i < n; i++, p = TAILQ_NEXT(p, entry))
		if (i >= skip && p->to)
			private_encode(out, p, c);
		else if (i >= skip)
			deliver_encode(out, kind, p->notice ? NULL : &p->m, p->data, p->len);
}

/* How many of @n entries from @p on, but the first @skip, are messages (not notices). */
static unsigned messages_in(const struct pending *p, unsigned skip, unsigned n)
{
	unsigned msgs = 0;

	for (unsigned i = 0; i < n; i++, p = TAILQ_NEXT(p, entry))
		msgs += i >= skip && !p->notice;
	return msgs;
}

/* Whether a member of @kind takes @p as it is: a room message's frame to a type 2 member. */
static bool as_is(const struct pending *p, unsigned kind)
{
	return !p->notice && !p->to && !p->m.file && deliver_enc(kind) == DELIVER_FRAME;
}

/* The same to @c alone (a gated member, or one that joined meanwhile). */
static void send_entries(struct room *r, struct conn *c, const struct pending *p, unsigned skip,
			 unsigned n)
{
	struct evbuffer *one = r->out[DELIVER_KINDS];
	unsigned kind = deliver_kind(c);
	const void *data = p->data;
	size_t len = p->len;

	/* One message, as it is (a sender's echo through its gate): not copied twice. */
	if (skip || n != 1 || !as_is(p, kind)) {
		encode(one, p, skip, n, kind, c);
		len = evbuffer_get_length(one);
		data = evbuffer_pullup(one, -1);
	}
	/* NULL: empty (a private message's sender without ids gets no copy), or no memory. */
	if (data && conn_send_encoded(c, data, len) == 0)
		r->server->stats.deliveries += messages_in(p, skip, n);
}

/*
 * @n entries from @p on to every live member but @except, the gated (they have them) and those
 * that joined after some (@skip); each kind's bytes made once, sent to each in one piece. A
 * private message comes alone (n = 1, fan_out_all()) and goes to its parties only.
 */
static void fan_out(struct room *r, const struct pending *p, unsigned n, struct conn *except)
{
	const void *data[DELIVER_KINDS] = { NULL }; /* made at the first member of its kind */
	size_t len[DELIVER_KINDS] = { 0 };
	unsigned msgs = messages_in(p, 0, n);
	uint64_t delivered = 0; /* added to the stats once: one addition per member in a register */
	struct member *mb;

	TAILQ_FOREACH (mb, &r->members, entry) {
		struct conn *c = mb->conn;
		unsigned skip = mb->skip < n ? mb->skip : n, k = deliver_kind(c);

		mb->skip -= skip;
		if (mb->gated || c == except || !conn_live(c) || skip == n)
			continue;
		if (p->to) {
			if (c->id == p->to_conn || c->id == p->from_conn)
				send_entries(r, c, p, 0, 1);
			continue;
		}
		if (skip) { /* it joined meanwhile: what came after */
			send_entries(r, c, p, skip, n);
			continue;
		}
		if (!data[k] && n == 1 && as_is(p, k)) {
			data[k] = p->data; /* a message to type 2 members: its frame as it is */
			len[k] = p->len;
		} else if (!data[k]) {
			encode(r->out[k], p, 0, n, k, NULL);
			len[k] = evbuffer_get_length(r->out[k]);
			data[k] = evbuffer_pullup(r->out[k], -1);
		}
		/* Not counted: what a slow consumer, dropped here, never gets. */
		if (data[k] && conn_send_encoded(c, data[k], len[k]) == 0)
			delivered += msgs;
	}
	r->server->stats.deliveries += delivered;
}

/*
 * Sent entries are kept for the next ones, so that a message costs the FIFO no allocation
 * (callgrind-relay.sh: one per message before): at most SPARE_MAX of them, each with room for
 * a chat message (SPARE_CAP); a longer one's entry is made to measure and freed once sent.
 */
#define SPARE_MAX 512
#define SPARE_CAP 512

/* An entry with @need bytes of @buf: a kept one when it fits. NULL: no memory. */
static struct pending *entry_get(struct room *r, size_t need)
{
	struct pending *p = TAILQ_FIRST(&r->spare);
	size_t cap = need < SPARE_CAP ? SPARE_CAP : need;

	if (p && p->cap >= need) {
		TAILQ_REMOVE(&r->spare, p, entry);
		r->nspare--;
		return p;
	}
	if ((p = malloc(sizeof(*p) + cap)))
		p->cap = cap;
	return p;
}

/* @p was sent: kept for the next entry, or freed. */
static void entry_done(struct room *r, struct pending *p)
{
	if (p->cap > SPARE_CAP || r->nspare >= SPARE_MAX) {
		free(p);
		return;
	}
	TAILQ_INSERT_HEAD(&r->spare, p, entry); /* the last one used: warm in the cache */
	r->nspare++;
}

void spare_free(struct room *r)
{
	struct pending *p;

	while ((p = TAILQ_FIRST(&r->spare))) {
		TAILQ_REMOVE(&r->spare, p, entry);
		free(p);
	}
	r->nspare = 0;
}

/* Keep a copy of @src until its ticket commits; the gated members get it now. 0 or -ENOMEM. */
static int defer(struct room *r, const struct pending *src)
{
	size_t from_len = src->notice ? 0 : strlen(src->m.from) + 1;
	size_t to_len = src->to ? strlen(src->to) + 1 : 0;
	struct pending *p = entry_get(r, src->len + from_len + to_len);
	size_t cap;

	if (!p)
		return -ENOMEM;
	cap = p->cap;
	*p = *src;
	p->cap = cap;
	p->data = memcpy(p->buf, src->data, src->len);
	if (!src->notice) {
		p->m.from = memcpy(p->buf + src->len, src->m.from, from_len);
		/* A broadcast's @data is its frame "NICK: TEXT"; a private message's, the text. */
		p->m.text = src->to ? p->data : p->data + FD_FRAME_HEADER_LEN + from_len + 1;
	}
	if (src->to)
		p->to = memcpy(p->buf + src->len + from_len, src->to, to_len);
	TAILQ_INSERT_TAIL(&r->pending, p, entry);
	r->npending++;
	r->pending_bytes += p->len;
	for (unsigned i = 0; i < r->ngated; i++)
		if (conn_live(r->gated[i]->conn) && deliver_gate(r->gated[i]->conn, p->ticket) == 0)
			send_entries(r, r->gated[i]->conn, p, 0, 1);
	return 0;
}

/* @c caused an entry: until the commit, its gate takes what waits for it, then each new one. */
void gate_member(struct room *r, struct conn *c)
{
	struct member *mb = member_of(c), **gated;
	struct pending *p = TAILQ_FIRST(&r->pending);

	if (!mb || mb->gated || !conn_live(c) || !p)
		return;
	if (r->ngated == r->gated_size) { /* ngated < nmembers: it is not gated yet */
		if (!(gated = realloc(r->gated, r->nmembers * sizeof(*gated))))
			return; /* no memory: its replies may go before its echo */
		r->gated = gated;
		r->gated_size = r->nmembers;
	}
	if (deliver_gate(c, store_pending(r->server->store)) < 0)
		return;
	r->gated[r->ngated++] = mb;
	mb->gated = true;
	send_entries(r, c, p, mb->skip, r->npending);
	mb->skip = 0;
}

/*
 * Every live member of this node (but @except, the newcomer) hears the notice @text, at once or
 * after what waits; not past max_output_bytes of that (joins in a store outage: all would be
 * dropped).
 */
static void tell_node(struct room *r, struct conn *except, const char *text)
{
	struct pending p = { .notice = true, .data = text, .len = strlen(text) };

	p.ticket = store_pending(r->server->store);
	if (r->pending_bytes > r->server->config.max_output_bytes)
		return;
	if (TAILQ_EMPTY(&r->pending) || defer(r, &p) < 0) /* no memory: now, not never */
		fan_out(r, &p, 1, except);
}

/* In a cluster the notice goes on the bus, to be told on every node when it comes back. */
void tell_all(struct room *r, struct conn *except, const char *fmt, ...)
{
	char text[FD_FRAME_BODY_BUFSIZE];
	struct bus_msg m = { .kind = BUS_NOTICE, .text = text };
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (!r->server->cluster) {
		tell_node(r, except, text);
		return;
	}
	m.len = strlen(text);
	m.time_ms = fd_clock_unix_ms();
	m.a = except ? except->id : 0;
	if (cluster_publish(r->server->cluster, &m) < 0)
		log_warnx("out of memory: a notice is not told");
}

/* @n entries from @p on to everyone: broadcasts in runs, each private message on its own. */
static void fan_out_all(struct room *r, const struct pending *p, unsigned n)
{
	const struct pending *q;
	unsigned run;

	while (n) {
		for (q = TAILQ_NEXT(p, entry), run = 1; !p->to && run < n && !q->to; run++)
			q = TAILQ_NEXT(q, entry);
		fan_out(r, p, run, NULL);
		p = q;
		n -= run;
	}
}

/*
 * Each join told to every member makes a room of N cost N * N / 2 notices to fill (12.5 M for
 * 5,000) and buries its messages under them, so past announce_max_members none is sent.
 */
bool room_quiet(const struct room *r, unsigned gone)
{
	unsigned max = r->server->config.announce_max_members;

	return max && r->nmembers + gone > max;
}

/* The store committed: what waited goes out (one batch is open at a time: all of it, store.h). */
void room_committed(struct server *s)
{
	struct room *r = s->room;
	uint64_t committed = store_committed(s->store);
	struct pending *p, *first = TAILQ_FIRST(&r->pending);
	unsigned n = 0;

	for (p = first; p && p->ticket <= committed; p = TAILQ_NEXT(p, entry))
		n++;
	if (n)
		fan_out_all(r, first, n);
	while (n-- && (p = TAILQ_FIRST(&r->pending))) {
		TAILQ_REMOVE(&r->pending, p, entry);
		r->npending--;
		r->pending_bytes -= p->len;
		entry_done(r, p);
	}
	while (TAILQ_EMPTY(&r->pending) && r->ngated)
		r->gated[--r->ngated]->gated = false;
}

/*
 * In a cluster: @m from @from (NULL: a leaver) goes on the bus; it reaches this node's members
 * when it comes back (room_bus_deliver()), with its ID. 0, or -ENOMEM (not sent: told).
 */
static int publish(struct room *r, const struct store_msg *m, struct conn *from)
{
	struct bus_msg b = { .kind = BUS_MESSAGE,
			     .time_ms = m->time_ms,
			     .a = from ? from->id : 0,
			     .from = m->from,
			     .file = m->file,
			     .text = m->text,
			     .len = m->len };

	if (cluster_publish(r->server->cluster, &b) == 0)
		return 0;
	if (from)
		conn_error(from, "out-of-memory", "your message could not be sent");
	return 0;
}

/*
 * A room message from the bus (@m, with its ID): "NICK: TEXT" to this node's members, made as
 * broadcast() makes it.
 */
static void bus_message(struct room *r, const struct bus_msg *m)
{
	size_t nick_len = strlen(m->from), body_len = nick_len + 2 + m->len;
	struct pending p = { .data = r->frame, .len = FD_FRAME_HEADER_LEN + body_len };
	char *body;

	if (body_len > FD_FRAME_MAX_BODY)
		return; /* cannot be: its node checked it */
	p.m = (struct store_msg){ .id = m->id,
				  .time_ms = m->time_ms,
				  .from = m->from,
				  .file = m->file,
				  .text = m->text,
				  .len = m->len };
	fd_frame_format_header(r->frame, FD_FRAME_MESSAGE, body_len);
	body = mempcpy(r->frame + FD_FRAME_HEADER_LEN, m->from, nick_len);
	memcpy(mempcpy(body, ": ", 2), m->text, m->len);
	if (queue_entry(r, &p, NULL) < 0)
		log_warnx("out of memory: message %" PRIu64 " is not delivered", m->id);
}

void room_bus_deliver(struct server *s, const struct bus_msg *m)
{
	struct room *r = s->room;
	struct conn *except;

	if (!r)
		return;
	if (m->kind == BUS_MESSAGE) {
		bus_message(r, m);
	} else if (m->kind == BUS_PRIVATE) {
		private_from_bus(r, m);
	} else if (m->kind == BUS_CONTROL) {
		room_control(s, m);
	} else {
		except = m->mine && m->a ? server_find_conn(s, m->a) : NULL;
		tell_node(r, except, m->text); /* NUL-terminated: the payload ends with it */
	}
}

/*
 * Store "NICK: TEXT" from @from (NULL: a leaver); send it to every member once it is committed.
 * -E2BIG when that does not fit in a frame.
 */
static int broadcast(struct room *r, const char *nick, struct conn *from, const struct fd_frame *f)
{
	const char *text = f->body;
	size_t len = f->len, nick_len = strlen(nick), body_len = nick_len + 2 + len;
	struct pending p = { .data = r->frame, .len = FD_FRAME_HEADER_LEN + body_len };
	char *body;

	if (body_len > FD_FRAME_MAX_BODY)
		return -E2BIG;
	p.m = (struct store_msg){ .time_ms = fd_clock_unix_ms(),
				  .from = nick,
				  .file = f->type == FD_FRAME_DATA,
				  .text = text,
				  .len = len };
	r->server->stats.messages++;
	/* Stored from now: its file's age counts from here, not from its upload (file-keep.c). */
	if (p.m.file)
		file_keep_touch(r->server, text, len);
	if (r->server->cluster)
		return publish(r, &p.m, from);
	p.ticket = store_add_released(r->server->store, &p.m, &p.m.id);
	fd_frame_format_header(r->frame, FD_FRAME_MESSAGE, body_len);
	body = mempcpy(r->frame + FD_FRAME_HEADER_LEN, nick, nick_len);
	memcpy(mempcpy(body, ": ", 2), text, len);
	if (queue_entry(r, &p, from) < 0)
		log_warnx("out of memory: message %" PRIu64 " is stored but not delivered", p.m.id);
	return 0;
}

int queue_entry(struct room *r, const struct pending *p, struct conn *from)
{
	/* store = off (ticket 0): at once, nothing waits; else after what was released before. */
	if (TAILQ_EMPTY(&r->pending) && p->ticket <= store_committed(r->server->store)) {
		fan_out(r, p, 1, NULL);
		return 0;
	}
	if (defer(r, p) < 0)
		return -ENOMEM;
	if (from)
		gate_member(r, from);
	return 0;
}

/* Broadcast @text from @nick; @from, when it is still there, hears if it was too long. */
void relay(struct room *r, const char *nick, struct conn *from, const struct fd_frame *f)
{
	if (broadcast(r, nick, from, f) < 0 && from)
		conn_error(from, "frame-too-long",
			   "with your nickname the message is over %d bytes; not sent",
			   FD_FRAME_MAX_BODY);
}
