/* SPDX-License-Identifier: ISC */
/*
 * team-cmd.c - the agents' commands at the desk with several agents (protocol 7.5): next,
 * kick, queue, agents, away, back, transfer, earlier. See team-priv.h.
 */
#include "team.h"
#include "team-priv.h"

#include <stdio.h>
#include <string.h>

#include <event2/event.h>

#include "clock.h"
#include "history.h"
#include "log.h"
#include "session.h"
#include "store.h"
#include "typing.h"

/* Agents listed by one "agents" answer (~180 bytes a line at most: 50 stay under 9 KiB). */
#define AGENTS_LIST_MAX 50

struct chat *find_chat(const struct agent *a, const char *name, size_t len)
{
	struct chat *ch;

	TAILQ_FOREACH (ch, &a->chats, entry)
		if (strlen(ch->customer->nick) == len && memcmp(ch->customer->nick, name, len) == 0)
			return ch;
	return NULL;
}

/* The chat @arg names among @a's, or its only one if @arg is empty; NULL if none. */
static struct chat *chat_named(struct agent *a, const char *arg)
{
	if (!*arg)
		return a->nchats == 1 ? TAILQ_FIRST(&a->chats) : NULL;
	return find_chat(a, arg, strlen(arg));
}

/* The chat of @agent's that @name ("" or a customer's name) means for a file; NULL: none. */
static struct chat *file_chat(struct conn *agent, const char *name)
{
	struct agent *a = agent_of(agent);
	struct chat *ch;

	if (!a)
		return NULL;
	/*
	 * Without "agent" (dropped after it took several chats) its messages go to its first
	 * chat, whatever it names (addressed()): so does a file, which may name only that one.
	 */
	if (!(agent->caps & CAP_AGENT)) {
		ch = TAILQ_FIRST(&a->chats);
		if (ch && *name && strcmp(name, ch->customer->nick) != 0)
			ch = NULL;
	} else {
		ch = chat_named(a, name);
	}
	return ch;
}

const char *team_customer(struct conn *agent, const char *name)
{
	struct chat *ch = file_chat(agent, name);

	return ch ? ch->customer->nick : NULL;
}

struct conn *team_file_peer(struct conn *c, const char *name)
{
	struct chat *ch = c->role == ROLE_AGENT ? file_chat(c, name) : chat_of(c);

	if (!ch)
		return NULL;
	return c->role == ROLE_AGENT ? ch->customer : ch->agent ? ch->agent->conn : NULL;
}

/*
 * A served customer's typing goes to its agent; an agent's to the customer it names, or its
 * only one. Nobody hears of a customer typing in line, nor of anyone away (kept for a resume);
 * strict turns do not matter (typing takes no turn). A name that is none of the agent's
 * customers (one who has just left, say) is dropped without a word, as the indicator is only
 * advice.
 */
void team_typing(struct conn *c, const char *name)
{
	struct agent *a = agent_of(c);
	struct chat *ch = chat_of(c);

	if (ch) {
		if (ch->agent && agent_here(ch->agent))
			typing_tell(ch->agent->conn, c->nick);
		return;
	}
	if (!a)
		return;
	ch = chat_named(a, name);
	if (ch && conn_live(ch->customer) && typing_due(&ch->typing_at))
		typing_tell(ch->customer, c->nick);
}

/* The chat @arg names among @c's, or its only one if @arg is empty. NULL: told why. */
static struct chat *named_chat(struct conn *c, const char *arg, const char *usage)
{
	struct agent *a = agent_of(c);
	struct chat *ch = chat_named(a, arg);

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

/* End customer @cu's connection for the agent @by (next, kick); @why goes in its transcript. */
static void end_customer(struct conn *cu, struct conn *by, enum store_end why)
{
	cu->end_why = (uint8_t)why;
	if (cu->kept) {
		log_info("%s, away, is let go by %s", cu->nick, by->nick);
		session_end(cu); /* the session lets go of it: team_away_over() */
		return;
	}
	if (why == END_NEXT) {
		conn_notice(cu, "bye -- %s ended the conversation", by->nick);
		conn_close(cu, "ended by the agent");
	} else {
		conn_fail(cu, "kicked", "%s ended your connection", by->nick);
	}
	/* The place is free before the agent's next command (maybe another next) runs. */
	server_detach(cu);
}

/* next [NAME]: end the conversation with NAME (or the only one); the line moves. */
static void cmd_next(struct conn *c, const char *arg)
{
	struct chat *ch = named_chat(c, arg, "next NAME");

	if (ch)
		end_customer(ch->customer, c, END_NEXT);
}

/* kick NAME: end that customer's connection, whether served (by anyone), waiting or away. */
static void cmd_kick(struct conn *c, const char *arg)
{
	struct team *t = c->server->team;
	struct conn *q, *found = NULL;
	struct agent *a;
	struct chat *ch;

	TAILQ_FOREACH (q, &t->line.q, link)
		if (strcmp(q->nick, arg) == 0)
			found = q;
	TAILQ_FOREACH (a, &t->agents, entry)
		if ((ch = find_chat(a, arg, strlen(arg))))
			found = ch->customer;
	if (!found) {
		conn_error(c, "no-customer", "no customer is called %s", arg);
		return;
	}
	end_customer(found, c, END_KICK);
}

static void cmd_queue(struct conn *c, const char *arg)
{
	waiting_list(&c->server->team->line, c, true);
}

static const char *agent_status(const struct agent *a)
{
	if (!agent_here(a))
		return "lost";
	if (a->away)
		return "away";
	return a->nchats >= agent_capacity(a) ? "full" : "available";
}

/* agents: "agent NAME STATUS OPEN MAX IDLE" for each (bounded), then "agents N". */
static void cmd_agents(struct conn *c, const char *arg)
{
	struct team *t = c->server->team;
	double now = fd_clock_seconds();
	unsigned n = 0;
	struct agent *a;

	TAILQ_FOREACH (a, &t->agents, entry) {
		if (n++ == AGENTS_LIST_MAX)
			break;
		conn_notice(c, "agent %s %s %u %u %lld", a->conn->nick, agent_status(a), a->nchats,
			    agent_capacity(a), (long long)(now - a->idle_since));
	}
	conn_notice(c, "agents %u", t->nagents);
}

bool team_away_switch(struct conn *c, bool *away, bool to, unsigned open)
{
	if (*away == to) {
		conn_error(c, "bad-command",
			   to ? "you are away already; back to take customers"
			      : "you are not away");
		return false;
	}
	*away = to;
	if (to) {
		log_info("agent %s is away, %u conversation(s) open", c->nick, open);
		conn_notice(c, "away %u", open);
	} else {
		log_info("agent %s is back", c->nick);
		conn_notice(c, "back");
	}
	return true;
}

/* away: finish the conversations open, get no new ones. */
static void cmd_away(struct conn *c, const char *arg)
{
	struct agent *a = agent_of(c);

	team_away_switch(c, &a->away, true, a->nchats);
}

static void cmd_back(struct conn *c, const char *arg)
{
	struct agent *a = agent_of(c);

	if (!team_away_switch(c, &a->away, false, a->nchats))
		return;
	a->idle_since = fd_clock_seconds();
	team_assign_soon(a->team);
}

/* The agent @name to transfer to, if it may take one more. NULL: told @c why. */
static struct agent *transfer_target(struct conn *c, const char *name)
{
	struct agent *a;

	TAILQ_FOREACH (a, &c->server->team->agents, entry)
		if (strcmp(a->conn->nick, name) == 0)
			break;
	if (!a || !agent_here(a)) {
		conn_error(c, "no-agent", "no agent called %s is at the desk", name);
		return NULL;
	}
	if (a->conn == c) {
		conn_error(c, "no-agent", "%s is yours already", name);
		return NULL;
	}
	if (a->away || a->nchats >= agent_capacity(a)) {
		conn_error(c, "agent-unavailable",
			   "%s is %s: transfer to another agent or the line", name,
			   a->away ? "away" : "full");
		return NULL;
	}
	return a;
}

/*
 * transfer NAME [AGENT]: the conversation with NAME goes to AGENT (who must have room), or
 * back to the head of the line. The customer is told, the receiving agent shown the
 * conversation so far, the transcript records it.
 */
static void cmd_transfer(struct conn *c, const char *arg)
{
	struct team *t = c->server->team;
	size_t len = strcspn(arg, " ");
	const char *to = arg[len] ? arg + len + 1 : NULL;
	struct chat *ch = find_chat(agent_of(c), arg, len);
	struct agent *target = NULL;

	if (!ch) {
		conn_error(c, "no-customer", "%.*s is not one of your customers", (int)len, arg);
		return;
	}
	if (to && !(target = transfer_target(c, to)))
		return;
	store_conv_transfer(t->server->store, ch->customer->conv, c->nick,
			    target ? target->conn->nick : NULL, "transfer", fd_clock_unix_ms());
	log_info("%s transfers %s to %s", c->nick, ch->customer->nick,
		 target ? target->conn->nick : "the line");
	conn_notice(c, to ? "transferred %s %s" : "transferred %s", ch->customer->nick,
		    target ? target->conn->nick : "");
	if (target) {
		/* Through the line and out at once: nobody in it changed place. */
		ch->transferred = true;
		give_back(ch);
		serve(target, ch);
	} else {
		avoid_agent(ch, agent_of(c)); /* back to the line: for another agent */
		passed_back(ch);
	}
}

/* earlier NAME ...: NAME's earlier conversations, not the one this agent holds with NAME. */
static void cmd_team_earlier(struct conn *c, const char *arg)
{
	struct chat *ch = find_chat(agent_of(c), arg, strcspn(arg, " "));

	history_earlier(c, arg, ch ? ch->customer->conv : 0);
}

const struct command team_commands[] = {
	{ "next", 1u << ROLE_AGENT, ARG_OPTIONAL, cmd_next },
	{ "queue", 1u << ROLE_AGENT, ARG_NONE, cmd_queue },
	{ "kick", 1u << ROLE_AGENT, ARG_REQUIRED, cmd_kick },
	{ "earlier", 1u << ROLE_AGENT, ARG_REQUIRED, cmd_team_earlier },
	{ "agents", 1u << ROLE_AGENT, ARG_NONE, cmd_agents },
	{ "away", 1u << ROLE_AGENT, ARG_NONE, cmd_away },
	{ "back", 1u << ROLE_AGENT, ARG_NONE, cmd_back },
	{ "transfer", 1u << ROLE_AGENT, ARG_REQUIRED, cmd_transfer },
	{ NULL, 0, ARG_NONE, NULL },
};
