/* SPDX-License-Identifier: ISC */
/*
 * rlink.h - one connection to Redis on the daemon's own loop: hiredis 0.14's async context
 * through adapters/libevent.h, with what hiredis 0.14 lacks: a timeout on every call (a slow
 * or stuck Redis must not stall anything), and reconnection with backoff (a failed hiredis
 * context is freed, never reused).
 *
 * The cluster (cluster.c) keeps two: one for commands, one for SUBSCRIBE (a subscribed
 * connection can send nothing else in RESP2).
 *
 * Lifetime: rlink_new() starts connecting at once. Once connected it sends AUTH (when a
 * password is set) and SELECT (db > 0), then PING; when all three answered well the link is
 * up and @up runs. When anything fails (connect refused, a reply overdue, AUTH refused, the
 * peer closed), every call still waiting gets its callback with reply NULL (in the order they
 * were made), @down runs once with why, the context is freed, and a new connection is tried
 * after a backoff: 100 ms doubling to 5 s, each with up to 25% random jitter; reset to 100 ms
 * after a link was up for 10 s. Calls made while the link is down fail at once (-ENOTCONN),
 * their callback not called.
 */
#ifndef FRONTDESK_RLINK_H
#define FRONTDESK_RLINK_H

#include <stdbool.h>
#include <stddef.h>

struct event_base;
struct rlink;
struct redisReply;

struct rlink_options {
	const char *name; /* for the log: "commands", "subscriber" */
	const char *ip;   /* a literal IPv4 or IPv6 address, resolved already (never a name) */
	int port;
	const char *password; /* NULL or "": no AUTH */
	int db;               /* SELECT when > 0 */
	double timeout;       /* seconds: connect, and each reply (default 2 when 0) */
};

/*
 * A reply: @reply is hiredis's, valid during the call only, NULL when the link failed (the
 * call timed out, or the connection was lost) before the answer came. An error reply
 * (REDIS_REPLY_ERROR) is a reply, not a failure.
 */
typedef void (*rlink_reply_cb)(void *arg, struct redisReply *reply);
/*
 * The link's state changed: @up is connected and ready; @down lost (@why for the log). @down
 * also runs after each failed attempt while down (connect refused, AUTH refused, ...): the
 * caller logs when @why changes, not each time.
 */
typedef void (*rlink_up_cb)(void *arg);
typedef void (*rlink_down_cb)(void *arg, const char *why);

int rlink_new(struct event_base *base, const struct rlink_options *o, rlink_up_cb up,
	      rlink_down_cb down, void *arg, struct rlink **ret);
/* rlink_free() - close now; callbacks of calls waiting run with NULL first; @down does not. */
void rlink_free(struct rlink *l);

bool rlink_is_up(const struct rlink *l);

/*
 * rlink_call() - send one command (argv, binary-safe with @lens; @lens NULL: every argument
 * is a string, measured with strlen()): @cb gets its reply within the timeout, or NULL. Return 0,
 * or -ENOTCONN (down: @cb is not called) or -ENOMEM.
 */
int rlink_call(struct rlink *l, rlink_reply_cb cb, void *arg, int argc, const char **argv,
	       const size_t *lens);

/*
 * rlink_subscribe() - SUBSCRIBE to @channel: @cb gets every push on it, the subscribe
 * confirmation first (["subscribe", channel, n]) and then each ["message", channel, payload],
 * until the link goes down (then @cb once with NULL). Only the confirmation has a timeout.
 * Subscriptions do not survive a reconnection: subscribe again from @up.
 */
int rlink_subscribe(struct rlink *l, const char *channel, rlink_reply_cb cb, void *arg);

/*
 * rlink_reset() - drop the connection now as if it failed (@why): waiting calls get NULL, @down
 * runs, and reconnection starts after the backoff. For a caller that knows better (its other
 * link failed; a reply that makes no sense).
 */
void rlink_reset(struct rlink *l, const char *why);

#endif
