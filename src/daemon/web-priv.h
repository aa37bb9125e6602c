/* SPDX-License-Identifier: ISC */
/*
 * web-priv.h - what web.c (accept, the request head, HTTP answers) and web-ws.c (the
 * WebSocket after the upgrade) share: one web connection's state.
 */
#ifndef FRONTDESK_WEB_PRIV_H
#define FRONTDESK_WEB_PRIV_H

#include <stdbool.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include "listener.h"

struct bufferevent;
struct event;
struct wslay_event_context;

/* Seconds to send the whole request head (less if handshake_timeout is). */
#define WEB_HEAD_TIMEOUT 10
/* Connections still in their request head at once; past this a new one is closed at accept. */
#define WEB_HEAD_CONNS_MAX 256
/* ...and from one address (admit_address_key()), so that one host cannot hold them all. */
#define WEB_HEAD_PER_ADDRESS 16
/* Seconds an answered connection has to read the answer and go, or to answer our close. */
#define WEB_CLOSE_TIMEOUT 5

enum web_state {
	WEB_HEAD,    /* reading the request head */
	WEB_ANSWER,  /* an HTTP answer is being sent; then closed */
	WEB_OPEN,    /* upgraded: WebSocket messages both ways */
	WEB_CLOSING, /* a close frame went out: waiting (bounded) for the peer's */
};

struct web_conn {
	struct web *web;
	struct bufferevent *bev; /* the socket */
	struct bufferevent
	    *link;           /* WEB_OPEN/CLOSING: our end of the pair; the conn has the other */
	struct event *timer; /* the head's deadline, a message's, the close's */
	struct wslay_event_context *ws;
	enum web_state state;
	bool frag;         /* a fragmented message has begun and not ended */
	bool linger;       /* the answer is out: reading until the peer's EOF, bounded */
	unsigned pings;    /* pings in the current second... */
	long ping_second;  /* ...which is this one (monotonic) */
	char peer[64];     /* "ip:port" */
	char addr_key[64]; /* what per-address limits count it as (admit.h) */
	struct sockaddr_storage sa;
	socklen_t salen;
	TAILQ_ENTRY(web_conn) entry;
};

struct web {
	struct server *server;
	/* What admission sees a WebSocket as: a framed customer or member (admit_accept()). */
	struct listener as;
	/* ...and one on /ws/agent: an agent, as on agent_listen (challenged, remote). */
	struct listener agent_as;
	TAILQ_HEAD(web_conn_list, web_conn) conns;
	unsigned nhead;     /* connections in WEB_HEAD */
	struct event *scan; /* once a second: upgraded connections whose conn has gone */
	bool stopping;
};

/* web_conn_free() - close the socket now, without a word. */
void web_conn_free(struct web_conn *wc);
/* web_conn_finish() - send what is queued, half-close, and free (bounded by WEB_CLOSE_TIMEOUT). */
void web_conn_finish(struct web_conn *wc);

/*
 * web_ws_open() - @wc's 101 is queued: a WebSocket in server mode, and a conn behind it with
 * @as's role and key (an agent's is remote: challenged and counted as on agent_listen), told
 * @refuse_code (admit.h) when it was admitted only to hear why not. Return 0 or -ENOMEM.
 */
int web_ws_open(struct web_conn *wc, const struct listener *as, const char *refuse_code,
		const char *refuse_text);
/* web_ws_free() - the WebSocket side of @wc (the pair end, the wslay context). */
void web_ws_free(struct web_conn *wc);
/* web_ws_pump() - the socket has input for the WebSocket, or room for output: run it. */
void web_ws_pump(struct web_conn *wc);
/* web_ws_timer() - @wc's deadline in WEB_OPEN: a message never ended. */
void web_ws_timer(struct web_conn *wc);
/* web_ws_check() - whether @wc's conn has gone (its pair end freed); if so, close it. */
void web_ws_check(struct web_conn *wc);

#endif
