/* SPDX-License-Identifier: ISC */
/*
 * room-priv.h - the room's state, shared by room.c (joins, messages, flood control, the
 * commands), room-fanout.c (broadcasts: made once per kind of member, committed then
 * delivered) and room-leave.c (members leaving, and leavers sending what they held). Nothing
 * outside the room includes it.
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

/* A broadcast, or a room notice, waiting for the store to commit @ticket. */
struct pending {
	TAILQ_ENTRY(pending) entry;
	uint64_t ticket;
	bool notice;        /* @data is a notice's text; else a message's type 2 frame */
	const char *data;   /* in @buf once queued */
	size_t len;         /* of @data */
	struct store_msg m; /* a message: its sender and text point into @buf */
	char buf[];         /* @data, then the sender's nickname */
};

/* A member whose conn is gone, sending what it had held at its pace; then "left NICK". */
struct leaver {
	struct room *room;
	struct evbuffer *held; /* the conn's held frames, handed over at detach */
	struct event *timer;
	struct pace pace;
	char nick[NICK_BUFSIZE];
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
/* gate_member() - @c caused an entry: it is served through its gate until the commit. */
void gate_member(struct room *r, struct conn *c);
void room_committed(struct server *s);
/* relay() - broadcast @text from @nick; @from, when it is still there, hears if too long. */
void relay(struct room *r, const char *nick, struct conn *from, const char *text, size_t len);
/* tell_all() - every live member but @except hears the notice @fmt (room-fanout.c). */
void tell_all(struct room *r, struct conn *except, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

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

/* room-leave.c */
void member_free(struct member *m);
void leaver_free(struct leaver *l);
/* member_leaves() - @m (@c's) leaves; what it held goes out at its pace, then "left NICK". */
void member_leaves(struct room *r, struct member *m, struct conn *c);

#endif
