/* SPDX-License-Identifier: ISC */
/*
 * activation.h - listening sockets passed by systemd (socket activation, sd_listen_fds(3)).
 *
 * frontdeskd.socket passes the customer listener(s) and, if it lists one, the agent's Unix
 * socket. They are matched to the configuration: every `listen` and `agent_listen` address
 * must be among the passed TCP sockets, `agent_socket` may be among the passed Unix sockets (else
 * the daemon binds it), and a passed socket the configuration does not name is an error too:
 * serving on other ports than the configured ones would be a silent surprise. When any socket is
 * passed, the daemon binds no TCP listener of its own.
 *
 * The struct holds the passed fds not yet taken; taking one hands its ownership to the caller.
 */
#ifndef FRONTDESK_ACTIVATION_H
#define FRONTDESK_ACTIVATION_H

#include <stddef.h>

#include "config.h"

#define ACTIVATION_MAX 16

struct activation {
	int fds[ACTIVATION_MAX]; /* -1 once taken */
	unsigned n;
};

/*
 * activation_init() - collect what systemd passed (nothing outside socket activation) and
 * clear $LISTEN_FDS so nothing else sees it. Return the number of sockets or a negative errno.
 */
int activation_init(struct activation *a);
/* activation_take_tcp() - the fd of the passed TCP listener bound to @e, or -ENOENT. */
int activation_take_tcp(struct activation *a, const struct endpoint *e);
/* activation_take_unix() - the fd of the passed Unix stream listener at @path, or -ENOENT. */
int activation_take_unix(struct activation *a, const char *path);
/* activation_describe() - the sockets not yet taken, "127.0.0.1:21567, /run/x.sock"; 0 if none. */
unsigned activation_describe(const struct activation *a, char *buf, size_t len);
/* activation_close() - close every socket not taken. */
void activation_close(struct activation *a);

#endif
