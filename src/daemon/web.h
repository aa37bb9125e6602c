/* SPDX-License-Identifier: ISC */
/*
 * web.h - web_listen: HTTP/1.1 for the pages (web-pages.h), and WebSocket (RFC 6455) on /ws.
 *
 * A web connection is accepted by an ordinary listener (listener.h, flagged @web) and starts
 * here: its request head is read on its bufferevent (at most WEB_HEAD_MAX bytes, within
 * WEB_HEAD_TIMEOUT), answered, and closed, except a valid upgrade on /ws. That one passes the
 * server's admission like any framed peer (admit.h, bans), gets 101, and from then on is an
 * ordinary conn (conn.h): a bufferevent pair joins it to web-ws.c, which carries each frame of
 * the framed protocol as one WebSocket text message, both ways. The handshake, limits,
 * notices, capabilities, resume, the desk and the room see a web client as any other.
 *
 * Ownership: struct web owns every web connection (struct web_conn, web-priv.h) until it is
 * freed; the server owns the conn and its end of the pair, web.c the socket and the other end.
 */
#ifndef FRONTDESK_WEB_H
#define FRONTDESK_WEB_H

#include <stdbool.h>
#include <sys/socket.h>

struct server;
struct web;

/* web_new() - the web side of @s, before its listeners are bound. Return 0 or -ENOMEM. */
int web_new(struct server *s, struct web **ret);
/* web_free() - every web connection closed at once, without a word. Accepts NULL. */
void web_free(struct web *w);
/* web_stop() - shutdown: connections still in their request head are closed. */
void web_stop(struct web *w);
/*
 * web_idle() - whether no web connection is left (@w may be NULL). At shutdown the server waits
 * for that too, so that each WebSocket gets its close (1001) after its conn's last words; the
 * web asks for a sweep (server_sweep_soon()) when its last connection goes.
 */
bool web_idle(const struct web *w);
/* web_accept() - @fd, accepted on web_listen from @sa. Takes ownership of @fd. */
void web_accept(struct web *w, int fd, const struct sockaddr *sa, socklen_t salen);

#endif
