/* SPDX-License-Identifier: ISC */
/*
 * listener.h - listening sockets: TCP endpoints for customers or members, the agent's Unix
 * socket. Each hands accepted sockets to server_accept() with the role its peers get.
 *
 * Under EMFILE/ENFILE accept() fails while the connection stays in the backlog, so the
 * listener would fire again at once and spin (libevent issues 71, 363): on such errors it
 * disables itself and comes back on a one-second timer. It also accepts at most a batch per
 * turn of the loop, so that the peers it accepted are read before it judges more (admit.c).
 */
#ifndef FRONTDESK_LISTENER_H
#define FRONTDESK_LISTENER_H

#include "config.h"
#include "conn.h"

struct server;

struct listener {
	struct server *server;
	struct evconnlistener *lev;
	struct event *retry; /* after EMFILE (1 s), or after a batch of accepts (next turn) */
	unsigned batch;      /* accepted since the last turn of the loop */
	enum conn_role role;
	enum conn_proto proto;
	const struct auth_key *key; /* peers must answer a challenge with it; NULL: no challenge */
	struct tls *tls;            /* TLS context for accepted sockets; NULL: plain TCP */
	bool web;                   /* web_listen: HTTP first, maybe a WebSocket (web.h) */
	char name[300];             /* "127.0.0.1:21567" or the socket path */
	char unix_path[sizeof(((struct config *)0)->agent_socket)]; /* unlinked on free */
	struct listener *next;
};

/* listener_new_tcp() - bind @e; the listener's name carries the port actually bound. */
int listener_new_tcp(struct server *s, const struct endpoint *e, enum conn_role role,
		     enum conn_proto proto, struct listener **ret);
/* listener_new_unix() - bind @path (mode 0660), replacing a stale socket file. */
int listener_new_unix(struct server *s, const char *path, enum conn_role role,
		      struct listener **ret);
/*
 * listener_new_fd() - serve on @fd, a socket already bound and listening (socket activation),
 * named @name in the logs. Takes ownership of @fd, also on failure; never unlinks a socket file.
 */
int listener_new_fd(struct server *s, int fd, const char *name, enum conn_role role,
		    struct listener **ret);
void listener_free(struct listener *l);

/*
 * listener_addr_format() - @sa as "ip:port" ("[ipv6]:port"): how peers and bound sockets are
 * named in logs and limits. Return 0, or -1 when it has no numeric form (@buf: "?:?").
 */
struct sockaddr;
int listener_addr_format(const struct sockaddr *sa, unsigned salen, char *buf, size_t len);

/*
 * listeners_bind() - every listener the configuration names (bind.c), onto @s->listeners: bound
 * here, or taken from the sockets systemd passed, which must then match the configuration.
 * Return 0 or a negative errno (logged).
 */
int listeners_bind(struct server *s);

#endif
