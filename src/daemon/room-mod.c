/* SPDX-License-Identifier: ISC */
/*
 * room-mod.c - the room's moderation (issue 15): operators, kick, ban, mute, topic, purge.
 *
 * Operators: a member on the agent socket is one from the start (the local admin: the socket's
 * file mode guards it); any other becomes one by answering operator_key_file's challenge
 * ("oper", then "oper RESPONSE"). It is the connection's: a new one proves it again.
 *
 * State: the bans are the server's (server.h: checked at the door, before the room hears of a
 * newcomer), kept in the store and loaded at start-up; the mutes (by name) and the topic are
 * the room's (room-priv.h), the topic kept in the store too. A mute is in memory only: it
 * holds the name for as long as the daemon runs, across a quit and a resume; a ban is for
 * keeping someone out.
 *
 * Every act is told to the room (line members get "* " lines) and logged, one line. In a
 * cluster every node applies it and the room hears it on every node (room-share.c).
 * A kicked or banned member is closed with its session ended (no resume) and its held
 * messages dropped (room-leave.c); the room hears "kicked"/"banned", not "left" after it. One
 * already gone whose held lines still go out at its pace (a leaver) is stopped the same way,
 * and a mute is checked as each line goes out (room_send()).
 */
#include "room.h"
#include "room-priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bans.h"
#include "clock.h"
#include "cluster.h"
#include "log.h"
#include "server.h"
#include "session.h"
#include "store.h"
#include "tls.h"

/* A topic's bytes at most: a status line's worth, far below a frame. */
#define TOPIC_MAX 500
/* "bans" lists at most this many, like the desk's bounded listings. */
#define BANS_LISTED 50
/* Wrong answers to "oper-challenge" before the connection is closed. */
#define OPER_TRIES 3
/* purge without a DURATION: the last hour. */
#define PURGE_DEFAULT 3600

/* An operator command's words: up to two before the reason, "-- reason" after them. */
struct words {
	char buf[FD_FRAME_BODY_BUFSIZE];
	const char *w[2];
	unsigned n;
	const char *reason; /* "" for none */
};

/* Split @arg into words and a reason; false (told) when there are more words than @max. */
static bool split(struct conn *c, const char *arg, unsigned max, struct words *out)
{
	char *p, *dash;

	snprintf(out->buf, sizeof(out->buf), "%s", arg);
	out->n = 0;
	out->reason = "";
	dash = strncmp(out->buf, "-- ", 3) == 0 ? out->buf : strstr(out->buf, " -- ");
	if (dash) {
		*dash = '\0';
		out->reason = dash + (dash == out->buf ? 3 : 4);
	}
	for (p = strtok(out->buf, " "); p; p = strtok(NULL, " ")) {
		if (out->n == max) {
			conn_error(c, "bad-command", "too many words; a reason goes after ' -- '");
			return false;
		}
		out->w[out->n++] = p;
	}
	if (!out->n) {
		conn_error(c, "bad-command", "a name is needed");
		return false;
	}
	/* Refused, not cut: a cut could split a character, and every member would get it. */
	if (strlen(out->reason) >= BAN_REASON_MAX) {
		conn_error(c, "bad-command", "a reason is at most %d bytes", BAN_REASON_MAX - 1);
		return false;
	}
	for (const unsigned char *q = (const unsigned char *)out->reason; *q; q++)
		if (*q < 0x20 || *q == 0x7f) {
			conn_error(c, "bad-command", "a reason is one line of text");
			return false;
		}
	return true;
}

/* The DURATION word @word into *@seconds; false: @c was told what one looks like. */
static bool duration(struct conn *c, const char *word, unsigned *seconds)
{
	if (ban_duration(word, seconds) == 0)
		return true;
	conn_error(c, "bad-command", "%s: a duration is N, Ns, Nm, Nh, Nd or Nw", word);
	return false;
}

/* Whether @c may moderate; if not, it is told and nothing else happens. */
static bool operator(struct conn *c, const char *what)
{
	if (c->oper)
		return true;
	conn_error(c, "not-operator", "%s is for operators", what);
	return false;
}

/* The live member called @nick, or NULL. */
static struct conn *member_called(struct server *s, const char *nick)
{
	struct conn *t = server_find_nick(s, nick);

	return t && t->role == ROLE_MEMBER && member_of(t) ? t : NULL;
}

static bool leaver_named(const struct leaver *l, const void *nick)
{
	return strcmp(l->nick, nick) == 0;
}

/* Whether @nick is in the room: a member, or one that left and still sends what it held. */
static bool present(struct conn *c, const char *nick)
{
	struct leaver *l;

	if (member_called(c->server, nick))
		return true;
	TAILQ_FOREACH (l, &c->server->room->leavers, entry)
		if (leaver_named(l, nick))
			return true;
	conn_error(c, "no-such-nick", "nobody called %s is in the room", nick);
	return false;
}

/* @t leaves for good: no session to resume, nothing more of it relayed, no "left" after. */
static void remove_member(struct conn *t, const char *code, const char *why)
{
	member_of(t)->removed = true;
	session_end(t);
	conn_fail(t, code, "%s", why);
}

/* " -- reason", or "" for none: what notices append. */
static const char *dashes(const char *reason)
{
	return *reason ? " -- " : "";
}

/* oper / oper RESPONSE: operator_key_file's challenge, one answer each, three tries in all. */
void cmd_oper(struct conn *c, const char *arg)
{
	const struct auth_key *key = &c->server->oper_key;
	const char *why;
	size_t which;

	if (!key->len) {
		conn_error(c, "not-operator", "no operator_key_file is set");
		return;
	}
	if (!*arg) {
		if (auth_new_challenge(c->challenge) < 0) {
			conn_error(c, "not-operator", "no challenge could be made; try again");
			return;
		}
		c->oper_asked = true;
		conn_notice(c, "oper-challenge %s", c->challenge);
		return;
	}
	if (!c->oper_asked) {
		conn_error(c, "not-operator", "send oper first: its challenge is what you answer");
		return;
	}
	c->oper_asked = false; /* one try per challenge */
	why = tls_auth_check(c->bev, false, &key, 1, c->challenge, arg, strlen(arg), &which);
	if (why) {
		log_info("%s (%s): oper: %s", c->peer, c->nick, why);
		if (++c->oper_tries >= OPER_TRIES)
			conn_fail(c, "auth-failed", "%d wrong answers to oper-challenge",
				  OPER_TRIES);
		else
			conn_error(c, "not-operator", "wrong answer");
		return;
	}
	c->oper = true;
	log_info("%s (%s): is an operator", c->peer, c->nick);
	conn_notice(c, "oper");
	tell_all(c->server->room, c, "operator %s", c->nick);
}

bool mod_kick_here(struct server *s, const char *nick, const char *by, const char *reason)
{
	char why[BAN_REASON_MAX + NICK_BUFSIZE + 8];
	struct conn *t = member_called(s, nick);

	/* Gone, still sending what it held: that stops, and the room is told as for a kick. */
	if (!t && !leavers_drop(s->room, leaver_named, nick))
		return false;
	if (t) {
		snprintf(why, sizeof(why), "by %s%s%.*s", by, *reason ? ": " : "",
			 BAN_REASON_MAX - 1, reason);
		log_info("%s kicked %s (%s)%s%.*s", by, t->nick, t->peer, dashes(reason),
			 BAN_REASON_MAX - 1, reason);
		remove_member(t, "kicked", why);
	} else {
		log_info("%s kicked %s, who had left%s%s", by, nick, dashes(reason), reason);
	}
	/* The kicked one is gone from every node: all of them hear it. */
	tell_all(s->room, NULL, "kicked %s %s%s%.*s", nick, by, dashes(reason), BAN_REASON_MAX - 1,
		 reason);
	return true;
}

/* A kick for a member of another node: that node kicks it (room-share.c), or nobody has it. */
struct kick_req {
	struct server *server;
	uint64_t op; /* the operator's conn */
	char act[FD_FRAME_BODY_BUFSIZE];
	char nick[NICK_BUFSIZE];
};

static void on_kick_whois(void *arg, const char *node, int err)
{
	struct kick_req *k = arg;
	struct conn *op = server_find_conn(k->server, k->op);

	if (node)
		share_act(k->server, k->act, NULL);
	else if (op && conn_live(op))
		conn_error(op, err < 0 ? "cluster-unavailable" : "no-such-nick",
			   err < 0 ? "the cluster cannot be asked who has %s now"
				   : "nobody called %s is in the room",
			   k->nick);
	free(k);
}

static void kick_elsewhere(struct conn *c, const struct words *a)
{
	struct kick_req *k = calloc(1, sizeof(*k));

	if (!k) {
		conn_error(c, "out-of-memory", "the kick could not be sent");
		return;
	}
	k->server = c->server;
	k->op = c->id;
	snprintf(k->nick, sizeof(k->nick), "%s", a->w[0]);
	snprintf(k->act, sizeof(k->act), "kick %s %s %.*s", a->w[0], c->nick, BAN_REASON_MAX - 1,
		 a->reason);
	if (cluster_whois(c->server->cluster, a->w[0], on_kick_whois, k) < 0) {
		free(k);
		conn_error(c, "cluster-unavailable", "the cluster cannot be asked who has %s now",
			   a->w[0]);
	}
}

/* kick NICK [-- reason] */
void cmd_kick(struct conn *c, const char *arg)
{
	struct server *s = c->server;
	struct words a;

	if (!operator(c, "kick") || !split(c, arg, 1, &a))
		return;
	if (member_called(s, a.w[0]) == c) {
		conn_error(c, "bad-command", "you cannot kick yourself; quit leaves");
		return;
	}
	if (mod_kick_here(s, a.w[0], c->nick, a.reason))
		return;
	if (s->cluster)
		kick_elsewhere(c, &a);
	else
		conn_error(c, "no-such-nick", "nobody called %s is in the room", a.w[0]);
}

/* Whether @b matches @t, a member: by its name, or by the address it came from. */
static bool ban_hits(const struct ban *b, const struct conn *t)
{
	return b->kind == BAN_NICK ? strcmp(b->spec + 5, t->nick) == 0
				   : ban_peer_matches(b, t->peer);
}

static bool leaver_banned(const struct leaver *l, const void *arg)
{
	const struct ban *b = arg;

	return b->kind == BAN_NICK ? strcmp(b->spec + 5, l->nick) == 0
				   : ban_peer_matches(b, l->peer);
}

static void ban_expired(const struct ban *b, void *arg);

/* The members @b matches are closed with "error banned", its leavers stopped; how many. */
static unsigned ban_present(struct room *r, const struct ban *b)
{
	char why[BAN_SPEC_MAX + NICK_BUFSIZE + BAN_REASON_MAX + 8];
	struct member *m;
	unsigned n = 0;

	snprintf(why, sizeof(why), "%s by %s%s%s", b->spec, b->by, *b->reason ? ": " : "",
		 b->reason);
	TAILQ_FOREACH (m, &r->members, entry) {
		if (!conn_live(m->conn) || !ban_hits(b, m->conn))
			continue;
		log_info("%s (%s): banned (%s)", m->conn->nick, m->conn->peer, b->spec);
		remove_member(m->conn, "banned", why);
		n++;
	}
	return n + leavers_drop(r, leaver_banned, b);
}

int mod_ban_here(struct server *s, const struct ban *b)
{
	/* Expired ones make room first: they would count against BANS_MAX until a "bans". */
	bans_expire(&s->bans, fd_clock_unix_ms() / 1000, ban_expired, s);
	if (b->until && b->until <= fd_clock_unix_ms() / 1000)
		return 0;
	if (bans_put(&s->bans, b) < 0)
		return -ENOSPC;
	return (int)ban_present(s->room, b);
}

/* Parse "ban"'s words into @b; false (told) when they are wrong or it would ban @c. */
static bool ban_from_words(struct conn *c, const struct words *a, struct ban *b)
{
	unsigned seconds = 0;
	const char *why;

	memset(b, 0, sizeof(*b));
	if (ban_parse(a->w[0], b, &why) < 0) {
		conn_error(c, "bad-command", "%s: %s", a->w[0], why);
		return false;
	}
	if (a->n == 2 && !duration(c, a->w[1], &seconds)) {
		return false;
	}
	if (ban_hits(b, c)) {
		conn_error(c, "bad-command", "%s would ban you", b->spec);
		return false;
	}
	b->until = seconds ? fd_clock_unix_ms() / 1000 + seconds : 0;
	snprintf(b->by, sizeof(b->by), "%s", c->nick);
	snprintf(b->reason, sizeof(b->reason), "%s", a->reason);
	return true;
}

/* An expired ban leaves the store too. */
static void ban_expired(const struct ban *b, void *arg)
{
	struct server *s = arg;

	log_info("the ban on %s has expired", b->spec);
	store_ban_del(s->store, b->spec);
}

/* The ban @b, shared with the other nodes and kept in Redis (room-share.c). */
static void share_ban(struct server *s, const struct ban *b)
{
	char value[BAN_REASON_MAX + NICK_BUFSIZE + 24], act[sizeof(value) + BAN_SPEC_MAX + 8];

	snprintf(value, sizeof(value), "%lld %s %s", (long long)b->until, b->by, b->reason);
	snprintf(act, sizeof(act), "ban %s %s", b->spec, value);
	share_act(
	    s, act,
	    &(struct bus_state){ .op = "hset", .key = "bans", .field = b->spec, .value = value });
}

/* ban nick:NAME|addr:ADDRESS[/PREFIX] [DURATION] [-- reason] */
void cmd_ban(struct conn *c, const char *arg)
{
	struct server *s = c->server;
	struct words a;
	struct ban b;
	int n;

	if (!operator(c, "ban") || !split(c, arg, 2, &a) || !ban_from_words(c, &a, &b))
		return;
	if ((n = mod_ban_here(s, &b)) < 0) {
		conn_error(c, "bad-command", "%d bans already: lift some first", BANS_MAX);
		return;
	}
	store_ban_put(s->store,
		      &(struct store_ban){
			  .spec = b.spec, .by = b.by, .reason = b.reason, .until = b.until });
	share_ban(s, &b);
	log_info("%s banned %s%s%s%s%s (%d present)", c->nick, b.spec, a.n == 2 ? " for " : "",
		 a.n == 2 ? a.w[1] : "", dashes(b.reason), b.reason, n);
	tell_all(s->room, NULL, "banned %s %s%s%s%s%s", b.spec, c->nick, a.n == 2 ? " " : "",
		 a.n == 2 ? a.w[1] : "", dashes(b.reason), b.reason);
}

/* unban nick:NAME|addr:ADDRESS[/PREFIX] */
void cmd_unban(struct conn *c, const char *arg)
{
	struct server *s = c->server;
	char act[BAN_SPEC_MAX + 8];
	const char *why;
	struct ban b;

	if (!operator(c, "unban"))
		return;
	if (ban_parse(arg, &b, &why) < 0) {
		conn_error(c, "bad-command", "%s: %s", arg, why);
		return;
	}
	if (!bans_del(&s->bans, b.spec)) {
		conn_error(c, "bad-command", "%s is not banned", b.spec);
		return;
	}
	store_ban_del(s->store, b.spec);
	snprintf(act, sizeof(act), "unban %s", b.spec);
	share_act(s, act, &(struct bus_state){ .op = "hdel", .key = "bans", .field = b.spec });
	log_info("%s unbanned %s", c->nick, b.spec);
	tell_all(s->room, NULL, "unbanned %s %s", b.spec, c->nick);
}

/* bans: "ban KIND:VALUE BY UNTIL [-- reason]" for the first BANS_LISTED, then "bans N". */
void cmd_bans(struct conn *c, const char *arg)
{
	struct server *s = c->server;
	struct bans *l = &s->bans;

	if (!operator(c, "bans"))
		return;
	bans_expire(l, fd_clock_unix_ms() / 1000, ban_expired, s);
	for (size_t i = 0; i < l->n && i < BANS_LISTED; i++) {
		const struct ban *b = &l->v[i];
		char until[24] = "-";

		if (b->until)
			snprintf(until, sizeof(until), "%lld", (long long)b->until);
		conn_notice(c, "ban %s %s %s%s%s", b->spec, b->by, until, dashes(b->reason),
			    b->reason);
	}
	conn_notice(c, "bans %zu", l->n);
}

static struct mute *find_mute(struct room *r, const char *nick)
{
	for (unsigned i = 0; i < r->nmutes; i++)
		if (strcmp(r->mutes[i].nick, nick) == 0)
			return &r->mutes[i];
	return NULL;
}

static void drop_mute(struct room *r, struct mute *mu)
{
	*mu = r->mutes[--r->nmutes];
}

bool room_muted(struct room *r, const char *nick)
{
	struct mute *mu = find_mute(r, nick);

	if (mu && mu->until && mu->until <= fd_clock_seconds()) {
		log_info("%s: the mute is over", nick);
		drop_mute(r, mu);
		return false;
	}
	return mu != NULL;
}

void mod_renamed(struct room *r, const char *old, const char *new)
{
	struct mute *mu = r->nmutes ? find_mute(r, old) : NULL;

	if (mu)
		snprintf(mu->nick, sizeof(mu->nick), "%s", new);
}

int mod_mute(struct room *r, const char *nick, double until)
{
	struct mute *mu = find_mute(r, nick);

	if (!mu) {
		/* At most one per member: as bounded as the room. */
		if (r->nmutes >= r->server->config.max_clients)
			return -ENOSPC;
		if (!(mu = realloc(r->mutes, (r->nmutes + 1) * sizeof(*mu))))
			return -ENOMEM;
		r->mutes = mu;
		mu = &r->mutes[r->nmutes++];
		snprintf(mu->nick, sizeof(mu->nick), "%s", nick);
	}
	mu->until = until;
	return 0;
}

bool mod_unmute(struct room *r, const char *nick)
{
	struct mute *mu = find_mute(r, nick);

	if (mu)
		drop_mute(r, mu);
	return mu != NULL;
}

/* The mute of @nick until @until (0: none), shared and kept in Redis (room-share.c). */
static void share_mute(struct server *s, const char *nick, double until)
{
	char act[NICK_BUFSIZE + 32], ms[24];

	snprintf(ms, sizeof(ms), "%lld", (long long)share_mute_until_ms(until));
	snprintf(act, sizeof(act), "mute %s %s", nick, ms);
	share_act(s, act,
		  &(struct bus_state){ .op = "hset", .key = "mutes", .field = nick, .value = ms });
}

/* mute NICK [DURATION] */
void cmd_mute(struct conn *c, const char *arg)
{
	struct room *r = c->server->room;
	unsigned seconds = 0;
	struct words a;
	int err;

	if (!operator(c, "mute") || !split(c, arg, 2, &a))
		return;
	/* In a cluster the name may be another node's member: the mute holds it everywhere. */
	if (!c->server->cluster && !present(c, a.w[0]))
		return;
	if (a.n == 2 && !duration(c, a.w[1], &seconds))
		return;
	if ((err = mod_mute(r, a.w[0], seconds ? fd_clock_seconds() + seconds : 0)) < 0) {
		conn_error(c, err == -ENOSPC ? "bad-command" : "out-of-memory", "%s",
			   err == -ENOSPC ? "too many mutes" : "the mute could not be kept");
		return;
	}
	share_mute(c->server, a.w[0], seconds ? fd_clock_seconds() + seconds : 0);
	log_info("%s muted %s%s%s", c->nick, a.w[0], a.n == 2 ? " for " : "",
		 a.n == 2 ? a.w[1] : "");
	tell_all(r, NULL, "muted %s %s%s%s", a.w[0], c->nick, a.n == 2 ? " " : "",
		 a.n == 2 ? a.w[1] : "");
}

/* unmute NICK */
void cmd_unmute(struct conn *c, const char *arg)
{
	struct room *r = c->server->room;
	char act[NICK_BUFSIZE + 8];

	if (!operator(c, "unmute"))
		return;
	if (!room_muted(r, arg) || !mod_unmute(r, arg)) {
		conn_error(c, "bad-command", "%s is not muted", arg);
		return;
	}
	snprintf(act, sizeof(act), "unmute %.*s", NICK_BUFSIZE - 1, arg);
	share_act(c->server, act,
		  &(struct bus_state){ .op = "hdel", .key = "mutes", .field = arg });
	log_info("%s unmuted %s", c->nick, arg);
	tell_all(r, NULL, "unmuted %s %s", arg, c->nick);
}

void mod_hello(struct conn *c)
{
	struct room *r = c->server->room;

	if (r->topic)
		conn_notice(c, "topic %s -- %s", r->topic_by, r->topic);
	/* The local admin is an operator from the start: said as to one who proved it. */
	if (c->oper)
		conn_notice(c, "oper");
}

int mod_set_topic(struct room *r, const char *by, const char *text)
{
	char *t = text ? strdup(text) : NULL;

	if (text && !t)
		return -ENOMEM;
	free(r->topic);
	r->topic = t;
	snprintf(r->topic_by, sizeof(r->topic_by), "%s", by);
	return 0;
}

/* The topic, shared and kept in Redis (room-share.c). */
static void share_topic(struct server *s, const char *by, const char *text)
{
	char value[TOPIC_MAX + NICK_BUFSIZE + 2], act[sizeof(value) + 8];

	snprintf(value, sizeof(value), "%s %s", by, text);
	snprintf(act, sizeof(act), "topic %s", value);
	share_act(s, act, &(struct bus_state){ .op = "set", .key = "topic", .value = value });
}

/* topic: anyone may ask; topic TEXT: operators set it (kept across a restart). */
void cmd_topic(struct conn *c, const char *arg)
{
	struct room *r = c->server->room;

	if (!*arg) {
		if (r->topic)
			mod_hello(c);
		else
			conn_notice(c, "topic-none");
		return;
	}
	if (!operator(c, "setting the topic"))
		return;
	/* "topic --": no topic (the free-text mark with no text; a topic "none" is a topic). */
	if (strcmp(arg, "--") == 0) {
		mod_set_topic(r, "", NULL);
		store_topic_put(c->server->store, c->nick, "");
		share_act(c->server, "topic-none",
			  &(struct bus_state){ .op = "del", .key = "topic" });
		log_info("%s cleared the topic", c->nick);
		tell_all(r, NULL, "topic-none");
		return;
	}
	if (strlen(arg) > TOPIC_MAX) {
		conn_error(c, "bad-command", "a topic is at most %d bytes", TOPIC_MAX);
		return;
	}
	/* A control character would let a topic forge lines for line members: none at all. */
	for (const unsigned char *p = (const unsigned char *)arg; *p; p++) {
		if (*p < 0x20 || *p == 0x7f) {
			conn_error(c, "bad-command", "a topic is one line of text");
			return;
		}
	}
	if (mod_set_topic(r, c->nick, arg) < 0) {
		conn_error(c, "out-of-memory", "the topic could not be kept");
		return;
	}
	store_topic_put(c->server->store, c->nick, arg);
	share_topic(c->server, c->nick, arg);
	log_info("%s set the topic: %s", c->nick, arg);
	tell_all(r, NULL, "topic %s -- %s", c->nick, arg);
}

/* The store removed @n of @from's messages: the room hears it. */
static void on_purged(void *arg, const char *from, const char *by, unsigned n, int err)
{
	struct server *s = arg;

	log_info("%s purged %u messages of %s from the history", by, n, from);
	tell_all(s->room, NULL, "purged %s %u %s", from, n, by);
}

/* In a cluster the history is Redis's stream: the purge is done there. */
struct purge_req {
	struct server *server;
	uint64_t op;
	char from[NICK_BUFSIZE], by[NICK_BUFSIZE];
};

static void on_cluster_purged(void *arg, unsigned n, int err)
{
	struct purge_req *p = arg;
	struct conn *op = server_find_conn(p->server, p->op);

	/* What went before a step failed went for good: the room hears it all the same. */
	if (n || err == 0)
		on_purged(p->server, p->from, p->by, n, 0);
	if (err < 0 && op && conn_live(op))
		conn_error(op, "cluster-unavailable", "the history cannot be purged now");
	free(p);
}

static void purge_cluster(struct conn *c, const char *from, int64_t since_ms)
{
	struct purge_req *p = calloc(1, sizeof(*p));

	if (!p) {
		conn_error(c, "out-of-memory", "the purge could not be sent");
		return;
	}
	p->server = c->server;
	p->op = c->id;
	snprintf(p->from, sizeof(p->from), "%s", from);
	snprintf(p->by, sizeof(p->by), "%s", c->nick);
	if (cluster_purge(c->server->cluster, from, since_ms, on_cluster_purged, p) < 0) {
		free(p);
		conn_error(c, "cluster-unavailable", "the history cannot be purged now");
	}
}

/* purge NICK [DURATION]: NICK's messages of the last DURATION (1h) leave the history. */
void cmd_purge(struct conn *c, const char *arg)
{
	unsigned seconds = PURGE_DEFAULT;
	struct words a;

	if (!operator(c, "purge") || !split(c, arg, 2, &a))
		return;
	if (a.n == 2 && !duration(c, a.w[1], &seconds)) {
		return;
	}
	if (strlen(a.w[0]) >= NICK_BUFSIZE) {
		conn_error(c, "no-such-nick", "no name is that long");
		return;
	}
	if (c->server->cluster)
		purge_cluster(c, a.w[0], fd_clock_unix_ms() - 1000LL * seconds);
	else if (store_purge(c->server->store, a.w[0], fd_clock_unix_ms() - 1000LL * seconds,
			     c->nick, on_purged, c->server) < 0)
		conn_error(c, "out-of-memory", "the purge could not be queued");
}

void mod_free(struct room *r)
{
	free(r->mutes);
	free(r->topic);
}

int room_restore(struct server *s)
{
	const char *by, *topic = store_topic(s->store, &by);
	const struct store_ban *v;
	size_t n;

	if (topic && *topic && mod_set_topic(s->room, by, topic) < 0)
		return -ENOMEM;
	v = store_bans(s->store, &n);
	for (size_t i = 0; i < n; i++) {
		struct ban b = { .until = v[i].until };
		const char *why;

		/* Written by this code: a spec it cannot read is a damaged row, skipped. */
		if (ban_parse(v[i].spec, &b, &why) < 0) {
			log_warnx("store: the ban %s cannot be read (%s); skipped", v[i].spec, why);
			continue;
		}
		snprintf(b.by, sizeof(b.by), "%s", v[i].by);
		snprintf(b.reason, sizeof(b.reason), "%s", v[i].reason);
		if (bans_put(&s->bans, &b) < 0)
			return -ENOMEM;
	}
	if (n || topic)
		log_info("room: %zu bans%s from the store", s->bans.n,
			 topic ? " and the topic" : "");
	return 0;
}
