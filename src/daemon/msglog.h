/* SPDX-License-Identifier: ISC */
/*
 * msglog.h - where the messages' IDs and history are read: the store (store.h), except the
 * room's in a cluster, which live in Redis (cluster.h). history.c, resume.c and the sessions
 * ask here and need not know which. Desk conversations are always the store's.
 */
#ifndef FRONTDESK_MSGLOG_H
#define FRONTDESK_MSGLOG_H

#include <stdbool.h>
#include <stdint.h>

#include "store.h"

struct server;

/* msglog_last_id() - the last ID released (given to the room, in a cluster) so far. */
uint64_t msglog_last_id(const struct server *s);
/* msglog_epoch() - the epoch of those IDs. */
const char *msglog_epoch(const struct server *s);
/* msglog_kept() - whether messages are kept, so history and replays can be read. */
bool msglog_kept(const struct server *s);
/* As store_history() and store_missed(); conversation 0, the room, from Redis in a cluster. */
int msglog_history(struct server *s, uint64_t conv, uint64_t before, uint64_t upto, unsigned n,
		   store_msgs_cb cb, void *arg);
int msglog_missed(struct server *s, uint64_t conv, uint64_t after, uint64_t upto, unsigned n,
		  store_msgs_cb cb, void *arg);

#endif
