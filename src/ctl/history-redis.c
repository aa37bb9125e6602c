/* SPDX-License-Identifier: ISC */
/*
 * history-redis.c - "history" in a cluster: the room's last messages from the cluster's Redis,
 * printed exactly as history.c prints them from the store, so that a script cannot tell where
 * they came from.
 *
 * The room is the stream "NAME:room:log" (cluster-priv.h): entries "N-0", each with one field
 * "p", the payload "KIND ID TIME NODE INC SEQ A B FROM TO TEXT" (TEXT verbatim to the end). Of
 * its entries room messages ('m') only are shown (a desk's events and messages are kept there
 * too); so is none older than history_max_age: the daemon does not show those to a member
 * joining either.
 *
 * A command line may block: redisconn.h bounds each wait, so that a stuck Redis is an error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster.h"
#include "config.h"
#include "ctl.h"
#include "print.h"
#include "redisconn.h"
#include "when.h"

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
		.file = b.file,
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
	struct redisconn t;
	char key[64], count[16];
	const char *argv[] = { "XREVRANGE", key, "+", "-", "COUNT", count };
	int64_t oldest = 0;
	redisReply *r = NULL;
	int ret;

	snprintf(key, sizeof(key), "%s:room:log", cfg->cluster_name);
	snprintf(count, sizeof(count), "%u", c->count);
	if (cfg->history_max_age)
		oldest = when_now_ms() - (int64_t)cfg->history_max_age * 1000;
	if ((ret = redisconn_open(&t, c, cfg)) != CTL_OK)
		goto out;
	ret = CTL_ERROR;
	/* -n 0: all of it (the daemon bounds the stream: history_max_messages). */
	if (!(r = redisconn_call(&t, key, c->count ? 6 : 4, argv)))
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
	redisconn_close(&t);
	return ret;
}
