/* SPDX-License-Identifier: ISC */
/*
 * room-priv.h - the room's state, shared by room.c (joins, messages, flood control, the
 * commands), room-fanout.c (broadcasts: made once per kind of member, committed then
 * delivered), room-leave.c (members leaving, and leavers sending what they held) and
 * room-msg.c (private messages, "msg NICK TEXT"). Nothing outside the room includes it.
 */
#ifndef FRONTDESK_ROOM_PRIV_H
#define FRONTDESK_ROOM_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include <frontdesk/frame.h>

#include "conn.h"
#include "deliver.h"
#include "pace.h"
#include "rate.h"
#include "store.h"

struct evbuffer;
struct event;
struct ban;
struct bus_msg;
struct server;

struct member {
	struct conn *conn;
	struct event *flood_timer; /* lets held messages go at its pace; made at the first flood */
	struct pace pace;
	struct bucket renames; /* max_renames_per_min */
	uint64_t joined_id;    /* the last ID released before it joined: its history ends there */
	bool flooding;         /* told "error flood" this episode: quiet until its pace is full */
	bool history_sent;     /* the history on joining went out */
	bool gated;            /* it caused an entry: served through its gate until the commit */
	bool removed;  /* kicked or banned: its held lines dropped, no "left" (room-mod.c) */
	uint32_t skip; /* entries at the head of the FIFO, released before it joined */
	TAILQ_ENTRY(member) entry;
};

/*
 * A broadcast, a room notice, or a private message, waiting for the store to commit @ticket.
 * A private message (@to set) is in the same FIFO as broadcasts, so that its ID never reaches
 * a member before a lower one (the client drops those); only its two parties take it.
 */
struct pending {
	TAILQ_ENTRY(pending) entry;
	uint64_t ticket;
	bool notice;        /* @data is a notice's text; else a message's type 2 frame */
	const char *data;   /* in @buf once queued; a private message: its text */
	size_t len;         /* of @data */
	struct store_msg m; /* a message: its sender and text point into @buf */
	const char *to;     /* a private message: the target's nickname (in @buf); else NULL */
	uint64_t to_conn;   /* ... the target's conn->id, and the sender's (0: no copy for it) */
	uint64_t from_conn;
	size_t cap; /* bytes of @buf: an entry is kept for reuse (room->spare) */
	char buf[]; /* @data, the sender's nickname, @to */
};

/* A member whose conn is gone, sending what it had held at its pace; then "left NICK". */
struct leaver {
	struct room *room;
	struct evbuffer *held; /* the conn's held frames, handed over at detach */
	struct event *timer;
	struct pace pace;
	char nick[NICK_BUFSIZE];
	char peer[64]; /* its conn's: an address ban stops it too */
	TAILQ_ENTRY(leaver) entry;
};

/* A muted name (room-mod.c): its messages are refused; a rename takes the mute along. */
struct mute {
	char nick[NICK_BUFSIZE];
	double until; /* fd_clock_seconds(); 0: until unmute */
};

TAILQ_HEAD(member_list, member);
TAILQ_HEAD(leaver_list, leaver);
TAILQ_HEAD(pending_list, pending);

struct room {
	struct server *server;
	struct member_list members; /* in join order */
	struct leaver_list leavers; /* in order of leaving */
	unsigned nleavers;          /* at most max_clients (member_leaves()) */
	unsigned nmembers;
	unsigned nline;              /* members on the line protocol */
	struct addr_rate *joins;     /* max_joins_per_min, by address */
	struct pending_list pending; /* released, waiting for the store: oldest first */
	unsigned npending;           /* entries in @pending; their data: */
	size_t pending_bytes;
	struct pending_list spare; /* sent entries kept for the next (room-fanout.c) */
	unsigned nspare;
	struct mute *mutes; /* by name, in the order they were set */
	unsigned nmutes;
	char *topic;                 /* NULL: none (room-mod.c) */
	char topic_by[NICK_BUFSIZE]; /* the operator who set it */
	struct member **gated;       /* the members with gated set */
	unsigned ngated, gated_size;
	struct evbuffer *out[DELIVER_KINDS + 1]; /* a fan-out's bytes for each kind; a spare */
	char frame[FD_FRAME_MAX_LEN]; /* the broadcast being released, encoded as a frame */
};

static inline struct member *member_of(const struct conn *c)
{
	return c->mode_data;
}

/* room.c */
void arm(struct event *timer, double wait);
/*
 * release() - send @held from @nick, oldest first, as far as @p allows: true when all of it
 * went, else false with *@ret_wait, the seconds until more may go. @from: the member, while it
 * is live.
 */
bool release(struct room *r, struct pace *p, struct evbuffer *held, const char *nick,
	     struct conn *from, double *ret_wait);

/* room-fanout.c */
/* spare_free() - the entries kept for reuse are freed (the room is). */
void spare_free(struct room *r);
/* gate_member() - @c caused an entry: it is served through its gate until the commit. */
void gate_member(struct room *r, struct conn *c);
void room_committed(struct server *s);
/*
 * relay() - broadcast message @f (type 2; type 6: a file message, file-route.h) from @nick;
 * @from, when it is still there, hears if too long.
 */
void relay(struct room *r, const char *nick, struct conn *from, const struct fd_frame *f);
/*
 * queue_entry() - @p (a message, its ticket set) goes to the members after what waits (a copy is
 * kept), or at once when nothing waits and its ticket has committed; @from, the sender when it
 * is still there, is gated behind it. 0 or -ENOMEM (not delivered).
 */
int queue_entry(struct room *r, const struct pending *p, struct conn *from);
/* tell_all() - every live member but @except hears the notice @fmt; in a cluster, on every node. */
void tell_all(struct room *r, struct conn *except, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/*
 * room_quiet() - whether the room is past announce_max_members, so that joins, leaves and
 * renames go unsaid; @gone: 1 for a member no longer listed (a leave), which still counts.
 */
bool room_quiet(const struct room *r, unsigned gone);

/* room-msg.c */
/* room_send() - @f from @nick goes now: a room message (type 2), or a private one (type 4). */
void room_send(struct room *r, const char *nick, struct conn *from, const struct fd_frame *f);
/* private_from_bus() - a private message came back from the bus: to its two parties. */
void private_from_bus(struct room *r, const struct bus_msg *m);
/* private_encode() - private message @p into @out as @c takes it (nothing if not its party). */
void private_encode(struct evbuffer *out, const struct pending *p, const struct conn *c);
/* cmd_msg() - "msg NICK TEXT", the command (room.c's table). */
void cmd_msg(struct conn *c, const char *arg);

/* room-mod.c: moderation (issue 15) */
/* room_muted() - whether @nick is muted now (an expired mute is dropped on the way). */
bool room_muted(struct room *r, const char *nick);
/* mod_renamed() - @old is now @new: a mute goes along. */
void mod_renamed(struct room *r, const char *old, const char *new);
/* mod_hello() - "topic OP -- TEXT" to @c, joined or resumed, when there is one. */
void mod_hello(struct conn *c);
void mod_free(struct room *r);
void cmd_oper(struct conn *c, const char *arg);
void cmd_kick(struct conn *c, const char *arg);
void cmd_ban(struct conn *c, const char *arg);
void cmd_unban(struct conn *c, const char *arg);
void cmd_bans(struct conn *c, const char *arg);
void cmd_mute(struct conn *c, const char *arg);
void cmd_unmute(struct conn *c, const char *arg);
void cmd_topic(struct conn *c, const char *arg);
void cmd_purge(struct conn *c, const char *arg);
/*
 * An act applied on this node alone, as the operator's node does and as the others do when it
 * reaches them (room-share.c). mod_kick_here(): false if nobody here has that name (it tells
 * the room); mod_ban_here(): the members it closed, or -ENOSPC; mod_mute(): @until in
 * fd_clock_seconds(), 0 for no end; mod_set_topic(): @text NULL for none.
 */
bool mod_kick_here(struct server *s, const char *nick, const char *by, const char *reason);
int mod_ban_here(struct server *s, const struct ban *b);
int mod_mute(struct room *r, const char *nick, double until);
bool mod_unmute(struct room *r, const char *nick);
int mod_set_topic(struct room *r, const char *by, const char *text);

/* room-share.c: moderation across the nodes of a cluster */
struct bus_state;
/* share_act() - in a cluster, the act @act goes to the other nodes, @st written in Redis. */
void share_act(struct server *s, const char *act, const struct bus_state *st);
/* share_mute_until_ms() - a mute's end (fd_clock_seconds(), 0: none) in Unix milliseconds. */
int64_t share_mute_until_ms(double until);
/* room_control() - an act from another node: applied here, nothing told. */
void room_control(struct server *s, const struct bus_msg *m);

/* room-leave.c */
void member_free(struct member *m);
void leaver_free(struct leaver *l);
/*
 * leavers_drop() - the leavers @match says yes to go now, what they held dropped and no
 * "left" said (a kick or a ban says it): how many.
 */
unsigned leavers_drop(struct room *r, bool (*match)(const struct leaver *l, const void *arg),
		      const void *arg);
/* member_leaves() - @m (@c's) leaves; what it held goes out at its pace, then "left NICK". */
void member_leaves(struct room *r, struct member *m, struct conn *c);

#endif
