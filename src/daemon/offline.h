/* SPDX-License-Identifier: ISC */
/*
 * offline.h - conversations given to an agent after the fact.
 *
 * A conversation that ended with no agent there to see its end (the customer left while the
 * agent was away, or a crash cut it) is kept by the store for the next agent
 * (store_offline_next()). Whichever agent comes next is given it as if it had been there:
 * "customer NAME", the messages no agent answered, "customer-left NAME", paced by the agent's
 * output, one conversation at a time; the store lets go of each once it was given whole, so an
 * agent that vanishes halfway, or a crash, loses nothing. The desk also puts here what a
 * customer still held when it left while the agent was reading (a hand-over).
 */
#ifndef FRONTDESK_OFFLINE_H
#define FRONTDESK_OFFLINE_H

#include <stdbool.h>
#include <stdint.h>

#include <event2/buffer.h>

#include "conn.h"

struct event;
struct server;

struct offline {
	struct server *server; /* its store (opened after the mode is made) */
	struct evbuffer *buf;  /* what is being given: notices and records (deliver.h) */
	uint64_t ticket;       /* the store's ticket for what @buf holds (0: committed) */
	bool fetching;         /* a read from the store is out */
	bool more;             /* the store may keep more conversations for the next agent */
	uint64_t giving;       /* the conversation read from the store being given (0: none) */
	size_t giving_left;    /* ...its bytes still in @buf (what follows is a hand-over) */
	uint64_t to;           /* ...the conn given some of it (0: none yet) */
	char customer[NICK_BUFSIZE]; /* ...its customer */
	void (*fetched)(void *arg);  /* a read came back: give it (on a later loop turn) */
	struct event *retry;         /* a read failed: @fetched in a second, to read again */
	void *arg;
};

int offline_init(struct offline *o, struct server *s, void (*fetched)(void *arg), void *arg);
void offline_free(struct offline *o);

/* offline_pending() - whether something is being given or read: it goes first. */
static inline bool offline_pending(const struct offline *o)
{
	return evbuffer_get_length(o->buf) > 0 || o->fetching;
}

/*
 * offline_give() - give @agent what is ready, as far as its output allows (the mode's drained
 * hook calls again); once it is out, read the next conversation from the store. Returns
 * whether anything was sent.
 */
bool offline_give(struct offline *o, struct conn *agent);

#endif
