/* SPDX-License-Identifier: ISC */
/*
 * cluster-session.c - members' sessions in Redis, so that a member can resume on any node.
 *
 * "session:HASH" holds "NODE NICK CAPS FROM_ID" for the node that has the session. It lives
 * resume_grace + cluster_lease, and the node renews it with its names (cluster-nick.c) while
 * the node is alive: a session of a node that died can still be resumed elsewhere for about
 * its grace. Taking it is one script: the key becomes the taker's, the name moves from the old
 * node's set to the taker's, and the old node is told (a control "take HASH NICK" on the
 * channel) to let its copy go.
 */
#include "cluster-priv.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "clock.h"
#include "log.h"
#include "rlink.h"

/* KEYS: session:HASH; ARGV: this node. Deleted only if it is still this node's. */
static const char del_lua[] = "local v = redis.call('GET', KEYS[1])\n"
			      "if v and string.sub(v, 1, #ARGV[1] + 1) == ARGV[1] .. ' ' then\n"
			      "  redis.call('DEL', KEYS[1])\n"
			      "end\n"
			      "return 1\n";

/*
 * KEYS: session:HASH, names: (a prefix), nodes, the channel, members: (a prefix); ARGV: this
 * node, the lifetime ms, the control's payload up to its text ("c 0 TIME NODE INC 0 0 0 - - "),
 * the hash. The name leaves the old node's sets (so that its reaper does not say it left).
 * Returns what the key held (false: no such session).
 */
static const char take_lua[] =
    "local v = redis.call('GET', KEYS[1])\n"
    "if not v then return false end\n"
    "local node, nick = string.match(v, '^(%S+) (%S+)')\n"
    "if not nick then return false end\n"
    "if node ~= ARGV[1] then\n"
    "  redis.call('SREM', KEYS[2] .. node, nick)\n"
    "  redis.call('SREM', KEYS[5] .. node, nick)\n"
    "  redis.call('PUBLISH', KEYS[4], ARGV[3] .. 'take ' .. ARGV[4] .. ' ' .. nick)\n"
    "end\n"
    "redis.call('SET', KEYS[1], ARGV[1] .. string.sub(v, #node + 1), 'PX', ARGV[2])\n"
    "redis.call('SADD', KEYS[2] .. ARGV[1], nick)\n"
    "redis.call('SADD', KEYS[3], ARGV[1])\n"
    "return v\n";

static void on_written(void *arg, redisReply *r)
{
	if (r && r->type == REDIS_REPLY_ERROR)
		log_warnx("cluster: a session could not be written: %.100s", r->str);
}

/* Down, the write is lost: the names' next write after the reconnection renews what exists. */
void cluster_session_put(struct cluster *cl, const char *hash, const char *nick, unsigned caps,
			 uint64_t from_id)
{
	char key[160], value[256], ms[16]; /* value: node.h's SESSION_VALUE_MAX */
	const char *argv[] = { "SET", key, value, "PX", ms };

	if (cl->state != CLUSTER_UP)
		return;
	snprintf(key, sizeof(key), "%s%s", cl->key_session_prefix, hash);
	/* As node.c's check_sessions() writes it too. */
	snprintf(value, sizeof(value), "%s %s %u %" PRIu64, cl->node, nick, caps, from_id);
	snprintf(ms, sizeof(ms), "%u", cl->session_ttl * 1000);
	rlink_call(cl->cmd, on_written, cl, 5, argv, NULL);
}

void cluster_session_del(struct cluster *cl, const char *hash)
{
	char key[160];
	const char *argv[] = { "EVAL", del_lua, "1", key, cl->node };

	if (cl->state != CLUSTER_UP)
		return; /* it expires */
	snprintf(key, sizeof(key), "%s%s", cl->key_session_prefix, hash);
	rlink_call(cl->cmd, on_written, cl, 5, argv, NULL);
}

struct take_req {
	cluster_take_cb cb;
	void *arg;
};

static void on_taken(void *arg, redisReply *r)
{
	struct take_req *t = arg;
	char nick[CLUSTER_NICK_BUFSIZE];
	unsigned caps = 0;
	uint64_t from_id = 0;

	if (r && r->type == REDIS_REPLY_STRING &&
	    sscanf(r->str, "%*s %127s %u %" SCNu64, nick, &caps, &from_id) == 3)
		t->cb(t->arg, nick, caps, from_id, 0);
	else if (r && r->type != REDIS_REPLY_ERROR)
		t->cb(t->arg, NULL, 0, 0, 0);
	else
		t->cb(t->arg, NULL, 0, 0, r ? -EIO : -ENOTCONN);
	free(t);
}

int cluster_session_take(struct cluster *cl, const char *hash, cluster_take_cb cb, void *arg)
{
	char key[160], ms[16], head[256];
	const char *argv[] = { "EVAL",
			       take_lua,
			       "5",
			       key,
			       cl->key_names_prefix,
			       cl->key_nodes,
			       cl->key_chan,
			       cl->key_members_prefix,
			       cl->node,
			       ms,
			       head,
			       hash };
	struct take_req *t;

	if (cl->state != CLUSTER_UP)
		return -ENOTCONN;
	if (!(t = malloc(sizeof(*t))))
		return -ENOMEM;
	t->cb = cb;
	t->arg = arg;
	snprintf(key, sizeof(key), "%s%s", cl->key_session_prefix, hash);
	snprintf(ms, sizeof(ms), "%u", cl->session_ttl * 1000);
	snprintf(head, sizeof(head), "c 0 %" PRId64 " %s %s 0 0 0 - - ", fd_clock_unix_ms(),
		 cl->node, cl->inc);
	if (rlink_call(cl->cmd, on_taken, t, 12, argv, NULL) < 0) {
		free(t);
		return -ENOTCONN;
	}
	return 0;
}

/*
 * KEYS: session: (a prefix); ARGV: this node, the lifetime ms, then HASH ATTACHED VALUE
 * triples. A session another node holds now is given back: that node took it while this one
 * could not hear of it. One missing is written again if its member is here (it was granted
 * while Redis was away, or Redis lost it), and given back if not (it may have been taken and
 * ended elsewhere meanwhile).
 */
static const char check_lua[] = "local gone = {}\n"
				"for i = 3, #ARGV, 3 do\n"
				"  local k = KEYS[1] .. ARGV[i]\n"
				"  local v = redis.call('GET', k)\n"
				"  if not v and ARGV[i + 1] == '1' then\n"
				"    redis.call('SET', k, ARGV[i + 2], 'PX', ARGV[2])\n"
				"  elseif not v or string.match(v, '^(%S+)') ~= ARGV[1] then\n"
				"    gone[#gone + 1] = ARGV[i]\n"
				"  end\n"
				"end\n"
				"return gone\n";

struct check_req {
	cluster_gone_cb cb;
	void *arg;
};

static void on_checked(void *arg, redisReply *r)
{
	struct check_req *q = arg;

	for (size_t i = 0; r && r->type == REDIS_REPLY_ARRAY && i < r->elements; i++)
		if (r->element[i]->type == REDIS_REPLY_STRING)
			q->cb(q->arg, r->element[i]->str);
	free(q);
}

int cluster_sessions_check(struct cluster *cl, const char *const *triples, size_t n,
			   cluster_gone_cb cb, void *arg)
{
	size_t argc = 6 + 3 * n;
	const char **argv = calloc(argc, sizeof(*argv));
	struct check_req *q = malloc(sizeof(*q));
	char ms[16];
	int r = -ENOMEM;

	if (argv && q && n) {
		snprintf(ms, sizeof(ms), "%u", cl->session_ttl * 1000);
		argv[0] = "EVAL";
		argv[1] = check_lua;
		argv[2] = "1";
		argv[3] = cl->key_session_prefix;
		argv[4] = cl->node;
		argv[5] = ms;
		memcpy(argv + 6, triples, 3 * n * sizeof(*argv));
		*q = (struct check_req){ .cb = cb, .arg = arg };
		r = rlink_call(cl->cmd, on_checked, q, (int)argc, argv, NULL);
	}
	if (r < 0 || !n)
		free(q);
	free(argv);
	return n ? r : 0;
}
