/* SPDX-License-Identifier: ISC */
/*
 * resume.c - coming back into our session after a drop (see resume.h).
 *
 * The session (session-priv.h) keeps, across connections, the token and the IDs seen, and
 * while a resume is tried, where it stood: the turn, the peer, the place in line. A resumed
 * session goes on with all of it; the server says the state again, and the user is told it
 * against what it was ("still" number 3 in line, or "now" number 2). A refused resume is a
 * new join, on the same connection, unless the front end wants the run to end then.
 */
#include "resume.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session-priv.h"

/* Hex digits only, and not too long to keep whole: anything else is no token of ours. */
static bool token_valid(const char *t)
{
	size_t len = strlen(t);

	return len > 0 && len <= RESUME_TOKEN_MAX && strspn(t, "0123456789abcdefABCDEF") == len;
}

void resume_forget(struct resume *r)
{
	explicit_bzero(r->token, sizeof(r->token));
}

bool resume_possible(const struct session *s)
{
	return s->resume.token[0] && !s->cfg.line;
}

bool resume_begin(struct session *s)
{
	char body[sizeof("resume  ") + RESUME_TOKEN_MAX + 24];
	/* The highest ID seen in this epoch: the server gives every later one (0: all). */
	unsigned long long last_id = s->ids.seen ? s->ids.highest : 0;

	if (!resume_possible(s))
		return false;
	snprintf(body, sizeof(body), "resume %s %llu", s->resume.token, last_id);
	s->state = SESSION_RESUMING;
	s->resume.asking = true;
	s->resume.telling = false;
	session_send_frame(s, FD_FRAME_COMMAND, body, strlen(body));
	explicit_bzero(body, sizeof(body));
	return true;
}

/*
 * "resumed NAME": the same session goes on. At the desk the state comes next and is said then;
 * a room has no state to give, so it is said now.
 */
static void resumed(struct session *s, const struct notice *n)
{
	char words[256];

	s->resume.asking = false;
	s->state = SESSION_OPEN;
	s->restarting = false; /* back across the restart */
	snprintf(s->nick, sizeof(s->nick), "%s", n->args[0]);
	s->resume.telling = !s->group;
	s->ops->opened(s->ui, true);
	if (s->group && s->state == SESSION_OPEN) {
		snprintf(words, sizeof(words), "Reconnected; you are back in the room as %s",
			 s->nick);
		s->ops->notice(s->ui, n, words);
	}
	if (s->state == SESSION_OPEN)
		group_joined(s); /* an operator again, if the server forgot we were */
}

/*
 * "error resume-failed": the session is gone (expired, ended, or the server restarted). The
 * server now waits for a nickname on this connection: we join afresh, as a reconnection did
 * before resume existed, or end when the front end asked for that (script mode).
 */
static void refused(struct session *s, const struct notice *n)
{
	s->resume.asking = false;
	resume_forget(&s->resume);
	if (s->cfg.resume_only) {
		session_set_why(s,
				"the connection to %s was lost and the server could not resume "
				"the conversation",
				s->target_name);
		session_finish(s, -ECONNRESET);
		return;
	}
	session_forget_standing(s);
	s->ops->notice(s->ui, n, "Could not resume the conversation; joining again from the start");
	if (s->state == SESSION_RESUMING)
		session_join(s);
}

bool resume_notice(struct session *s, const struct notice *n)
{
	struct resume *r = &s->resume;

	if (notice_is(n, "session", 1)) {
		/* Each token replaces the last; one we could not send back is none at all. */
		resume_forget(r);
		if (token_valid(n->args[0]))
			snprintf(r->token, sizeof(r->token), "%s", n->args[0]);
	} else if (r->asking && notice_is(n, "resumed", 1)) {
		resumed(s, n);
	} else if (r->asking && notice_is(n, "error", 1) &&
		   strcmp(n->args[0], "resume-failed") == 0) {
		refused(s, n);
	} else {
		return false;
	}
	return true;
}

/* Where a resumed peer stands, said against where it stood: "still", or "now". */
static bool reconnected(const struct session *s, const struct notice *n, char *b, size_t len)
{
	const char *still;
	unsigned long pos;

	if (notice_is(n, "queued", 1)) {
		pos = strtoul(n->args[0], NULL, 10);
		if (pos < 1)
			return false;
		still = pos == s->queued ? "still" : "now";
		if (pos == 1)
			snprintf(b, len, "Reconnected; you are %s next in line", still);
		else
			snprintf(b, len, "Reconnected; you are %s number %lu in line", still, pos);
	} else if (notice_is(n, "serving", 1)) {
		still = s->served && strcmp(s->peer, n->args[0]) == 0 ? "still" : "now";
		snprintf(b, len, "Reconnected; you are %s talking to %s", still, n->args[0]);
	} else if (notice_is(n, "agent-offline", 0)) {
		snprintf(b, len,
			 "Reconnected; the agent is offline; your messages will be delivered");
	} else if (notice_is(n, "customer", 1)) {
		/* The agent's own resume: the conversation it had, or another one by now. */
		if (s->multi)
			still =
			    session_find_conv((struct session *)s, n->args[0]) ? "still" : "now";
		else
			still = strcmp(s->peer, n->args[0]) == 0 ? "still" : "now";
		snprintf(b, len, "Reconnected; you are %s talking to %s", still, n->args[0]);
	} else {
		return false;
	}
	return true;
}

/*
 * The agent we were talking to went offline and came back ("agent-online" then "serving",
 * the same name): one sentence for both.
 */
static bool agent_returns(struct session *s, const struct notice *n, char *b, size_t len,
			  const char **said)
{
	if (s->agent_gone && notice_is(n, "agent-online", 1) && strcmp(s->gone, n->args[0]) == 0) {
		snprintf(b, len, "The agent %s reconnected", n->args[0]);
		s->agent_back = true;
		*said = b;
		return true;
	}
	if (s->agent_back && notice_is(n, "serving", 1)) {
		s->agent_back = false;
		*said = strcmp(s->peer, n->args[0]) == 0 ? NULL : b;
		if (*said)
			notice_describe(n, b, len);
		return true;
	}
	s->agent_back = false;
	return false;
}

const char *resume_words(struct session *s, const struct notice *n, char *buf, size_t len)
{
	struct resume *r = &s->resume;
	const char *said;

	/* The turn rule is given again after a resume: news only when it changed meanwhile. */
	if (r->telling && notice_is(n, "turns", 1) &&
	    (strcmp(n->args[0], "free") != 0) == s->strict)
		return NULL;
	if (r->telling && reconnected(s, n, buf, len)) {
		r->telling = false;
		return buf;
	}
	if (agent_returns(s, n, buf, len, &said))
		return said;
	notice_describe(n, buf, len);
	return buf;
}

void resume_lost(struct session *s, int err)
{
	struct resume *r = &s->resume;
	/*
	 * A drop: the connection failed, or the server went without a word. Not: our quit, a
	 * bye, an error notice as the server's last word, a protocol error, a refused key.
	 */
	bool drop = err < 0 && err != -EPROTO && err != -EACCES && !s->bye && !r->ended &&
		    s->state != SESSION_QUITTING;

	if (!drop)
		resume_forget(r);
	r->asking = false;
	r->telling = false;
}
