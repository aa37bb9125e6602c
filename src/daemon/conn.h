/* SPDX-License-Identifier: ISC */
/*
 * conn.h - one peer connection's life, from accept to free.
 *
 * A conn owns its bufferevent, its timer and the messages it has sent that are accepted but not
 * yet relayed (@held). It turns bytes into frames (read low watermark = bytes needed for the
 * next step) and hands each frame to the server's mode (desk.c or room.c).
 *
 * Lifetime: conn_new() -> HANDSHAKE -> (mode states) -> CLOSING -> DEAD -> freed by the server's
 * sweep. conn_close() never frees: it stops reading, flushes what is queued for the peer and
 * marks the conn; the mode hears about it from the sweep, outside any callback or broadcast
 * loop, so no code ever runs on freed memory.
 */
#ifndef FRONTDESK_CONN_H
#define FRONTDESK_CONN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>
#include <time.h>

#include <frontdesk/frame.h>

struct auth_key;
struct server;
struct bufferevent;
struct evbuffer;
struct event;

#include "nick.h"

/* Nicknames follow the shared rule in nick.h. */
#define NICK_MAX FD_NICK_MAX

enum conn_state {
	CONN_CHALLENGE, /* keyed listener: waiting for the answer to our challenge */
	CONN_HANDSHAKE, /* waiting for the nickname */
	CONN_QUEUED,    /* single-agent: a customer waiting in line */
	CONN_ACTIVE,    /* the served customer, the agent, or a group member */
	CONN_CLOSING,   /* flushing its last output; reads nothing more */
	CONN_DEAD,      /* done; the sweep frees it */
};

enum conn_role {
	ROLE_CUSTOMER,
	ROLE_AGENT,
	ROLE_MEMBER,
};

struct conn {
	struct server *server;
	struct bufferevent *bev;
	struct event *timer;  /* handshake deadline, then the mode's idle deadline, then close */
	struct event *hangup; /* EV_CLOSED watch while reading is paused */
	uint64_t id;
	enum conn_state state;
	enum conn_role role;
	bool notices;  /* sent "hello notices": may receive type 3 frames */
	bool paused;   /* reading disabled because @held is full */
	bool attached; /* the mode knows this conn; it must hear of its end */
	bool detached; /* ...and has */
	bool gone;     /* moved to server->gone */
	bool linked;   /* on the mode's list (@link) */
	time_t since;  /* when it entered its current state */
	char nick[NICK_MAX + 1];
	char peer[64]; /* "ip:port" or "agent socket" */
	const struct auth_key *key; /* the listener's key while in CONN_CHALLENGE */
	char challenge[65];
	struct evbuffer *held; /* encoded type 2 frames, oldest first */
	TAILQ_ENTRY(conn) entry; /* server->conns, or server->gone once closing */
	TAILQ_ENTRY(conn) link;  /* the mode's list: the desk's queue */
};

TAILQ_HEAD(conn_list, conn);

/*
 * conn_new() - adopt an accepted socket (or a bufferevent pair end, fd -1). With a @key the
 * peer is challenged first and must answer before anything else.
 */
struct conn *conn_new(struct server *s, struct bufferevent *bev, enum conn_role role,
		      const char *peer, const struct auth_key *key);
void conn_free(struct conn *c);

bool conn_live(const struct conn *c);
void conn_set_state(struct conn *c, enum conn_state state);

/* Output. Each checks the output bound first; a peer past it is closed as a slow consumer. */
int conn_send_message(struct conn *c, const char *text, size_t len);
void conn_notice(struct conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* conn_error() - "error CODE -- text" without closing (not-your-turn, no-customer, ...). */
void conn_error(struct conn *c, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* conn_fail() - "error CODE -- text", then flush and close this one connection. */
void conn_fail(struct conn *c, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* conn_close() - flush what is queued, then close. */
void conn_close(struct conn *c, const char *why);

/* Held messages: accepted from this peer, not yet relayed. Reading pauses past the bound. */
void conn_hold(struct conn *c, const struct fd_frame *f);
bool conn_has_held(const struct conn *c);
/* conn_take_held() - the oldest held message into @body; false when none. */
bool conn_take_held(struct conn *c, char *body, struct fd_frame *ret);
void conn_drop_held(struct conn *c);

/* conn_set_timer() - (re)arm the conn's one deadline; 0 seconds disarms it. */
void conn_set_timer(struct conn *c, unsigned seconds);

#endif
