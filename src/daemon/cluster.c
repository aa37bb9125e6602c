/* SPDX-License-Identifier: ISC */
/*
 * cluster.c - the node's two links to Redis and its state (see cluster.h): setting a
 * connection up (the script, the epoch, the subscription), catching up from the stream, the
 * heartbeat, and losing it all and starting again.
 *
 * The two links live and die together: when either is lost the other is dropped too, so that
 * every reconnection runs the same set-up in the same order, and nothing is published while
 * the subscription that would bring it back is missing.
 */
#include "cluster-priv.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <hiredis/hiredis.h>

#include "clock.h"
#include "config-cluster.h"
#include "config.h"
#include "log.h"
#include "rlink.h"

/* Makes the epoch at the first connection to an empty Redis; gives it and the last ID. */
static const char epoch_lua[] = "redis.call('SET', KEYS[1], ARGV[1], 'NX')\n"
				"return {redis.call('GET', KEYS[1]),"
				" redis.call('GET', KEYS[2]) or '0'}\n";

static void random_hex(char *buf, size_t bytes)
{
	unsigned char r[16] = { 0 };

	if (bytes > sizeof(r) || getrandom(r, bytes, 0) != (ssize_t)bytes)
		log_warnx("cluster: getrandom failed; a weak token is used");
	for (size_t i = 0; i < bytes; i++)
		snprintf(buf + 2 * i, 3, "%02x", r[i]);
}

/* Drop whichever link is up; each one's down hook runs, the second one's changes nothing. */
static void reset_links(struct cluster *cl, const char *why)
{
	if (cl->resetting)
		return;
	cl->resetting = true;
	if (rlink_is_up(cl->cmd))
		rlink_reset(cl->cmd, why);
	if (rlink_is_up(cl->sub))
		rlink_reset(cl->sub, why);
	cl->resetting = false;
}

static void went_down(struct cluster *cl, const char *link, const char *why)
{
	if (cl->state != CLUSTER_DOWN) {
		cl->state = CLUSTER_DOWN;
		out_lost(cl);
		evbuffer_drain(cl->early, evbuffer_get_length(cl->early));
	}
	if (cl->was_up) {
		cl->was_up = false;
		log_warnx("cluster: lost Redis (%s: %s); holding what members say until it is back",
			  link, why);
		cl->hooks.state(cl->arg, false);
	} else if (strncmp(cl->why, why, sizeof(cl->why) - 1) != 0) {
		/* Not reached yet (a refused password, nothing listening): said once per reason. */
		snprintf(cl->why, sizeof(cl->why), "%s", why);
		log_warnx("cluster: cannot reach Redis (%s: %s); trying again", link, why);
	}
	/* The other link starts again too: see the top of this file. */
	reset_links(cl, "the other link was lost");
}

void cluster_fail(struct cluster *cl, const char *why)
{
	log_warnx("cluster: %s; connecting again", why);
	reset_links(cl, why);
}

static void beat(struct cluster *cl);

/* The ID a payload starts with ("K ID ..."); 0 for a notice or a room's control (no ID). */
static uint64_t payload_id(const char *p, size_t len)
{
	return len > 2 ? strtoull(p + 2, NULL, 10) : 0;
}

/*
 * The place of the entry at @p among the stream's: its ID; for one without (a notice), the ID
 * of the next entry with one that came after it (it was published before that one), or
 * UINT64_MAX if none did (it goes after every entry of the stream not buffered).
 */
static uint64_t place(const char *p, const char *end)
{
	size_t len;
	uint64_t id;

	for (; p + sizeof(len) <= end; p += sizeof(len) + len) {
		memcpy(&len, p, sizeof(len));
		if ((id = payload_id(p + sizeof(len), len)))
			return id;
	}
	return UINT64_MAX;
}

void early_until(struct cluster *cl, uint64_t id)
{
	size_t len, total = evbuffer_get_length(cl->early), done = 0;
	const char *p, *end;
	uint64_t at;

	if (!total || !(p = (const char *)evbuffer_pullup(cl->early, -1)))
		return;
	end = p + total;
	while (p + sizeof(len) <= end) {
		memcpy(&len, p, sizeof(len));
		at = place(p, end);
		/* A notice goes before the entry it came before; a message before @id itself. */
		if (payload_id(p + sizeof(len), len) ? at >= id : at > id)
			break;
		read_deliver(cl, p + sizeof(len), len);
		done += sizeof(len) + len;
		p += sizeof(len) + len;
	}
	evbuffer_drain(cl->early, done);
}

/*
 * Caught up: live from now on. What this node held is published first, so that reading the
 * room's moderation (hooks.state: room_share_load()) comes after its own held acts were
 * written: answers come in order.
 */
static void caught_up(struct cluster *cl)
{
	early_until(cl, UINT64_MAX);
	cl->state = CLUSTER_UP;
	cl->beats = 0;
	beat(cl); /* alive before its names are: a claim on another node checks both */
	nick_write_set(cl);
	out_flush(cl);
	if (cl->state != CLUSTER_UP)
		return; /* the flush failed, and the links start again */
	if (!cl->was_up) {
		cl->was_up = true;
		cl->why[0] = '\0';
		log_info("cluster: node %s is up (epoch %s, last ID %" PRIu64 ", %zu bytes held)",
			 cl->node, cl->epoch, cl->last_id, cl->held);
		cl->hooks.state(cl->arg, true);
	}
}

static void catch_up(struct cluster *cl);

static void on_catch_up(void *arg, redisReply *r)
{
	struct cluster *cl = arg;
	uint64_t last = 0;
	int n;

	if (!r || cl->state != CLUSTER_CATCHING)
		return; /* lost meanwhile: it starts again with the next connection */
	if ((n = read_entries(cl, r, &last)) < 0) {
		cluster_fail(cl, "the stream could not be read");
		return;
	}
	if (n == CLUSTER_CATCH_UP_PAGE)
		catch_up(cl);
	else
		caught_up(cl);
}

/* Read the stream after the last ID delivered, a page at a time. */
static void catch_up(struct cluster *cl)
{
	char from[32];
	const char *argv[] = { "XRANGE", cl->key_log, from, "+", "COUNT", "500" };

	_Static_assert(CLUSTER_CATCH_UP_PAGE == 500, "the COUNT above");
	if (cl->last_id)
		snprintf(from, sizeof(from), "(%" PRIu64 "-0", cl->last_id);
	else
		snprintf(from, sizeof(from), "-");
	if (rlink_call(cl->cmd, on_catch_up, cl, 6, argv, NULL) < 0)
		cluster_fail(cl, "the stream could not be asked for");
}

static void maybe_catch_up(struct cluster *cl)
{
	if (cl->state != CLUSTER_DOWN || !cl->ready || !cl->subscribed)
		return;
	cl->state = CLUSTER_CATCHING;
	catch_up(cl);
}

static void on_script(void *arg, redisReply *r)
{
	struct cluster *cl = arg;

	if (!r)
		return;
	if (r->type != REDIS_REPLY_STRING || r->len >= sizeof(cl->sha)) {
		cluster_fail(cl, "SCRIPT LOAD failed");
		return;
	}
	memcpy(cl->sha, r->str, r->len);
	cl->sha[r->len] = '\0';
}

static int call(struct cluster *cl, rlink_reply_cb cb, int argc, const char **argv)
{
	return rlink_call(cl->cmd, cb, cl, argc, argv, NULL);
}

/*
 * KEYS: room:id, room:log; ARGV: the last ID this node delivered. The counter goes on from
 * the highest of that, the stream's newest entry and itself.
 */
static const char ahead_lua[] =
    "local n = tonumber(ARGV[1])\n"
    "local top = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)\n"
    "if top[1] then\n"
    "  local t = tonumber(string.match(top[1][1], '^(%d+)'))\n"
    "  if t > n then n = t end\n"
    "end\n"
    "if tonumber(redis.call('GET', KEYS[1]) or '0') < n then\n"
    "  redis.call('SET', KEYS[1], string.format('%d', n))\n"
    "end\n"
    "return 1\n";

static void on_ahead(void *arg, redisReply *r)
{
	struct cluster *cl = arg;

	if (!r)
		return;
	if (r->type != REDIS_REPLY_INTEGER) {
		cluster_fail(cl, "the last ID could not be set");
		return;
	}
	cl->ready = true;
	maybe_catch_up(cl);
}

/*
 * Redis gives fewer IDs than this node delivered: it lost acknowledged writes (a replica
 * promoted before it had them, an old AOF restored). Those messages are gone from Redis, but
 * their IDs were seen: the counter is moved past them, so that no ID is given twice (the
 * nodes would drop the second as seen).
 */
static void went_back(struct cluster *cl, uint64_t redis_id)
{
	char last[24];
	const char *argv[] = { "EVAL", ahead_lua, "2", cl->key_id, cl->key_log, last };

	log_warnx("cluster: Redis's last ID is %" PRIu64 " but this node delivered up to %" PRIu64
		  ": Redis lost messages (a failover?); IDs go on after %" PRIu64,
		  redis_id, cl->last_id, cl->last_id);
	snprintf(last, sizeof(last), "%" PRIu64, cl->last_id);
	if (call(cl, on_ahead, 6, argv) < 0)
		cluster_fail(cl, "the last ID could not be set");
}

/* The epoch and the last ID: a first connection starts from now; a new epoch from 1. */
static void on_epoch(void *arg, redisReply *r)
{
	struct cluster *cl = arg;
	redisReply *e, *id;
	size_t n;

	if (!r)
		return;
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
	    (e = r->element[0])->type != REDIS_REPLY_STRING || e->len >= sizeof(cl->epoch) ||
	    (id = r->element[1])->type != REDIS_REPLY_STRING || !cl->sha[0]) {
		cluster_fail(cl, "the epoch could not be read");
		return;
	}
	if (!cl->epoch[0]) {
		cl->last_id = strtoull(id->str, NULL, 10);
		memcpy(cl->epoch, e->str, e->len + 1);
	} else if (strcmp(cl->epoch, e->str) == 0 && strtoull(id->str, NULL, 10) < cl->last_id) {
		went_back(cl, strtoull(id->str, NULL, 10));
		return;
	} else if (strcmp(cl->epoch, e->str) != 0) {
		log_warnx("cluster: Redis lost its data: epoch %s is over, %s begins; IDs start "
			  "again and the history before is gone",
			  cl->epoch, e->str);
		memcpy(cl->epoch, e->str, e->len + 1);
		cl->last_id = 0;
		if ((n = out_drop_desk(cl)))
			log_warnx(
			    "cluster: %zu desk message(s) and act(s) held for conversations of the "
			    "last epoch are dropped with them",
			    n);
		cl->hooks.new_epoch(cl->arg, cl->epoch);
	}
	cl->ready = true;
	maybe_catch_up(cl);
}

/* The command link is up: load the script, then read the epoch (replies come in order). */
static void on_cmd_up(void *arg)
{
	struct cluster *cl = arg;
	char fresh[33];
	const char *load[] = { "SCRIPT", "LOAD", cl->script };
	const char *epoch[] = { "EVAL", epoch_lua, "2", cl->key_epoch, cl->key_id, fresh };

	random_hex(fresh, 16);
	cl->sha[0] = '\0';
	if (call(cl, on_script, 3, load) < 0 || call(cl, on_epoch, 6, epoch) < 0)
		cluster_fail(cl, "the set-up could not be sent");
}

static void on_cmd_down(void *arg, const char *why)
{
	struct cluster *cl = arg;

	cl->ready = false;
	went_down(cl, "commands", why);
}

/* The subscription's pushes: its confirmation, then each message. */
static void on_push(void *arg, redisReply *r)
{
	struct cluster *cl = arg;
	redisReply *p;

	if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 3 ||
	    r->element[0]->type != REDIS_REPLY_STRING)
		return; /* NULL: lost, and on_sub_down() knows */
	if (strcmp(r->element[0]->str, "subscribe") == 0) {
		cl->subscribed = true;
		maybe_catch_up(cl);
		return;
	}
	if (strcmp(r->element[0]->str, "message") != 0 ||
	    (p = r->element[2])->type != REDIS_REPLY_STRING)
		return;
	if (cl->state == CLUSTER_UP) {
		read_deliver(cl, p->str, p->len);
	} else if (evbuffer_get_length(cl->early) + p->len > cl->hold_bytes) {
		cluster_fail(cl, "too much was said while catching up");
	} else {
		evbuffer_add(cl->early, &p->len, sizeof(p->len));
		evbuffer_add(cl->early, p->str, p->len);
	}
}

static void on_sub_up(void *arg)
{
	struct cluster *cl = arg;

	if (rlink_subscribe(cl->sub, cl->key_chan, on_push, cl) < 0)
		cluster_fail(cl, "SUBSCRIBE could not be sent");
}

static void on_sub_down(void *arg, const char *why)
{
	struct cluster *cl = arg;

	cl->subscribed = false;
	went_down(cl, "subscriber", why);
}

/* The heartbeat's answer says nothing new: a lost one is the link's to report. */
static void on_beat_reply(void *arg, redisReply *r)
{
}

static void beat(struct cluster *cl)
{
	char ms[24];
	const char *argv[] = { "SET", cl->key_node, cl->inc, "PX", ms };

	snprintf(ms, sizeof(ms), "%u", cl->lease * 1000);
	call(cl, on_beat_reply, 5, argv);
}

/* Once a second: the node says it is alive (and a stuck Redis is found by the timeout). */
static void on_beat(evutil_socket_t fd, short what, void *arg)
{
	struct cluster *cl = arg;

	if (!cl->ready)
		return;
	beat(cl);
	/* The names in use, twice a lease: one let go here is free everywhere soon after. */
	if (cl->state == CLUSTER_UP && ++cl->beats * 2 >= cl->lease) {
		cl->beats = 0;
		nick_write_set(cl);
		nick_reap(cl);
		desk_reap(cl);
	}
}

static void set_keys(struct cluster *cl, const char *name)
{
	snprintf(cl->key_id, sizeof(cl->key_id), "%s:room:id", name);
	snprintf(cl->key_log, sizeof(cl->key_log), "%s:room:log", name);
	snprintf(cl->key_chan, sizeof(cl->key_chan), "%s:room", name);
	snprintf(cl->key_epoch, sizeof(cl->key_epoch), "%s:epoch", name);
	snprintf(cl->key_seq, sizeof(cl->key_seq), "%s:seq:%s:%s", name, cl->node, cl->inc);
	snprintf(cl->key_node, sizeof(cl->key_node), "%s:node:%s", name, cl->node);
	snprintf(cl->key_nodes, sizeof(cl->key_nodes), "%s:nodes", name);
	snprintf(cl->prefix, sizeof(cl->prefix), "%s:", name);
	snprintf(cl->key_desk, sizeof(cl->key_desk), "%s:desk", name);
	snprintf(cl->key_session_prefix, sizeof(cl->key_session_prefix), "%s:session:", name);
	snprintf(cl->key_members_prefix, sizeof(cl->key_members_prefix), "%s:members:", name);
	snprintf(cl->key_members, sizeof(cl->key_members), "%s:members:%s", name, cl->node);
	snprintf(cl->key_node_prefix, sizeof(cl->key_node_prefix), "%s:node:", name);
	snprintf(cl->key_names_prefix, sizeof(cl->key_names_prefix), "%s:names:", name);
	snprintf(cl->key_names, sizeof(cl->key_names), "%s:names:%s", name, cl->node);
}

/* The links, to the address resolved now: never a name lookup on the loop. */
static int open_links(struct cluster *cl, const struct config *cfg)
{
	char ip[64], password[512], err[256];
	struct rlink_options o = { .ip = ip,
				   .port = (int)cfg->cluster_port,
				   .password = password,
				   .db = (int)cfg->cluster_db };
	int r;

	if ((r = config_cluster_resolve(cfg, ip, sizeof(ip), err, sizeof(err))) < 0 ||
	    (r = config_cluster_password(cfg, password, sizeof(password), err, sizeof(err))) < 0) {
		log_warnx("%s", err);
		return r;
	}
	o.name = "commands";
	r = rlink_new(cl->base, &o, on_cmd_up, on_cmd_down, cl, &cl->cmd);
	o.name = "subscriber";
	if (r == 0)
		r = rlink_new(cl->base, &o, on_sub_up, on_sub_down, cl, &cl->sub);
	explicit_bzero(password, sizeof(password));
	if (r == 0)
		log_info("cluster: node %s of %s, Redis at %s port %u (%s)", cl->node,
			 cfg->cluster_name, ip, cfg->cluster_port, cfg->cluster_host);
	return r;
}

int cluster_new(struct event_base *base, const struct config *cfg,
		const struct cluster_hooks *hooks, void *arg, struct cluster **ret)
{
	struct cluster *cl = calloc(1, sizeof(*cl));
	int r;

	if (!cl)
		return -ENOMEM;
	cl->base = base;
	cl->hooks = *hooks;
	cl->arg = arg;
	snprintf(cl->node, sizeof(cl->node), "%s", cfg->node_name);
	random_hex(cl->inc, 8);
	set_keys(cl, cfg->cluster_name);
	cl->maxlen = cfg->history_max_messages ? cfg->history_max_messages : CLUSTER_STREAM_MAX;
	cl->max_age_ms = (int64_t)cfg->history_max_age * 1000;
	cl->lease = cfg->cluster_lease;
	cl->session_ttl = cfg->resume_grace + cfg->cluster_lease;
	cl->announce_max = cfg->announce_max_members;
	cl->hold_bytes = cfg->cluster_hold_bytes;
	TAILQ_INIT(&cl->outbox);
	if (!(cl->script = desk_script(cluster_publish_lua)) || !(cl->early = evbuffer_new()) ||
	    !(cl->beat = event_new(base, -1, EV_PERSIST, on_beat, cl)) ||
	    event_add(cl->beat, &(struct timeval){ 1, 0 }) < 0) {
		cluster_free(cl);
		return -ENOMEM;
	}
	if ((r = open_links(cl, cfg)) < 0) {
		cluster_free(cl);
		return r;
	}
	*ret = cl;
	return 0;
}

void cluster_free(struct cluster *cl)
{
	if (!cl)
		return;
	cl->state = CLUSTER_DOWN; /* the links' last callbacks change nothing now */
	cl->was_up = false;
	if (cl->cmd)
		rlink_free(cl->cmd);
	if (cl->sub)
		rlink_free(cl->sub);
	out_free(cl);
	if (cl->beat)
		event_free(cl->beat);
	if (cl->early)
		evbuffer_free(cl->early);
	free(cl->script);
	free(cl->desk_reap);
	free(cl);
}

bool cluster_is_up(const struct cluster *cl)
{
	return cl->state == CLUSTER_UP;
}

const char *cluster_epoch(const struct cluster *cl)
{
	return cl->epoch;
}

uint64_t cluster_last_id(const struct cluster *cl)
{
	return cl->last_id;
}

size_t cluster_held_bytes(const struct cluster *cl)
{
	return cl->held;
}

double cluster_publish_seconds(const struct cluster *cl)
{
	return cl->publish_seconds;
}

const char *cluster_node(const struct cluster *cl)
{
	return cl->node;
}
