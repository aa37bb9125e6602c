/* SPDX-License-Identifier: ISC */
/*
 * incoming.c - what the server says, once session.c has cut it into frames or lines: chat
 * messages, tagged ones (protocol 7.2) and notices. The session learns its standing from them
 * (the turn, the peer, the place in line) before the front end is told, so that a front end
 * asking session_may_send() from inside a callback gets the new answer.
 *
 * Notices that are the session's own business (pings, the caps answer, the epoch, resume's)
 * never reach the front end.
 */
#include "session-priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void copy_name(char *dst, const char *src)
{
	snprintf(dst, SESSION_NICK_MAX, "%s", src);
}

/* Learn what a notice says about turns, names and endings. */
static void learn(struct session *s, const struct notice *n)
{
	s->notices = true;
	if (notice_is(n, "welcome", 2)) {
		s->group = strcmp(n->args[0], "group") == 0;
		if (s->group)
			s->strict = false;
		copy_name(s->nick, n->args[1]);
	} else if (notice_is(n, "turns", 1)) {
		s->strict = strcmp(n->args[0], "free") != 0;
	} else if (notice_is(n, "serving", 1) || notice_is(n, "agent-online", 1)) {
		copy_name(s->peer, n->args[0]);
		s->served = s->served || strcmp(n->keyword, "serving") == 0;
		s->queued = s->served ? 0 : s->queued;
		s->agent_gone = false;
	} else if (notice_is(n, "queued", 1)) {
		s->queued = (unsigned)strtoul(n->args[0], NULL, 10);
		s->served = false;
	} else if (notice_is(n, "agent-offline", 0)) {
		s->agent_gone = s->served; /* "The agent reconnected" when it does (resume.c) */
	} else if (notice_is(n, "customer", 1)) {
		copy_name(s->peer, n->args[0]);
		s->my_turn = false; /* a new conversation: the customer writes first */
		s->awaiting = false;
	} else if (notice_is(n, "customer-left", 1)) {
		s->peer[0] = '\0';
		s->my_turn = false;
		s->awaiting = false;
	} else if (notice_is(n, "turn", 0)) {
		if (!s->awaiting)
			s->my_turn = true;
	} else if (notice_is(n, "bye", 0)) {
		s->bye = true;
		notice_describe(n, s->why, sizeof(s->why));
	} else if (notice_is(n, "history-start", 0) || notice_is(n, "history-end", 0)) {
		ids_history(&s->ids, strcmp(n->keyword, "history-start") == 0);
	} else if (notice_is(n, "renamed", 2)) {
		if (strcmp(n->args[0], s->nick) == 0)
			copy_name(s->nick, n->args[1]);
	} else if (notice_is(n, "error", 1)) {
		notice_describe(n, s->last_error, sizeof(s->last_error));
		if (strcmp(n->args[0], "not-your-turn") == 0) {
			s->my_turn = false;
			s->awaiting = true;
		}
	}
}

/* Notices that are the session's business, not the user's: true when @n was one of them. */
static bool handled_quietly(struct session *s, const struct notice *n)
{
	char pong[FD_FRAME_BODY_BUFSIZE];

	if (notice_is(n, "ping", 1)) {
		/* The server checks that we are still here; answering is all there is to it. */
		snprintf(pong, sizeof(pong), "pong %s", n->args[0]);
		session_send_frame(s, FD_FRAME_COMMAND, pong, strlen(pong));
	} else if (notice_is(n, "caps", 0)) {
		s->caps_pending = false;
	} else if (notice_is(n, "epoch", 1)) {
		ids_epoch(&s->ids, n->args[0]); /* which IDs count as seen, not news for the user */
	} else if (s->caps_pending && notice_is(n, "error", 1) &&
		   strcmp(n->args[0], "unknown-command") == 0) {
		/* The answer to "caps" from a wave-1 server: no capabilities; nothing is wrong. */
		s->caps_pending = false;
	} else if (notice_is(n, "error", 1) && strcmp(n->args[0], "replaced") == 0) {
		/*
		 * A newer connection of ours is the agent now. Said once, as why the connection
		 * ended, which is a normal end: reconnecting would only take the desk back from it.
		 */
		s->bye = true;
		notice_describe(n, s->why, sizeof(s->why));
	} else {
		return false;
	}
	return true;
}

void incoming_notice(struct session *s, char *body)
{
	char words[1024];
	const char *said;
	struct notice n;

	if (notice_parse(body, &n) < 0)
		return; /* nothing we could show or act on */
	s->notices = true;
	/* A server ends a connection on purpose with an error: then there is nothing to resume. */
	s->resume.ended = notice_is(&n, "error", 1);
	if (handled_quietly(s, &n) || resume_notice(s, &n))
		return;
	said = resume_words(s, &n, words, sizeof(words)); /* against where we stood before */
	learn(s, &n);
	s->ops->notice(s->ui, &n, said);
}

/* The other side spoke: in strict turns, ours is next. */
static void got_reply(struct session *s)
{
	s->awaiting = false;
	s->my_turn = true;
}

void incoming_message(struct session *s, const char *text)
{
	struct session_message m = { .body = text, .text = text };

	got_reply(s);
	s->ops->message(s->ui, &m);
}

/*
 * A tagged message (protocol 7.2). One seen already is not shown again, yet still passes the
 * turn: a server gives a returning peer again what is still unanswered. A history answer
 * passes nothing: it is what was said before.
 */
void incoming_tagged(struct session *s, char *body)
{
	struct ids_message t;
	struct session_message m;

	if (ids_parse(body, &t) < 0) {
		session_protocol_error(s,
				       "a tagged message that is not \"ID TIME CONV FROM TEXT\"");
		return;
	}
	m = (struct session_message){
		.body = ids_plain(&t, s->plain, sizeof(s->plain)),
		.from = t.from,
		.text = t.text,
		.time_ms = t.time_ms,
		.id = t.id,
		.history = s->ids.in_history,
	};
	if (!m.history)
		got_reply(s);
	if (ids_fresh(&s->ids, t.id))
		s->ops->message(s->ui, &m);
}
