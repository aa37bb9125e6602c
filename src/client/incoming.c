/* SPDX-License-Identifier: ISC */
/*
 * incoming.c - what the server says, once session.c has cut it into frames or lines: chat
 * messages, tagged ones (protocol 7.2) and notices. The session learns its standing from them
 * (the turn, the peer, the place in line) before the front end is told, so that a front end
 * asking session_may_send() from inside a callback gets the new answer.
 *
 * Notices that are the session's own business (pings, the caps answer, the epoch, resume's,
 * the canned replies) never reach the front end.
 *
 * An agent granted "agent" (protocol 7.5) holds several conversations, each with its own turn
 * (s->convs): "customer NAME" opens one, "customer-left", "transferred" and "answer-timeout"
 * end it, "turn NAME" and the customer's messages give the agent its turn there. Its type 2
 * messages come as "NAME: TEXT"; what it sends must start with "NAME: " (session_say_to()).
 *
 * A held reply (strict turns): an agent that wrote while it was not its turn is told
 * "not-your-turn -- held until NAME replies". When that customer writes, the desk relays the
 * message, says "turn NAME" (plain "turn" to an agent with one conversation) and at once relays
 * the held reply, which gives the turn back to the customer: nothing more tells the agent so.
 * Each held reply therefore uses up the next "turn" of its conversation, in order (held).
 */
#include "session-priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void copy_name(char *dst, const char *src)
{
	snprintf(dst, SESSION_NICK_MAX, "%s", src);
}

struct session_conv *session_find_conv(struct session *s, const char *name)
{
	for (size_t i = 0; i < s->nconvs; i++)
		if (strcmp(s->convs[i].name, name) == 0)
			return &s->convs[i];
	return NULL;
}

static struct session_conv *find_conv_id(struct session *s, const char *conv)
{
	for (size_t i = 0; conv && *conv && i < s->nconvs; i++)
		if (strcmp(s->convs[i].conv, conv) == 0)
			return &s->convs[i];
	return NULL;
}

/*
 * "customer NAME [cN]": a conversation of ours; a new one, the customer writes first. One we
 * have already is a resumed session's state said again: its turn is as it was.
 */
static void conv_open(struct session *s, const struct notice *n)
{
	struct session_conv *c = session_find_conv(s, n->args[0]);

	if (!c) {
		if (s->nconvs == SESSION_CONVS_MAX)
			return; /* past what a server gives: no turn kept for it (the server has it)
				 */
		c = &s->convs[s->nconvs++];
		*c = (struct session_conv){ .my_turn = false };
		copy_name(c->name, n->args[0]);
	}
	if (n->nargs > 1)
		snprintf(c->conv, sizeof(c->conv), "%s", n->args[1]);
}

static void conv_end(struct session *s, const char *name)
{
	struct session_conv *c = session_find_conv(s, name);

	if (c)
		*c = s->convs[--s->nconvs];
}

/* A conversation's end: the customer left, went to another agent or back to the line. */
static bool ends_conv(const struct notice *n)
{
	return notice_is(n, "customer-left", 1) || notice_is(n, "transferred", 1) ||
	       notice_is(n, "answer-timeout", 1);
}

/*
 * The customer of "not-your-turn -- held until NAME replies" (an agent's held reply); without
 * that text, whom our last message went to (errors answer messages in order).
 */
static const char *held_for(struct session *s, const struct notice *n, char *name)
{
	const char *p = n->text;
	size_t len;

	if (p && strncmp(p, "held until ", 11) == 0) {
		p += 11;
		len = strcspn(p, " ");
		if (len > 0 && len < SESSION_NICK_MAX) {
			snprintf(name, SESSION_NICK_MAX, "%.*s", (int)len, p);
			return name;
		}
	}
	return s->last_to;
}

/* What a notice says about the conversations of an agent granted "agent"; true if it did. */
static bool learn_multi(struct session *s, const struct notice *n)
{
	char name[SESSION_NICK_MAX];
	struct session_conv *c;

	if (notice_is(n, "customer", 1)) {
		conv_open(s, n);
	} else if (ends_conv(n)) {
		conv_end(s, n->args[0]);
	} else if (notice_is(n, "turn", 1)) {
		c = session_find_conv(s, n->args[0]);
		if (c && c->held)
			c->held--; /* our held reply went at once: the customer's turn again */
		else if (c && !c->awaiting)
			c->my_turn = true;
	} else if (notice_is(n, "error", 1) && strcmp(n->args[0], "not-your-turn") == 0) {
		/* About a message of ours: the server holds it until that customer answers. */
		c = session_find_conv(s, held_for(s, n, name));
		if (c) {
			c->my_turn = false;
			c->awaiting = true;
			c->held++;
		}
	} else {
		return false;
	}
	return true;
}

/*
 * Where a customer stands with its agent: "serving", the agent leaving and coming back, the
 * line. Back in line (queued, transferred with no agent) or with the agent gone, it talks to
 * nobody: no agent's name is left in its prompt. The one gone is kept to say "The agent mary
 * reconnected" if she comes back (resume.c). True if @n was one of these.
 */
static bool learn_standing(struct session *s, const struct notice *n)
{
	if (notice_is(n, "serving", 1) ||
	    (notice_is(n, "agent-online", 1) && (s->served || !s->queued))) {
		copy_name(s->peer, n->args[0]);
		s->served = s->served || strcmp(n->keyword, "serving") == 0;
		s->queued = s->served ? 0 : s->queued;
		s->agent_gone = false;
	} else if (notice_is(n, "queued", 1)) {
		s->queued = (unsigned)strtoul(n->args[0], NULL, 10);
		s->served = false;
		s->agent_gone = false;
		s->peer[0] = '\0';
	} else if (notice_is(n, "transferred", 0) && n->nargs == 0 && !s->cfg.agent) {
		s->served = false;
		s->agent_gone = false;
		s->peer[0] = '\0';
	} else if (notice_is(n, "agent-offline", 0)) {
		s->agent_gone = s->served; /* "The agent reconnected" when it does (resume.c) */
		copy_name(s->gone, s->peer);
		s->peer[0] = '\0';
	} else {
		return false;
	}
	return true;
}

/* The one conversation of an agent ends: the customer left, or was passed on (team desk). */
static bool ends_one(const struct session *s, const struct notice *n)
{
	return notice_is(n, "customer-left", 1) ||
	       (s->cfg.agent && ends_conv(n) && strcmp(n->args[0], s->peer) == 0);
}

/*
 * "renamed OLD NEW" of our own name: the server took (or renumbered) the name we asked for with
 * "nick", so that is the name a fresh join asks for next. Only the server's word counts: a
 * "nick" it refused (banned, bad-nick, flood) leaves the name as it was.
 */
static void learn_renamed(struct session *s, const struct notice *n)
{
	if (strcmp(n->args[0], s->nick) != 0)
		return;
	copy_name(s->nick, n->args[1]);
	copy_name(s->cfg.nick, n->args[1]);
	s->renaming[0] = '\0';
}

/* Learn what a notice says about turns, names and endings. */
static void learn(struct session *s, const struct notice *n)
{
	s->notices = true;
	if ((s->multi && learn_multi(s, n)) || learn_standing(s, n))
		return;
	if (notice_is(n, "welcome", 2)) {
		s->group = strcmp(n->args[0], "group") == 0;
		if (s->group)
			s->strict = false;
		copy_name(s->nick, n->args[1]);
	} else if (notice_is(n, "turns", 1)) {
		s->strict = strcmp(n->args[0], "free") != 0;
	} else if (notice_is(n, "customer", 1) || ends_one(s, n)) {
		/* A new conversation: the customer writes first. An ended one: nobody. */
		copy_name(s->peer, strcmp(n->keyword, "customer") == 0 ? n->args[0] : "");
		s->my_turn = false;
		s->awaiting = false;
		s->held = 0;
	} else if (notice_is(n, "turn", 0)) {
		if (s->cfg.agent && s->held)
			s->held--; /* our held reply went at once: the customer's turn again */
		else if (!s->awaiting)
			s->my_turn = true;
	} else if (notice_is(n, "bye", 0)) {
		s->bye = true;
		notice_describe(n, s->why, sizeof(s->why));
	} else if (notice_is(n, "history-start", 0) || notice_is(n, "history-end", 0)) {
		ids_history(&s->ids, strcmp(n->keyword, "history-start") == 0);
	} else if (notice_is(n, "renamed", 2)) {
		learn_renamed(s, n);
	} else if (notice_is(n, "error", 1)) {
		if (strcmp(n->args[0], "not-your-turn") == 0) {
			s->my_turn = false;
			s->awaiting = true;
			s->held += s->cfg.agent; /* a customer's own held message changes nothing */
		}
	}
}

/* Ask for the canned replies; an error before the answer is taken quietly (canned_pending). */
static void ask_canned(struct session *s)
{
	static const char canned[] = "canned";

	if (session_send_frame(s, FD_FRAME_COMMAND, canned, strlen(canned)) == 0)
		s->canned_pending = true;
}

/*
 * The answer to "caps". An agent granted "agent" keeps conversations apart. An agent on a
 * server that answers "caps" at all asks for the canned replies, once per connection: an older
 * server answers with an error, which is taken quietly (canned_pending).
 */
static void caps_granted(struct session *s, const struct notice *n)
{
	bool files = false;

	s->caps_pending = false;
	s->multi = false;
	for (size_t i = 0; i < n->nargs; i++) {
		files = files || strcmp(n->args[i], "files") == 0;
		if (s->cfg.agent && strcmp(n->args[i], "agent") == 0)
			s->multi = true;
		if (strcmp(n->args[i], "ids") == 0)
			s->ids_granted = true;
	}
	/* A room (the agent socket joins one as an operator) has no canned replies to ask. */
	if (s->cfg.agent && !s->group && !s->canned_pending)
		ask_canned(s);
	/* No news in words, but the front end may now keep conversations apart. */
	if (s->multi)
		s->ops->notice(s->ui, n, NULL);
	files_caps(s, files);
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
		caps_granted(s, n);
	} else if (s->canned_pending && notice_is(n, "error", 1) &&
		   (strcmp(n->args[0], "no-such-reply") == 0 ||
		    strcmp(n->args[0], "unknown-command") == 0)) {
		/* "canned" is unknown here, or there are none (any more: a reload took the file
		 * away): nothing the agent asked for, and no end on purpose either (a drop after
		 * it is resumed). Any other error (replaced, shutting-down) is not the answer: it
		 * may come first. */
		s->canned_pending = false;
		s->resume.ended = false;
		canned_clear(&s->canned);
	} else if (s->cfg.agent && notice_is(n, "canned-changed", 0)) {
		/* The desk read its canned_file again: ask anew, the answer replaces the list. */
		ask_canned(s);
	} else if (notice_is(n, "epoch", 1)) {
		ids_epoch(&s->ids, n->args[0]); /* which IDs count as seen, not news for the user */
	} else if (s->caps_pending && notice_is(n, "error", 1) &&
		   strcmp(n->args[0], "unknown-command") == 0) {
		/* The answer to "caps" from a wave-1 server: no capabilities; nothing is wrong. */
		s->caps_pending = false;
		files_caps(s, false);
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

/*
 * Errors that leave the connection open (README, Notices): any other is the server's last word
 * on it. Of those, the ones that another connection would only meet again.
 */
static const char *const open_errors[] = {
	"unknown-command",   "bad-command",    "not-your-turn", "no-customer",   "flood",
	"store-unavailable", "frame-too-long", "no-such-reply", "resume-failed", "no-agent",
	"agent-unavailable", "not-operator",   "muted",         "no-such-nick",
};
static const char *const final_errors[] = { "agent-not-allowed", "banned" };

static bool listed(const char *const *list, size_t n, const char *code)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], code) == 0)
			return true;
	return false;
}

/* The errors that answer a "nick" in a room: a refused rename leaves us in it, as we were. */
static bool answers_nick(const struct session *s, const char *code)
{
	return s->renaming[0] && (strcmp(code, "banned") == 0 || strcmp(code, "bad-nick") == 0 ||
				  strcmp(code, "flood") == 0);
}

/*
 * An error notice: whether it ends the connection, and whether for good. It is the server's
 * last word only if the connection ends right after it (read_frames() clears resume.ended at
 * the next frame), and only one that ends connections counts: a mere no ("muted", a refused
 * "nick") is no end on purpose, and a drop after it is resumed. "shutting-down" ends every
 * connection, ours through no act of ours: the session waits in the store for our resume.
 */
static void judge_error(struct session *s, const char *code)
{
	bool open = listed(open_errors, sizeof(open_errors) / sizeof(open_errors[0]), code) ||
		    answers_nick(s, code);

	if (answers_nick(s, code))
		s->renaming[0] = '\0'; /* answered: we keep the name we had */
	s->restarting = strcmp(code, "shutting-down") == 0;
	s->refused = !open && !s->restarting;
	s->final = listed(final_errors, sizeof(final_errors) / sizeof(final_errors[0]), code);
	/* Kicked from a room: coming back at once would undo the operator's act. At the desk
	 * the customer may still ask to come back, as before. */
	s->final = s->final || (s->group && strcmp(code, "kicked") == 0);
	s->resume.ended = s->refused;
}

void incoming_notice(struct session *s, char *body)
{
	char words[1024];
	const char *said;
	struct notice n;

	/* Before parsing: a file's name may hold any words (files.c). */
	if (files_notice(s, body))
		return;
	/* Before parsing: a canned reply's text is free text, of any number of words. */
	if (s->cfg.agent && canned_notice(&s->canned, body)) {
		s->notices = true;
		s->canned_pending = s->canned_pending && s->canned.collecting;
		return;
	}
	/* ... and so is a line member's private message (it is no "KEYWORD ARGS -- TEXT"). */
	if (group_line_private(s, body))
		return;
	if (notice_parse(body, &n) < 0)
		return; /* nothing we could show or act on */
	s->notices = true;
	/* A server ends a connection on purpose with an error: then there is nothing to resume. */
	if (notice_is(&n, "error", 1))
		judge_error(s, n.args[0]);
	if (handled_quietly(s, &n) || resume_notice(s, &n) || group_notice(s, &n))
		return;
	said = group_words(s, &n, words, sizeof(words));
	if (!said)
		said = resume_words(s, &n, words, sizeof(words)); /* against where we stood */
	/* "No earlier messages" says it all: no "End of the earlier messages" after it. */
	if (notice_is(&n, "history-start", 1))
		s->history_empty = strcmp(n.args[0], "0") == 0;
	else if (notice_is(&n, "history-end", 0) && s->history_empty)
		said = NULL;
	/*
	 * The desk names the customer again once "caps" is answered, with the conversation's
	 * tag: the same conversation, not a second one to announce.
	 */
	else if (!s->multi && notice_is(&n, "customer", 1) && strcmp(s->peer, n.args[0]) == 0 &&
		 said && strncmp(said, "You are now", 11) == 0) /* not a resume's "Reconnected" */
		said = NULL;
	learn(s, &n);
	s->ops->notice(s->ui, &n, said);
}

/*
 * The other side spoke: in strict turns, ours is next; unless a reply of ours was held for
 * it, which the desk relays at once (its "turn" follows, and is used up by it: learn()).
 */
static void got_reply(struct session *s)
{
	if (s->held)
		return;
	s->awaiting = false;
	s->my_turn = true;
}

/* A customer of an agent granted "agent" spoke: in that conversation, our turn is next. */
static void got_reply_in(struct session *s, struct session_conv *c)
{
	if (c && !c->held) {
		c->awaiting = false;
		c->my_turn = true;
	}
}

/*
 * A type 2 message. To an agent granted "agent" it is "NAME: TEXT": the customer is told apart
 * when NAME is one of ours (else it is shown as it came).
 */
void incoming_message(struct session *s, const char *text)
{
	struct session_message m = { .body = text, .text = text };
	char name[SESSION_NICK_MAX];
	const char *sep;

	if (!s->multi) {
		got_reply(s);
	} else if ((sep = strstr(text, ": ")) && (size_t)(sep - text) < sizeof(name)) {
		snprintf(name, sizeof(name), "%.*s", (int)(sep - text), text);
		if (session_find_conv(s, name)) {
			got_reply_in(s, session_find_conv(s, name));
			m.from = name;
			m.text = sep + 2;
		}
	}
	s->ops->message(s->ui, &m);
}

/* What a type 2 frame would carry: an agent granted "agent" gets "NAME: TEXT" at the desk. */
static const char *plain_body(struct session *s, const struct ids_message *t)
{
	if (s->multi && t->conv[0] == 'c') {
		snprintf(s->plain, sizeof(s->plain), "%s: %s", t->from, t->text);
		return s->plain;
	}
	return ids_plain(t, s->plain, sizeof(s->plain));
}

/* A message from @from in @conv arrived live: whose turn now (a file passes none). */
static void incoming_reply(struct session *s, const char *conv, const char *from)
{
	if (!s->multi)
		got_reply(s);
	else if (strcmp(from, s->nick) != 0)
		got_reply_in(s, find_conv_id(s, conv));
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
		.body = plain_body(s, &t),
		.from = t.from,
		.conv = t.conv,
		.text = t.text,
		.time_ms = t.time_ms,
		.id = t.id,
		.history = s->ids.in_history,
	};
	if (!m.history)
		incoming_reply(s, t.conv, t.from);
	if (ids_fresh(&s->ids, t.id))
		s->ops->message(s->ui, &m);
}
