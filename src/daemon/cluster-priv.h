/* SPDX-License-Identifier: ISC */
/*
 * cluster-priv.h - the node's state, shared by cluster.c (the links, the epoch, the heartbeat,
 * catching up), cluster-out.c (the outbox and the publish script) and cluster-read.c (what
 * comes back: the payload, and reads of the stream). Nothing outside the cluster includes it.
 *
 * Redis keys, each under "NAME:" (cluster_name):
 *   room:id        the last ID given (INCR)          room:log   the stream: kept messages
 *   room           the channel                       epoch      this data's epoch token
 *   seq:NODE:INC   the last sequence published by one run of a node (expires after a day)
 *   node:NODE      the node's heartbeat (expires after cluster_lease)
 *   nodes          the nodes that claimed names      names:NODE  the names a node uses
 *   session:HASH   a member's session: "NODE NICK CAPS FROM_ID" (cluster-session.c)
 *   members:NODE   the node's members now ("who")
 *
 * The payload, on the channel and in the stream (field "p"), all of it text:
 *   KIND ID TIME NODE INC SEQ A B FROM TO TEXT
 * (bus_msg's fields; "-" for an empty FROM or TO; TEXT verbatim, spaces and all, to the end).
 */
#ifndef FRONTDESK_CLUSTER_PRIV_H
#define FRONTDESK_CLUSTER_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include "cluster.h"

struct event;
struct evbuffer;
struct redisReply;
struct rlink;

/* The stream's bound when history_max_messages is 0 (no limit): Redis's memory is not ours. */
#define CLUSTER_STREAM_MAX 100000
/* Entries read from the stream at once while catching up. */
#define CLUSTER_CATCH_UP_PAGE 500

/*
 * One publish waiting for its answer: "TIME NODE INC SEQ A B FROM TO TEXT" in @rest, then a
 * control's state (op, key, field, value: each NUL-terminated, "" for none).
 */
struct outgoing {
	TAILQ_ENTRY(outgoing) entry;
	uint64_t seq;
	char kind;
	bool file;      /* a file message: its kind goes upper-case on the wire (cluster-out.c) */
	bool sent;      /* on the wire now: not sent again until the link is lost */
	double sent_at; /* fd_clock_seconds() */
	size_t len;     /* of @rest */
	const char *op, *key, *field, *value;
	char rest[];
};
TAILQ_HEAD(outgoing_list, outgoing);

enum cluster_state {
	CLUSTER_DOWN,     /* a link is not up, or its set-up has not answered */
	CLUSTER_CATCHING, /* subscribed and ready: reading the stream after the last ID */
	CLUSTER_UP,       /* live: pushes are delivered as they come */
};

struct cluster {
	struct event_base *base;
	struct cluster_hooks hooks;
	void *arg;
	struct rlink *cmd, *sub;
	enum cluster_state state;
	bool ready;      /* cmd: the script loaded, the epoch read (this connection) */
	bool subscribed; /* sub: the subscription confirmed (this connection) */
	char node[65];
	char inc[17]; /* this run of the node: sequences start again at 1 each run */
	char sha[41]; /* the publish script, loaded at each connection */
	char epoch[33];
	char key_id[64], key_log[64], key_chan[64], key_epoch[64], key_seq[160], key_node[128];
	char key_nodes[64], key_node_prefix[64], key_names_prefix[64], key_names[128];
	char prefix[40]; /* "NAME:" */
	char key_session_prefix[64], key_members_prefix[64], key_members[128];
	char key_desk[64];     /* "NAME:desk" (cluster-desk.c) */
	char *script;          /* the publish script, the desk's functions in front of it */
	char *desk_reap;       /* the desk's reaper (NULL: no desk here) */
	unsigned session_ttl;  /* seconds: resume_grace + cluster_lease */
	unsigned beats;        /* since the names were last written */
	bool wrote_names;      /* this run wrote its names once (cluster-nick.c) */
	unsigned announce_max; /* announce_max_members: a dead node's leaves past it unsaid */
	uint64_t last_id;      /* the last ID delivered */
	uint64_t next_seq;
	unsigned maxlen;    /* the stream's bound */
	unsigned lease;     /* seconds */
	size_t hold_bytes;  /* cluster_hold_bytes */
	int64_t max_age_ms; /* history_max_age: older entries are not given; 0: no limit */
	struct outgoing_list outbox;
	size_t held;            /* bytes in @outbox */
	bool full;              /* told hooks.full(true) */
	struct evbuffer *early; /* pushes that came while catching up, each "LEN\0PAYLOAD" */
	struct event *beat;     /* the heartbeat, once a second */
	double publish_seconds;
	bool was_up;    /* told hooks.state(true) */
	bool resetting; /* dropping both links: the second's down changes nothing more */
	char why[128];  /* why it could not reach Redis, last said (never up yet) */
};

/* cluster.c */
/* cluster_fail() - something made no sense or failed: drop both links and start again. */
void cluster_fail(struct cluster *cl, const char *why);

/* cluster-out.c */
/* out_flush() - send every publish not on the wire yet (links up and caught up). */
void out_flush(struct cluster *cl);
/*
 * out_drop_desk() - Redis lost its data: the desk's messages and acts held meanwhile name
 * conversations that are gone (their numbers are given again from 1): dropped; how many.
 */
size_t out_drop_desk(struct cluster *cl);
/* out_lost() - the links went down: what was on the wire goes again once they are back. */
void out_lost(struct cluster *cl);
void out_free(struct cluster *cl);
/* The publish script's source (loaded with SCRIPT LOAD at each connection). */
extern const char cluster_publish_lua[];

/*
 * early_until() - while catching up: deliver what came on the channel meanwhile (in the order
 * it came) up to the first with an ID of @id or more, so that the stream's entries and the
 * channel's (private messages are only there) merge in ID order.
 */
void early_until(struct cluster *cl, uint64_t id);

/* cluster-desk.c */
/* desk_script() - the desk's functions, then @tail: a script (malloc'd; NULL: no memory). */
char *desk_script(const char *tail);
/* Days an ended desk conversation's stream is kept when history_max_age is 0 (no limit). */
#define CLUSTER_DESK_KEEP_DAYS 30
/* cluster_desk_keep_ms() - how long an ended desk conversation's stream is kept. */
int64_t cluster_desk_keep_ms(const struct cluster *cl);
/* desk_reap() - the desk's part of the reaper: dead nodes' customers and agents go. */
void desk_reap(struct cluster *cl);

/* cluster-nick.c */
/* nick_write_set() - write the set of names this node uses (at each connection, then often). */
void nick_write_set(struct cluster *cl);
/* nick_reap() - nodes whose heartbeat is gone: the room hears their members left. */
void nick_reap(struct cluster *cl);

/* cluster-read.c */
/* read_payload() - parse @p (@len bytes) into @m (pointing into @p, which it may change). */
int read_payload(struct cluster *cl, char *p, size_t len, struct bus_msg *m);
/* read_deliver() - a payload from the channel or the stream: deliver it unless seen. */
void read_deliver(struct cluster *cl, const char *p, size_t len);
/* read_entries() - an XRANGE reply's entries, delivered; how many there were (-1: bad). */
int read_entries(struct cluster *cl, const struct redisReply *r, uint64_t *ret_last);

#endif
