/* SPDX-License-Identifier: ISC */
/*
 * cluster-nick.c - nicknames unique across the cluster.
 *
 * Each node keeps the set of names it uses in Redis ("names:NODE": its members, those still
 * sending what they held, those whose session may come back) and lists itself in "nodes". It
 * claims a name with one script that looks through the sets of the other live nodes (a node
 * is live while its heartbeat key "node:NODE" holds its run's token) and adds the name to its
 * own set when nobody has it. A node that died stops being live within cluster_lease: its
 * names are free from then, and the next claim removes its set.
 *
 * Names are not released one by one: every cluster_lease / 2 the node writes its whole set
 * again from what it uses, so a name let go here is free everywhere within that time, and no
 * path that lets a name go (a leave, a rename, a session expiring) has to remember to say so.
 *
 * A name is claimed after the member has it here (joining waits for nothing): a clash is
 * found a round trip later, and the member is renamed as for a clash on one node.
 */
#include "cluster-priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "log.h"
#include "rlink.h"

/* KEYS: nodes, node:, names: (prefixes); ARGV: this node, its token, the name, the lease ms. */
static const char claim_lua[] =
    "for _, n in ipairs(redis.call('SMEMBERS', KEYS[1])) do\n"
    "  if n ~= ARGV[1] then\n"
    "    if not redis.call('GET', KEYS[2] .. n) then\n"
    "      redis.call('SREM', KEYS[1], n)\n"
    "      redis.call('DEL', KEYS[3] .. n)\n"
    "    elseif redis.call('SISMEMBER', KEYS[3] .. n, ARGV[3]) == 1 then\n"
    "      return 0\n"
    "    end\n"
    "  end\n"
    "end\n"
    "redis.call('SADD', KEYS[3] .. ARGV[1], ARGV[3])\n"
    "redis.call('PEXPIRE', KEYS[3] .. ARGV[1], ARGV[4])\n"
    "redis.call('SADD', KEYS[1], ARGV[1])\n"
    "return 1\n";

/* KEYS: names:NODE, nodes; ARGV: this node, the lease ms, then every name it uses. */
static const char names_lua[] = "redis.call('DEL', KEYS[1])\n"
				"for i = 3, #ARGV do redis.call('SADD', KEYS[1], ARGV[i]) end\n"
				"redis.call('PEXPIRE', KEYS[1], ARGV[2])\n"
				"redis.call('SADD', KEYS[2], ARGV[1])\n"
				"return 1\n";

struct claim {
	struct cluster *cl;
	uint64_t conn;
	cluster_claim_cb cb;
	void *arg;
	char nick[CLUSTER_NICK_BUFSIZE];
};

static void on_claim(void *arg, redisReply *r)
{
	struct claim *k = arg;
	int result = -ENOTCONN;

	if (r && r->type == REDIS_REPLY_INTEGER)
		result = r->integer == 1;
	else if (r)
		log_warnx("cluster: a name could not be claimed: %.100s",
			  r->type == REDIS_REPLY_ERROR ? r->str : "a reply of the wrong type");
	k->cb(k->arg, k->conn, k->nick, result);
	free(k);
}

int cluster_claim(struct cluster *cl, const char *nick, uint64_t conn, cluster_claim_cb cb,
		  void *arg)
{
	struct claim *k;
	char ms[16];
	const char *argv[] = { "EVAL",
			       claim_lua,
			       "3",
			       cl->key_nodes,
			       cl->key_node_prefix,
			       cl->key_names_prefix,
			       cl->node,
			       cl->inc,
			       nick,
			       ms };
	size_t lens[10];

	if (cl->state != CLUSTER_UP)
		return -ENOTCONN; /* claimed with every other name once it is back */
	if (strlen(nick) >= sizeof(k->nick) || !(k = malloc(sizeof(*k))))
		return -ENOMEM;
	*k = (struct claim){ .cl = cl, .conn = conn, .cb = cb, .arg = arg };
	strcpy(k->nick, nick);
	snprintf(ms, sizeof(ms), "%u", cl->lease * 1000);
	for (size_t i = 0; i < 10; i++)
		lens[i] = strlen(argv[i]);
	if (rlink_call(cl->cmd, on_claim, k, 10, argv, lens) < 0) {
		free(k);
		return -ENOTCONN;
	}
	return 0;
}

/* The names being gathered for the set: argv for the script. */
struct cluster_names {
	const char **argv;
	size_t *lens;
	int argc, size;
};

void cluster_names_add(struct cluster_names *n, const char *name)
{
	const char **argv;
	size_t *lens;

	if (n->argc == n->size) {
		int size = n->size ? 2 * n->size : 64;

		if (!(argv = realloc(n->argv, (size_t)size * sizeof(*argv))))
			return;
		n->argv = argv;
		if (!(lens = realloc(n->lens, (size_t)size * sizeof(*lens))))
			return;
		n->lens = lens;
		n->size = size;
	}
	n->argv[n->argc] = name;
	n->lens[n->argc++] = strlen(name);
}

static void on_names(void *arg, redisReply *r)
{
	if (r && r->type == REDIS_REPLY_ERROR)
		log_warnx("cluster: the names in use could not be written: %.100s", r->str);
}

void nick_write_set(struct cluster *cl)
{
	struct cluster_names n = { NULL, NULL, 0, 0 };
	char ms[16];

	snprintf(ms, sizeof(ms), "%u", cl->lease * 1000);
	cluster_names_add(&n, "EVAL");
	cluster_names_add(&n, names_lua);
	cluster_names_add(&n, "2");
	cluster_names_add(&n, cl->key_names);
	cluster_names_add(&n, cl->key_nodes);
	cluster_names_add(&n, cl->node);
	cluster_names_add(&n, ms);
	if (n.argc == 7) {
		cl->hooks.names(cl->arg, &n);
		/* The hiredis call copies the names: the members' buffers may change after it. */
		rlink_call(cl->cmd, on_names, cl, n.argc, n.argv, n.lens);
	}
	free(n.argv);
	free(n.lens);
}
