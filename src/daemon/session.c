/* SPDX-License-Identifier: ISC */
/* session.c - sessions a client can resume (see session.h). */
#include "session.h"

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <openssl/crypto.h>

#include "auth.h"
#include "log.h"
#include "server.h"

/* The token: 32 random bytes from the OS, the same source as the key challenges. */
static int new_token(struct session *se)
{
	char hex[2 * AUTH_CHALLENGE_BYTES + 1];

	_Static_assert(2 * AUTH_CHALLENGE_BYTES == SESSION_TOKEN_LEN, "token size");
	if (auth_new_challenge(hex) < 0)
		return -1;
	memcpy(se->token, hex, sizeof(se->token));
	return 0;
}

/* The mode lets go of the conn it kept for @se (unless @quiet: the server is being freed). */
static void let_go(struct session *se, bool quiet)
{
	struct conn *kept = se->kept;

	if (!kept)
		return;
	se->kept = NULL;
	kept->session = NULL;
	if (!quiet && se->server->mode->away_over)
		se->server->mode->away_over(kept);
	kept->kept = false;
	server_sweep_soon(se->server);
}

static void free_session(struct session *se, bool quiet)
{
	struct server *s = se->server;

	if (se->conn) {
		se->conn->session = NULL;
		TAILQ_REMOVE(&s->sessions, se, entry);
	} else {
		s->nsessions_lost--;
		TAILQ_REMOVE(&s->sessions_lost, se, entry);
	}
	let_go(se, quiet);
	event_free(se->grace);
	explicit_bzero(se->token, sizeof(se->token));
	free(se);
}

static void session_free(struct session *se)
{
	free_session(se, false);
}

unsigned session_grace(const struct server *s, enum conn_role role)
{
	return role == ROLE_AGENT ? s->config.agent_grace : s->config.resume_grace;
}

static void on_grace_over(evutil_socket_t fd, short what, void *arg)
{
	struct session *se = arg;

	log_info("%s: not resumed within %u s: its session ended", se->nick,
		 session_grace(se->server, se->role));
	session_free(se);
}

void session_grant(struct conn *c)
{
	struct server *s = c->server;
	struct session *se = c->session;

	if (!se) {
		se = calloc(1, sizeof(*se));
		if (!se || !(se->grace = evtimer_new(s->base, on_grace_over, se))) {
			free(se);
			conn_error(c, "out-of-memory", "no session: this connection cannot resume");
			return;
		}
		se->server = s;
		se->role = c->role;
		se->conn = c;
		c->session = se;
		TAILQ_INSERT_TAIL(&s->sessions, se, entry);
	}
	if (new_token(se) < 0) {
		session_free(se);
		conn_error(c, "out-of-memory", "no session: this connection cannot resume");
		return;
	}
	memcpy(se->nick, c->nick, sizeof(se->nick));
	se->caps = c->caps;
	conn_notice(c, "session %s", se->token);
}

void session_end(struct conn *c)
{
	if (c->session)
		session_free(c->session);
}

/* Past max_clients lost sessions, the one lost longest ago ends (they are in order of loss). */
static void bound_lost(struct server *s)
{
	struct session *se = TAILQ_FIRST(&s->sessions_lost);

	if (s->nsessions_lost <= s->config.max_clients)
		return;
	log_info("%s: more than %u sessions wait to be resumed: its own ended", se->nick,
		 s->config.max_clients);
	session_free(se);
}

bool session_waits(const struct conn *c)
{
	const struct session *se = c->session;

	if (!se || !c->lost || c->server->stopping)
		return false;
	return se->taking || session_grace(c->server, c->role);
}

void session_conn_ended(struct conn *c)
{
	struct session *se = c->session;
	struct server *s = c->server;
	struct timeval grace = { .tv_sec = session_grace(s, c->role) };

	if (!se)
		return;
	/* On purpose (quit, kick, an error of ours) or shutting down: nothing to come back to. */
	if (!session_waits(c)) {
		session_free(se);
		return;
	}
	/* A kept conn keeps its session: the mode ends it through session_end(). */
	if (c->kept)
		se->kept = c;
	else
		c->session = NULL;
	se->conn = NULL;
	TAILQ_REMOVE(&s->sessions, se, entry);
	TAILQ_INSERT_TAIL(&s->sessions_lost, se, entry);
	s->nsessions_lost++;
	memcpy(se->nick, c->nick, sizeof(se->nick)); /* "nick" may have renamed it */
	se->caps = c->caps;
	if (se->taking)
		return; /* resumed at once */
	evtimer_add(se->grace, &grace);
	log_info("%s: connection lost; its session waits %u s for a resume", se->nick,
		 (unsigned)grace.tv_sec);
	bound_lost(s);
}

static struct session *find_in(struct session_list *list, const char *token)
{
	struct session *se;

	TAILQ_FOREACH (se, list, entry)
		if (CRYPTO_memcmp(se->token, token, SESSION_TOKEN_LEN) == 0)
			return se;
	return NULL;
}

struct session *session_find(struct server *s, const char *token, enum conn_role role)
{
	struct session *se;

	if (strlen(token) != SESSION_TOKEN_LEN)
		return NULL;
	se = find_in(&s->sessions_lost, token);
	if (!se)
		se = find_in(&s->sessions, token);
	return se && se->role == role ? se : NULL;
}

struct conn *session_take(struct session *se, struct conn *c)
{
	struct conn *old = se->conn, *kept;

	if (old) {
		/* Its peer may still read: it is told, then detached now, as if lost. */
		se->taking = true;
		old->lost = true;
		conn_fail(old, "session-resumed", "this session was resumed on another connection");
		server_detach(old);
		se->taking = false;
	}
	se->server->nsessions_lost--;
	TAILQ_REMOVE(&se->server->sessions_lost, se, entry);
	TAILQ_INSERT_TAIL(&se->server->sessions, se, entry);
	evtimer_del(se->grace);
	se->conn = c;
	c->session = se;
	kept = se->kept;
	se->kept = NULL;
	if (kept) {
		kept->session = NULL;
		kept->kept = false;
		server_sweep_soon(c->server);
	}
	return kept;
}

bool session_nick_reserved(struct server *s, const char *nick)
{
	struct session *se;

	TAILQ_FOREACH (se, &s->sessions_lost, entry)
		if (strcmp(se->nick, nick) == 0)
			return true;
	return false;
}

void session_stop(struct server *s)
{
	while (!TAILQ_EMPTY(&s->sessions_lost))
		session_free(TAILQ_FIRST(&s->sessions_lost));
}

void session_free_all(struct server *s)
{
	while (!TAILQ_EMPTY(&s->sessions))
		free_session(TAILQ_FIRST(&s->sessions), true);
	while (!TAILQ_EMPTY(&s->sessions_lost))
		free_session(TAILQ_FIRST(&s->sessions_lost), true);
}
