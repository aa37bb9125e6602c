/* SPDX-License-Identifier: ISC */
/*
 * cluster.h - several nodes share one room through Redis (cluster = redis://...): the bus.
 *
 * What a member says is published once, by one Lua script that takes the next ID, appends it
 * to the room's stream (bounded: the history) and publishes it; it reaches this node's members
 * only when it comes back on the subscription, so that members on every node see one order.
 * Notices (joined, left, renamed) take the same way without an ID or a place in the stream;
 * private messages take an ID but no place in the stream (they are not kept, as on one node).
 *
 * Nothing accepted is lost while Redis is unreachable: publishes wait in the outbox, in order,
 * and go when the links are back (the server stops reading once the outbox holds
 * cluster_hold_bytes). Each publish carries (node, incarnation, sequence) and the script drops
 * a sequence it has seen, so one sent again after a lost reply is not delivered twice. After a
 * reconnection the node subscribes again, then reads the stream after the last ID it
 * delivered: what was said meanwhile arrives once, in order. Redis restarted without its data
 * is a new epoch: the node tells its members and starts again from ID 1.
 *
 * Every call has a timeout (rlink.h): a slow or stuck Redis is a lost one, never a stalled loop.
 */
#ifndef FRONTDESK_CLUSTER_H
#define FRONTDESK_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

struct config;
struct event_base;
struct cluster;
struct cluster_names;
struct redisReply;

/* Room for a nickname (nick.h's limit, and then some). */
#define CLUSTER_NICK_BUFSIZE 128

enum bus_kind {
	BUS_MESSAGE = 'm', /* a room message: an ID, kept in the stream */
	BUS_PRIVATE = 'p', /* "msg NICK TEXT": an ID, not kept */
	BUS_NOTICE = 'n',  /* a room notice: no ID */
	BUS_CONTROL = 'c', /* a moderation act for the other nodes to apply: no ID */
	BUS_DESK = 'd', /* a desk message: an ID; @a 1 if the agent said it, @b its conversation */
};

/*
 * What a control message changes in Redis, in the same script that publishes it (so that an
 * act made while Redis was away is kept and told in one step): @op "hset", "hdel", "set" or
 * "del" on the key @key ("bans", "mutes", "topic", under cluster_name).
 */
struct bus_state {
	const char *op;
	const char *key;
	const char *field; /* hset, hdel */
	const char *value; /* hset, set */
};

/* What goes on the bus and comes back; strings borrowed (valid during the call). */
struct bus_msg {
	enum bus_kind kind;
	uint64_t id;      /* given by Redis: 0 when published, and for a notice */
	int64_t time_ms;  /* accept time */
	bool mine;        /* published by this node (this run): @a and @b are its conns' numbers */
	const char *node; /* the node that published it, and its run (read back only) */
	const char *run;
	uint64_t a;       /* message, private: the sender's conn; notice: the conn not told */
	uint64_t b;       /* private: the target's conn */
	const char *from; /* message, private: the sender's nickname; "" for a notice */
	const char *to;   /* private: the target's nickname; else "" */
	bool file;        /* message, desk: a file message (file-route.h) */
	const char *text;
	size_t len;
	const struct bus_state *state; /* published control: NULL, or what it changes */
};

struct cluster_hooks {
	/* @m came back from the bus, in the one order every node sees. */
	void (*deliver)(void *arg, const struct bus_msg *m);
	/* The node reached Redis (@up), or lost it. */
	void (*state)(void *arg, bool up);
	/* The outbox is over cluster_hold_bytes (@full): stop reading; or back under half. */
	void (*full)(void *arg, bool full);
	/* Redis lost its data: a new epoch; IDs start again (the members must be told). */
	void (*new_epoch)(void *arg, const char *epoch);
	/* One of this node's publishes was answered, @seconds after it was sent. */
	void (*published)(void *arg, double seconds);
	/* Every name this node uses, each given to cluster_names_add() (cluster-nick.c). */
	void (*names)(void *arg, struct cluster_names *names);
};

/* cluster_new() - resolve, read the password, start connecting. Errors are logged. */
int cluster_new(struct event_base *base, const struct config *cfg,
		const struct cluster_hooks *hooks, void *arg, struct cluster **ret);
void cluster_free(struct cluster *cl);

/* cluster_publish() - @m (id 0, mine) goes on the bus, now or once Redis is back. */
int cluster_publish(struct cluster *cl, const struct bus_msg *m);

/* Whether both links are up and the node caught up: what it says is published now. */
bool cluster_is_up(const struct cluster *cl);
/* cluster_epoch() - the epoch of the room's IDs ("" until Redis was first reached). */
const char *cluster_epoch(const struct cluster *cl);
/* cluster_last_id() - the last ID this node delivered (IDs are one sequence per cluster). */
uint64_t cluster_last_id(const struct cluster *cl);
/* cluster_held_bytes() - what waits in the outbox. */
size_t cluster_held_bytes(const struct cluster *cl);
/* cluster_publish_seconds() - how long the last publish took to be answered. */
double cluster_publish_seconds(const struct cluster *cl);
const char *cluster_node(const struct cluster *cl);

/*
 * Nicknames unique across the cluster (cluster-nick.c). cluster_claim() asks for @nick for
 * the conn numbered @conn: @cb gets 1 (it is this node's), 0 (a live node has it) or a negative
 * errno (Redis did not answer). -ENOTCONN when the node is not up: it claims every name it
 * uses when it is (hooks.state).
 */
typedef void (*cluster_claim_cb)(void *arg, uint64_t conn, const char *nick, int result);
int cluster_claim(struct cluster *cl, const char *nick, uint64_t conn, cluster_claim_cb cb,
		  void *arg);
void cluster_names_add(struct cluster_names *names, const char *nick);
/* cluster_names_add_member() - a member of this node now (for "who"). */
void cluster_names_add_member(struct cluster_names *names, const char *nick);
/* cluster_member() - member @nick came to this node (@in) or went. */
void cluster_member(struct cluster *cl, const char *nick, bool in);
/*
 * cluster_who() - every live node's members, sorted by name, @count of them from the @first:
 * @cb gets those @n and how many there are in @all (@err < 0: Redis did not answer).
 */
typedef void (*cluster_who_cb)(void *arg, const char *const *nicks, size_t n, size_t all, int err);
int cluster_who(struct cluster *cl, unsigned first, unsigned count, cluster_who_cb cb, void *arg);
/* cluster_names_add_session() - the hash of a session of this node's: its key lives on. */
void cluster_names_add_session(struct cluster_names *names, const char *hash);

/*
 * Members' sessions on any node (cluster-session.c): a session is kept in Redis as well, so
 * that its member can resume on another node (through a load balancer, or because its node
 * died). cluster_session_put() writes it; cluster_session_del() removes it if it is still
 * this node's. cluster_session_take() makes the session of @hash this node's (the node that
 * had it is told to let it go: a control "take HASH NICK") and gives @cb what it was: the
 * nickname (NULL: no such session), the capabilities and the ID it began at.
 */
void cluster_session_put(struct cluster *cl, const char *hash, const char *nick, unsigned caps,
			 uint64_t from_id);
void cluster_session_del(struct cluster *cl, const char *hash);
typedef void (*cluster_take_cb)(void *arg, const char *nick, unsigned caps, uint64_t from_id,
				int err);
int cluster_session_take(struct cluster *cl, const char *hash, cluster_take_cb cb, void *arg);
/*
 * cluster_sessions_check() - at each connection: @n sessions of this node (@triples: HASH, "1"
 * if its member is attached here else "0", the value cluster_session_put() writes, "NODE NICK
 * CAPS FROM_ID"); an attached one Redis lacks is written; @cb gets each this node must let go:
 * another node took it meanwhile (its "take" was not heard here), or, lost here, it is gone.
 */
typedef void (*cluster_gone_cb)(void *arg, const char *hash);
int cluster_sessions_check(struct cluster *cl, const char *const *triples, size_t n,
			   cluster_gone_cb cb, void *arg);

/*
 * The room's moderation as Redis keeps it (cluster-mod.c), read at each connection: @bans and
 * @mutes are field, value pairs of "bans" (spec -> "UNTIL BY REASON") and "mutes" (nick ->
 * "UNTIL_MS"); @topic "BY TEXT" or NULL. @err < 0: it could not be read.
 */
typedef void (*cluster_mod_cb)(void *arg, const char *const *bans, size_t nbans,
			       const char *const *mutes, size_t nmutes, const char *topic, int err);
int cluster_mod_load(struct cluster *cl, cluster_mod_cb cb, void *arg);
/* cluster_whois() - the live node whose member is called @nick: @cb gets it, or NULL. */
typedef void (*cluster_whois_cb)(void *arg, const char *node, int err);
int cluster_whois(struct cluster *cl, const char *nick, cluster_whois_cb cb, void *arg);
/* cluster_purge() - @from's messages since @since_ms leave the stream: @cb gets how many. */
typedef void (*cluster_count_cb)(void *arg, unsigned n, int err);
int cluster_purge(struct cluster *cl, const char *from, int64_t since_ms, cluster_count_cb cb,
		  void *arg);

/*
 * The desk across nodes (cluster-desk.c): its line, agents and conversations live in Redis.
 * cluster_desk_on() - this node has a desk: its reaper runs too. cluster_run() - this run's
 * token (a customer's key is "NODE/RUN/CONN").
 */
int cluster_desk_on(struct cluster *cl);
const char *cluster_run(const struct cluster *cl);
/*
 * cluster_desk_act() - one act on the desk ("OP ARG...", cluster-desk.c), through the outbox
 * like a message: in order, held while Redis is away, done once. What it did comes back as
 * "desk VERB ..." controls.
 */
int cluster_desk_act(struct cluster *cl, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* What one side of a desk conversation said, for cluster_desk_say(). */
struct desk_said {
	uint64_t conv; /* N */
	bool by_agent;
	int64_t time_ms;
	const char *from; /* the sender's name */
	const char *to;   /* the other side's name */
	const char *turn; /* "a" or "c": whose turn it is after it */
	bool file;        /* a file message (file-route.h) */
	const char *text;
	size_t len;
};
int cluster_desk_say(struct cluster *cl, const struct desk_said *d);
/*
 * cluster_desk_read() - run @lua (KEYS[1]: "NAME:desk", ARGV[1]: @arg) now: @cb gets its
 * reply, or NULL when Redis did not answer. -ENOTCONN when the node is not up.
 */
typedef void (*cluster_reply_cb)(void *arg, const struct redisReply *reply);
int cluster_desk_read(struct cluster *cl, const char *lua, const char *arg, cluster_reply_cb cb,
		      void *cb_arg);

/*
 * The payload format (cluster-priv.h), for what reads Redis without a node (frontdeskctl):
 * bus_parse() cuts @p (@len bytes) into @m, pointing into @p (mine is left false); -EINVAL if
 * it is no payload. bus_entry_payload() - the payload of one stream entry ([ID, [field, value,
 * ...]]), or NULL.
 */
int bus_parse(char *p, size_t len, struct bus_msg *m);
const struct redisReply *bus_entry_payload(const struct redisReply *e);

/*
 * Reads of the room's stream (@conv 0) or of a desk conversation's, as store_history() and
 * store_missed(): the callback runs on a later loop turn, with err -ENOTCONN when Redis is
 * unreachable.
 */
int cluster_history(struct cluster *cl, uint64_t conv, uint64_t before, uint64_t upto, unsigned n,
		    store_msgs_cb cb, void *arg);
int cluster_missed(struct cluster *cl, uint64_t conv, uint64_t after, uint64_t upto, unsigned n,
		   store_msgs_cb cb, void *arg);

#endif
