/* SPDX-License-Identifier: ISC */
/*
 * session.h - sessions a client can resume (protocol 7.3).
 *
 * A conn granted the "resume" capability gets a session: a token of 256 random bits, its name,
 * its role and its capabilities. When the conn is lost (the peer hung up or the network failed:
 * never a quit, a kick, a timeout or an error of ours) the session outlives it for resume_grace
 * seconds, during which its name stays reserved; a new conn that sends "resume TOKEN LAST_ID"
 * (resume.c) takes it over and gets a new token, the old one being void. A session whose conn
 * is still attached may be taken over too: the old conn is closed, as if lost.
 *
 * The mode may keep a lost conn in its place meanwhile (the desk keeps a customer's place in
 * line or its conversation): the conn is detached but "kept", the sweep does not free it (its
 * socket is closed once it is dead), and the session owns it. On resume the mode moves the new
 * conn into the kept one's place (mode_ops.resumed); when the session ends otherwise (the grace
 * is over, the agent's next or kick, shutdown) the mode lets it go (mode_ops.away_over).
 *
 * With store = sqlite, sessions survive a restart (clean or not): the store keeps each one
 * (the token's SHA-256 only, never the token), and a waiting customer's conversation stays
 * open with what it held. At start-up each becomes a lost session, its grace counted from the
 * clean stop (from the start after a crash), and the desk keeps a customer's place in line in
 * the order they had. The token itself lives only in the client: the daemon keeps its hash.
 * Lost sessions are bounded by max_clients: past it, the one lost longest ago ends.
 */
#ifndef FRONTDESK_SESSION_H
#define FRONTDESK_SESSION_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#include "conn.h"
#include "nick.h"

struct event;
struct server;

#define SESSION_TOKEN_LEN 64 /* hex digits */

struct session {
	struct server *server;
	char hash[SESSION_TOKEN_LEN + 1]; /* the token's SHA-256, hex */
	char nick[NICK_BUFSIZE];
	enum conn_role role;
	uint8_t caps;        /* enum conn_cap bits, given back on resume */
	uint64_t from_id;    /* the last ID when it began: nothing older was missed (0: unknown) */
	uint64_t place;      /* a customer's place in line: its first conversation's number */
	struct conn *conn;   /* attached; NULL while lost */
	struct conn *kept;   /* lost: the old conn the mode keeps in its place; NULL: none */
	struct event *grace; /* ends a lost session */
	bool taking;         /* session_take() is closing its attached conn */
	TAILQ_ENTRY(session) entry;
};

TAILQ_HEAD(session_list, session);

/* session_grace() - seconds a lost session of @role may be resumed (agent_grace for agents). */
unsigned session_grace(const struct server *s, enum conn_role role);
/* session_grant() - @c (attached) was granted "resume": a new token, sent as "session TOKEN". */
void session_grant(struct conn *c);
/* session_save() - the store keeps @c's session as it is now (its conversation changed). */
void session_save(struct conn *c);
/* session_end() - @c (attached or kept) no longer has a session: "caps" without "resume", or
 * the agent's "next" or "kick" of a customer who is away. */
void session_end(struct conn *c);
/* session_waits() - detached @c's session will wait for a resume: the mode may keep @c. */
bool session_waits(const struct conn *c);
/* session_conn_ended() - attached @c has left (server_detach()): keep its session if it was lost.
 */
void session_conn_ended(struct conn *c);
/*
 * session_find() - the session of @token for a conn of @role, or NULL (unknown, ended, or of
 * another role: all alike to the caller, so that a wrong token teaches nothing).
 */
struct session *session_find(struct server *s, const char *token, enum conn_role role);
/*
 * session_take() - @c resumes @se: an attached old conn is closed, the grace ends. Returns the
 * conn the mode kept in its place, which it must now give to @c (mode_ops.resumed), or NULL.
 */
struct conn *session_take(struct session *se, struct conn *c);
/* session_nick_reserved() - @nick belongs to a lost session still within its grace. */
bool session_nick_reserved(struct server *s, const char *nick);
/* session_hash_token() - the hash a session is known by: 0, or -1 for a malformed token. */
int session_hash_token(const char *token, char hash[SESSION_TOKEN_LEN + 1]);
/*
 * session_adopt() - a session another node had (node.c took it from Redis), kept here as a
 * lost one, within its grace, for the resume that asked for it; NULL: out of memory.
 */
struct session *session_adopt(struct server *s, enum conn_role role, const char *hash,
			      const char *nick, unsigned caps, uint64_t from_id);
/* session_let_go() - the session @hash was resumed on another node: it ends here, unsaid. */
void session_let_go(struct server *s, const char *hash);
/*
 * session_survives() - @c's session (attached or kept) outlives this run: the server stops and
 * the store keeps sessions. The desk then keeps a waiting customer's conversation open.
 */
bool session_survives(const struct conn *c);
/* session_restore() - at start-up: the sessions the store kept, as lost ones (see the top). */
void session_restore(struct server *s);
/* session_stop() - shutting down: every lost session ends (its kept conn is let go). */
void session_stop(struct server *s);
/* session_free_all() - at server_free(). */
void session_free_all(struct server *s);

#endif
