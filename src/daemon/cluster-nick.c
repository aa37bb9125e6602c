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
 * room hears that its members left (it cannot say so itself), but for a name a live node has
 * now (a member resumed there), and not at all past announce_max_members (ARGV[2]; 0: no
 * limit), as on one node. Then its sets go. KEYS: nodes, node:, members:, names: (prefixes),
 * the channel; ARGV: a notice's payload up to its text, the limit.
 */
static const char reap_lua[] =
    "local live, dead, max = {}, {}, tonumber(ARGV[2])\n"
    "for _, n in ipairs(redis.call('SMEMBERS', KEYS[1])) do\n"
    "  if redis.call('GET', KEYS[2] .. n) then live[#live + 1] = n else dead[#dead + 1] = n end\n"
    "end\n"
    "for _, n in ipairs(dead) do\n"
    "  local ms = redis.call('SMEMBERS', KEYS[3] .. n)\n"
    "  if max == 0 or #ms <= max then\n"
    "    for _, m in ipairs(ms) do\n"
    "      local held = false\n"
    "      for _, l in ipairs(live) do\n"
    "        if redis.call('SISMEMBER', KEYS[4] .. l, m) == 1 then held = true end\n"
    "      end\n"
    "      if not held then redis.call('PUBLISH', KEYS[5], ARGV[1] .. 'left ' .. m) end\n"
    "    end\n"
    "  end\n"
    "  redis.call('DEL', KEYS[3] .. n, KEYS[4] .. n)\n"
    "  redis.call('SREM', KEYS[1], n)\n"
    "end\n"
    "return #dead\n";

/*
 * KEYS: names:NODE, nodes, session: (a prefix), members:NODE, the channel; ARGV: this node,
 * the lease ms (the sets live three leases: see claim_lua), the sessions' lifetime ms, how many
 * names and how many members follow, "1" at this run's first write, a notice's payload up to
 * its text, announce_max_members, then the names, the members (for "who": cluster_who()), and
 * the hashes of the node's sessions (cluster-session.c), whose keys live on while the node
 * does. At the first write, the members the set still holds are the last run's (killed, and
 * back before the reaper saw it dead): the room hears they left, as the reaper would have said.
 */
static const char names_lua[] =
    "local n, m, max = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[8])\n"
    "if ARGV[6] == '1' then\n"
    "  local now, old = {}, redis.call('SMEMBERS', KEYS[4])\n"
    "  for i = 9 + n, 8 + n + m do now[ARGV[i]] = true end\n"
    "  if max == 0 or #old <= max then\n"
    "    for _, x in ipairs(old) do\n"
    "      if not now[x] then redis.call('PUBLISH', KEYS[5], ARGV[7] .. 'left ' .. x) end\n"
    "    end\n"
    "  end\n"
    "end\n"
    "redis.call('DEL', KEYS[1], KEYS[4])\n"
    "for i = 9, 8 + n do redis.call('SADD', KEYS[1], ARGV[i]) end\n"
    "for i = 9 + n, 8 + n + m do redis.call('SADD', KEYS[4], ARGV[i]) end\n"
    "for i = 9 + n + m, #ARGV do redis.call('PEXPIRE', KEYS[3] .. ARGV[i], ARGV[3]) end\n"
    "redis.call('PEXPIRE', KEYS[1], 3 * tonumber(ARGV[2]))\n"
    "redis.call('PEXPIRE', KEYS[4], 3 * tonumber(ARGV[2]))\n"
    "redis.call('SADD', KEYS[2], ARGV[1])\n"
    "return 1\n";

/*
 * KEYS: nodes, node:, members: (prefixes); ARGV: the first to give (0-based), how many. Every
 * live node's members sorted by name: {how many in all, that page of them}. Sorted and cut
 * here, so that an answer is a page whatever the room's size.
 */
static const char who_lua[] =
    "local all = {}\n"
    "for _, n in ipairs(redis.call('SMEMBERS', KEYS[1])) do\n"
    "  if redis.call('GET', KEYS[2] .. n) then\n"
    "    for _, m in ipairs(redis.call('SMEMBERS', KEYS[3] .. n)) do all[#all + 1] = m end\n"
    "  end\n"
    "end\n"
    "table.sort(all)\n"
    "local page = {#all}\n"
    "for i = tonumber(ARGV[1]) + 1, math.min(#all, tonumber(ARGV[1]) + tonumber(ARGV[2])) do\n"
    "  page[#page + 1] = all[i]\n"
    "end\n"
    "return page\n";

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

	if (cl->state != CLUSTER_UP)
		return -ENOTCONN; /* claimed with every other name once it is back */
	if (strlen(nick) >= sizeof(k->nick) || !(k = malloc(sizeof(*k))))
		return -ENOMEM;
	*k = (struct claim){ .cl = cl, .conn = conn, .cb = cb, .arg = arg };
	strcpy(k->nick, nick);
	snprintf(ms, sizeof(ms), "%u", cl->lease * 1000);
	if (rlink_call(cl->cmd, on_claim, k, 10, argv, NULL) < 0) {
		free(k);
		return -ENOTCONN;
	}
	return 0;
}

/* The names (and session hashes) being gathered for the set: argv for the script. */
struct list {
	const char **v;
	int n, size;
};

struct cluster_names {
	struct list names, members, sessions;
};

static void list_add(struct list *l, const char *s)
{
	const char **v;

	if (l->n == l->size) {
		int size = l->size ? 2 * l->size : 64;

		if (!(v = realloc(l->v, (size_t)size * sizeof(*v))))
			return;
		l->v = v;
		l->size = size;
	}
	l->v[l->n++] = s;
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
}

/* "n 0 TIME NODE INC 0 0 0 - - ": a notice from this node, its text to follow. */
static void notice_head(const struct cluster *cl, char *buf, size_t len)
{
	snprintf(buf, len, "n 0 %" PRId64 " %s %s 0 0 0 - - ", fd_clock_unix_ms(), cl->node,
		 cl->inc);
}

void nick_write_set(struct cluster *cl)
{
	struct cluster_names n = { { 0 }, { 0 }, { 0 } };
	struct list argv = { 0 };
	char lease[16], ttl[16], names[16], members[16], head[200], max[16];
	const char *first[] = { "EVAL",
				names_lua,
				"5",
				cl->key_names,
				cl->key_nodes,
				cl->key_session_prefix,
				cl->key_members,
				cl->key_chan,
				cl->node,
				lease,
				ttl,
				names,
				members,
				cl->wrote_names ? "0" : "1",
				head,
				max };

	cl->hooks.names(cl->arg, &n);
	snprintf(lease, sizeof(lease), "%u", cl->lease * 1000);
	snprintf(ttl, sizeof(ttl), "%u", cl->session_ttl * 1000);
	snprintf(names, sizeof(names), "%d", n.names.n);
	snprintf(members, sizeof(members), "%d", n.members.n);
	snprintf(max, sizeof(max), "%u", cl->announce_max);
	notice_head(cl, head, sizeof(head));
	for (size_t i = 0; i < sizeof(first) / sizeof(first[0]); i++)
		list_add(&argv, first[i]);
	add_all(&argv, &n.names);
	add_all(&argv, &n.members);
	add_all(&argv, &n.sessions);
	/* All or nothing: a list cut short by a failed allocation would drop names. */
	if (argv.n == 16 + n.names.n + n.members.n + n.sessions.n &&
	    rlink_call(cl->cmd, on_names, cl, argv.n, argv.v, NULL) == 0)
		cl->wrote_names = true;
	free_list(&argv);
	free_list(&n.names);
	free_list(&n.members);
	free_list(&n.sessions);
}

/* KEYS: members:NODE; ARGV: SADD or SREM, the name, the sets' lifetime ms. */
static const char member_lua[] = "redis.call(ARGV[1], KEYS[1], ARGV[2])\n"
				 "redis.call('PEXPIRE', KEYS[1], ARGV[3])\n"
				 "return 1\n";

/* A member came (@in) or went: "who" on any node sees it now, not at the next full write. */
void cluster_member(struct cluster *cl, const char *nick, bool in)
{
	char ms[16];
	const char *argv[] = { "EVAL", member_lua, "1", cl->key_members, in ? "SADD" : "SREM",
			       nick,   ms };

	if (cl->state != CLUSTER_UP)
		return;
	snprintf(ms, sizeof(ms), "%u", 3 * cl->lease * 1000);
	rlink_call(cl->cmd, on_names, cl, 7, argv, NULL);
}

struct who_req {
	cluster_who_cb cb;
	void *arg;
};

static void on_who(void *arg, redisReply *r)
{
	struct who_req *w = arg;
	const char **v = NULL;
	size_t n = 0;

	if (r && r->type == REDIS_REPLY_ARRAY && r->elements &&
	    r->element[0]->type == REDIS_REPLY_INTEGER && (v = calloc(r->elements, sizeof(*v)))) {
		for (size_t i = 1; i < r->elements; i++)
			if (r->element[i]->type == REDIS_REPLY_STRING)
				v[n++] = r->element[i]->str;
		w->cb(w->arg, v, n, (size_t)r->element[0]->integer, 0);
	} else {
		w->cb(w->arg, NULL, 0, 0, r ? -EIO : -ENOTCONN);
	}
	free(v);
	free(w);
}

int cluster_who(struct cluster *cl, unsigned first, unsigned count, cluster_who_cb cb, void *arg)
{
	char from[16], many[16];
	const char *argv[] = {
		"EVAL", who_lua, "3", cl->key_nodes, cl->key_node_prefix, cl->key_members_prefix,
		from,   many
	};
	struct who_req *w;

	if (cl->state != CLUSTER_UP)
		return -ENOTCONN;
	if (!(w = malloc(sizeof(*w))))
		return -ENOMEM;
	w->cb = cb;
	w->arg = arg;
	snprintf(from, sizeof(from), "%u", first);
	snprintf(many, sizeof(many), "%u", count);
	if (rlink_call(cl->cmd, on_who, w, 8, argv, NULL) < 0) {
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
	char head[200], max[16];
	const char *argv[] = { "EVAL",
			       reap_lua,
			       "5",
			       cl->key_nodes,
			       cl->key_node_prefix,
			       cl->key_members_prefix,
			       cl->key_names_prefix,
			       cl->key_chan,
			       head,
			       max };

	notice_head(cl, head, sizeof(head));
	snprintf(max, sizeof(max), "%u", cl->announce_max);
	rlink_call(cl->cmd, on_reaped, cl, 10, argv, NULL);
}
