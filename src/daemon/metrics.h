/* SPDX-License-Identifier: ISC */
/*
 * metrics.h - metrics_listen: an HTTP server on the daemon's own loop (libevent's evhttp) for
 * whoever watches the daemon: Prometheus (/metrics), a load balancer or systemd (/healthz,
 * /readyz) and `frontdeskctl status` (/status, JSON).
 *
 * It reads the daemon's state when asked and changes nothing: a scrape walks the conns and
 * asks the mode (inspect.h), so the chat's hot paths pay only the counters of stats.h. It has
 * no authentication and names no customer: bind it to loopback or a monitoring network.
 */
#ifndef FRONTDESK_METRICS_H
#define FRONTDESK_METRICS_H

#include <stddef.h>

struct endpoint;
struct metrics;
struct server;

int metrics_new(struct server *s, struct metrics **ret);
void metrics_free(struct metrics *m);
/*
 * metrics_bind() - serve on @e (bound here), or on @fd when it is not -1 (a socket systemd
 * passed; taken over, closed on failure too). @name receives "HOST:PORT" as bound.
 * Return 0 or a negative errno.
 */
int metrics_bind(struct metrics *m, const struct endpoint *e, int fd, char *name, size_t len);

/* metrics_not_ready() - why the daemon does not take work now, or NULL when it does. */
const char *metrics_not_ready(const struct server *s);

#endif
