/* SPDX-License-Identifier: ISC */
/*
 * group.c - a room's own business on the client's side (issue 15): becoming an operator, the
 * topic, private messages and the pages of "who".
 *
 * State (session-priv.h): the topic as last told, whether we are an operator, whether an
 * "oper" of ours waits for its challenge, the page of "who" last asked. The topic and the
 * operator bit are where we stand, kept while a resume is tried and cleared for a new join.
 *
 * Operator key: only a challenge that answers an "oper" we sent is signed, one per "oper", so
 * a server cannot make the client sign whatever it pleases, whenever it pleases. The answer
 * is the key_file one (auth.h), unbound: it goes inside a session already joined.
 *
 * A private message reaches the front end as a message whose conversation is "@NICK" (the
 * other party), whichever way it came: type 5 (ids), the notice "private SENDER -- TEXT"
 * (framed, no ids) or the line "* private from SENDER: TEXT" (line protocol).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "session-priv.h"

/* What a line member is sent for a private message, after the "* " of every notice line. */
#define LINE_PRIVATE "private from "

/* A fresh join, or a resume, in a room: with an operator key, ask to become one at once. */
void group_joined(struct session *s)
{
	if (s->group && s->cfg.oper_key_len > 0)
		session_oper(s);
}

int session_oper(struct session *s)
{
	int r = session_command(s, "oper");

	if (r == 0)
		s->oper_asked = true;
	return r;
}

/* "oper-challenge HEX": answered when it answers our "oper" and we hold the key. */
static bool oper_challenge(struct session *s, const struct notice *n)
{
	char response[AUTH_RESPONSE_LEN + 1];
	char body[sizeof("oper ") + AUTH_RESPONSE_LEN];
	bool asked = s->oper_asked;

	s->oper_asked = false;
	if (!asked)
		return true; /* not ours to sign: nobody asked */
	if (s->cfg.oper_key_len == 0)
		return false; /* shown: the user typed /oper without a key */
	if (auth_response(s->cfg.oper_key, s->cfg.oper_key_len, n->args[0], strlen(n->args[0]),
			  NULL, 0, response) < 0) {
		session_protocol_error(s, "malformed operator challenge");
		return true;
	}
	snprintf(body, sizeof(body), "oper %s", response);
	session_command(s, body);
	explicit_bzero(response, sizeof(response));
	explicit_bzero(body, sizeof(body));
	return true;
}

/* A private message, handed on as one with conversation "@SENDER". */
static void private_message(struct session *s, const char *from, const char *text)
{
	char conv[SESSION_NICK_MAX + 1];
	struct session_message m = { .from = from, .text = text, .conv = conv };

	snprintf(conv, sizeof(conv), "@%s", from);
	snprintf(s->plain, sizeof(s->plain), "%s: %s", from, text);
	m.body = s->plain;
	s->ops->message(s->ui, &m);
}

bool group_line_private(struct session *s, const char *line)
{
	char from[SESSION_NICK_MAX];
	const char *sep;

	if (!s->cfg.line || strncmp(line, LINE_PRIVATE, strlen(LINE_PRIVATE)) != 0)
		return false;
	line += strlen(LINE_PRIVATE);
	sep = strstr(line, ": ");
	if (!sep || sep == line || (size_t)(sep - line) >= sizeof(from))
		return false;
	snprintf(from, sizeof(from), "%.*s", (int)(sep - line), line);
	private_message(s, from, sep + 2);
	return true;
}

/*
 * "topic OP -- TEXT" or "topic-none": the topic for the status line. The one we know already,
 * told again unasked (after a resume, or a join's own), is no news: true when so.
 */
static bool learn_topic(struct session *s, const struct notice *n)
{
	char topic[sizeof(s->topic)];
	bool asked = s->topic_asked;

	s->topic_asked = false;
	if (notice_is(n, "topic-none", 0)) {
		topic[0] = '\0';
		s->topic_by[0] = '\0';
	} else {
		snprintf(topic, sizeof(topic), "%s", n->text ? n->text : "");
	}
	if (!asked && strcmp(topic, s->topic) == 0 &&
	    (!*topic || strcmp(s->topic_by, n->args[0]) == 0))
		return true;
	snprintf(s->topic, sizeof(s->topic), "%s", topic);
	if (*topic)
		snprintf(s->topic_by, sizeof(s->topic_by), "%s", n->args[0]);
	return false;
}

/*
 * "oper" to us, "operator NICK" to the room. Ours is no news if we were one already: the
 * room's "operator US" after our "oper", or an "oper" asked again after a resume.
 */
static bool learn_oper(struct session *s, const struct notice *n)
{
	bool was = s->oper;

	if (notice_is(n, "operator", 1) && strcmp(n->args[0], s->nick) != 0)
		return false;
	s->oper = true;
	return was;
}

/* A room's "who" answers at most this many names, a page (README, Group mode). */
#define WHO_PAGE 200

/*
 * "205 members; showing 1-200; /who 2 for more": one line over a page of "member" lines, said
 * when both the count ("members N") and whether more follow ("who-more") are in.
 */
static void who_summary(const struct session *s, char *buf, size_t len)
{
	unsigned first = (s->who_page - 1) * WHO_PAGE + 1;

	if (s->who_rows == 0)
		snprintf(buf, len, "%u members; none on page %u", s->who_total, s->who_page);
	else if (s->who_more)
		snprintf(buf, len, "%u members; showing %u-%u; /who %u for more", s->who_total,
			 first, first + s->who_rows - 1, s->who_page + 1);
	else
		snprintf(buf, len, "%u members; showing %u-%u", s->who_total, first,
			 first + s->who_rows - 1);
}

/*
 * The pages of "who": "member" lines counted, "who-more" kept until the count comes (the
 * daemon sends it last), so that one summary says both. True when @n is not to be shown.
 */
static bool who_notice(struct session *s, const struct notice *n)
{
	if (notice_is(n, "member", 1)) {
		s->who_rows++;
	} else if (notice_is(n, "who-more", 0) && n->nargs == 0) {
		s->who_more = true;
		return s->who_total == 0; /* said with the count, when it comes */
	} else if (notice_is(n, "members", 1)) {
		s->who_total = (unsigned)strtoul(n->args[0], NULL, 10);
	}
	return false;
}

bool group_notice(struct session *s, const struct notice *n)
{
	if (notice_is(n, "oper-challenge", 1))
		return oper_challenge(s, n);
	if (notice_is(n, "private", 1) && n->nargs == 1 && n->text) {
		private_message(s, n->args[0], n->text);
		return true;
	}
	if ((notice_is(n, "topic", 1) && n->nargs == 1) || notice_is(n, "topic-none", 0))
		return learn_topic(s, n);
	if (notice_is(n, "oper", 0) || notice_is(n, "operator", 1)) {
		s->oper_pending = s->oper_pending && !notice_is(n, "oper", 0);
		return learn_oper(s, n);
	}
	if (who_notice(s, n))
		return true;
	if (notice_is(n, "welcome", 2) && strcmp(n->args[0], "group") == 0) {
		s->group = true; /* learn() says so too, after us: too late for the "oper" */
		group_joined(s);
	}
	return false;
}

const char *group_words(struct session *s, const struct notice *n, char *buf, size_t len)
{
	bool paged = s->who_more || s->who_page > 1;

	if ((notice_is(n, "who-more", 0) && n->nargs == 0) ||
	    (notice_is(n, "members", 1) && paged && s->who_total > 0)) {
		who_summary(s, buf, len);
		return buf;
	}
	/* The answer to "oper": not "only an operator may do that", which it asked to become. */
	if (s->oper_pending && notice_is(n, "error", 1) &&
	    strcmp(n->args[0], "not-operator") == 0) {
		s->oper_pending = false;
		snprintf(buf, len, "Not an operator%s%s", n->text && *n->text ? ": " : "",
			 n->text ? n->text : "");
		return buf;
	}
	return NULL;
}

/* What answers a command of ours is read in its light: the page of "who", a "nick", "oper". */
void group_sent(struct session *s, const char *command)
{
	if (strcmp(command, "topic") == 0) {
		s->topic_asked = true;
	} else if (strcmp(command, "who") == 0 || strncmp(command, "who ", 4) == 0) {
		s->who_page = command[3] ? (unsigned)strtoul(command + 4, NULL, 10) : 1;
		s->who_page = s->who_page ? s->who_page : 1;
		s->who_rows = 0;
		s->who_total = 0;
		s->who_more = false;
	} else if (strncmp(command, "nick ", 5) == 0) {
		snprintf(s->renaming, sizeof(s->renaming), "%s", command + 5);
	} else if (strcmp(command, "oper") == 0 || strncmp(command, "oper ", 5) == 0) {
		s->oper_pending = true;
	}
}

int session_msg(struct session *s, const char *nick, const char *text)
{
	char body[FD_FRAME_BODY_BUFSIZE];
	int n = snprintf(body, sizeof(body), "msg %s %s", nick, text);

	if (n < 0 || (size_t)n >= sizeof(body))
		return -EMSGSIZE;
	return session_command(s, body);
}

bool session_private_echoed(const struct session *s)
{
	return s->ids_granted;
}

const char *session_topic(const struct session *s)
{
	return s->topic;
}

bool session_operator(const struct session *s)
{
	return s->oper;
}
