/* SPDX-License-Identifier: ISC */
/*
 * cdesk.h - the desk across nodes: mode = single-agent with cluster = redis://... (cdesk.c).
 * One line and one team of agents shared by every node through Redis.
 */
#ifndef FRONTDESK_CDESK_H
#define FRONTDESK_CDESK_H

#include <event2/util.h>

struct bus_msg;
struct cdesk;
struct cluster;
struct conn;
struct mode_ops;
struct server;

extern const struct mode_ops cdesk_ops;

int cdesk_new(struct server *s, struct cdesk **ret);
/* cdesk_start() - the cluster is there: the desk's reaper runs, the last run's state goes. */
int cdesk_start(struct cdesk *d, struct cluster *cl);
void cdesk_free(struct cdesk *d);
/*
 * cdesk_customer() - the name of agent @agent's customer @name, or its only one for ""; NULL.
 * Without "agent" only the chat its messages go to (its first) can be named.
 */
const char *cdesk_customer(struct conn *agent, const char *name);
/* cdesk_new_epoch() - Redis lost its data: this node's customers and agents start again. */
void cdesk_new_epoch(struct cdesk *d);
/* cdesk_bus_deliver() - @m came back from the bus (cluster.h's deliver hook). */
void cdesk_bus_deliver(struct server *s, const struct bus_msg *m);

/* cdesk-bus.c, for cdesk.c */
void cdesk_resumed(struct conn *c, struct conn *kept);
void cdesk_on_positions(evutil_socket_t fd, short what, void *arg);
/* cdesk-sync.c: cdesk_sync() - the node is up again: its conversations checked with Redis. */
void cdesk_sync(struct cdesk *d);
void cdesk_on_sync(evutil_socket_t fd, short what, void *arg);

#endif
