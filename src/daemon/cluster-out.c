/* SPDX-License-Identifier: ISC */
/*
 * cluster-out.c - the outbox: what this node accepted, in order, until Redis has answered its
 * publish. Entries stay while the links are down (bounded by cluster_hold_bytes: beyond it the
 * server stops reading, nothing is dropped) and are sent again, all of them, once the node is
 * back and caught up. The script drops a sequence it has seen, so an entry whose first answer
 * was lost with the connection is published once.
 */
#include "cluster-priv.h"

#include <ctype.h>
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
 * KEYS: room:id, room:log, seq:NODE:INC, the channel, epoch, a control's state key.
 * ARGV: the epoch the node knows, SEQ, KIND, the stream's bound, the payload's rest, the
 * sequence key's lifetime in ms, then a control's op, field and value ("" for none), and how
 * long an ended desk conversation's stream is kept (ms). Returns
 * the ID (0 for a notice, a control, or a sequence seen before), or -1 when the epoch is not
 * the node's (Redis lost its data while the node was connected). IDs are formatted with %d:
 * Lua 5.1's numbers are doubles and would print large ones as 1e+15. A desk message ('d')
 * takes an ID and goes to the room's stream (what a node catches up from) and, while the
 * conversation is open, to its own (op "turn", key "desk", field N, value whose turn it is
 * after it); a desk act (op "desk", value "OP ARG...") is cluster-desk.c's desk_act(), loaded
 * in front of this. A file message's KIND is the upper-case letter of its kind ('M', 'D'):
 * the flag travels in the payload, which the stream keeps, with no word more; the script
 * files it by its lower-case kind.
 */
const char cluster_publish_lua[] =
    "if redis.call('GET', KEYS[5]) ~= ARGV[1] then return -1 end\n"
    "if tonumber(ARGV[2]) <= tonumber(redis.call('GET', KEYS[3]) or '0') then return 0 end\n"
    "redis.call('SET', KEYS[3], ARGV[2], 'PX', ARGV[6])\n"
    "if ARGV[7] == 'desk' then\n"
    "  local head = string.match(ARGV[5], '^(%S+ %S+ %S+) ')\n"
    "  desk_act(KEYS[6], KEYS[4], head .. ' 0 0 0 - - desk ', ARGV[9], ARGV[4], ARGV[10])\n"
    "  return 0\n"
    "end\n"
    "local id, k = 0, string.lower(ARGV[3])\n"
    "if k ~= 'n' and k ~= 'c' then id = redis.call('INCR', KEYS[1]) end\n"
    "local p = ARGV[3] .. ' ' .. string.format('%d', id) .. ' ' .. ARGV[5]\n"
    "if k == 'm' or k == 'd' then\n"
    "  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[4], string.format('%d-0', id), 'p', p)\n"
    "end\n"
    "if k == 'd' then\n"
    "  if redis.call('EXISTS', KEYS[6] .. ':c:' .. ARGV[8]) == 1 then\n"
    "    redis.call('XADD', KEYS[6] .. ':log:' .. ARGV[8], 'MAXLEN', '~', ARGV[4],\n"
    "               string.format('%d-0', id), 'p', p)\n"
    "    redis.call('HSET', KEYS[6] .. ':c:' .. ARGV[8], 'turn', ARGV[9])\n"
    "  end\n"
    "elseif ARGV[7] == 'hset' then redis.call('HSET', KEYS[6], ARGV[8], ARGV[9])\n"
    "elseif ARGV[7] == 'hdel' then redis.call('HDEL', KEYS[6], ARGV[8])\n"
    "elseif ARGV[7] == 'set' then redis.call('SET', KEYS[6], ARGV[9])\n"
    "elseif ARGV[7] == 'del' then redis.call('DEL', KEYS[6])\n"
    "end\n"
    "redis.call('PUBLISH', KEYS[4], p)\n"
    "return id\n";

static void forget_head(struct cluster *cl)
{
	struct outgoing *o = TAILQ_FIRST(&cl->outbox);

	TAILQ_REMOVE(&cl->outbox, o, entry);
	cl->held -= o->len;
	free(o);
	if (cl->full && cl->held <= cl->hold_bytes / 2) {
		cl->full = false;
		cl->hooks.full(cl->arg, false);
	}
}

/* The answer to the oldest publish on the wire (answers come in order). */
static void on_published(void *arg, redisReply *r)
{
	struct cluster *cl = arg;
	struct outgoing *o = TAILQ_FIRST(&cl->outbox);
	char why[160];

	if (!r || !o || !o->sent)
		return; /* lost: out_lost() sends it again later */
	if (r->type == REDIS_REPLY_INTEGER && r->integer >= 0) {
		cl->publish_seconds = fd_clock_seconds() - o->sent_at;
		forget_head(cl);
		cl->hooks.published(cl->arg, cl->publish_seconds);
		return;
	}
	/*
	 * The script failed while running: sent again it would fail again (and Redis keeps what
	 * it wrote before, its sequence too, so it would be dropped as seen): said and dropped.
	 */
	if (r->type == REDIS_REPLY_ERROR && strstr(r->str, "user_script")) {
		log_warnx("cluster: Redis could not run a publish (%c, dropped): %.200s", o->kind,
			  r->str);
		forget_head(cl);
		return;
	}
	if (r->type == REDIS_REPLY_INTEGER)
		snprintf(why, sizeof(why), "epoch %s is over", cl->epoch);
	else
		snprintf(why, sizeof(why), "Redis refused a publish: %.100s",
			 r->type == REDIS_REPLY_ERROR ? r->str : "a reply of the wrong type");
	cluster_fail(cl, why);
}

static int send_one(struct cluster *cl, struct outgoing *o)
{
	char seq[24], kind[2] = { o->file ? (char)toupper(o->kind) : o->kind, '\0' }, maxlen[16],
		      key[128], keep[24];
	const char *argv[] = { "EVALSHA",   cl->sha,      "6",           cl->key_id, cl->key_log,
			       cl->key_seq, cl->key_chan, cl->key_epoch, key,        cl->epoch,
			       seq,         kind,         maxlen,        o->rest,    "86400000",
			       o->op,       o->field,     o->value,      keep };
	size_t lens[19];

	snprintf(seq, sizeof(seq), "%" PRIu64, o->seq);
	snprintf(maxlen, sizeof(maxlen), "%u", cl->maxlen);
	snprintf(keep, sizeof(keep), "%" PRId64, cluster_desk_keep_ms(cl));
	snprintf(key, sizeof(key), "%s%s", cl->prefix, *o->key ? o->key : "room");
	for (size_t i = 0; i < 19; i++)
		lens[i] = argv[i] == o->rest ? o->len : strlen(argv[i]);
	o->sent = true;
	o->sent_at = fd_clock_seconds();
	return rlink_call(cl->cmd, on_published, cl, 19, argv, lens);
}

void out_flush(struct cluster *cl)
{
	struct outgoing *o;

	TAILQ_FOREACH (o, &cl->outbox, entry)
		if (!o->sent && send_one(cl, o) < 0) {
			o->sent = false;
			cluster_fail(cl, "a publish could not be sent");
			return;
		}
}

void out_lost(struct cluster *cl)
{
	struct outgoing *o;

	TAILQ_FOREACH (o, &cl->outbox, entry)
		o->sent = false;
}

size_t out_drop_desk(struct cluster *cl)
{
	struct outgoing *o, *next;
	size_t n = 0;

	for (o = TAILQ_FIRST(&cl->outbox); o; o = next) {
		next = TAILQ_NEXT(o, entry);
		if (o->kind != BUS_DESK && strcmp(o->op, "desk") != 0)
			continue;
		TAILQ_REMOVE(&cl->outbox, o, entry);
		cl->held -= o->len;
		free(o);
		n++;
	}
	if (cl->full && cl->held <= cl->hold_bytes / 2) {
		cl->full = false;
		cl->hooks.full(cl->arg, false);
	}
	return n;
}

void out_free(struct cluster *cl)
{
	struct outgoing *o;

	if (!TAILQ_EMPTY(&cl->outbox))
		log_warnx("cluster: %zu bytes never reached Redis", cl->held);
	while ((o = TAILQ_FIRST(&cl->outbox))) {
		TAILQ_REMOVE(&cl->outbox, o, entry);
		free(o);
	}
	cl->held = 0;
}

/* @s into @at, NUL-terminated ("" for NULL): where it went. */
static const char *put(char **at, const char *s)
{
	char *was = *at;

	*at = stpcpy(*at, s ? s : "") + 1;
	return was;
}

/* "TIME NODE INC SEQ A B FROM TO TEXT" for @m, and its state, into a new entry. */
static struct outgoing *make(struct cluster *cl, const struct bus_msg *m)
{
	static const struct bus_state none = { NULL, NULL, NULL, NULL };
	const struct bus_state *st = m->state ? m->state : &none;
	char head[256], *at;
	int n = snprintf(head, sizeof(head),
			 "%" PRId64 " %s %s %" PRIu64 " %" PRIu64 " %" PRIu64 " %s %s ", m->time_ms,
			 cl->node, cl->inc, cl->next_seq + 1, m->a, m->b,
			 m->from && *m->from ? m->from : "-", m->to && *m->to ? m->to : "-");
	size_t extra = 4;
	struct outgoing *o;

	if (n < 0 || (size_t)n >= sizeof(head))
		return NULL;
	extra += st->op ? strlen(st->op) : 0;
	extra += st->key ? strlen(st->key) : 0;
	extra += st->field ? strlen(st->field) : 0;
	extra += st->value ? strlen(st->value) : 0;
	if (!(o = malloc(sizeof(*o) + (size_t)n + m->len + extra)))
		return NULL;
	o->seq = ++cl->next_seq;
	o->kind = (char)m->kind;
	o->file = m->file;
	o->sent = false;
	o->len = (size_t)n + m->len;
	memcpy(o->rest, head, (size_t)n);
	memcpy(o->rest + n, m->text, m->len);
	at = o->rest + o->len;
	o->op = put(&at, st->op);
	o->key = put(&at, st->key);
	o->field = put(&at, st->field);
	o->value = put(&at, st->value);
	return o;
}

int cluster_publish(struct cluster *cl, const struct bus_msg *m)
{
	struct outgoing *o = make(cl, m);

	if (!o)
		return -ENOMEM;
	TAILQ_INSERT_TAIL(&cl->outbox, o, entry);
	cl->held += o->len;
	if (!cl->full && cl->held > cl->hold_bytes) {
		cl->full = true;
		cl->hooks.full(cl->arg, true);
	}
	if (cl->state == CLUSTER_UP && send_one(cl, o) < 0) {
		o->sent = false;
		cluster_fail(cl, "a publish could not be sent");
	}
	return 0;
}
