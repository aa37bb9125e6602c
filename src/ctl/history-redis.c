/* SPDX-License-Identifier: ISC */
/*
 * history-redis.c - "history" in a cluster: the room's last messages from the cluster's Redis,
 * printed exactly as history.c prints them from the store, so that a script cannot tell where
 * they came from.
 *
 * The room is the stream "NAME:room:log" (cluster-priv.h): entries "N-0", each with one field
 * "p", the payload "KIND ID TIME NODE INC SEQ A B FROM TO TEXT" (TEXT verbatim to the end). It
 * holds room messages ('m') only; an entry that is not one is left out. So is one older than
 * history_max_age: the daemon does not show those to a member joining either.
 *
 * A command line may block: hiredis's synchronous API on one connection, its connect and each
 * call bounded by REDIS_TIMEOUT_S, so that a stuck Redis is an error, not a hang.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <hiredis/hiredis.h>

#include "cluster.h"
#include "config-cluster.h"
#include "config.h"
#include "ctl.h"
#include "print.h"
#include "when.h"

#define REDIS_TIMEOUT_S 2

struct redis {
	redisContext *rc;
	char where[300]; /* HOST:PORT as the configuration names it, for messages */
};

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

/* One command's reply; NULL once said (the link failed, or Redis answered with an error). */
static redisReply *call(struct redis *t, const char *what, int argc, const char **argv)
{
	redisReply *r = redisCommandArgv(t->rc, argc, argv, NULL);

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

/* Connected, authenticated (cluster_password_file), the database selected; -1 once said. */
static int redis_open(struct redis *t, const struct config *cfg)
{
	struct timeval tv = { .tv_sec = REDIS_TIMEOUT_S };
	char ip[64], err[512], password[512], db[16];
	const char *auth[] = { "AUTH", password }, *select[] = { "SELECT", db };
	redisReply *r;

	snprintf(t->where, sizeof(t->where), strchr(cfg->cluster_host, ':') ? "[%s]:%u" : "%s:%u",
		 cfg->cluster_host, cfg->cluster_port);
	if (config_cluster_resolve(cfg, ip, sizeof(ip), err, sizeof(err)) < 0) {
		ctl_error("cannot reach Redis at %s: %s", t->where, unprefixed(err));
		return -1;
	}
	if (config_cluster_password(cfg, password, sizeof(password), err, sizeof(err)) < 0) {
		ctl_error("%s", err);
		return -1;
	}
	t->rc = redisConnectWithTimeout(ip, (int)cfg->cluster_port, tv);
	if (!t->rc || t->rc->err || redisSetTimeout(t->rc, tv) != REDIS_OK) {
		ctl_error("cannot reach Redis at %s: %s", t->where, lost_why(t->rc));
		return -1;
	}
	if (password[0]) {
		r = call(t, "AUTH with cluster_password_file", 2, auth);
		explicit_bzero(password, sizeof(password));
		if (!r)
			return -1;
		freeReplyObject(r);
	}
	if (cfg->cluster_db) {
		snprintf(db, sizeof(db), "%u", cfg->cluster_db);
		if (!(r = call(t, "SELECT", 2, select)))
			return -1;
		freeReplyObject(r);
	}
	return 0;
}

/* A payload (@p, @len bytes, cut up in place) as a room message: 0, or -1 when it is none. */
static int parse_payload(char *p, size_t len, struct ctl_msg *m)
{
	struct bus_msg b;

	if (bus_parse(p, len, &b) < 0 || b.kind != BUS_MESSAGE || b.id == 0)
		return -1;
	*m = (struct ctl_msg){
		.released = true,
		.id = (int64_t)b.id,
		.time_ms = b.time_ms,
		.sender = b.from,
		.text = b.text,
		.len = b.len,
	};
	return 0;
}

/* XREVRANGE's entries (newest first) printed oldest first; -1 once said (no memory). */
static int print_entries(const redisReply *r, int64_t oldest_ms, bool json)
{
	struct printer p;
	struct ctl_msg m;
	const redisReply *v;
	char *buf;

	print_init(&p, stdout, json);
	print_list_begin(&p);
	for (size_t i = r->elements; i-- > 0;) {
		if (!(v = bus_entry_payload(r->element[i])))
			continue;
		if (!(buf = malloc(v->len + 1))) {
			ctl_error("out of memory");
			return -1;
		}
		memcpy(buf, v->str, v->len);
		buf[v->len] = '\0';
		if (parse_payload(buf, v->len, &m) == 0 && m.time_ms >= oldest_ms)
			print_msg(&p, &m);
		free(buf);
	}
	print_list_end(&p, "no messages");
	return 0;
}

int ctl_history_redis(const struct ctl *c, struct config *cfg)
{
	struct redis t = { .rc = NULL };
	char err[512], key[64], count[16];
	const char *argv[] = { "XREVRANGE", key, "+", "-", "COUNT", count };
	int64_t oldest = 0;
	redisReply *r = NULL;
	int ret = CTL_ERROR;

	if (c->redis && config_cluster_set_url(cfg, c->redis, err, sizeof(err)) < 0)
		return ctl_usage_error("--redis: %s", unprefixed(err));
	snprintf(key, sizeof(key), "%s:room:log", cfg->cluster_name);
	snprintf(count, sizeof(count), "%u", c->count);
	if (cfg->history_max_age)
		oldest = when_now_ms() - (int64_t)cfg->history_max_age * 1000;
	if (redis_open(&t, cfg) < 0)
		goto out;
	/* -n 0: all of it (the daemon bounds the stream: history_max_messages). */
	if (!(r = call(&t, key, c->count ? 6 : 4, argv)))
		goto out;
	if (r->type != REDIS_REPLY_ARRAY) {
		ctl_error("Redis at %s: %s: not the room's stream", t.where, key);
		goto out;
	}
	if (print_entries(r, oldest, c->json) == 0)
		ret = CTL_OK;
out:
	if (r)
		freeReplyObject(r);
	if (t.rc)
		redisFree(t.rc);
	return ret;
}
