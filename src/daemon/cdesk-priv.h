/* SPDX-License-Identifier: ISC */
/*
 * cdesk-priv.h - the desk across nodes' state on one node, shared by cdesk.c (the mode's hooks,
 * relaying), cdesk-bus.c (what comes back from Redis: messages and the line's events) and
 * cdesk-cmd.c (the agents' commands). Nothing outside the desk across nodes includes it.
 *
 * Redis has the line, the agents and who serves whom (cluster-desk.c); a node has only its own
 * side of each conversation: its customer, its agent, or both.
 */
#ifndef FRONTDESK_CDESK_PRIV_H
#define FRONTDESK_CDESK_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#include "conn.h"
#include "server.h"

struct cluster;
struct evbuffer;
struct event;

/* A conversation passed on goes to another agent if one has room within this long (ms), as on
 * one node (team-priv.h's AVOID_SECONDS). */
#define CDESK_AVOID_MS 60000

/* A customer's or an agent's key in Redis: "NODE/RUN/CONN". */
#define CDESK_KEY_BUFSIZE 128

struct dagent;

/* One conversation this node has a side of, from its customer's arrival (or its agent's). */
struct dchat {
	struct cdesk *desk;
	uint64_t n;            /* its number (0: the customer's enqueue has not come back yet) */
	struct conn *customer; /* its customer if here (live or kept for a resume), else NULL */
	char
	    key[CDESK_KEY_BUFSIZE]; /* its customer's key in Redis (the same after a resume here) */
	struct dagent *agent;       /* its agent if here, else NULL */
	char cnick[NICK_BUFSIZE];
	char anick[NICK_BUFSIZE]; /* its agent's name, wherever it is; "" while in line */
	bool agent_turn;          /* whose turn it is (kept in free turns too: who spoke last) */
	bool ended;               /* Redis ended it: its customer's leaving changes nothing more */
	bool moved;               /* its customer resumed on another node: it leaves here unsaid */
	bool served;              /* served once: its wait is over (the metrics) */
	bool transferred;         /* passed back to the line: told "transferred" (cdesk-bus.c) */
	unsigned pos;             /* the place in line it was last told (0: none) */
	struct evbuffer *replies; /* the agent's replies held until its turn (type 2; 6: a file) */
	struct event *answer;     /* answer_timeout, kept at the agent's side */
	uint32_t typing_at;       /* its agent's last "typing" to it (typing.h) */
	TAILQ_ENTRY(dchat) entry;
};

TAILQ_HEAD(dchat_list, dchat);

/* An agent of this node (conn->mode_data). */
struct dagent {
	struct cdesk *desk;
	struct conn *conn;
	bool sent;       /* Redis was asked to take it: it must hear when it goes */
	bool ok;         /* Redis took it: it may be given customers */
	bool away;       /* "away": finishes its chats, gets no new ones */
	unsigned nchats; /* its conversations (each a dchat whose agent it is) */
	char key[CDESK_KEY_BUFSIZE];
	TAILQ_ENTRY(dagent) entry;
};

TAILQ_HEAD(dagent_list, dagent);

struct cdesk {
	struct server *server;
	struct cluster *cl;
	struct dchat_list chats;
	struct dagent_list agents;
	unsigned line;           /* the line's length, as Redis last told it */
	unsigned told_line;      /* ...as the agents were last told it */
	struct event *positions; /* the line is read again for the places of those waiting */
	double positions_at;     /* when it was last read (fd_clock_seconds()) */
	struct event *sync;      /* cdesk-sync.c: Redis read again, events still on their way */
	unsigned sync_tries;
	char key_head[96]; /* "NODE/RUN/": this node's keys begin with it */
};

static inline bool cdesk_strict(const struct cdesk *d)
{
	return d->server->config.turns == TURNS_STRICT;
}

static inline struct dchat *dchat_of(const struct conn *c)
{
	return c->role == ROLE_CUSTOMER ? c->mode_data : NULL;
}

static inline struct dagent *dagent_of(const struct conn *c)
{
	return c->role == ROLE_AGENT ? c->mode_data : NULL;
}

static inline bool dagent_here(const struct dagent *a)
{
	return a && conn_live(a->conn);
}

/* How many conversations @a may hold: several only with the "agent" capability. */
static inline unsigned dagent_capacity(const struct dagent *a)
{
	return a->conn->caps & CAP_AGENT ? a->desk->server->config.max_chats_per_agent : 1;
}

/* cdesk.c */
struct dchat *dchat_find(struct cdesk *d, uint64_t n);
struct dchat *dchat_new(struct cdesk *d, uint64_t n, const char *cnick);
/* dchat_maybe_free() - @ch goes once neither its customer nor its agent is here. */
void dchat_maybe_free(struct dchat *ch);
void cdesk_key(const struct cdesk *d, const struct conn *c, char buf[CDESK_KEY_BUFSIZE]);
/* cdesk_conn_of() - this node's conn whose key is @key, or NULL. */
struct conn *cdesk_conn_of(struct cdesk *d, const char *key);
void cd_customer_pump(struct dchat *ch);
void cd_reply_pump(struct dchat *ch);
void cd_tell_turn(struct dchat *ch);
void cd_arm_answer(struct dchat *ch);
/* cd_arm_idle() - a served customer here gets customer_idle_timeout again (it or its agent spoke).
 */
void cd_arm_idle(struct dchat *ch);
/* cd_unserve_here() - @ch's agent here lets go of it (what it held for it is dropped: told). */
void cd_unserve_here(struct dchat *ch, const char *why);
void cd_tell_customer(struct dchat *ch);
void cd_tell_agent(struct dagent *a);
/* cdesk_positions_soon() - read the line again (at most once a second) for the places. */
void cdesk_positions_soon(struct cdesk *d);
/* cdesk_enqueue() - @ch's customer goes to the end of the line: its number comes back. */
void cdesk_enqueue(struct dchat *ch);
/*
 * cdesk_requeue() - @ch's conversation is gone (Redis lost it, or ended it as its node's while
 * this node was cut off): its customer here goes back in line (told "transferred"), one away
 * leaves; with no customer here it goes.
 */
void cdesk_requeue(struct dchat *ch);
/* dchat_by_key() - the conversation whose customer here Redis knows as @key, or NULL. */
struct dchat *dchat_by_key(struct cdesk *d, const char *key);
/* cdesk_agent_act() - Redis is told agent @a's capacity and whether it is away (once its name
 * is its: @a->sent). */
void cdesk_agent_act(struct dagent *a);

/* cdesk-bus.c */
void cdesk_event(struct cdesk *d, char *text);

/* cdesk-cmd.c */
extern const struct command cdesk_commands[];
struct dchat *dagent_chat(struct dagent *a, const char *name, size_t len);
/* cdesk_typing() - the mode's typing hook: only when both sides are on this node. */
void cdesk_typing(struct conn *c, const char *name);

#endif
