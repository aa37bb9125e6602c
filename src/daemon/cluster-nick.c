/* SPDX-License-Identifier: ISC */
/*
 * cluster-nick.c - nicknames unique across the cluster.
 *
 * Each node keeps the set of names it uses in Redis ("names:NODE": its members, those still
 * sending what they held, those whose session may come back) and lists itself in "nodes". It
 * claims a name with one script that looks through the sets of the other live nodes (a node
 * is live while its heartbeat key "node:NODE" exists) and adds the name to its
 * own set when nobody has it. A node that died stops being live within cluster_lease: its
 * names are free from then, and the reaper (reap_lua) removes its sets.
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
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "clock.h"
#include "log.h"
#include "rlink.h"

/*
 * KEYS: nodes, node:, names: (prefixes); ARGV: this node, its token, the name, the lease ms
 * (three times it, for the set: the reaper, below, must find it after the heartbeat is gone).
 * A dead node's names count for nothing; the reaper removes them.
 */
static const char claim_lua[] = "for _, n in ipairs(redis.call('SMEMBERS', KEYS[1])) do\n"
				"  if n ~= ARGV[1] and redis.call('GET', KEYS[2] .. n) and\n"
				"     redis.call('SISMEMBER', KEYS[3] .. n, ARGV[3]) == 1 then\n"
				"    return 0\n"
				"  end\n"
				"end\n"
				"redis.call('SADD', KEYS[3] .. ARGV[1], ARGV[3])\n"
				"redis.call('PEXPIRE', KEYS[3] .. ARGV[1], 3 * tonumber(ARGV[4]))\n"
				"redis.call('SADD', KEYS[1], ARGV[1])\n"
				"return 1\n";

/*
 * The reaper, run by every node twice a lease: a node whose heartbeat is gone has died. The
 * room hears that its members left (it cannot say so itself), and its sets go. KEYS: nodes,
 * node:, members:, names: (prefixes), the channel; ARGV: a notice's payload up to its text.
 */
static const char reap_lua[] = "local dead = 0\n"
			       "for _, n in ipairs(redis.call('SMEMBERS', KEYS[1])) do\n"
			       "  if not redis.call('GET', KEYS[2] .. n) then\n"
			       "    for _, m in ipairs(redis.call('SMEMBERS', KEYS[3] .. n)) do\n"
			       "      redis.call('PUBLISH', KEYS[5], ARGV[1] .. 'left ' .. m)\n"
			       "    end\n"
			       "    redis.call('DEL', KEYS[3] .. n, KEYS[4] .. n)\n"
			       "    redis.call('SREM', KEYS[1], n)\n"
			       "    dead = dead + 1\n"
			       "  end\n"
			       "end\n"
			       "return dead\n";

/*
 * KEYS: names:NODE, nodes, session: (a prefix), members:NODE; ARGV: this node, the lease ms
 * (the sets live three leases: see claim_lua),
 * the sessions' lifetime ms, how many names and how many members follow, the names, the
 * members (for "who": cluster_who()), then the hashes of the node's sessions
 * (cluster-session.c), whose keys live on while the node does.
 */
static const char names_lua[] =
    "local n, m = tonumber(ARGV[4]), tonumber(ARGV[5])\n"
    "redis.call('DEL', KEYS[1], KEYS[4])\n"
    "for i = 6, 5 + n do redis.call('SADD', KEYS[1], ARGV[i]) end\n"
    "for i = 6 + n, 5 + n + m do redis.call('SADD', KEYS[4], ARGV[i]) end\n"
    "for i = 6 + n + m, #ARGV do redis.call('PEXPIRE', KEYS[3] .. ARGV[i], ARGV[3]) end\n"
    "redis.call('PEXPIRE', KEYS[1], 3 * tonumber(ARGV[2]))\n"
    "redis.call('PEXPIRE', KEYS[4], 3 * tonumber(ARGV[2]))\n"
    "redis.call('SADD', KEYS[2], ARGV[1])\n"
    "return 1\n";

/* KEYS: nodes, node:, members: (prefixes). Every live node's members, by node. */
static const char who_lua[] = "local all = {}\n"
			      "for _, n in ipairs(redis.call('SMEMBERS', KEYS[1])) do\n"
			      "  if redis.call('GET', KEYS[2] .. n) then\n"
			      "    for _, m in ipairs(redis.call('SMEMBERS', KEYS[3] .. n)) do\n"
			      "      all[#all + 1] = m\n"
			      "    end\n"
			      "  end\n"
			      "end\n"
			      "return all\n";

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

/* The names (and session hashes) being gathered for the set: argv for the script. */
struct list {
	const char **v;
	size_t *lens;
	int n, size;
};

struct cluster_names {
	struct list names, members, sessions;
};

static void list_add(struct list *l, const char *s)
{
	const char **v;
	size_t *lens;

	if (l->n == l->size) {
		int size = l->size ? 2 * l->size : 64;

		if (!(v = realloc(l->v, (size_t)size * sizeof(*v))))
			return;
		l->v = v;
		if (!(lens = realloc(l->lens, (size_t)size * sizeof(*lens))))
			return;
		l->lens = lens;
		l->size = size;
	}
	l->v[l->n] = s;
	l->lens[l->n++] = strlen(s);
}

void cluster_names_add(struct cluster_names *n, const char *nick)
{
	list_add(&n->names, nick);
}

void cluster_names_add_member(struct cluster_names *n, const char *nick)
{
	list_add(&n->members, nick);
}

void cluster_names_add_session(struct cluster_names *n, const char *hash)
{
	list_add(&n->sessions, hash);
}

static void on_names(void *arg, redisReply *r)
{
	if (r && r->type == REDIS_REPLY_ERROR)
		log_warnx("cluster: the names in use could not be written: %.100s", r->str);
}

static void add_all(struct list *to, const struct list *from)
{
	for (int i = 0; i < from->n; i++)
		list_add(to, from->v[i]);
}

static void free_list(struct list *l)
{
	free(l->v);
	free(l->lens);
}

void nick_write_set(struct cluster *cl)
{
	struct cluster_names n = { { 0 }, { 0 }, { 0 } };
	struct list argv = { 0 };
	char lease[16], ttl[16], names[16], members[16];
	const char *head[] = { "EVAL",
			       names_lua,
			       "4",
			       cl->key_names,
			       cl->key_nodes,
			       cl->key_session_prefix,
			       cl->key_members,
			       cl->node,
			       lease,
			       ttl,
			       names,
			       members };

	cl->hooks.names(cl->arg, &n);
	snprintf(lease, sizeof(lease), "%u", cl->lease * 1000);
	snprintf(ttl, sizeof(ttl), "%u", cl->session_ttl * 1000);
	snprintf(names, sizeof(names), "%d", n.names.n);
	snprintf(members, sizeof(members), "%d", n.members.n);
	for (size_t i = 0; i < sizeof(head) / sizeof(head[0]); i++)
		list_add(&argv, head[i]);
	add_all(&argv, &n.names);
	add_all(&argv, &n.members);
	add_all(&argv, &n.sessions);
	/* All or nothing: a list cut short by a failed allocation would drop names. */
	if (argv.n == 12 + n.names.n + n.members.n + n.sessions.n)
		rlink_call(cl->cmd, on_names, cl, argv.n, argv.v, argv.lens);
	free_list(&argv);
	free_list(&n.names);
	free_list(&n.members);
	free_list(&n.sessions);
}

/* A member came (@in) or went: "who" on any node sees it now, not at the next full write. */
void cluster_member(struct cluster *cl, const char *nick, bool in)
{
	const char *argv[] = { in ? "SADD" : "SREM", cl->key_members, nick };
	size_t lens[] = { 4, strlen(cl->key_members), strlen(nick) };

	if (cl->state == CLUSTER_UP)
		rlink_call(cl->cmd, on_names, cl, 3, argv, lens);
}

struct who_req {
	cluster_who_cb cb;
	void *arg;
};

static int by_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void on_who(void *arg, redisReply *r)
{
	struct who_req *w = arg;
	const char **v = NULL;
	size_t n = 0;

	if (r && r->type == REDIS_REPLY_ARRAY && (v = calloc(r->elements + 1, sizeof(*v)))) {
		for (size_t i = 0; i < r->elements; i++)
			if (r->element[i]->type == REDIS_REPLY_STRING)
				v[n++] = r->element[i]->str;
		qsort(v, n, sizeof(*v), by_name);
		w->cb(w->arg, v, n, 0);
	} else {
		w->cb(w->arg, NULL, 0, r ? -EIO : -ENOTCONN);
	}
	free(v);
	free(w);
}

int cluster_who(struct cluster *cl, cluster_who_cb cb, void *arg)
{
	const char *argv[] = {
		"EVAL", who_lua, "3", cl->key_nodes, cl->key_node_prefix, cl->key_members_prefix
	};
	size_t lens[6];
	struct who_req *w;

	if (cl->state != CLUSTER_UP)
		return -ENOTCONN;
	if (!(w = malloc(sizeof(*w))))
		return -ENOMEM;
	w->cb = cb;
	w->arg = arg;
	for (size_t i = 0; i < 6; i++)
		lens[i] = strlen(argv[i]);
	if (rlink_call(cl->cmd, on_who, w, 6, argv, lens) < 0) {
		free(w);
		return -ENOTCONN;
	}
	return 0;
}

static void on_reaped(void *arg, redisReply *r)
{
	if (r && r->type == REDIS_REPLY_INTEGER && r->integer > 0)
		log_info("cluster: %lld node(s) found dead; the room heard that their members left",
			 r->integer);
}

void nick_reap(struct cluster *cl)
{
	char head[200];
	const char *argv[] = { "EVAL",
			       reap_lua,
			       "5",
			       cl->key_nodes,
			       cl->key_node_prefix,
			       cl->key_members_prefix,
			       cl->key_names_prefix,
			       cl->key_chan,
			       head };
	size_t lens[9];

	snprintf(head, sizeof(head), "n 0 %" PRId64 " %s %s 0 0 0 - - ", fd_clock_unix_ms(),
		 cl->node, cl->inc);
	for (size_t i = 0; i < 9; i++)
		lens[i] = strlen(argv[i]);
	rlink_call(cl->cmd, on_reaped, cl, 9, argv, lens);
}
