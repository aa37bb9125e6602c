/* SPDX-License-Identifier: ISC */
/*
 * cdesk-cmd.c - the agents' commands at the desk across nodes, as on one node (team-cmd.c):
 * next, kick, queue, agents, away, back, transfer. What changes the desk is an act for Redis
 * (cluster-desk.c), told when it comes back; "queue" and "agents" read Redis.
 */
#include "cdesk.h"
#include "cdesk-priv.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "clock.h"
#include "cluster.h"
#include "log.h"
#include "nick.h"
#include "team.h"
#include "typing.h"

/* Lines of a "queue" answer, at most (as waiting_list()). */
#define QUEUE_LIST_MAX 20
/* Agents listed by one "agents" answer, at most (as team-cmd.c). */
#define AGENTS_LIST_MAX 50

struct dchat *dagent_chat(struct dagent *a, const char *name, size_t len)
{
	struct dchat *ch;

	TAILQ_FOREACH (ch, &a->desk->chats, entry)
		if (ch->agent == a && strlen(ch->cnick) == len && memcmp(ch->cnick, name, len) == 0)
			return ch;
	return NULL;
}

/* The chat @arg names among @a's, or its only one if @arg is empty; NULL if none. */
static struct dchat *chat_named(struct dagent *a, const char *arg)
{
	struct dchat *only;

	if (*arg)
		return dagent_chat(a, arg, strlen(arg));
	if (a->nchats != 1)
		return NULL;
	TAILQ_FOREACH (only, &a->desk->chats, entry)
		if (only->agent == a)
			return only;
	return NULL;
}

const char *cdesk_customer(struct conn *agent, const char *name)
{
	struct dagent *a = dagent_of(agent);
	struct dchat *ch;

	if (!a)
		return NULL;
	/* Without "agent" its messages go to its first chat (addressed()): a file only there. */
	if (!(agent->caps & CAP_AGENT)) {
		TAILQ_FOREACH (ch, &a->desk->chats, entry)
			if (ch->agent == a)
				break;
		return ch && (!*name || strcmp(name, ch->cnick) == 0) ? ch->cnick : NULL;
	}
	ch = chat_named(a, name);
	return ch ? ch->cnick : NULL;
}

/*
 * Typing as on one node (team_typing()), between a customer and its agent both on this node:
 * it is never published, so a conversation whose sides are on two nodes has none.
 */
void cdesk_typing(struct conn *c, const char *name)
{
	struct dagent *a = dagent_of(c);
	struct dchat *ch = dchat_of(c);

	if (ch) {
		if (dagent_here(ch->agent))
			typing_tell(ch->agent->conn, c->nick);
		return;
	}
	if (!a)
		return;
	ch = chat_named(a, name);
	if (ch && ch->customer && conn_live(ch->customer) && typing_due(&ch->typing_at))
		typing_tell(ch->customer, c->nick);
}

/* The chat @arg names among @c's, or its only one if @arg is empty. NULL: told why. */
static struct dchat *named_chat(struct conn *c, const char *arg, const char *usage)
{
	struct dagent *a = dagent_of(c);
	struct dchat *ch = chat_named(a, arg);

	if (ch)
		return ch;
	if (!*arg && a->nchats > 1)
		conn_error(c, "no-customer", "you have %u conversations: %s", a->nchats, usage);
	else if (!*arg)
		conn_error(c, "no-customer", "nobody is being served");
	else
		conn_error(c, "no-customer", "%s is not one of your customers", arg);
	return NULL;
}

/* next [NAME]: end the conversation with NAME (or the only one); the line moves. */
static void cmd_next(struct conn *c, const char *arg)
{
	struct dchat *ch = named_chat(c, arg, "next NAME");

	if (ch)
		cluster_desk_act(ch->desk->cl, "end %" PRIu64 " next %s", ch->n, c->nick);
}

/* Whether @arg is one name (what goes to Redis is words: a space would be another word). */
static bool one_name(struct conn *c, const char *arg, size_t len, const char *usage)
{
	if (fd_nick_valid(arg, len))
		return true;
	conn_error(c, "bad-command", "%s: %.*s is no name", usage, (int)len, arg);
	return false;
}

/* kick NAME: end that customer's connection, whether served (by anyone), waiting or away. */
static void cmd_kick(struct conn *c, const char *arg)
{
	struct dchat *ch = dagent_chat(dagent_of(c), arg, strlen(arg));
	struct cdesk *d = dagent_of(c)->desk;

	if (!one_name(c, arg, strlen(arg), "kick NAME"))
		return;
	if (ch)
		cluster_desk_act(d->cl, "end %" PRIu64 " kick %s", ch->n, c->nick);
	else
		cluster_desk_act(d->cl, "kick %s %s %s", arg, c->nick, dagent_of(c)->key);
}

/* A read for an agent's command: found again by its conn's number. */
struct ask {
	struct server *server;
	uint64_t conn;
};

static struct conn *asker(void *arg, const struct redisReply *r)
{
	struct ask q = *(struct ask *)arg;
	struct conn *c = server_find_conn(q.server, q.conn);

	free(arg);
	if (!c || !conn_live(c))
		return NULL;
	if (!r || r->type != REDIS_REPLY_ARRAY) {
		conn_error(c, "cluster-unavailable", "the cluster could not be asked; try again");
		return NULL;
	}
	return c;
}

static void ask(struct conn *c, const char *lua, cluster_reply_cb cb)
{
	struct ask *q = malloc(sizeof(*q));

	if (q) {
		q->server = c->server;
		q->conn = c->id;
	}
	if (!q || cluster_desk_read(c->server->cdesk->cl, lua, "", cb, q) < 0) {
		free(q);
		conn_error(c, "cluster-unavailable", "the cluster cannot be asked now; try again");
	}
}

/* {length, name, since_ms, ...} for the first of the line. */
static const char queue_lua[] =
    "local out = { redis.call('ZCARD', KEYS[1] .. ':line') }\n"
    "for _, n in ipairs(redis.call('ZRANGE', KEYS[1] .. ':line', 0, 19)) do\n"
    "  local cu, since = unpack(redis.call('HMGET', KEYS[1] .. ':c:' .. n, 'cu', 'since'))\n"
    "  out[#out + 1] = cu or '?'\n"
    "  out[#out + 1] = since or '0'\n"
    "end\n"
    "return out\n";

static void on_queue(void *arg, const struct redisReply *r)
{
	struct conn *c = asker(arg, r);
	long long now = fd_clock_unix_ms(), len;
	unsigned pos = 0;

	if (!c || r->elements < 1 || r->element[0]->type != REDIS_REPLY_INTEGER)
		return;
	len = r->element[0]->integer;
	for (size_t i = 1; i + 1 < r->elements && pos < QUEUE_LIST_MAX; i += 2)
		conn_notice(c, "waiting %u %s %lld", ++pos, r->element[i]->str,
			    (now - strtoll(r->element[i + 1]->str, NULL, 10)) / 1000);
	if (len > pos)
		conn_notice(c, "waiting-more %lld", len - pos);
	conn_notice(c, "queue %lld", len);
}

static void cmd_queue(struct conn *c, const char *arg)
{
	ask(c, queue_lua, on_queue);
}

static const char agents_lua[] = "return redis.call('HGETALL', KEYS[1] .. ':agents')\n";

/* "agent NAME STATUS OPEN MAX IDLE" for each (bounded), then "agents N". */
static void on_agents(void *arg, const struct redisReply *r)
{
	struct conn *c = asker(arg, r);
	long long now = fd_clock_unix_ms(), idle;
	unsigned cap, chats, away;
	char node[80];

	if (!c)
		return;
	for (size_t i = 0; i + 1 < r->elements && i / 2 < AGENTS_LIST_MAX; i += 2) {
		if (sscanf(r->element[i + 1]->str, "%79s %*s %*s %u %u %u %lld", node, &cap, &chats,
			   &away, &idle) != 5)
			continue;
		conn_notice(c, "agent %s %s %u %u %lld", r->element[i]->str,
			    away           ? "away"
			    : chats >= cap ? "full"
					   : "available",
			    chats, cap, (now - idle) / 1000);
	}
	conn_notice(c, "agents %zu", r->elements / 2);
}

static void cmd_agents(struct conn *c, const char *arg)
{
	ask(c, agents_lua, on_agents);
}

static void cmd_away(struct conn *c, const char *arg)
{
	struct dagent *a = dagent_of(c);

	if (team_away_switch(c, &a->away, true, a->nchats))
		cdesk_agent_act(a);
}

static void cmd_back(struct conn *c, const char *arg)
{
	struct dagent *a = dagent_of(c);

	if (team_away_switch(c, &a->away, false, a->nchats))
		cdesk_agent_act(a);
}

/*
 * transfer NAME [AGENT]: the conversation with NAME goes to AGENT, on any node (Redis checks
 * it has room: "error agent-unavailable" if not), or back to the line for another agent.
 */
static void cmd_transfer(struct conn *c, const char *arg)
{
	size_t len = strcspn(arg, " ");
	const char *to = arg[len] ? arg + len + 1 : NULL;
	struct dchat *ch = dagent_chat(dagent_of(c), arg, len);

	if (to && !one_name(c, to, strlen(to), "transfer NAME [AGENT]"))
		return;
	if (!ch) {
		conn_error(c, "no-customer", "%.*s is not one of your customers", (int)len, arg);
		return;
	}
	if (to && strcmp(to, c->nick) == 0) {
		conn_error(c, "no-agent", "%s is yours already", ch->cnick);
		return;
	}
	log_info("%s asks to transfer %s to %s", c->nick, ch->cnick, to ? to : "the line");
	/* "transferred NAME [AGENT]" once Redis did it (cdesk-bus.c: ev_give()). */
	if (to)
		cluster_desk_act(ch->desk->cl, "transfer %" PRIu64 " %s %s", ch->n, c->nick, to);
	else
		cluster_desk_act(ch->desk->cl, "give %" PRIu64 " %s transfer %u 0", ch->n, c->nick,
				 CDESK_AVOID_MS);
}

const struct command cdesk_commands[] = {
	{ "next", 1u << ROLE_AGENT, ARG_OPTIONAL, cmd_next },
	{ "queue", 1u << ROLE_AGENT, ARG_NONE, cmd_queue },
	{ "kick", 1u << ROLE_AGENT, ARG_REQUIRED, cmd_kick },
	{ "agents", 1u << ROLE_AGENT, ARG_NONE, cmd_agents },
	{ "away", 1u << ROLE_AGENT, ARG_NONE, cmd_away },
	{ "back", 1u << ROLE_AGENT, ARG_NONE, cmd_back },
	{ "transfer", 1u << ROLE_AGENT, ARG_REQUIRED, cmd_transfer },
	{ NULL, 0, ARG_NONE, NULL },
};
