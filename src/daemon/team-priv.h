/* SPDX-License-Identifier: ISC */
/*
 * team-priv.h - the state of the desk with several agents, shared by team.c (relaying, the
 * mode's hooks), team-assign.c (the line, who serves whom, giving conversations back),
 * team-away.c (resumes and takeovers) and team-cmd.c (the agents' commands). Nothing outside
 * the team desk includes it.
 */
#ifndef FRONTDESK_TEAM_PRIV_H
#define FRONTDESK_TEAM_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#include "conn.h"
#include "offline.h"
#include "server.h"
#include "waiting.h"

struct evbuffer;
struct event;

/* A conversation passed on goes to another agent if one has room within this long. */
#define AVOID_SECONDS 60

/* Conversation lengths the wait estimate is taken from: the most recent ones. */
#define TEAM_LENGTHS 32

enum chat_turn {
	CHAT_TURN_CUSTOMER,
	CHAT_TURN_AGENT,
};

struct agent;

/*
 * One customer at the desk, from its arrival to its leaving (conn->mode_data): waiting in line
 * (@agent NULL) or served. The customer's own messages are held at its conn; the agent's
 * replies to it here, so that a reply that waits for its turn holds up no other conversation.
 */
struct chat {
	struct team *team;
	struct conn *customer; /* live, or kept for its resume (session.h) */
	struct agent *agent;   /* NULL: waiting in line */
	enum chat_turn turn;   /* whose turn it is (kept in free turns too: who spoke last) */
	bool had_agent;        /* served before: its next agent is shown the conversation so far */
	bool transferred;      /* being given to its next agent by a transfer or a timeout */
	uint64_t avoid;        /* the agent (its serial) that passed it on; 0: none */
	double avoid_until;    /* monotonic seconds: ...to which it may go back after this */
	double served_at;      /* monotonic seconds: when it was first served (0: not yet) */
	struct evbuffer *replies; /* the agent's held replies, records (record.h) */
	struct event *answer;     /* answer_timeout: the agent owes an answer */
	uint32_t typing_at;       /* its agent's last "typing" to it (typing.h) */
	TAILQ_ENTRY(chat) entry;  /* its agent's chats */
};

TAILQ_HEAD(chat_list, chat);

/* An agent (conn->mode_data), from attach until it is gone for good (a kept one too). */
struct agent {
	struct team *team;
	struct conn *conn; /* live, or kept for its resume */
	uint64_t serial;   /* names it across resumes (chat.avoid) */
	struct chat_list chats;
	unsigned nchats;
	bool away;         /* "away": finishes its chats, gets no new ones */
	double idle_since; /* monotonic seconds: when it last got a conversation */
	/*
	 * What customers who left still had for it, then "customer-left NAME": records and
	 * notices (deliver.h), given paced by its output; @handover_ticket, of the last record.
	 */
	struct evbuffer *handover;
	uint64_t handover_ticket;
	TAILQ_ENTRY(agent) entry;
};

TAILQ_HEAD(agent_list, agent);

struct team {
	struct server *server;
	struct waiting line;
	struct agent_list agents;
	unsigned nagents;
	unsigned told_queue; /* the line's length the agents were last told */
	uint64_t serials;
	unsigned lengths[TEAM_LENGTHS]; /* seconds, a ring of the latest conversations */
	unsigned nlengths;
	struct event *assign; /* team_assign() on the next loop turn */
	/*
	 * Places in line are told at most once a second (a busy desk moves the line many times a
	 * second, and telling everyone behind each time costs a write per waiting customer):
	 * @positions_from is the first place that changed since (0: none), @positions_at when
	 * they were last told.
	 */
	struct event *positions;
	unsigned positions_from;
	double positions_at;
	/* Conversations no agent saw end (offline.h), given one at a time to @offline_to. */
	struct offline offline;
	struct agent *offline_to;
};

static inline bool team_strict(const struct team *t)
{
	return t->server->config.turns == TURNS_STRICT;
}

/* How many conversations @a may hold: several only with the "agent" capability. */
static inline unsigned agent_capacity(const struct agent *a)
{
	return a->conn->caps & CAP_AGENT ? a->team->server->config.max_chats_per_agent : 1;
}

static inline bool agent_here(const struct agent *a)
{
	return conn_live(a->conn) && !a->conn->kept;
}

static inline struct chat *chat_of(const struct conn *c)
{
	return c->role == ROLE_CUSTOMER ? c->mode_data : NULL;
}

static inline struct agent *agent_of(const struct conn *c)
{
	return c->role == ROLE_AGENT ? c->mode_data : NULL;
}

/* team.c */
void chat_pump(struct chat *ch);
void agent_pump(struct agent *a);
void tell_turn(struct chat *ch);
void tell_agent_turn(struct chat *ch);
void chat_tell_serving(struct chat *ch);
void chat_tell_agent(struct chat *ch);
/* team_tell_customer() - where @ch's customer stands: its place, or who serves it. */
void team_tell_customer(struct chat *ch);
void drop_replies(struct chat *ch, const char *why);
void chat_free(struct chat *ch);
void chat_arm_idle(struct chat *ch);
/* agents_here() - agents attached now (not lost); tell_line() - "WHAT [NAME]" to the line. */
unsigned agents_here(const struct team *t);
void tell_line(struct team *t, const char *what, const char *name);
void agent_free(struct agent *a);

/* team-assign.c */
struct chat *chat_new(struct team *t, struct conn *c);
void team_assign(struct team *t);
void team_assign_soon(struct team *t);
void team_give_offline(struct team *t);
void serve(struct agent *a, struct chat *ch);
void unserve(struct chat *ch);
void give_back(struct chat *ch);
/* passed_back() - @ch goes back to the line on purpose: served by another agent, or told. */
void passed_back(struct chat *ch);
void give_back_all(struct agent *a, const char *why);
void team_customer_leaves(struct team *t, struct conn *c);
void tell_positions(struct team *t, unsigned from);
void team_positions_due(struct team *t);
void tell_agents_queue(struct team *t);
void arm_answer(struct chat *ch);
/* avoid_agent() - @ch was passed on by @a: another agent gets it if one can (AVOID_SECONDS). */
void avoid_agent(struct chat *ch, const struct agent *a);
unsigned team_eta(void *arg, unsigned pos);

/* team-away.c */
const char *team_may_resume(struct conn *c, const struct session *se);
void team_resumed(struct conn *c, struct conn *kept);
struct conn *team_restore(struct server *s, const struct store_session *ss);
void team_away_over(struct conn *kept);
bool team_nick_in_use(struct server *s, const char *nick);
/* take_over() - @c is agent @a's new connection (same name, same owner): it takes its place. */
void take_over(struct agent *a, struct conn *c);
void team_tell_agent(struct agent *a);

/* team-cmd.c */
extern const struct command team_commands[];
struct chat *find_chat(const struct agent *a, const char *name, size_t len);
/* team_typing() - the mode's typing hook: between a served customer and its agent. */
void team_typing(struct conn *c, const char *name);

#endif
