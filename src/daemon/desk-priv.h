/* SPDX-License-Identifier: ISC */
/*
 * desk-priv.h - the desk's state, shared by desk.c (the line, the turns, the agent),
 * desk-record.c (what is kept for agents: held messages as store records, the unanswered
 * question, conversations for the next agent) and desk-away.c (who is away, kept for a
 * resume). Nothing outside the desk includes it.
 */
#ifndef FRONTDESK_DESK_PRIV_H
#define FRONTDESK_DESK_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include <frontdesk/frame.h>

#include "conn.h"
#include "offline.h"
#include "server.h"
#include "store.h"
#include "waiting.h"

struct evbuffer;
struct event;

enum turn {
	TURN_CUSTOMER,
	TURN_AGENT,
};

struct desk {
	struct server *server;
	struct conn *agent;
	struct conn *active;
	struct waiting line;
	enum turn turn;  /* whose turn it is (kept up in free turns too: who spoke last) */
	bool was_strict; /* the turn rule in force before the latest reload */
	/*
	 * What the active customer wrote that was relayed to the agent since the agent last wrote
	 * (type 5 records; the oldest dropped past UNANSWERED_MAX). An agent that vanished may
	 * never have read them: whoever serves next gets them again.
	 */
	struct evbuffer *unanswered;
	unsigned nunanswered;
	bool resend_unanswered;
	/*
	 * A conversation being given to the agent, paced by its output (offline.h): one that
	 * ended during the agent's reading, or one kept for the next agent.
	 */
	struct offline offline;
	bool tell_later; /* the agent learns who is served once the replay is over */
	/*
	 * Replies a lost agent still held (not its turn yet), kept for its resume: given back
	 * to it, or dropped (the transcript says so) when another agent comes or the customer
	 * they were for leaves.
	 */
	struct evbuffer *agent_held;
	uint64_t agent_held_conv;
	char agent_held_from[NICK_BUFSIZE];
	struct event *pump; /* desk_pump() on the next loop turn */
	uint32_t typing_at; /* the agent's last "typing" to the customer served (typing.h) */
};

static inline bool strict(const struct desk *d)
{
	return d->server->config.turns == TURNS_STRICT;
}

static inline bool agent_here(const struct desk *d)
{
	return d->agent && conn_live(d->agent);
}

void desk_pump(struct desk *d);

/* desk-record.c */
void tell_customer(struct desk *d, struct conn *agent);
void tell_serving(struct desk *d, struct conn *c);
void keep_offline(struct desk *d, struct conn *c, bool handover);
void replay_offline(struct desk *d);
void forget_unanswered(struct desk *d);
void keep_unanswered(struct desk *d, const struct store_msg *m);
void replay_unanswered(struct desk *d);
void keep_agent_held(struct desk *d, struct conn *agent);
void give_agent_held(struct desk *d, struct conn *agent);
void drop_agent_held(struct desk *d);

/* desk.c, for desk-away.c */
void arm_idle(struct desk *d);
void desk_pump_soon(struct desk *d);
void desk_attach(struct conn *c);
void attach_agent(struct desk *d, struct conn *c);
void serve_next(struct desk *d);
void tell_turns(struct desk *d, struct conn *c);
void tell_agent_state(struct desk *d, struct conn *c);
void tell_customer_state(struct desk *d, struct conn *c);
/* customer_leaves() - @c leaves the desk for good: from the line, or its conversation ends. */
void customer_leaves(struct desk *d, struct conn *c);

/* desk-away.c: the mode's hooks for resumes (server.h), and the agent's next and kick */
const char *desk_may_resume(struct conn *c, const struct session *se);
void desk_resumed(struct conn *c, struct conn *kept);
struct conn *desk_restore(struct server *s, const struct store_session *ss);
void desk_away_over(struct conn *kept);
/* end_away() - an away customer ended by the agent (next, kick): its session ends. */
void end_away(struct conn *c, enum store_end why);
/* find_away() - a customer called @name who is away, or NULL. */
struct conn *find_away(struct desk *d, const char *name);

#endif
