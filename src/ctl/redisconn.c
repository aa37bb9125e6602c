/* SPDX-License-Identifier: ISC */
/* redisconn.c - the cluster's Redis, synchronously, for frontdeskctl (redisconn.h). */
#include "redisconn.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include "config-cluster.h"
#include "config.h"
#include "ctl.h"

#define REDIS_TIMEOUT_S 2

/* config-cluster.c's messages begin "cluster: ", which says nothing here. */
static const char *unprefixed(const char *err)
{
	return strncmp(err, "cluster: ", 9) == 0 ? err + 9 : err;
}

/* Why the link failed, in words: a timeout is hiredis's EAGAIN. */
static const char *lost_why(const redisContext *rc)
{
	if (!rc)
		return "out of memory";
	if (rc->err == REDIS_ERR_IO && strcmp(rc->errstr, strerror(EAGAIN)) == 0)
		return "no answer within 2 seconds";
	if (rc->err == REDIS_ERR_EOF)
		return "it closed the connection";
	return rc->errstr;
}

/* @r as a reply: NULL once said when there is none (the link failed) or it is an error. */
static redisReply *checked(struct redisconn *t, const char *what, redisReply *r)
{
	if (!r) {
		ctl_error("cannot reach Redis at %s: %s", t->where, lost_why(t->rc));
		return NULL;
	}
	if (r->type == REDIS_REPLY_ERROR) {
		ctl_error("Redis at %s: %s: %s", t->where, what, r->str);
		freeReplyObject(r);
		return NULL;
	}
	return r;
}

redisReply *redisconn_call(struct redisconn *t, const char *what, int argc, const char **argv)
{
	return checked(t, what, redisCommandArgv(t->rc, argc, argv, NULL));
}

int redisconn_send(struct redisconn *t, int argc, const char **argv)
{
	if (redisAppendCommandArgv(t->rc, argc, argv, NULL) != REDIS_OK) {
		ctl_error("out of memory");
		return -1;
	}
	return 0;
}

redisReply *redisconn_reply(struct redisconn *t, const char *what)
{
	void *r = NULL;

	if (redisGetReply(t->rc, &r) != REDIS_OK)
		r = NULL;
	return checked(t, what, r);
}

/* Authenticated with @password (when set) and in the configured database; -1 once said. */
static int redis_setup(struct redisconn *t, const struct config *cfg, char *password)
{
	const char *auth[] = { "AUTH", password }, *select[] = { "SELECT", NULL };
	char db[16];
	redisReply *r;

	if (password[0]) {
		r = redisconn_call(t, "AUTH with cluster_password_file", 2, auth);
		if (!r)
			return -1;
		freeReplyObject(r);
	}
	if (cfg->cluster_db) {
		snprintf(db, sizeof(db), "%u", cfg->cluster_db);
		select[1] = db;
		if (!(r = redisconn_call(t, "SELECT", 2, select)))
			return -1;
		freeReplyObject(r);
	}
	return 0;
}

int redisconn_open(struct redisconn *t, const struct ctl *c, struct config *cfg)
{
	struct timeval tv = { .tv_sec = REDIS_TIMEOUT_S };
	char ip[64], err[512], password[512];
	int r;

	t->rc = NULL;
	if (c->redis && config_cluster_set_url(cfg, c->redis, err, sizeof(err)) < 0)
		return ctl_usage_error("--redis: %s", unprefixed(err));
	snprintf(t->where, sizeof(t->where), strchr(cfg->cluster_host, ':') ? "[%s]:%u" : "%s:%u",
		 cfg->cluster_host, cfg->cluster_port);
	if (config_cluster_resolve(cfg, ip, sizeof(ip), err, sizeof(err)) < 0) {
		ctl_error("cannot reach Redis at %s: %s", t->where, unprefixed(err));
		return CTL_ERROR;
	}
	if (config_cluster_password(cfg, password, sizeof(password), err, sizeof(err)) < 0) {
		ctl_error("%s", err);
		return CTL_ERROR;
	}
	t->rc = redisConnectWithTimeout(ip, (int)cfg->cluster_port, tv);
	if (!t->rc || t->rc->err || redisSetTimeout(t->rc, tv) != REDIS_OK) {
		ctl_error("cannot reach Redis at %s: %s", t->where, lost_why(t->rc));
		r = CTL_ERROR;
	} else {
		r = redis_setup(t, cfg, password) < 0 ? CTL_ERROR : CTL_OK;
	}
	explicit_bzero(password, sizeof(password));
	return r;
}

void redisconn_close(struct redisconn *t)
{
	if (t->rc)
		redisFree(t->rc);
	t->rc = NULL;
}
