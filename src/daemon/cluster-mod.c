/* SPDX-License-Identifier: ISC */
/*
 * cluster-mod.c - what the room's moderation asks of Redis besides publishing its acts: the
 * bans, mutes and topic as they are now (read at each connection), which node has a member of
 * some name (a kick or a private message for a member of another node), and purges of the
 * stream.
 */
#include "cluster-priv.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "log.h"
#include "rlink.h"

/* KEYS: bans, mutes, topic. */
static const char load_lua[] = "return {redis.call('HGETALL', KEYS[1]),"
			       " redis.call('HGETALL', KEYS[2]), redis.call('GET', KEYS[3])}\n";

/* KEYS: nodes, node:, names:; ARGV: the name. The live node that uses it, or false. */
static const char whois_lua[] =
    "for _, n in ipairs(redis.call('SMEMBERS', KEYS[1])) do\n"
    "  if redis.call('GET', KEYS[2] .. n) and"
    "     redis.call('SISMEMBER', KEYS[3] .. n, ARGV[1]) == 1 then return n end\n"
    "end\n"
    "return false\n";

/*
 * KEYS: room:log; ARGV: the sender, the oldest time (ms), where to go on from ("+" at first).
 * Newest first, at most PURGE_STEP entries a call so that Redis never stalls for every node:
 * returns {deleted, where to go on from ("" when done)}. Each payload is "m ID TIME NODE INC
 * SEQ A B FROM ...".
 */
#define PURGE_STEP "2000"
static const char purge_lua[] =
    "local n, top, seen = 0, ARGV[3], 0\n"
    "while seen < " PURGE_STEP " do\n"
    "  local page = redis.call('XREVRANGE', KEYS[1], top, '-', 'COUNT', 200)\n"
    "  if #page == 0 then return {n, ''} end\n"
    "  for _, e in ipairs(page) do\n"
    "    local w = {}\n"
    "    for x in string.gmatch(e[2][2], '[^ ]+') do\n"
    "      w[#w + 1] = x\n"
    "      if #w == 9 then break end\n"
    "    end\n"
    "    if tonumber(w[3]) < tonumber(ARGV[2]) then return {n, ''} end\n"
    "    if w[9] == ARGV[1] then redis.call('XDEL', KEYS[1], e[1]); n = n + 1 end\n"
    "    top = '(' .. e[1]\n"
    "    seen = seen + 1\n"
    "  end\n"
    "end\n"
    "return {n, top}\n";

/* A request waiting for its answer: one of the two kinds of callback. */
struct mod_req {
	cluster_mod_cb mod;
	cluster_whois_cb whois;
	void *arg;
};

static int eval(struct cluster *cl, rlink_reply_cb on_reply, struct mod_req *req, int argc,
		const char **argv)
{
	if (cl->state != CLUSTER_UP) {
		free(req);
		return -ENOTCONN;
	}
	if (rlink_call(cl->cmd, on_reply, req, argc, argv, NULL) < 0) {
		free(req);
		return -ENOTCONN;
	}
	return 0;
}

/* A hash's pairs as strings; NULL if @r is not a list of strings. */
static const char **pairs(const redisReply *r, size_t *n)
{
	const char **v;

	if (r->type != REDIS_REPLY_ARRAY || r->elements % 2 ||
	    !(v = calloc(r->elements + 1, sizeof(*v))))
		return NULL;
	for (size_t i = 0; i < r->elements; i++) {
		if (r->element[i]->type != REDIS_REPLY_STRING) {
			free(v);
			return NULL;
		}
		v[i] = r->element[i]->str;
	}
	*n = r->elements / 2;
	return v;
}

static void on_loaded(void *arg, redisReply *r)
{
	struct mod_req *req = arg;
	const char **bans = NULL, **mutes = NULL;
	size_t nbans = 0, nmutes = 0;

	if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 3 &&
	    (bans = pairs(r->element[0], &nbans)) && (mutes = pairs(r->element[1], &nmutes)))
		req->mod(req->arg, bans, nbans, mutes, nmutes,
			 r->element[2]->type == REDIS_REPLY_STRING ? r->element[2]->str : NULL, 0);
	else
		req->mod(req->arg, NULL, 0, NULL, 0, NULL, r ? -EIO : -ENOTCONN);
	free(bans);
	free(mutes);
	free(req);
}

int cluster_mod_load(struct cluster *cl, cluster_mod_cb cb, void *arg)
{
	char bans[80], mutes[80], topic[80];
	const char *argv[] = { "EVAL", load_lua, "3", bans, mutes, topic };
	struct mod_req *req = calloc(1, sizeof(*req));

	if (!req)
		return -ENOMEM;
	req->mod = cb;
	req->arg = arg;
	snprintf(bans, sizeof(bans), "%sbans", cl->prefix);
	snprintf(mutes, sizeof(mutes), "%smutes", cl->prefix);
	snprintf(topic, sizeof(topic), "%stopic", cl->prefix);
	return eval(cl, on_loaded, req, 6, argv);
}

static void on_whois(void *arg, redisReply *r)
{
	struct mod_req *req = arg;

	if (r && r->type == REDIS_REPLY_STRING)
		req->whois(req->arg, r->str, 0);
	else if (r && (r->type == REDIS_REPLY_NIL || r->type == REDIS_REPLY_INTEGER))
		req->whois(req->arg, NULL, 0); /* Lua's false arrives as a nil */
	else
		req->whois(req->arg, NULL, r ? -EIO : -ENOTCONN);
	free(req);
}

int cluster_whois(struct cluster *cl, const char *nick, cluster_whois_cb cb, void *arg)
{
	const char *argv[] = { "EVAL",        whois_lua,           "3",
			       cl->key_nodes, cl->key_node_prefix, cl->key_names_prefix,
			       nick };
	struct mod_req *req = calloc(1, sizeof(*req));

	if (!req)
		return -ENOMEM;
	req->whois = cb;
	req->arg = arg;
	return eval(cl, on_whois, req, 7, argv);
}

/* A purge going through the stream, a step a call. */
struct purge_req {
	struct cluster *cl;
	cluster_count_cb cb;
	void *arg;
	unsigned n;
	int64_t since_ms;
	char from[CLUSTER_NICK_BUFSIZE];
};

static int purge_step(struct purge_req *p, const char *top);

static void on_purged(void *arg, redisReply *r)
{
	struct purge_req *p = arg;
	const redisReply *top;

	if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
	    r->element[0]->type == REDIS_REPLY_INTEGER &&
	    (top = r->element[1])->type == REDIS_REPLY_STRING) {
		p->n += (unsigned)r->element[0]->integer;
		if (*top->str && purge_step(p, top->str) == 0)
			return; /* the next step's answer goes on */
		p->cb(p->arg, p->n, *top->str ? -ENOTCONN : 0);
	} else {
		if (r && r->type == REDIS_REPLY_ERROR)
			log_warnx("cluster: purge failed: %.100s", r->str);
		p->cb(p->arg, p->n, r ? -EIO : -ENOTCONN);
	}
	free(p);
}

static int purge_step(struct purge_req *p, const char *top)
{
	char since[24];
	const char *argv[] = { "EVAL", purge_lua, "1", p->cl->key_log, p->from, since, top };

	if (p->cl->state != CLUSTER_UP)
		return -ENOTCONN;
	snprintf(since, sizeof(since), "%" PRId64, p->since_ms);
	return rlink_call(p->cl->cmd, on_purged, p, 7, argv, NULL);
}

int cluster_purge(struct cluster *cl, const char *from, int64_t since_ms, cluster_count_cb cb,
		  void *arg)
{
	struct purge_req *p = calloc(1, sizeof(*p));
	int r;

	if (!p)
		return -ENOMEM;
	*p = (struct purge_req){ .cl = cl, .cb = cb, .arg = arg, .since_ms = since_ms };
	snprintf(p->from, sizeof(p->from), "%s", from);
	if ((r = purge_step(p, "+")) < 0)
		free(p);
	return r;
}
