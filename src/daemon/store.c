/* SPDX-License-Identifier: ISC */
/*
 * store.c - the store's queue, transactions and tickets (see store.h); the SQL is in
 * store-sqlite.c.
 *
 * State: the writes and reads queued since the last commit (@ops, in call order), the ticket
 * they will commit as (always @committed + 1: one batch is open at a time), the counters for
 * IDs and conversations, and three events: @commit (activated by the first op of a batch, so
 * the batch commits on a later loop turn, after everything read in this one), @retry (a failed
 * batch is tried again every second, whole; one another writer's lock kept out, first every
 * 100 ms for 5 s, quietly) and @prune (retention in small steps).
 *
 * Ownership: an op owns copies of its strings. A batch's ops are freed once it committed and
 * its read callbacks ran; a failed batch keeps them all for the retry. A message's op is
 * kept for the next message instead (store-op.h).
 */
#include "store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <event2/event.h>

#include "clock.h"
#include "log.h"
#include "store-op.h"
#include "store-sqlite.h"

/* Retention works in steps this small, once a second: a prune never stalls the loop. */
#define PRUNE_STEP 500
/* store = memory keeps at most this many room messages whatever history_max_messages says. */
#define MEMORY_MAX_MESSAGES 10000
/*
 * A batch the write lock kept out (frontdeskctl purge, its checkpoint) is tried again this
 * often, quietly, for this long, before the store is said to fail.
 */
#define BUSY_RETRY_USEC    100000
#define BUSY_PATIENCE_USEC 5000000

struct store {
	struct event_base *base;
	struct store_options opts;
	struct sql *sql;
	struct sql_state state; /* what open found: the sessions kept across the restart */
	struct op_list ops;
	struct op_spares spare; /* done message ops, their @strs kept (see Ownership) */
	uint64_t committed;
	uint64_t last_id, last_conv, last_seq;
	uint64_t committed_seq; /* rows up to this one are in committed batches */
	char epoch[33];
	struct event *commit, *retry, *prune;
	double commit_seconds; /* how long the last commit took (the metrics) */
	uint64_t pruned;       /* rows retention removed, since open (store_pruned()) */
	bool failing;          /* the last batch failed: retrying */
	uint64_t busy_since;   /* when batches began to find the store locked; 0: they do not */
	void (*on_committed)(void *arg);
	void (*on_failing)(void *arg, int err);
	void *hook_arg;
};

static const char *const end_names[] = {
	/* Indexed by enum store_end. */
	[END_NEXT] = "next", [END_KICK] = "kick",         [END_LEFT] = "left",
	[END_IDLE] = "idle", [END_SHUTDOWN] = "shutdown", [END_RESTART] = "restart",
};

/* Run one op inside the open transaction. */
static int op_run(struct store *st, struct op *op)
{
	const struct store_msg *m = &op->m;

	switch (op->kind) {
	case OP_ADD:
		return sql_add(st->sql, op->seq, m);
	case OP_RELEASE:
		return sql_release(st->sql, op->before, m->id);
	case OP_DROP:
		return sql_drop_held(st->sql, m->conv, m->from);
	case OP_CONV_BEGIN:
		return sql_conv_begin(st->sql, m->conv, m->from, m->time_ms);
	case OP_CONV_AGENT:
		return sql_conv_agent(st->sql, m->conv, m->from);
	case OP_CONV_TRANSFER:
		/* op_new() keeps a NULL @from as "", which no nickname is. */
		return sql_conv_transfer(st->sql, m->conv, *m->from ? m->from : NULL, m->text,
					 op->reason, m->time_ms);
	case OP_CONV_END:
		return sql_conv_end(st->sql, m->conv, end_names[op->why], m->time_ms,
				    op->for_next_agent);
	case OP_HISTORY:
		msgset_free(&op->result);
		if (st->opts.kind == STORE_OFF)
			return 0; /* nothing is kept: an empty answer */
		if (op->after && op->by_agent)
			return sql_after_agent(st->sql, m->from, op->before, op->upto, op->n,
					       &op->result);
		if (op->after)
			return sql_after(st->sql, m->conv, op->before, op->upto, op->n,
					 &op->result);
		if (op->by_name)
			return sql_history_by_name(st->sql, m->from, m->conv, op->before, op->n,
						   &op->result);
		return sql_history(st->sql, m->conv, op->before, op->upto, op->n, &op->result);
	case OP_OFFLINE_NEXT:
		msgset_free(&op->result);
		return sql_offline_next(st->sql, m->conv, &st->last_id, &op->result);
	case OP_OFFLINE_DONE:
		return sql_offline_done(st->sql, m->conv);
	case OP_SESSION_PUT: {
		struct store_session se = {
			.nick = (char *)m->from,
			.role = op->role,
			.caps = op->caps,
			.conv = m->conv,
			.place = op->upto,
			.from_id = op->before,
		};

		snprintf(se.hash, sizeof(se.hash), "%s", m->text);
		return sql_session_put(st->sql, &se);
	}
	case OP_SESSION_DEL:
		return sql_session_del(st->sql, m->text);
	case OP_STOPPED:
		return sql_stopped(st->sql, m->time_ms);
	case OP_RESERVE_ID:
		return sql_reserve_id(st->sql, m->id);
	case OP_BAN_PUT: {
		/* op_ban() keeps the spec in m.text, the operator in m.from, until in @before. */
		struct store_ban b = { .spec = m->text,
				       .by = m->from,
				       .reason = op->reason,
				       .until = (int64_t)op->before };

		return sql_ban_put(st->sql, &b, m->time_ms);
	}
	case OP_BAN_DEL:
		return sql_ban_del(st->sql, m->text);
	case OP_TOPIC: {
		int r = sql_meta_put(st->sql, "topic", m->text);

		return r ? r : sql_meta_put(st->sql, "topic_by", m->from);
	}
	case OP_PURGE:
		return sql_purge(st->sql, m->from, m->time_ms, &op->n);
	}
	return -EINVAL;
}

/* One transaction for everything queued; then the gates open and the reads are answered. */
static int commit_batch(struct store *st)
{
	struct op_list done = STAILQ_HEAD_INITIALIZER(done);
	struct op *op;
	double began = fd_clock_seconds();
	int r = sql_begin(st->sql);

	STAILQ_FOREACH(op, &st->ops, entry)
	if (r == 0)
		r = op_run(st, op);
	if (r == 0)
		r = sql_commit(st->sql);
	if (r < 0) {
		sql_rollback(st->sql);
		return r;
	}
	STAILQ_CONCAT(&done, &st->ops);
	st->commit_seconds = fd_clock_seconds() - began;
	st->committed++;
	st->committed_seq = st->last_seq;
	st->busy_since = 0;
	if (st->failing) {
		st->failing = false;
		log_info("store: writes work again");
		if (st->on_failing)
			st->on_failing(st->hook_arg, 0);
	}
	if (st->on_committed)
		st->on_committed(st->hook_arg);
	while ((op = STAILQ_FIRST(&done))) {
		STAILQ_REMOVE_HEAD(&done, entry);
		if (op->cb)
			op->cb(op->arg, op->result.v, op->result.n, 0);
		if (op->count_cb)
			op->count_cb(op->arg, op->m.from, op->m.text, op->n, 0);
		op_done(&st->spare, op);
	}
	return 0;
}

static void on_commit(evutil_socket_t fd, short what, void *arg)
{
	struct store *st = arg;
	static const struct timeval second = { 1, 0 }, shortly = { 0, BUSY_RETRY_USEC };
	uint64_t now;
	int r;

	if (STAILQ_EMPTY(&st->ops) ||
	    ((st->failing || st->busy_since) && evtimer_pending(st->retry, NULL)))
		return;
	r = commit_batch(st);
	if (r == 0)
		return;
	/*
	 * Another writer holds the lock longer than the busy timeout: not a failure yet. The
	 * batch waits (what it gates with it), nobody is told, for a few seconds.
	 */
	if (r == -EBUSY && !st->failing) {
		now = fd_clock_usec();
		if (!st->busy_since)
			st->busy_since = now;
		if (now - st->busy_since < BUSY_PATIENCE_USEC) {
			log_debug("store: locked by another writer; trying again shortly");
			evtimer_add(st->retry, &shortly);
			return;
		}
	}
	st->busy_since = 0;
	if (!st->failing) {
		st->failing = true;
		log_warnx("store: a write failed (%s); holding %s until it works again",
			  strerror(-r), "what was accepted");
		if (st->on_failing)
			st->on_failing(st->hook_arg, r);
	}
	evtimer_add(st->retry, &second);
}

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
	on_commit(fd, what, arg);
}

static void on_prune(evutil_socket_t fd, short what, void *arg)
{
	struct store *st = arg;
	static const struct timeval second = { 1, 0 }, soon = { 0, 0 };
	unsigned keep = st->opts.history_max_messages;
	int64_t before = 0, ended_before;
	int n = 0;

	if (st->opts.kind == STORE_MEMORY && (!keep || keep > MEMORY_MAX_MESSAGES))
		keep = MEMORY_MAX_MESSAGES;
	if (st->opts.history_max_age)
		before = fd_clock_unix_ms() - (int64_t)st->opts.history_max_age * 1000;
	/* In memory nobody can read a transcript (frontdeskctl reads files): it goes at once. */
	ended_before = st->opts.kind == STORE_SQLITE ? before : fd_clock_unix_ms() + 1;
	/*
	 * Its own transaction, between batches (a batch is only ever open inside on_commit); a
	 * failing store, or one locked by another writer, is left alone until it works again.
	 */
	if (!st->failing && !st->busy_since) {
		n = sql_prune(st->sql, before, ended_before, keep, PRUNE_STEP);
		if (n > 0)
			log_debug("store: retention removed %d rows", n);
		st->pruned += n > 0 ? (uint64_t)n : 0;
	}
	/* More to do: go on at once (the next turn); else look again in a second. */
	evtimer_add(st->prune, n >= PRUNE_STEP ? &soon : &second);
}

static struct op *op_new(struct store *st, enum op_kind kind, uint64_t conv, const char *from)
{
	struct op *op = calloc(1, sizeof(*op));

	if (!op || !(op->m.from = strdup(from ? from : ""))) {
		free(op);
		return NULL;
	}
	op->kind = kind;
	op->m.conv = conv;
	return op;
}

static const struct timeval first_prune = { 1, 0 };

/* Queue @op in the open batch; return its ticket. Out of memory: 0, logged (nothing waits). */
static uint64_t enqueue(struct store *st, struct op *op)
{
	if (!op) {
		log_warnx("store: out of memory; a write is lost");
		return 0;
	}
	if (STAILQ_EMPTY(&st->ops) && !st->failing)
		event_active(st->commit, EV_TIMEOUT, 0);
	/* Retention starts with the first write: a store nobody writes costs nothing. */
	if (!evtimer_pending(st->prune, NULL))
		evtimer_add(st->prune, &first_prune);
	STAILQ_INSERT_TAIL(&st->ops, op, entry);
	return st->committed + 1;
}

static uint64_t add_msg(struct store *st, const struct store_msg *m)
{
	const char *from = m->from ? m->from : "";
	size_t from_len = strlen(from) + 1;
	struct op *op = op_spared(&st->spare, from_len + m->len + 1);

	if (op) {
		op->m = *m;
		op->m.from = memcpy(op->strs, from, from_len);
		op->m.text = memcpy(op->strs + from_len, m->text, m->len);
		op->strs[from_len + m->len] = '\0';
		op->seq = ++st->last_seq; /* its row: the desk releases it by this */
	}
	return enqueue(st, op);
}

uint64_t store_add_released(struct store *st, const struct store_msg *m, uint64_t *ret_id)
{
	struct store_msg copy = *m;

	*ret_id = copy.id = ++st->last_id;
	if (st->opts.kind == STORE_OFF)
		return 0;
	return add_msg(st, &copy);
}

uint64_t store_reserve_id(struct store *st, uint64_t *ret_id)
{
	struct op *op;

	*ret_id = ++st->last_id;
	if (st->opts.kind == STORE_OFF)
		return 0;
	op = op_new(st, OP_RESERVE_ID, 0, NULL);
	if (op)
		op->m.id = *ret_id;
	return enqueue(st, op);
}

uint64_t store_add_held(struct store *st, const struct store_msg *m, uint64_t *ret_seq)
{
	struct store_msg copy = *m;

	copy.id = 0;
	*ret_seq = st->last_seq + 1; /* add_msg() takes it */
	return add_msg(st, &copy);
}

/* The OP_ADD of row @seq if it is in the batch not yet committed, else NULL. */
static struct op *queued_add(struct store *st, uint64_t seq)
{
	struct op *op;

	STAILQ_FOREACH(op, &st->ops, entry)
	if (op->kind == OP_ADD && op->seq == seq)
		return op;
	return NULL;
}

uint64_t store_release(struct store *st, uint64_t seq, uint64_t *ret_id)
{
	struct op *op;

	*ret_id = ++st->last_id;
	/*
	 * Released in the batch that accepts it (the desk with an agent there, most of the
	 * time): one insert with the ID, not an insert and then an update of the same row.
	 */
	if (seq > st->committed_seq && (op = queued_add(st, seq))) {
		op->m.id = *ret_id;
		return st->committed + 1;
	}
	op = op_new(st, OP_RELEASE, 0, NULL);
	if (op) {
		op->m.id = *ret_id;
		op->before = seq; /* the row */
	}
	return enqueue(st, op);
}

uint64_t store_drop_held(struct store *st, uint64_t conv, const char *from)
{
	return enqueue(st, op_new(st, OP_DROP, conv, from));
}

uint64_t store_conv_begin(struct store *st, const char *customer, int64_t time_ms)
{
	struct op *op = op_new(st, OP_CONV_BEGIN, ++st->last_conv, customer);

	if (op)
		op->m.time_ms = time_ms;
	enqueue(st, op);
	return st->last_conv;
}

void store_conv_agent(struct store *st, uint64_t conv, const char *agent)
{
	enqueue(st, op_new(st, OP_CONV_AGENT, conv, agent));
}

void store_conv_transfer(struct store *st, uint64_t conv, const char *from, const char *to,
			 const char *why, int64_t time_ms)
{
	struct op *op = op_new(st, OP_CONV_TRANSFER, conv, from);

	if (op && ((to && !(op->m.text = strdup(to))) || !(op->reason = strdup(why)))) {
		op_free(op);
		op = NULL;
	}
	if (op)
		op->m.time_ms = time_ms;
	enqueue(st, op);
}

void store_conv_end(struct store *st, uint64_t conv, enum store_end why, int64_t time_ms,
		    bool for_next_agent)
{
	struct op *op = op_new(st, OP_CONV_END, conv, NULL);

	if (op) {
		op->m.time_ms = time_ms;
		op->why = why;
		op->for_next_agent = for_next_agent;
	}
	enqueue(st, op);
}

static int read_op(struct store *st, struct op *op, store_msgs_cb cb, void *arg)
{
	if (!op)
		return -ENOMEM;
	op->cb = cb;
	op->arg = arg;
	enqueue(st, op);
	return 0;
}

/*
 * Up to @n messages of @conv up to @upto: the newest below @bound, or (@after) the oldest above
 * it; with @customer, of that customer's conversations but @conv (the newest below @bound).
 */
static int bounded_read(struct store *st, uint64_t conv, const char *customer, uint64_t bound,
			bool after, uint64_t upto, unsigned n, store_msgs_cb cb, void *arg)
{
	struct op *op = op_new(st, OP_HISTORY, conv, customer);

	if (op) {
		op->by_name = customer != NULL;
		op->after = after;
		op->before = bound;
		op->upto = upto;
		op->n = n;
	}
	return read_op(st, op, cb, arg);
}

int store_history(struct store *st, uint64_t conv, uint64_t before, uint64_t upto, unsigned n,
		  store_msgs_cb cb, void *arg)
{
	return bounded_read(st, conv, NULL, before, false, upto, n, cb, arg);
}

int store_missed(struct store *st, uint64_t conv, uint64_t after, uint64_t upto, unsigned n,
		 store_msgs_cb cb, void *arg)
{
	return bounded_read(st, conv, NULL, after, true, upto, n, cb, arg);
}

int store_missed_by_agent(struct store *st, const char *agent, uint64_t after, uint64_t upto,
			  unsigned n, store_msgs_cb cb, void *arg)
{
	struct op *op = op_new(st, OP_HISTORY, 0, agent);

	if (op) {
		op->by_agent = true;
		op->after = true;
		op->before = after;
		op->upto = upto;
		op->n = n;
	}
	return read_op(st, op, cb, arg);
}

int store_history_by_name(struct store *st, const char *customer, uint64_t except, uint64_t before,
			  unsigned n, store_msgs_cb cb, void *arg)
{
	return bounded_read(st, except, customer, before, false, 0, n, cb, arg);
}

int store_offline_next(struct store *st, uint64_t after, store_msgs_cb cb, void *arg)
{
	return read_op(st, op_new(st, OP_OFFLINE_NEXT, after, NULL), cb, arg);
}

void store_offline_done(struct store *st, uint64_t conv)
{
	enqueue(st, op_new(st, OP_OFFLINE_DONE, conv, NULL));
}

enum store_kind store_kind(const struct store *st)
{
	return st->opts.kind;
}

const char *store_epoch(const struct store *st)
{
	return st->epoch;
}

uint64_t store_last_id(const struct store *st)
{
	return st->last_id;
}

uint64_t store_pending(const struct store *st)
{
	return st->committed + !STAILQ_EMPTY(&st->ops);
}

uint64_t store_committed(const struct store *st)
{
	return st->committed;
}

uint64_t store_pruned(const struct store *st)
{
	return st->pruned;
}

int store_file_used(struct store *st, const char *sha)
{
	/*
	 * Failing, what is queued may stay out of the file for long: asked again once it is in.
	 * Queued only, it is in within a turn or two, and such a file is within the sweep's grace:
	 * waiting for an empty queue would put the sweep off for good on a busy daemon.
	 */
	if (!st->sql || st->failing)
		return -EAGAIN;
	return sql_file_used(st->sql, sha);
}

void store_set_hooks(struct store *st, void (*committed)(void *arg),
		     void (*failing)(void *arg, int err), void *arg)
{
	st->on_committed = committed;
	st->on_failing = failing;
	st->hook_arg = arg;
}

double store_commit_seconds(const struct store *st)
{
	return st->commit_seconds;
}

int store_flush(struct store *st)
{
	return STAILQ_EMPTY(&st->ops) ? 0 : commit_batch(st);
}

int store_open(struct event_base *base, const struct store_options *o, struct store **ret)
{
	struct store *st = calloc(1, sizeof(*st));
	struct sql_state state;
	int r;

	if (!st)
		return -ENOMEM;
	st->base = base;
	st->opts = *o;
	STAILQ_INIT(&st->ops);
	STAILQ_INIT(&st->spare.list);
	/* off and memory: the desk's working state lives in an in-memory database. */
	r = sql_open(o->kind == STORE_SQLITE ? o->path : NULL, o->sync, &st->sql, &state);
	if (r == 0)
		st->state = state; /* the sessions read: store_free() frees them too */
	if (r == 0 && (!(st->commit = event_new(base, -1, 0, on_commit, st)) ||
		       !(st->retry = evtimer_new(base, on_retry, st)) ||
		       !(st->prune = evtimer_new(base, on_prune, st))))
		r = -ENOMEM;
	if (r < 0) {
		store_free(st, false);
		return r;
	}
	memcpy(st->epoch, state.epoch, sizeof(st->epoch));
	st->last_id = state.last_id;
	st->last_conv = state.last_conv;
	st->last_seq = st->committed_seq = state.last_seq;
	if (state.recovered)
		log_warnx(
		    "store: %u conversation(s) were open: the daemon had not stopped cleanly; "
		    "what their customers said unanswered goes to the next agent",
		    state.recovered);
	*ret = st;
	return 0;
}

const struct store_session *store_sessions(const struct store *st, size_t *n, int64_t *stopped_ms)
{
	*n = st->state.nsessions;
	*stopped_ms = st->state.stopped_ms;
	return st->state.sessions;
}

void store_sessions_done(struct store *st)
{
	sql_sessions_free(st->state.sessions, st->state.nsessions);
	st->state.sessions = NULL;
	st->state.nsessions = 0;
}

/* A session op: @hash in m.text (off and memory keep no sessions: nothing is queued). */
static struct op *session_op(struct store *st, enum op_kind kind, const char *hash,
			     const char *nick, uint64_t conv)
{
	struct op *op;

	if (st->opts.kind != STORE_SQLITE)
		return NULL;
	op = op_new(st, kind, conv, nick);
	if (op && !(op->m.text = strdup(hash))) {
		op_free(op);
		op = NULL;
	}
	if (!op)
		log_warnx("store: out of memory; a session will not survive a restart");
	return op;
}

void store_session_put(struct store *st, const struct store_session *se)
{
	struct op *op = session_op(st, OP_SESSION_PUT, se->hash, se->nick, se->conv);

	if (!op)
		return;
	op->role = (uint8_t)se->role;
	op->caps = (uint8_t)se->caps;
	op->upto = se->place;
	op->before = se->from_id;
	enqueue(st, op);
}

void store_session_del(struct store *st, const char *hash)
{
	struct op *op = session_op(st, OP_SESSION_DEL, hash, NULL, 0);

	if (op)
		enqueue(st, op);
}

void store_free(struct store *st, bool stopped)
{
	struct op *op;

	if (!st)
		return;
	if (stopped && st->opts.kind == STORE_SQLITE && (op = op_new(st, OP_STOPPED, 0, NULL))) {
		op->m.time_ms = fd_clock_unix_ms();
		enqueue(st, op);
	}
	store_sessions_done(st);
	sql_room_free(&st->state);
	/* Their owners are gone: what is queued is written, nobody is called back. */
	st->on_committed = NULL;
	st->on_failing = NULL;
	STAILQ_FOREACH(op, &st->ops, entry)
	{
		op->cb = NULL;
		op->count_cb = NULL;
	}
	if (st->sql && store_flush(st) < 0)
		log_warnx("store: what was still queued at exit could not be written");
	while ((op = STAILQ_FIRST(&st->ops))) {
		STAILQ_REMOVE_HEAD(&st->ops, entry);
		op_free(op);
	}
	op_spares_free(&st->spare);
	if (st->commit)
		event_free(st->commit);
	if (st->retry)
		event_free(st->retry);
	if (st->prune)
		event_free(st->prune);
	sql_close(st->sql);
	free(st);
}

const struct store_ban *store_bans(const struct store *st, size_t *n)
{
	*n = st->state.nbans;
	return st->state.bans;
}

const char *store_topic(const struct store *st, const char **ret_by)
{
	*ret_by = st->state.topic_by;
	return st->state.topic;
}

/* An op with @text copied into m.text (and @from into m.from); NULL when out of memory. */
static struct op *op_with_text(struct store *st, enum op_kind kind, const char *from,
			       const char *text)
{
	struct op *op = op_new(st, kind, 0, from);

	if (op && !(op->m.text = strdup(text))) {
		op_free(op);
		op = NULL;
	}
	if (op)
		op->m.time_ms = fd_clock_unix_ms();
	return op;
}

void store_ban_put(struct store *st, const struct store_ban *b)
{
	struct op *op = op_with_text(st, OP_BAN_PUT, b->by, b->spec);

	if (op && !(op->reason = strdup(b->reason))) {
		op_free(op);
		op = NULL;
	}
	if (op)
		op->before = (uint64_t)b->until;
	enqueue(st, op);
}

void store_ban_del(struct store *st, const char *spec)
{
	enqueue(st, op_with_text(st, OP_BAN_DEL, NULL, spec));
}

void store_topic_put(struct store *st, const char *by, const char *text)
{
	enqueue(st, op_with_text(st, OP_TOPIC, by, text));
}

int store_purge(struct store *st, const char *from, int64_t since_ms, const char *by,
		store_count_cb cb, void *arg)
{
	struct op *op = op_with_text(st, OP_PURGE, from, by);

	if (!op)
		return -ENOMEM;
	op->m.time_ms = since_ms;
	op->count_cb = cb;
	op->arg = arg;
	enqueue(st, op);
	return 0;
}
