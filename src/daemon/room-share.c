/* SPDX-License-Identifier: ISC */
/*
 * room-share.c - the room's moderation across the nodes of a cluster.
 *
 * The node where an operator acts applies the act at once (room-mod.c), tells the room on
 * every node (tell_all()), and publishes it as a control message that also writes it into
 * Redis, in the same script: "bans" (spec -> "UNTIL BY REASON"), "mutes" (nick -> "UNTIL_MS",
 * Unix milliseconds, 0 for no end), "topic" ("BY TEXT"). The other nodes apply it when it comes
 * back, saying nothing (the room was told once). A node that connects (at start, after an
 * outage) reads the three from Redis and takes them as they are: what was decided while it was
 * away holds there too.
 *
 * Control messages, the text of a BUS_CONTROL:
 *   ban SPEC UNTIL BY REASON     unban SPEC        mute NICK UNTIL_MS     unmute NICK
 *   topic BY TEXT                topic-none        kick NICK BY REASON
 *   take HASH NICK (cluster-session.c: a member resumed on another node)
 * A kick names a member of another node (found with cluster_whois()): that node kicks it and
 * tells the room, as the operator's own node would have.
 */
#include "room-priv.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bans.h"
#include "clock.h"
#include "cluster.h"
#include "log.h"
#include "room.h"
#include "server.h"
#include "session.h"

void share_act(struct server *s, const char *act, const struct bus_state *st)
{
	struct bus_msg m = { .kind = BUS_CONTROL,
			     .time_ms = fd_clock_unix_ms(),
			     .text = act,
			     .len = strlen(act),
			     .state = st };

	if (s->cluster && cluster_publish(s->cluster, &m) < 0)
		log_warnx("cluster: out of memory: \"%.40s\" is not shared with the other nodes",
			  act);
}

/* A mute's end: monotonic seconds here, Unix milliseconds in Redis (0: none). */
static double mute_until(int64_t until_ms)
{
	return until_ms ? fd_clock_seconds() + (double)(until_ms - fd_clock_unix_ms()) / 1000 : 0;
}

int64_t share_mute_until_ms(double until)
{
	return until ? fd_clock_unix_ms() + (int64_t)((until - fd_clock_seconds()) * 1000) : 0;
}

/* "SPEC UNTIL BY REASON" into @b; false when it cannot be read. */
static bool ban_from_text(const char *spec, const char *rest, struct ban *b)
{
	const char *why, *sp;
	char *end;

	if (ban_parse(spec, b, &why) < 0)
		return false;
	b->until = strtoll(rest, &end, 10);
	if (*end != ' ')
		return false;
	rest = end + 1;
	sp = strchr(rest, ' ');
	snprintf(b->by, sizeof(b->by), "%.*s", sp ? (int)(sp - rest) : (int)strlen(rest), rest);
	snprintf(b->reason, sizeof(b->reason), "%s", sp ? sp + 1 : "");
	return true;
}

/* @act's first word into @w (cut), and the rest. */
static const char *first_word(const char *act, char *w, size_t len)
{
	size_t n = strcspn(act, " ");

	snprintf(w, len, "%.*s", (int)(n < len ? n : len - 1), act);
	return act[n] ? act + n + 1 : act + n;
}

static void apply_kick(struct server *s, const char *rest)
{
	char nick[NICK_BUFSIZE], by[NICK_BUFSIZE];

	rest = first_word(rest, nick, sizeof(nick));
	rest = first_word(rest, by, sizeof(by));
	mod_kick_here(s, nick, by, rest);
}

void room_control(struct server *s, const struct bus_msg *m)
{
	char verb[16], w[BAN_SPEC_MAX + 1];
	const char *rest = first_word(m->text, verb, sizeof(verb));
	struct room *r = s->room;
	struct ban b;

	if (m->mine || !r)
		return; /* applied where it was made */
	if (strcmp(verb, "kick") == 0) {
		apply_kick(s, rest);
	} else if (strcmp(verb, "ban") == 0) {
		rest = first_word(rest, w, sizeof(w));
		if (ban_from_text(w, rest, &b))
			mod_ban_here(s, &b);
	} else if (strcmp(verb, "unban") == 0) {
		bans_del(&s->bans, rest);
	} else if (strcmp(verb, "mute") == 0) {
		rest = first_word(rest, w, sizeof(w));
		mod_mute(r, w, mute_until(strtoll(rest, NULL, 10)));
	} else if (strcmp(verb, "unmute") == 0) {
		mod_unmute(r, rest);
	} else if (strcmp(verb, "topic") == 0) {
		rest = first_word(rest, w, sizeof(w));
		mod_set_topic(r, w, rest);
	} else if (strcmp(verb, "topic-none") == 0) {
		mod_set_topic(r, "", NULL);
	} else if (strcmp(verb, "take") == 0) {
		first_word(rest, w, sizeof(w)); /* "take HASH NICK": the session went elsewhere */
		session_let_go(s, w);
	}
}

/* Redis's bans, mutes and topic replace this node's (read at each connection). */
static void on_loaded(void *arg, const char *const *bans, size_t nbans, const char *const *mutes,
		      size_t nmutes, const char *topic, int err)
{
	struct server *s = arg;
	struct room *r = s->room;
	char by[NICK_BUFSIZE];
	struct ban b;

	if (err < 0 || !r) {
		log_warnx("cluster: the room's bans, mutes and topic could not be read; this node "
			  "keeps its own until the next connection");
		return;
	}
	bans_free(&s->bans);
	for (size_t i = 0; i < nbans; i++)
		if (ban_from_text(bans[2 * i], bans[2 * i + 1], &b) && mod_ban_here(s, &b) < 0)
			break;
	r->nmutes = 0;
	for (size_t i = 0; i < nmutes; i++)
		mod_mute(r, mutes[2 * i], mute_until(strtoll(mutes[2 * i + 1], NULL, 10)));
	if (topic)
		mod_set_topic(r, by, first_word(topic, by, sizeof(by)));
	else
		mod_set_topic(r, "", NULL);
	log_info("cluster: %zu bans, %u mutes and %s from Redis", s->bans.n, r->nmutes,
		 r->topic ? "a topic" : "no topic");
}

void room_share_load(struct server *s)
{
	if (s->cluster && s->room && cluster_mod_load(s->cluster, on_loaded, s) < 0)
		log_warnx("cluster: the room's moderation could not be asked for");
}
