/* SPDX-License-Identifier: ISC */
/*
 * node.c - this daemon as one node of a cluster (cluster = redis://...): the bus's hooks
 * (cluster.h) on the server's side. What comes back goes to the room; the members hear when
 * the node loses Redis and when it is back ("cluster-down", "cluster-up": new notices, so only
 * for clients granted a capability, and line members), and when Redis lost its data ("epoch
 * E" again, to those granted "ids": they forget the IDs they saw, protocol 7.2).
 */
#include "node.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "cdesk.h"
#include "cluster.h"
#include "conn.h"
#include "log.h"
#include "notify.h"
#include "room.h"
#include "resume.h"
#include "server.h"
#include "session.h"

static void on_deliver(void *arg, const struct bus_msg *m)
{
	struct server *s = arg;

	if (s->cdesk)
		cdesk_bus_deliver(s, m);
	else
		room_bus_deliver(s, m);
}

/* @what to every attached member granted one of @caps, and to line members if @line. */
static void tell_members(struct server *s, unsigned caps, bool line, const char *what)
{
	struct conn *c;

	TAILQ_FOREACH (c, &s->conns, entry)
		if (conn_live(c) && c->mode_link == MODE_LINK_ATTACHED &&
		    ((c->caps & caps) || (line && c->proto == PROTO_LINE)))
			conn_notice(c, "%s", what);
}

static void claim_all(struct server *s);
static void check_sessions(struct server *s);

static void on_state(void *arg, bool up)
{
	struct server *s = arg;

	tell_members(s, ~0u, true, up ? "cluster-up" : "cluster-down");
	notify_status_now(s->notify);
	/* Names given while Redis was away were checked here only: now everywhere. */
	if (up) {
		claim_all(s);
		check_sessions(s);
		room_share_load(s);
		if (s->cdesk)
			cdesk_sync(s->cdesk);
	}
}

void node_pause(struct conn *c)
{
	if (!conn_live(c))
		return;
	conn_pause(c, PAUSE_CLUSTER);
	conn_error_now(c, "cluster-unavailable",
		       "the server cannot reach its cluster and holds all it may; nothing you send "
		       "is read until it can");
}

/* The outbox is full (@full): every reader is paused until it is back under half. */
static void on_full(void *arg, bool full)
{
	struct server *s = arg;
	struct conn *c;

	s->cluster_full = full;
	log_warnx("cluster: %s", full ? "the outbox is full; reading stops until Redis is back"
				      : "the outbox drained; reading again");
	TAILQ_FOREACH (c, &s->conns, entry)
		if (full)
			node_pause(c);
		else
			conn_resume(c, PAUSE_CLUSTER);
}

static void on_new_epoch(void *arg, const char *epoch)
{
	char what[64];

	snprintf(what, sizeof(what), "epoch %s", epoch);
	tell_members(arg, CAP_IDS, false, what);
	if (((struct server *)arg)->cdesk)
		cdesk_new_epoch(((struct server *)arg)->cdesk);
}

static void on_published(void *arg, double seconds)
{
	struct server *s = arg;

	stats_observe(&s->stats.publish, seconds);
	/* Stopping, the sweep waits for the last of them (server.c). */
	if (s->stopping && !cluster_held_bytes(s->cluster))
		event_active(s->sweep, EV_READ, 0);
}

/* The names this node uses: its members (closing ones too), lost sessions', leavers'. */
static void on_names(void *arg, struct cluster_names *names)
{
	struct server *s = arg;
	struct session *se;
	struct conn *c;

	TAILQ_FOREACH (c, &s->conns, entry) {
		if (conn_attached(c))
			cluster_names_add(names, c->nick);
		if (conn_live(c) && conn_attached(c))
			cluster_names_add_member(names, c->nick);
	}
	TAILQ_FOREACH (c, &s->gone, entry)
		if (conn_attached(c))
			cluster_names_add(names, c->nick);
	TAILQ_FOREACH (se, &s->sessions_lost, entry)
		cluster_names_add(names, se->nick);
	room_leaver_names(s, names);
	TAILQ_FOREACH (se, &s->sessions, entry)
		cluster_names_add_session(names, se->hash);
	TAILQ_FOREACH (se, &s->sessions_lost, entry)
		cluster_names_add_session(names, se->hash);
}

void node_member(struct conn *c, bool in)
{
	if (c->server->cluster)
		cluster_member(c->server->cluster, c->nick, in);
}

/* Whether Redis keeps @se for a resume on any node: a member's, or a customer's at the desk. */
static bool shared(const struct session *se)
{
	return se->role == ROLE_MEMBER || (se->role == ROLE_CUSTOMER && se->server->cdesk);
}

/* The last word of @se's value: a member's first ID; a customer's conversation (its number). */
static uint64_t session_word(const struct session *se)
{
	const struct conn *c = se->conn ? se->conn : se->kept;

	if (se->role == ROLE_MEMBER)
		return se->from_id;
	return c && c->conv ? c->conv : se->place;
}

void node_session_put(const struct session *se)
{
	if (se->server->cluster && shared(se))
		cluster_session_put(se->server->cluster, se->hash, se->nick, se->caps,
				    session_word(se));
}

void node_session_del(struct server *s, const char *hash)
{
	if (s->cluster)
		cluster_session_del(s->cluster, hash);
}

static void on_gone(void *arg, const char *hash)
{
	session_let_go(arg, hash);
}

/* What this node believes of its members' sessions, checked against Redis (cluster.h). */
static void check_sessions(struct server *s)
{
	size_t n = 0, max = 0;
	const char **triples;
	char(*values)[SESSION_VALUE_MAX];
	struct session *se;

	TAILQ_FOREACH (se, &s->sessions, entry)
		max++;
	max += s->nsessions_lost;
	if (!max)
		return;
	triples = calloc(3 * max, sizeof(*triples));
	values = calloc(max, sizeof(*values));
	for (int lost = 0; triples && values && lost < 2; lost++)
		TAILQ_FOREACH (se, lost ? &s->sessions_lost : &s->sessions, entry) {
			if (!shared(se) || n == max)
				continue;
			snprintf(values[n], sizeof(values[n]), "%s %s %u %" PRIu64,
				 cluster_node(s->cluster), se->nick, se->caps, session_word(se));
			triples[3 * n] = se->hash;
			triples[3 * n + 1] = lost ? "0" : "1";
			triples[3 * n + 2] = values[n];
			n++;
		}
	if (triples && values && cluster_sessions_check(s->cluster, triples, n, on_gone, s) < 0)
		log_warnx("cluster: this node's sessions could not be checked");
	free(triples);
	free(values);
}

/* A resume for a session another node had, until Redis answers. */
struct resume_req {
	struct server *server;
	uint64_t conn;
	uint64_t last_id;
	char hash[SESSION_TOKEN_LEN + 1];
};

static void on_taken(void *arg, const char *nick, unsigned caps, uint64_t from_id, int err)
{
	struct resume_req *q = arg;
	struct server *s = q->server;
	struct conn *c = server_find_conn(s, q->conn);
	struct session *se = NULL;

	enum conn_role role = s->cdesk ? ROLE_CUSTOMER : ROLE_MEMBER;

	if (nick && !(se = session_adopt(s, role, q->hash, nick, caps, from_id)))
		log_warnx("%s: out of memory; its session cannot be resumed", nick);
	if (se && role == ROLE_CUSTOMER) {
		se->place = from_id; /* the desk: its conversation's number (cdesk_resumed()) */
		se->from_id = 0;
	}
	if (c && conn_live(c)) {
		conn_resume(c, PAUSE_RESUME);
		if (se)
			resume_found(c, se, q->last_id);
		else
			conn_error(c, "resume-failed", "%s; now send a nickname",
				   err < 0 ? "the cluster cannot be asked for it now"
					   : "no such session (unknown, ended or expired)");
	}
	explicit_bzero(q->hash, sizeof(q->hash));
	free(q);
}

bool node_resume(struct conn *c, const char *token, uint64_t last_id)
{
	struct resume_req *q;

	if (!c->server->cluster || !(q = calloc(1, sizeof(*q))))
		return false;
	if (c->role != (c->server->cdesk ? ROLE_CUSTOMER : ROLE_MEMBER)) {
		free(q);
		return false;
	}
	q->server = c->server;
	q->conn = c->id;
	q->last_id = last_id;
	if (session_hash_token(token, q->hash) < 0 ||
	    cluster_session_take(c->server->cluster, q->hash, on_taken, q) < 0) {
		free(q);
		return false;
	}
	/* It sends nothing until the answer (7.3); what it would is not read meanwhile. */
	conn_pause(c, PAUSE_RESUME);
	return true;
}

/*
 * A name for a member that another node may hold: @first (the name asked for), else the next
 * "BASE N" free here, each claimed in turn until one is this node's.
 */
struct rename_try {
	struct server *server;
	char was[NICK_BUFSIZE]; /* the name the member has: if it changes meanwhile, stop */
	char first[NICK_BUFSIZE];
	char base[NICK_BUFSIZE];
	unsigned n;
};

#define RENAME_TRIES 50

static void try_next(struct rename_try *t, struct conn *c);

static void on_candidate(void *arg, uint64_t id, const char *nick, int result)
{
	struct rename_try *t = arg;
	struct conn *c = server_find_conn(t->server, id);

	if (!c || !conn_live(c) || !conn_attached(c) || strcmp(c->nick, t->was) != 0 ||
	    result < 0) {
		free(t); /* gone, renamed meanwhile, or Redis away: claimed again when it is back */
	} else if (result == 1) {
		if (strcmp(c->nick, nick) != 0)
			room_rename(c, nick);
		free(t);
	} else {
		try_next(t, c);
	}
}

static void try_next(struct rename_try *t, struct conn *c)
{
	char nick[NICK_BUFSIZE];

	if (t->first[0]) {
		snprintf(nick, sizeof(nick), "%s", t->first);
		t->first[0] = '\0';
	} else if (t->n > RENAME_TRIES) {
		log_warnx("cluster: no free name like %s after %d tries; %s keeps its name",
			  t->base, RENAME_TRIES, t->was);
		free(t);
		return;
	} else {
		t->n = server_nick_after(t->server, c, t->base, t->n, nick) + 1;
	}
	if (cluster_claim(t->server->cluster, nick, c->id, on_candidate, t) < 0)
		free(t);
}

/* "bob7" -> "bob", 8: a clash goes on from the number it had (a name of digits keeps them). */
static void start_rename(struct conn *c, const char *nick, bool exact)
{
	struct rename_try *t = calloc(1, sizeof(*t));
	size_t len = strlen(nick), cut = len;

	if (!t)
		return;
	while (cut > 0 && nick[cut - 1] >= '0' && nick[cut - 1] <= '9')
		cut--;
	if (cut == 0)
		cut = len;
	t->server = c->server;
	snprintf(t->was, sizeof(t->was), "%s", c->nick);
	if (exact)
		snprintf(t->first, sizeof(t->first), "%s", nick);
	snprintf(t->base, sizeof(t->base), "%.*s", (int)cut, nick);
	t->n = cut < len ? (unsigned)strtoul(nick + cut, NULL, 10) + 1 : 2;
	try_next(t, c);
}

void node_rename(struct conn *c, const char *nick)
{
	if (!c->server->cluster || !cluster_is_up(c->server->cluster))
		room_rename(c, nick); /* claimed, and renamed again if taken, once Redis is back */
	else
		start_rename(c, nick, true);
}

static void on_claimed(void *arg, uint64_t id, const char *nick, int result)
{
	struct server *s = arg;
	struct conn *c = server_find_conn(s, id);

	if (result == 0 && c && conn_live(c) && conn_attached(c) && strcmp(c->nick, nick) == 0 &&
	    s->cdesk) {
		/* The desk's names are how agents and customers address each other: no renaming. */
		conn_fail(c, "nick-in-use",
			  "%s is at the desk on another node; choose another name", nick);
	} else if (result == 0 && c && conn_live(c) && conn_attached(c) &&
		   strcmp(c->nick, nick) == 0) {
		log_info("cluster: %s is taken on another node; %s gets another name", nick,
			 c->peer);
		start_rename(c, nick, false);
	}
}

void node_claim(struct conn *c)
{
	/* A line member is called by its address: no other node has that one. */
	if (c->server->cluster && c->proto != PROTO_LINE)
		cluster_claim(c->server->cluster, c->nick, c->id, on_claimed, c->server);
}

static void claim_all(struct server *s)
{
	struct conn *c;

	TAILQ_FOREACH (c, &s->conns, entry)
		if (conn_live(c) && conn_attached(c))
			node_claim(c);
}

int node_start(struct server *s)
{
	static const struct cluster_hooks hooks = {
		.deliver = on_deliver,
		.state = on_state,
		.full = on_full,
		.new_epoch = on_new_epoch,
		.published = on_published,
		.names = on_names,
	};
	int r;

	if (!s->config.cluster)
		return 0;
	if ((r = cluster_new(s->base, &s->config, &hooks, s, &s->cluster)) < 0)
		return r;
	return s->cdesk ? cdesk_start(s->cdesk, s->cluster) : 0;
}
