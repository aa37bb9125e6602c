/* SPDX-License-Identifier: ISC */
/* waiting.c - the desk's line (see waiting.h). */
#include "waiting.h"

#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>

#include "clock.h"
#include "held.h"
#include "inspect.h"
#include "log.h"
#include "nick.h"
#include "record.h"
#include "server.h"
#include "store.h"
#include "utf8.h"

/*
 * Customers listed by one "queue" answer. Each line is at most ~430 bytes (a 32-character name
 * and a 64-character preview, of 4-byte characters), so 20 of them stay under 9 KiB; without
 * previews 50 of ~170 bytes do.
 */
#define LIST_MAX         50
#define LIST_MAX_PREVIEW 20
#define PREVIEW_CHARS    64

void waiting_init(struct waiting *w)
{
	TAILQ_INIT(&w->q);
	w->n = 0;
}

void waiting_append(struct waiting *w, struct conn *c)
{
	TAILQ_INSERT_TAIL(&w->q, c, link);
	c->queued_link = true;
	w->n++;
}

void waiting_insert(struct waiting *w, struct conn *c)
{
	struct conn *q;

	TAILQ_FOREACH (q, &w->q, link)
		if (q->conv > c->conv)
			break;
	if (q)
		TAILQ_INSERT_BEFORE(q, c, link);
	else
		TAILQ_INSERT_TAIL(&w->q, c, link);
	c->queued_link = true;
	w->n++;
}

void waiting_replace(struct waiting *w, struct conn *old, struct conn *c)
{
	TAILQ_INSERT_BEFORE(old, c, link);
	TAILQ_REMOVE(&w->q, old, link);
	old->queued_link = false;
	c->queued_link = true;
}

void waiting_remove(struct waiting *w, struct conn *c)
{
	TAILQ_REMOVE(&w->q, c, link);
	c->queued_link = false;
	w->n--;
}

void waiting_restore(struct waiting *w, struct conn *c, const struct store_session *ss)
{
	c->conv = ss->conv;
	c->conv_ended = !ss->open;
	for (size_t i = 0; i < ss->nheld; i++)
		record_hold(c, &ss->held[i]);
	waiting_append(w, c);
	log_info("%s waits in line at position %u until it resumes", c->nick, w->n);
}

unsigned waiting_position(const struct waiting *w, const struct conn *c)
{
	unsigned pos = 1;
	const struct conn *q;

	TAILQ_FOREACH (q, &w->q, link) {
		if (q == c)
			break;
		pos++;
	}
	return pos;
}

static void tell_at(struct conn *c, unsigned pos, waiting_eta_fn eta, void *arg)
{
	unsigned secs = eta && c->caps ? eta(arg, pos) : 0;

	if (secs)
		conn_notice(c, "queued %u %u", pos, secs);
	else
		conn_notice(c, "queued %u", pos);
}

void waiting_tell(const struct waiting *w, unsigned from, waiting_eta_fn eta, void *arg)
{
	unsigned pos = 0;
	struct conn *c;

	TAILQ_FOREACH (c, &w->q, link)
		if (++pos >= from)
			tell_at(c, pos, eta, arg);
}

void waiting_tell_one(const struct waiting *w, struct conn *c, waiting_eta_fn eta, void *arg)
{
	tell_at(c, waiting_position(w, c), eta, arg);
}

/*
 * The first thing @c wrote, still held ("SEQ TIME TEXT" records, desk-record.c): at most
 * PREVIEW_CHARS characters, control characters as spaces (one notice line). "" if none.
 */
static void preview(const struct conn *c, char *buf, size_t size)
{
	char frame[FD_FRAME_HEADER_LEN + 4 * PREVIEW_CHARS + 48];
	size_t len, n;
	char *text;

	buf[0] = '\0';
	if (!held_peek(c->held, &len))
		return;
	n = evbuffer_copyout(c->held, frame, sizeof(frame) - 1);
	if (n <= FD_FRAME_HEADER_LEN)
		return;
	if (n > FD_FRAME_HEADER_LEN + len)
		n = FD_FRAME_HEADER_LEN + len;
	frame[n] = '\0';
	text = frame + FD_FRAME_HEADER_LEN;
	for (int skip = 0; skip < 2 && (text = strchr(text, ' ')); skip++)
		text++; /* past SEQ and TIME */
	if (!text)
		return;
	/* One line of plain text (a copy cut inside a character ends in spaces), then cut. */
	utf8_make_printable(text, strlen(text));
	n = fd_nick_cut(text, PREVIEW_CHARS);
	/* Cut: "…" says so (the customer did not stop mid-sentence). */
	snprintf(buf, size, " -- %.*s%s", (int)n, text, text[n] ? "\u2026" : "");
}

void waiting_list(const struct waiting *w, struct conn *to, bool preview_wanted)
{
	unsigned max, pos = 0;
	double now = fd_clock_seconds();
	char text[4 * PREVIEW_CHARS + 16] = "";
	struct conn *q;

	preview_wanted = preview_wanted && to->caps;
	max = preview_wanted ? LIST_MAX_PREVIEW : LIST_MAX;
	TAILQ_FOREACH (q, &w->q, link) {
		if (pos == max)
			break;
		if (preview_wanted)
			preview(q, text, sizeof(text));
		conn_notice(to, "waiting %u %s %lld%s", ++pos, q->nick, (long long)(now - q->since),
			    text);
	}
	if (w->n > pos)
		conn_notice(to, "waiting-more %u", w->n - pos);
	conn_notice(to, "queue %u", w->n);
}

void waiting_served(struct conn *c)
{
	double waited = c->state == CONN_QUEUED ? fd_clock_seconds() - c->since : 0;

	stats_observe(&c->server->stats.wait, waited);
}

void waiting_inspect(const struct waiting *w, const struct inspector *in)
{
	double now = fd_clock_seconds();
	struct conn *c;

	TAILQ_FOREACH (c, &w->q, link)
		in->waiting(in->arg, now - c->since, c->kept);
}

void waiting_refuse_full(struct conn *c, unsigned n)
{
	/* The text is read by people ("The line is full: 1 customer is already waiting"). */
	conn_fail(c, "queue-full", "%u %s already waiting; try again later", n,
		  n == 1 ? "customer is" : "customers are");
}
