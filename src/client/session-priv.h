/* SPDX-License-Identifier: ISC */
/*
 * session-priv.h - the session's insides, shared by session.c (the connection, the frames),
 * incoming.c (what the frames say: messages, notices, the turn state) and resume.c (coming back
 * after a drop, protocol 7.3). Front ends use session.h.
 */
#ifndef FRONTDESK_CLIENT_SESSION_PRIV_H
#define FRONTDESK_CLIENT_SESSION_PRIV_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/ssl.h>

#include "ids.h"
#include "resume.h"
#include "session.h"

struct session {
	struct event_base *base;
	struct session_config cfg;
	const struct session_ops *ops;
	void *ui;

	struct bufferevent *bev;
	SSL_CTX *tls; /* with --tls */
	struct event *quit_timer;
	enum session_state state;
	struct target_addrs addrs;
	size_t next_addr;
	int last_errno;
	char target_name[sizeof(((struct target *)0)->path) + 16];
	char why[512];

	/* What the server told us on this connection. */
	bool bye;          /* the agent ended the conversation, or another connection replaced us */
	bool heard;        /* it sent a frame: a challenge now comes too late */
	bool caps_pending; /* "caps ..." sent, its answer not seen yet */
	bool canned_pending; /* "canned" sent: an error before its answer is its answer */
	bool ids_granted;    /* "caps" granted "ids": our own private messages come back */
	bool oper_asked;     /* "oper" sent: the next "oper-challenge" is its answer */
	bool topic_asked;    /* "topic" sent: the next topic notice is its answer */
	unsigned who_page;   /* the page of "who" last asked (1: the first) */
	bool refused; /* the last error notice was one that ends the connection (not a mere no) */
	bool final;   /* ... and one that another try would only meet again (agent-not-allowed) */
	bool restarting; /* "error shutting-down": the session waits for us across the restart */
	char renaming[SESSION_NICK_MAX]; /* "nick NAME" sent, no answer yet: its errors are a no */
	bool oper_pending;               /* "oper" sent: a "not-operator" answers it */
	unsigned who_rows;               /* "member" lines of the "who" last asked */
	unsigned who_total;              /* ... its "members N" (0: not yet) */
	bool who_more;                   /* ... and its "who-more": a page follows */
	char body[FD_FRAME_BODY_BUFSIZE];
	char plain[FD_FRAME_BODY_BUFSIZE]; /* a tagged message as type 2 would carry it */

	/*
	 * Where we stand: learnt on a connection, kept while a resume is tried (the server says
	 * it again once resumed, and "still" or "now" is said against it), reset for a new join.
	 */
	bool notices;       /* it sent a notice: it understood "hello notices" */
	bool history_empty; /* the last "history-start" said 0: its "history-end" is not said */
	bool strict;        /* strict turns (assumed until told otherwise) */
	bool group;
	bool my_turn;
	bool awaiting;   /* we sent a message that has had no reply yet */
	unsigned held;   /* an agent's replies the desk holds ("not-your-turn"), in order */
	bool served;     /* a customer talking to the agent ("serving") */
	bool agent_gone; /* ... whose agent went offline meanwhile */
	bool agent_back; /* ... and came back: its "serving" that follows is no news */
	unsigned queued; /* our place in line, 0 when not waiting */
	char nick[SESSION_NICK_MAX];
	char peer[SESSION_NICK_MAX];
	char gone[SESSION_NICK_MAX]; /* a customer's agent that went offline: is it back? */
	bool multi;                  /* granted "agent": several conversations (protocol 7.5) */
	struct session_conv convs[SESSION_CONVS_MAX];
	size_t nconvs;
	char last_to[SESSION_NICK_MAX]; /* multi: whom our last message went to */
	/* A room's (group.c): the topic and who set it, whether we are an operator. */
	char topic[512];
	char topic_by[SESSION_NICK_MAX];
	bool oper;

	/* Kept across connections: a returning client must know what it has seen. */
	struct ids ids;
	struct resume resume;
	struct canned canned; /* the desk's canned replies, as last listed */
	struct files *files;  /* files sent and received (files-priv.h) */
};

/* session_send_frame() - one frame to the server; -ENOTCONN unless the handshake allows it. */
int session_send_frame(struct session *s, enum fd_frame_type type, const char *body, size_t len);

/* session_set_why() - the sentence for the user about why the connection ends or failed. */
void session_set_why(struct session *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* session_finish() - the connection is over: drop it, then report closed() with @err. */
void session_finish(struct session *s, int err);

/* session_forget_standing() - a new join: nothing learnt on an earlier connection holds. */
void session_forget_standing(struct session *s);

/* session_protocol_error() - the server broke the protocol: say @what, end the connection. */
void session_protocol_error(struct session *s, const char *what);

/* incoming_message() - a type 2 message (or a line protocol's message line). */
void incoming_message(struct session *s, const char *text);

/* incoming_tagged() - a type 5 message; a malformed one is a protocol error. */
void incoming_tagged(struct session *s, char *body);

/* incoming_notice() - a notice body (type 3, or a line protocol's "* " line). */
void incoming_notice(struct session *s, char *body);

/* session_find_conv() - the conversation with customer @name (multi), or NULL. */
struct session_conv *session_find_conv(struct session *s, const char *name);

/* session_said() - in the turn's light, we wrote to @to (multi: that customer's, else ours). */
void session_said(struct session *s, const char *to);

/* group_notice() - a room's notice that is group.c's business; true when not to be shown. */
bool group_notice(struct session *s, const struct notice *n);

/* group_words() - better words for @n than notice_describe()'s, or NULL. */
const char *group_words(struct session *s, const struct notice *n, char *buf, size_t len);

/* group_line_private() - a line member's "private from SENDER: TEXT": true if it was one. */
bool group_line_private(struct session *s, const char *line);

/* group_sent() - a command went: the answers to "who N", "topic", "nick", "oper" are read so. */
void group_sent(struct session *s, const char *command);

/* group_joined() - joined or resumed: become an operator if we hold the key. */
void group_joined(struct session *s);

/* session_join() - the normal handshake: nickname, "hello notices", "caps"; then opened(). */
void session_join(struct session *s);

/* Files (files-priv.h): made and freed with the session. */
int files_new(struct files **ret);
void files_free(struct files *f);
/* files_notice() - a notice about files, before it is parsed: true when it was one. */
bool files_notice(struct session *s, char *body);
/*
 * files_data() - a data frame (type 6, "TAG BYTES": no text, never checked as UTF-8); one
 * without the grant or a tag is a protocol error.
 */
void files_data(struct session *s, const char *body, size_t len);
/*
 * files_caps() - the answer to "caps" came (@listed: it granted "files"), or a server that
 * knows no "caps" said so: whether files may be sent is known, or will be at "files".
 */
void files_caps(struct session *s, bool listed);
/* files_pump() - the output drained: more of the uploads' bytes. */
void files_pump(struct session *s);
/* files_lost() - the connection is gone: its transfers end (said when @tell). */
void files_lost(struct session *s, bool tell);

#endif
