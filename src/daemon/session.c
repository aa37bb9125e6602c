/* SPDX-License-Identifier: ISC */
/* session.c - sessions a client can resume (see session.h). */
#include "session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "auth.h"
#include "clock.h"
#include "log.h"
#include "msglog.h"
#include "node.h"
#include "server.h"
#include "store.h"

/* @token's SHA-256 in hex: what is kept of a token, in memory and in the store. */
static int hash_token(const char *token, char hash[SESSION_TOKEN_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	if (!EVP_Digest(token, strlen(token), md, &len, EVP_sha256(), NULL) || 2 * len != 64)
		return -1;
	for (unsigned int i = 0; i < len; i++)
		snprintf(hash + 2 * i, 3, "%02x", md[i]);
	return 0;
}

int session_hash_token(const char *token, char hash[SESSION_TOKEN_LEN + 1])
{
	return strlen(token) == SESSION_TOKEN_LEN ? hash_token(token, hash) : -1;
}

/* A new token (32 random bytes from the OS, as the key challenges) into @token; its hash kept. */
static int new_token(struct session *se, char token[SESSION_TOKEN_LEN + 1])
{
	_Static_assert(2 * AUTH_CHALLENGE_BYTES == SESSION_TOKEN_LEN, "token size");
	if (auth_new_challenge(token) < 0)
		return -1;
	return hash_token(token, se->hash);
}

/* What the store keeps of @se (for a restart); @conv: a customer's conversation. */
static void save(const struct session *se, uint64_t conv)
{
	struct store_session ss = { .nick = (char *)se->nick,
				    .role = se->role,
				    .caps = se->caps,
				    .conv = conv,
				    .place = se->place,
				    .from_id = se->from_id };

	memcpy(ss.hash, se->hash, sizeof(ss.hash));
	store_session_put(se->server->store, &ss);
	node_session_put(se); /* in a cluster, for a resume on another node */
}

/* The mode lets go of the conn it kept for @se (unless @quiet: the server is being freed). */
static void let_go(struct session *se, bool quiet)
{
	struct conn *kept = se->kept;

	if (!kept)
		return;
	/* Still the session's while the mode lets go of it: it may ask session_survives(). */
	if (!quiet && se->server->mode->away_over)
		se->server->mode->away_over(kept);
	se->kept = NULL;
	kept->session = NULL;
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
	/* Ended, unless it outlives this run (then the store keeps it for the next one). */
	if (!quiet && !s->stopping) {
		store_session_del(s->store, se->hash);
		node_session_del(s, se->hash);
	}
	event_free(se->grace);
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

/* A session of @role named @nick, on none of the lists yet; NULL: out of memory. */
static struct session *session_new(struct server *s, enum conn_role role, const char *nick)
{
	struct session *se = calloc(1, sizeof(*se));

	if (!se || !(se->grace = evtimer_new(s->base, on_grace_over, se))) {
		free(se);
		return NULL;
	}
	se->server = s;
	se->role = role;
	snprintf(se->nick, sizeof(se->nick), "%s", nick);
	return se;
}

void session_grant(struct conn *c)
{
	struct server *s = c->server;
	struct session *se = c->session;
	char token[SESSION_TOKEN_LEN + 1];

	if (!se && (se = session_new(s, c->role, c->nick))) {
		se->from_id = msglog_last_id(s);
		se->place = c->conv; /* a customer's conversation begins when it joins the line */
		se->conn = c;
		c->session = se;
		TAILQ_INSERT_TAIL(&s->sessions, se, entry);
	} else if (se) {
		store_session_del(s->store, se->hash); /* the old token is void */
		node_session_del(s, se->hash);
	}
	if (!se || new_token(se, token) < 0) {
		if (se)
			session_free(se);
		conn_error(c, "out-of-memory", "no session: this connection cannot resume");
		return;
	}
	memcpy(se->nick, c->nick, sizeof(se->nick));
	se->caps = c->caps;
	save(se, c->conv);
	conn_notice(c, "session %s", token);
	explicit_bzero(token, sizeof(token));
}

void session_save(struct conn *c)
{
	if (c->session)
		save(c->session, c->conv);
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

static struct session *find_in(struct session_list *list, const char *hash)
{
	struct session *se;

	TAILQ_FOREACH (se, list, entry)
		if (CRYPTO_memcmp(se->hash, hash, SESSION_TOKEN_LEN) == 0)
			return se;
	return NULL;
}

struct session *session_find(struct server *s, const char *token, enum conn_role role)
{
	char hash[SESSION_TOKEN_LEN + 1];
	struct session *se;

	if (strlen(token) != SESSION_TOKEN_LEN || hash_token(token, hash) < 0)
		return NULL;
	se = find_in(&s->sessions_lost, hash);
	/* Attached, its conn closing on purpose (a quit not yet swept): not resumable. */
	if (!se && (se = find_in(&s->sessions, hash)) && !conn_live(se->conn) && !se->conn->lost)
		se = NULL;
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

/*
 * Not an agent's: the desk's agent is one at a time, and the person reconnecting without a
 * resume should get its name back, not "mary2" (its session then cannot be resumed).
 */
bool session_nick_reserved(struct server *s, const char *nick)
{
	struct session *se;

	TAILQ_FOREACH (se, &s->sessions_lost, entry)
		if (se->role != ROLE_AGENT && strcmp(se->nick, nick) == 0)
			return true;
	return false;
}

bool session_survives(const struct conn *c)
{
	const struct server *s = c->server;

	/* Not one that quit (or was ended) just before the stop: only those cut or away. */
	return c->session && (c->lost || c->kept) && s->stopping &&
	       store_kind(s->store) == STORE_SQLITE && session_grace(s, c->role);
}

/*
 * Seconds of grace left to a session kept across a restart: from the clean stop, if it was
 * (never more than the grace: a clock set back gives no more).
 */
static long grace_left(struct server *s, enum conn_role role, int64_t stopped_ms)
{
	long grace = (long)session_grace(s, role), left = grace;

	if (stopped_ms)
		left -= (long)((fd_clock_unix_ms() - stopped_ms) / 1000);
	return left < 0 ? 0 : left > grace ? grace : left;
}

void session_restore(struct server *s)
{
	int64_t stopped_ms;
	size_t n;
	const struct store_session *v = store_sessions(s->store, &n, &stopped_ms);

	for (size_t i = 0; i < n; i++) {
		struct session *se = session_new(s, (enum conn_role)v[i].role, v[i].nick);
		struct timeval grace = { 0 };

		if (!se) {
			log_warnx("%s: out of memory; its session cannot be resumed", v[i].nick);
			store_session_del(s->store, v[i].hash);
			continue;
		}
		grace.tv_sec = grace_left(s, se->role, stopped_ms);
		memcpy(se->hash, v[i].hash, sizeof(se->hash));
		se->caps = (uint8_t)v[i].caps;
		se->place = v[i].place;
		se->from_id = v[i].from_id;
		TAILQ_INSERT_TAIL(&s->sessions_lost, se, entry);
		s->nsessions_lost++;
		/* A customer's place in line, in the order they had (the store gives them so). */
		if (se->role == ROLE_CUSTOMER && s->mode->restore &&
		    (se->kept = s->mode->restore(s, &v[i])))
			se->kept->session = se;
		evtimer_add(se->grace, &grace);
	}
	if (n)
		log_info("%zu session(s) kept across the restart wait %s for a resume", n,
			 stopped_ms ? "out the rest of their grace" : "their grace");
	store_sessions_done(s->store);
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

struct session *session_adopt(struct server *s, enum conn_role role, const char *hash,
			      const char *nick, unsigned caps, uint64_t from_id)
{
	struct session *se = session_new(s, role, nick);
	struct timeval grace = { .tv_sec = session_grace(s, role) };

	if (!se)
		return NULL;
	snprintf(se->hash, sizeof(se->hash), "%s", hash);
	se->caps = (uint8_t)caps;
	se->from_id = from_id;
	TAILQ_INSERT_TAIL(&s->sessions_lost, se, entry);
	s->nsessions_lost++;
	evtimer_add(se->grace, &grace);
	return se;
}

void session_let_go(struct server *s, const char *hash)
{
	struct session *se = find_in(&s->sessions_lost, hash);
	struct conn *c;

	if (!se && (se = find_in(&s->sessions, hash)) && (c = se->conn)) {
		log_info("%s (%s): its session was resumed on another node", c->peer, c->nick);
		session_free(se);
		conn_fail(c, "session-resumed", "this session was resumed on another node");
		return;
	}
	if (se) {
		log_info("%s: its session was resumed on another node", se->nick);
		session_free(se);
	}
}
