/* SPDX-License-Identifier: ISC */
/*
 * resume.h - the client's side of sessions and resume (protocol 7.3).
 *
 * A server that grants "resume" names the session with the notice "session TOKEN" (again
 * after every resume: each replaces the last). When the connection drops without the server
 * having ended it (no bye, no error notice as its last word, no quit of ours), the next
 * connection opens with "resume TOKEN LAST_ID" instead of a nickname, LAST_ID being the
 * highest message ID seen in the epoch (ids.h), and sends nothing more until the answer:
 * "resumed NAME" (the same session goes on; no "welcome", the state follows and then what was
 * missed), or "error resume-failed", after which the same connection joins afresh, or ends
 * the run when the front end asked for that (script mode: see session_config.resume_only).
 *
 * The token is a credential: it is never shown, and it is wiped when forgotten.
 */
#ifndef FRONTDESK_CLIENT_RESUME_H
#define FRONTDESK_CLIENT_RESUME_H

#include <stdbool.h>
#include <stddef.h>

#include "notice.h"

/* Longest token kept (frontdeskd sends 64 hex digits); a longer one cannot be resumed. */
#define RESUME_TOKEN_MAX 128

struct resume {
	char token[RESUME_TOKEN_MAX + 1]; /* the session's current token; "" when none */
	bool asking;  /* this connection opened with "resume": its answer is not in yet */
	bool telling; /* resumed at the desk: the state that follows is said as "Reconnected" */
	bool ended;   /* the server's last frame was an error that ends connections: on purpose */
};

struct session;

/* resume_possible() - whether a token is held, so the next connection tries a resume. */
bool resume_possible(const struct session *s);

/*
 * resume_begin() - the connection is up (and authenticated): open with "resume TOKEN LAST_ID"
 * when a token is held. Return: false when there is none (the normal handshake goes on).
 */
bool resume_begin(struct session *s);

/*
 * resume_notice() - the notices that are resume's business: "session TOKEN" (kept quietly),
 * and the answer to "resume". Return: true when @n was one of them and is dealt with.
 */
bool resume_notice(struct session *s, const struct notice *n);

/*
 * resume_words() - what @n means for the user, said before the session learns from it: the
 * state of a resumed session against where it stood ("Reconnected; you are still number 3 in
 * line"), the agent coming back; otherwise notice_describe(). Return: @buf, or NULL when
 * there is nothing new to say (the turn rule given again as it was).
 */
const char *resume_words(struct session *s, const struct notice *n, char *buf, size_t len);

/*
 * resume_lost() - the connection is over with @err (session_finish()): the token is kept only
 * when a resume can mend it, a drop; an end on purpose or a broken server forgets it.
 */
void resume_lost(struct session *s, int err);

/* resume_forget() - wipe the token: the next connection joins afresh. */
void resume_forget(struct resume *r);

#endif
