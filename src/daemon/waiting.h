/* SPDX-License-Identifier: ISC */
/*
 * waiting.h - the desk's line: customers waiting for an agent, first come first served.
 *
 * Both desks (desk.c: one agent; team.c: several) keep their line here. Each waiting conn is on
 * the list through conn->link, with conn->queued_link set so that a conn already closing knows
 * in O(1) that it was waiting.
 */
#ifndef FRONTDESK_WAITING_H
#define FRONTDESK_WAITING_H

#include <stdbool.h>

#include "conn.h"

struct store_session;

struct waiting {
	struct conn_list q;
	unsigned n;
};

/* An estimate of the wait at position @pos, in seconds; 0: no basis for one. */
typedef unsigned (*waiting_eta_fn)(void *arg, unsigned pos);

void waiting_init(struct waiting *w);
void waiting_append(struct waiting *w, struct conn *c);
/*
 * waiting_insert() - @c goes before everyone who came after it (a larger conversation number,
 * conn->conv): a customer an agent gives back keeps its turn in line.
 */
void waiting_insert(struct waiting *w, struct conn *c);
/* waiting_replace() - @c takes the place of @old, which leaves the line. */
void waiting_replace(struct waiting *w, struct conn *old, struct conn *c);
void waiting_remove(struct waiting *w, struct conn *c);
/*
 * waiting_restore() - kept conn @c takes the place of @ss, a customer waiting when the daemon
 * stopped, at the end of the line (restored in their order): its conversation and what it held.
 */
void waiting_restore(struct waiting *w, struct conn *c, const struct store_session *ss);
/* waiting_position() - a waiting customer's place in line, from 1. */
unsigned waiting_position(const struct waiting *w, const struct conn *c);
/*
 * waiting_tell() - "queued POS" to each one waiting at position @from (1-based) or later,
 * with " ETA" for clients granted a capability when @eta has a basis for one.
 */
void waiting_tell(const struct waiting *w, unsigned from, waiting_eta_fn eta, void *arg);
/* waiting_tell_one() - the same for @c alone. */
void waiting_tell_one(const struct waiting *w, struct conn *c, waiting_eta_fn eta, void *arg);
/*
 * waiting_list() - the answer to "queue": "waiting POS NAME SECONDS" for the first of them
 * (with @preview, to a client granted a capability: "-- " and the first thing each one wrote),
 * "waiting-more K" for the rest, then "queue N". Bounded, whatever the length of the line.
 */
void waiting_list(const struct waiting *w, struct conn *to, bool preview);

/*
 * waiting_served() - @c is served now: how long it waited goes to the metrics (0 when it was
 * served without waiting). Call before its state becomes CONN_ACTIVE.
 */
void waiting_served(struct conn *c);
/*
 * waiting_refuse_full() - end @c, a newcomer, with "error queue-full": @n customers already
 * wait, which is as many as the line takes.
 */
void waiting_refuse_full(struct conn *c, unsigned n);
/* waiting_inspect() - each one in line, in order, to @in (inspect.h). */
struct inspector;
void waiting_inspect(const struct waiting *w, const struct inspector *in);

#endif
