/* SPDX-License-Identifier: ISC */
/*
 * redisconn.h - the cluster's Redis as frontdeskctl reads it (history-redis.c,
 * transcript-redis.c): hiredis's synchronous API on one connection, its connect and each reply
 * bounded by 2 seconds, so that a stuck Redis is an error, not a hang. Whatever fails is said
 * once ("cannot reach Redis at HOST:PORT: ...", "Redis at HOST:PORT: WHAT: ...").
 */
#ifndef FRONTDESK_CTL_REDISCONN_H
#define FRONTDESK_CTL_REDISCONN_H

#include <hiredis/hiredis.h>

struct config;
struct ctl;

struct redisconn {
	redisContext *rc;
	char where[300]; /* HOST:PORT as the configuration names it, for messages */
};

/*
 * redisconn_open() - @c's --redis (when given) into @cfg, then connected, authenticated
 * (cluster_password_file) and in the configuration's database.
 * Return: CTL_OK; CTL_USAGE for a bad --redis, CTL_ERROR otherwise (said). Close it either way.
 */
int redisconn_open(struct redisconn *t, const struct ctl *c, struct config *cfg);
void redisconn_close(struct redisconn *t);

/* redisconn_call() - one command's reply; NULL once said (@what names it, for the message). */
redisReply *redisconn_call(struct redisconn *t, const char *what, int argc, const char **argv);

/*
 * Pipelined: redisconn_send() queues a command (-1 once said: no memory); redisconn_reply()
 * reads the next queued one's reply, as redisconn_call() would (sending the queue first).
 */
int redisconn_send(struct redisconn *t, int argc, const char **argv);
redisReply *redisconn_reply(struct redisconn *t, const char *what);

#endif
