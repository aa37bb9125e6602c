/* SPDX-License-Identifier: ISC */
/*
 * store-sqlite.c - the store's SQL (see store-sqlite.h and store-schema.h).
 *
 * One connection, WAL, statements prepared once with SQLITE_PREPARE_PERSISTENT. Every call
 * here runs inside the transaction store.c holds, so a failure anywhere rolls back the whole
 * batch and nothing of it is half kept. Opening the file is store-open.c's.
 */
#include "store-sqlite.h"
#include "store-sqlite-priv.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

/*
 * Unanswered: what the customer wrote after the agent's last delivered message, released or
 * held (not dropped). History: the newest N below a bound, read newest first, given oldest first.
 */
static const char *const statements[ST_MAX] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_ADD] = "INSERT INTO messages (seq, id, time_ms, conv, sender, from_agent, text, file)"
		   " VALUES (?7, ?1, ?2, ?3, ?4, ?5, ?6, ?8)",
	[ST_RELEASE] = "UPDATE messages SET id = ?2 WHERE seq = ?1",
	[ST_DROP] = "UPDATE messages SET dropped = 1"
		    " WHERE conv = ?1 AND sender = ?2 AND id IS NULL AND dropped = 0",
	[ST_CONV_BEGIN] =
	    "INSERT INTO conversations (conv, customer, started_ms) VALUES (?1, ?2, ?3)",
	[ST_CONV_AGENT] = "UPDATE conversations SET agent = ?2 WHERE conv = ?1",
	[ST_CONV_TRANSFER] = "INSERT INTO transfers (conv, time_ms, from_agent, to_agent, reason)"
			     " VALUES (?1, ?2, ?3, ?4, ?5)",
	[ST_CONV_END] = "UPDATE conversations SET ended_ms = ?2, end_reason = ?3,"
			" for_next_agent = ?4 WHERE conv = ?1 AND ended_ms IS NULL",
	[ST_HISTORY] =
	    "SELECT id, time_ms, sender, from_agent, text, file IS NOT NULL FROM messages"
	    " WHERE conv = ?1 AND id IS NOT NULL AND id < ?2 AND id <= ?3"
	    " ORDER BY id DESC LIMIT ?4",
	/* What a resumed session missed: the oldest N above an ID, read oldest first. */
	[ST_AFTER] = "SELECT id, time_ms, sender, from_agent, text, file IS NOT NULL FROM messages"
		     " WHERE conv = ?1 AND id > ?2 AND id <= ?3 ORDER BY id LIMIT ?4",
	/* The same across the open conversations of an agent (several at once). */
	[ST_AFTER_AGENT] = "SELECT m.id, m.time_ms, m.sender, m.from_agent, m.text,"
			   " m.file IS NOT NULL, m.conv"
			   " FROM messages m JOIN conversations c ON c.conv = m.conv"
			   " WHERE c.agent = ?1 AND c.ended_ms IS NULL AND m.id > ?2 AND m.id <= ?3"
			   " ORDER BY m.id LIMIT ?4",
	/* A customer's earlier conversations, found by its name only. */
	[ST_BY_NAME] = "SELECT m.id, m.time_ms, m.sender, m.from_agent, m.text,"
		       " m.file IS NOT NULL, m.conv"
		       " FROM messages m JOIN conversations c ON c.conv = m.conv"
		       " WHERE c.customer = ?1 AND m.conv != ?2 AND m.id IS NOT NULL"
		       " AND m.id < ?3 ORDER BY m.id DESC LIMIT ?4",
	[ST_NEXT_CONV] = "SELECT conv, customer FROM conversations WHERE for_next_agent = 1"
			 " AND conv > ?1 ORDER BY conv LIMIT 1",
	[ST_UNANSWERED] = "SELECT seq, id, time_ms, text, file IS NOT NULL FROM messages"
			  " WHERE conv = ?1 AND from_agent = 0 AND dropped = 0 AND seq >"
			  " (SELECT coalesce(max(seq), 0) FROM messages"
			  "  WHERE conv = ?1 AND from_agent = 1 AND id IS NOT NULL)"
			  " ORDER BY seq",
	[ST_NEXT_DONE] = "UPDATE conversations SET for_next_agent = 0 WHERE conv = ?1",
	/*
	 * Retention reads and deletes through indexes only (messages_room_time,
	 * conversations_ended, messages_conv): no scan, no sort, whatever the store holds.
	 */
	[ST_PRUNE_DUE] = "SELECT EXISTS (SELECT 1 FROM messages WHERE conv = 0 AND time_ms < ?1),"
			 " EXISTS (SELECT 1 FROM conversations WHERE ended_ms < ?2"
			 " AND for_next_agent = 0)",
	/*
	 * Before retention deletes the row that holds the highest ID or conversation number (a
	 * store idle for longer than the age bound), meta keeps it, unless it holds more already:
	 * a restart gives it no more.
	 */
	[ST_PRUNE_COUNTERS] =
	    "INSERT OR REPLACE INTO meta (key, value)"
	    " SELECT 'last_id', m.id FROM messages m WHERE m.id = (SELECT max(id) FROM messages)"
	    " AND ((m.conv = 0 AND m.time_ms < ?1) OR EXISTS (SELECT 1 FROM conversations c"
	    " WHERE c.conv = m.conv AND c.ended_ms < ?2 AND c.for_next_agent = 0)) AND m.id >"
	    " coalesce((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'last_id'), 0)"
	    " UNION ALL SELECT 'last_conv', c.conv FROM conversations c"
	    " WHERE c.conv = (SELECT max(conv) FROM conversations) AND c.ended_ms < ?2"
	    " AND c.for_next_agent = 0 AND c.conv >"
	    " coalesce((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'last_conv'), 0)",
	[ST_PRUNE_OLD] = "DELETE FROM messages WHERE seq IN (SELECT seq FROM messages"
			 " WHERE conv = 0 AND time_ms < ?1 ORDER BY time_ms LIMIT ?2)",
	/* A transcript goes whole, by when its conversation ended. */
	[ST_PRUNE_ENDED] = "DELETE FROM messages WHERE seq IN (SELECT m.seq FROM messages m"
			   " JOIN conversations c ON c.conv = m.conv WHERE c.ended_ms < ?1"
			   " AND c.for_next_agent = 0 LIMIT ?2)",
	/* Its passes between agents go with it (transfers_conv), before the conversation. */
	[ST_PRUNE_TRANSFERS] = "DELETE FROM transfers WHERE rowid IN (SELECT t.rowid FROM"
			       " conversations c JOIN transfers t ON t.conv = c.conv"
			       " WHERE c.ended_ms < ?1 AND c.for_next_agent = 0 LIMIT ?2)",
	[ST_ROOM_NEW] = "SELECT count(*), max(id) FROM messages WHERE conv = 0 AND id > ?1",
	/* The room's messages but its newest ?1, oldest first (a room message always has an ID). */
	[ST_PRUNE_ROOM] = "DELETE FROM messages WHERE seq IN (SELECT seq FROM messages"
			  " WHERE conv = 0 AND id <= (SELECT id FROM messages WHERE conv = 0"
			  " AND id IS NOT NULL ORDER BY id DESC LIMIT 1 OFFSET ?1)"
			  " ORDER BY id LIMIT ?2)",
	[ST_PRUNE_CONVS] = "DELETE FROM conversations WHERE conv IN (SELECT conv FROM"
			   " conversations WHERE ended_ms < ?1 AND for_next_agent = 0 AND NOT"
			   " EXISTS (SELECT 1 FROM messages m WHERE m.conv = conversations.conv)"
			   " AND NOT EXISTS (SELECT 1 FROM transfers t"
			   " WHERE t.conv = conversations.conv) LIMIT ?2)",
	[ST_SESSION_PUT] = "INSERT OR REPLACE INTO sessions (token_hash, nick, role, caps, conv,"
			   " place, from_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[ST_SESSION_DEL] = "DELETE FROM sessions WHERE token_hash = ?1",
	/* A clean stop: the grace of the sessions kept across it counts from then. */
	[ST_STOPPED] = "INSERT OR REPLACE INTO meta (key, value) VALUES ('stopped_ms', ?1)",
	/*
	 * An ID given to a message no row keeps (a private message, room-msg.c): meta keeps it
	 * as the highest, unless it holds more already, so a restart never gives it again.
	 */
	[ST_RESERVE_ID] = "INSERT OR REPLACE INTO meta (key, value) SELECT 'last_id', ?1"
			  " WHERE ?1 > coalesce((SELECT CAST(value AS INTEGER) FROM meta"
			  " WHERE key = 'last_id'), 0)",
	[ST_BAN_PUT] = "INSERT OR REPLACE INTO bans (spec, by, until, reason, time_ms)"
		       " VALUES (?1, ?2, ?3, ?4, ?5)",
	[ST_BAN_DEL] = "DELETE FROM bans WHERE spec = ?1",
	/* Through messages_file: one seek, whatever the store holds. */
	[ST_FILE_USED] = "SELECT EXISTS (SELECT 1 FROM messages WHERE file = ?1), 0",
	[ST_META_PUT] = "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)",
	/* Through messages_room_time: the room's rows since then, then the sender's among them. */
	[ST_PURGE] = "DELETE FROM messages WHERE conv = 0 AND time_ms >= ?2 AND sender = ?1"
		     " AND id IS NOT NULL",
};

void msgset_free(struct msgset *set)
{
	for (size_t i = 0; i < set->n; i++) {
		free((char *)set->v[i].from);
		free((char *)set->v[i].text);
	}
	free(set->v);
	memset(set, 0, sizeof(*set));
}

int msgset_add(struct msgset *set, const struct store_msg *m)
{
	struct store_msg *v = set->v;
	char *from, *text;

	if (set->n == set->cap) {
		size_t cap = set->cap ? 2 * set->cap : 16;

		v = realloc(set->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		set->v = v;
		set->cap = cap;
	}
	from = strdup(m->from);
	text = malloc(m->len + 1);
	if (!from || !text) {
		free(from);
		free(text);
		return -ENOMEM;
	}
	memcpy(text, m->text, m->len);
	text[m->len] = '\0';
	v[set->n] = *m;
	v[set->n].from = from;
	v[set->n].text = text;
	set->n++;
	return 0;
}

/* SQLite's result code as a negative errno: what the caller reports and acts on. */
int sql_errno(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return -EBADMSG;
	default:
		return -EIO;
	}
}

/* Step @s to its end (a write); reset it either way. */
static int run(struct sql *q, sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	sqlite3_reset(s);
	if (rc == SQLITE_DONE || rc == SQLITE_ROW)
		return 0;
	/* Locked by another writer (frontdeskctl purge): store.c waits a while before it says. */
	if ((rc & 0xff) != SQLITE_BUSY)
		log_warnx("store: %s", sqlite3_errmsg(q->db));
	return sql_errno(rc);
}

int sql_begin(struct sql *q)
{
	return run(q, q->st[ST_BEGIN]);
}

int sql_commit(struct sql *q)
{
	return run(q, q->st[ST_COMMIT]);
}

void sql_rollback(struct sql *q)
{
	if (!sqlite3_get_autocommit(q->db))
		run(q, q->st[ST_ROLLBACK]);
}

int sql_add(struct sql *q, uint64_t seq, const struct store_msg *m)
{
	sqlite3_stmt *s = q->st[ST_ADD];

	sqlite3_bind_int64(s, 7, (sqlite3_int64)seq);
	if (m->id)
		sqlite3_bind_int64(s, 1, (sqlite3_int64)m->id);
	else
		sqlite3_bind_null(s, 1);
	sqlite3_bind_int64(s, 2, m->time_ms);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)m->conv);
	sqlite3_bind_text(s, 4, m->from, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 5, m->from_agent);
	sqlite3_bind_text(s, 6, m->text, (int)m->len, SQLITE_STATIC);
	/* A file message's text begins with the file's SHA-256: what retention looks for. */
	if (m->file && m->len >= 64)
		sqlite3_bind_text(s, 8, m->text, 64, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 8);
	return run(q, s);
}

int sql_release(struct sql *q, uint64_t seq, uint64_t id)
{
	sqlite3_stmt *s = q->st[ST_RELEASE];

	sqlite3_bind_int64(s, 1, (sqlite3_int64)seq);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)id);
	return run(q, s);
}

int sql_drop_held(struct sql *q, uint64_t conv, const char *from)
{
	sqlite3_stmt *s = q->st[ST_DROP];

	sqlite3_bind_int64(s, 1, (sqlite3_int64)conv);
	sqlite3_bind_text(s, 2, from, -1, SQLITE_STATIC);
	return run(q, s);
}

int sql_conv_begin(struct sql *q, uint64_t conv, const char *customer, int64_t time_ms)
{
	sqlite3_stmt *s = q->st[ST_CONV_BEGIN];

	sqlite3_bind_int64(s, 1, (sqlite3_int64)conv);
	sqlite3_bind_text(s, 2, customer, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, time_ms);
	return run(q, s);
}

int sql_conv_agent(struct sql *q, uint64_t conv, const char *agent)
{
	sqlite3_stmt *s = q->st[ST_CONV_AGENT];

	sqlite3_bind_int64(s, 1, (sqlite3_int64)conv);
	sqlite3_bind_text(s, 2, agent, -1, SQLITE_STATIC);
	return run(q, s);
}

/* A NULL name is bound as NULL: the column says "none" (from) or "the line" (to). */
static void bind_name(sqlite3_stmt *s, int i, const char *name)
{
	if (name)
		sqlite3_bind_text(s, i, name, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, i);
}

int sql_conv_transfer(struct sql *q, uint64_t conv, const char *from, const char *to,
		      const char *why, int64_t time_ms)
{
	sqlite3_stmt *s = q->st[ST_CONV_TRANSFER];
	int r;

	sqlite3_bind_int64(s, 1, (sqlite3_int64)conv);
	sqlite3_bind_int64(s, 2, time_ms);
	bind_name(s, 3, from);
	bind_name(s, 4, to);
	sqlite3_bind_text(s, 5, why, -1, SQLITE_STATIC);
	r = run(q, s);
	/* Back to the line: the transcript still names the last agent that had it. */
	if (r == 0 && to)
		r = sql_conv_agent(q, conv, to);
	return r;
}

int sql_conv_end(struct sql *q, uint64_t conv, const char *why, int64_t time_ms,
		 bool for_next_agent)
{
	sqlite3_stmt *s = q->st[ST_CONV_END];

	sqlite3_bind_int64(s, 1, (sqlite3_int64)conv);
	sqlite3_bind_int64(s, 2, time_ms);
	sqlite3_bind_text(s, 3, why, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 4, for_next_agent);
	return run(q, s);
}

/* Rows of ST_HISTORY, ST_BY_NAME or ST_AFTER (bound) into @out, oldest first. */
static int read_history(struct sql *q, sqlite3_stmt *s, uint64_t conv, struct msgset *out)
{
	int rc, r = 0;

	while (r == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_msg m = {
			.id = (uint64_t)sqlite3_column_int64(s, 0),
			.time_ms = sqlite3_column_int64(s, 1),
			.conv = sqlite3_column_count(s) > 6 ? (uint64_t)sqlite3_column_int64(s, 6)
							    : conv,
			.from = (const char *)sqlite3_column_text(s, 2),
			.from_agent = sqlite3_column_int(s, 3),
			.file = sqlite3_column_int(s, 5),
			.text = (const char *)sqlite3_column_text(s, 4),
			.len = (size_t)sqlite3_column_bytes(s, 4),
		};
		r = msgset_add(out, &m);
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = sql_errno(rc);
	sqlite3_reset(s);
	/* Read newest first (to take the last N), given oldest first. */
	for (size_t i = 0; s != q->st[ST_AFTER] && s != q->st[ST_AFTER_AGENT] && i < out->n / 2;
	     i++) {
		struct store_msg t = out->v[i];

		out->v[i] = out->v[out->n - 1 - i];
		out->v[out->n - 1 - i] = t;
	}
	return r;
}

int sql_history(struct sql *q, uint64_t conv, uint64_t before, uint64_t upto, unsigned n,
		struct msgset *out)
{
	sqlite3_stmt *s = q->st[ST_HISTORY];

	sqlite3_bind_int64(s, 1, (sqlite3_int64)conv);
	sqlite3_bind_int64(s, 2, before ? (sqlite3_int64)before : INT64_MAX);
	sqlite3_bind_int64(s, 3, upto ? (sqlite3_int64)upto : INT64_MAX);
	sqlite3_bind_int(s, 4, (int)n);
	return read_history(q, s, conv, out);
}

int sql_after(struct sql *q, uint64_t conv, uint64_t after, uint64_t upto, unsigned n,
	      struct msgset *out)
{
	sqlite3_stmt *s = q->st[ST_AFTER];

	sqlite3_bind_int64(s, 1, (sqlite3_int64)conv);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)after);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)upto);
	sqlite3_bind_int(s, 4, (int)n);
	return read_history(q, s, conv, out);
}

int sql_after_agent(struct sql *q, const char *agent, uint64_t after, uint64_t upto, unsigned n,
		    struct msgset *out)
{
	sqlite3_stmt *s = q->st[ST_AFTER_AGENT];

	sqlite3_bind_text(s, 1, agent, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)after);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)upto);
	sqlite3_bind_int(s, 4, (int)n);
	return read_history(q, s, 0, out);
}

int sql_history_by_name(struct sql *q, const char *customer, uint64_t except, uint64_t before,
			unsigned n, struct msgset *out)
{
	sqlite3_stmt *s = q->st[ST_BY_NAME];

	sqlite3_bind_text(s, 1, customer, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)except);
	sqlite3_bind_int64(s, 3, before ? (sqlite3_int64)before : INT64_MAX);
	sqlite3_bind_int(s, 4, (int)n);
	return read_history(q, s, 0, out);
}

/* The unanswered messages of @conv into @out; held ones are given IDs after *@last_id. */
static int read_unanswered(struct sql *q, uint64_t conv, const char *customer, uint64_t *last_id,
			   struct msgset *out)
{
	sqlite3_stmt *s = q->st[ST_UNANSWERED], *set = q->st[ST_RELEASE];
	int rc, r = 0;

	sqlite3_bind_int64(s, 1, (sqlite3_int64)conv);
	while (r == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_msg m = {
			.id = (uint64_t)sqlite3_column_int64(s, 1),
			.time_ms = sqlite3_column_int64(s, 2),
			.conv = conv,
			.from = customer,
			.text = (const char *)sqlite3_column_text(s, 3),
			.len = (size_t)sqlite3_column_bytes(s, 3),
			.file = sqlite3_column_int(s, 4),
		};
		if (!m.id) {
			m.id = ++*last_id;
			sqlite3_bind_int64(set, 1, sqlite3_column_int64(s, 0));
			sqlite3_bind_int64(set, 2, (sqlite3_int64)m.id);
			r = run(q, set);
		}
		if (r == 0)
			r = msgset_add(out, &m);
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = sql_errno(rc);
	sqlite3_reset(s);
	return r;
}

int sql_offline_done(struct sql *q, uint64_t conv)
{
	sqlite3_stmt *done = q->st[ST_NEXT_DONE];

	sqlite3_bind_int64(done, 1, (sqlite3_int64)conv);
	return run(q, done);
}

int sql_offline_next(struct sql *q, uint64_t after, uint64_t *last_id, struct msgset *out)
{
	sqlite3_stmt *s = q->st[ST_NEXT_CONV];
	uint64_t conv;
	char *customer;
	int rc, r;

	sqlite3_bind_int64(s, 1, (sqlite3_int64)after);
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(s);
		return rc == SQLITE_DONE ? 0 : sql_errno(rc);
	}
	conv = (uint64_t)sqlite3_column_int64(s, 0);
	customer = strdup((const char *)sqlite3_column_text(s, 1));
	sqlite3_reset(s);
	if (!customer)
		return -ENOMEM;
	r = read_unanswered(q, conv, customer, last_id, out);
	/* A conversation with nothing left to say still names its customer. */
	if (r == 0 && out->n == 0)
		r = msgset_add(out,
			       &(struct store_msg){ .conv = conv, .from = customer, .text = "" });
	free(customer);
	return r;
}

static int prune_with(struct sql *q, enum stmt_id id, sqlite3_int64 a, unsigned step)
{
	sqlite3_stmt *s = q->st[id];
	int r;

	sqlite3_bind_int64(s, 1, a);
	sqlite3_bind_int(s, 2, (int)step);
	r = run(q, s);
	return r < 0 ? r : sqlite3_changes(q->db);
}

/* Step @s, a read of one row, into @a and @b (NULL: left as they are); reset it. */
static int read_two(struct sql *q, sqlite3_stmt *s, int64_t *a, int64_t *b)
{
	int rc = sqlite3_step(s);

	if (rc == SQLITE_ROW) {
		if (sqlite3_column_type(s, 0) != SQLITE_NULL)
			*a = sqlite3_column_int64(s, 0);
		if (sqlite3_column_type(s, 1) != SQLITE_NULL)
			*b = sqlite3_column_int64(s, 1);
	}
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 0;
	log_warnx("store: %s", sqlite3_errmsg(q->db));
	return sql_errno(rc);
}

/*
 * How many messages the room may hold, in q->room_most: counted once (the first call walks the
 * room's index), then followed: what was written since (an index seek past the newest ID
 * seen) less what retention removed. That is an upper bound (frontdeskctl purge may have
 * removed more), so the walk of ST_PRUNE_ROOM is left out only when it has nothing to do.
 */
static int room_count(struct sql *q)
{
	sqlite3_stmt *s = q->st[ST_ROOM_NEW];
	int64_t added = 0;
	int r;

	sqlite3_bind_int64(s, 1, q->room_top);
	if ((r = read_two(q, s, &added, &q->room_top)) < 0)
		return r;
	q->room_most += added;
	return 0;
}

int sql_file_used(struct sql *q, const char *sha)
{
	sqlite3_stmt *s = q->st[ST_FILE_USED];
	int64_t used = 0, unused;
	int r;

	sqlite3_bind_text(s, 1, sha, -1, SQLITE_STATIC);
	r = read_two(q, s, &used, &unused);
	return r < 0 ? r : used != 0;
}

int sql_prune(struct sql *q, int64_t before_ms, int64_t ended_before_ms, unsigned keep_room,
	      unsigned step)
{
	sqlite3_stmt *due = q->st[ST_PRUNE_DUE], *counters = q->st[ST_PRUNE_COUNTERS];
	int64_t old = 0, ended = 0;
	int n = 0, r;

	/* Reads first: when nothing is due (most seconds) no lock is taken, nothing is written. */
	sqlite3_bind_int64(due, 1, before_ms > 0 ? before_ms : 0);
	sqlite3_bind_int64(due, 2, ended_before_ms > 0 ? ended_before_ms : 0);
	if ((r = read_two(q, due, &old, &ended)) < 0 || (keep_room && (r = room_count(q)) < 0))
		return r;
	/* (The bound on the count never takes the newest room message: no risk there.) */
	if (old || ended) {
		sqlite3_bind_int64(counters, 1, before_ms > 0 ? before_ms : 0);
		sqlite3_bind_int64(counters, 2, ended_before_ms > 0 ? ended_before_ms : 0);
		if ((r = run(q, counters)) < 0)
			return r;
	}
	if (old) {
		if ((r = prune_with(q, ST_PRUNE_OLD, before_ms, step)) < 0)
			return r;
		n += r;
		if (keep_room)
			q->room_most -= r;
	}
	if (ended && (unsigned)n < step) {
		if ((r = prune_with(q, ST_PRUNE_ENDED, ended_before_ms, step - (unsigned)n)) < 0)
			return r;
		n += r;
	}
	if (ended && (unsigned)n < step) {
		r = prune_with(q, ST_PRUNE_TRANSFERS, ended_before_ms, step - (unsigned)n);
		if (r < 0)
			return r;
		n += r;
	}
	if (keep_room && q->room_most > (int64_t)keep_room && (unsigned)n < step) {
		if ((r = prune_with(q, ST_PRUNE_ROOM, keep_room, step - (unsigned)n)) < 0)
			return r;
		/* Fewer than asked: none is left beyond the newest keep_room. */
		q->room_most = (unsigned)r < step - (unsigned)n ? keep_room : q->room_most - r;
		n += r;
	}
	if (ended && (unsigned)n < step) {
		if ((r = prune_with(q, ST_PRUNE_CONVS, ended_before_ms, step - (unsigned)n)) < 0)
			return r;
		n += r;
	}
	return n;
}

int sql_session_put(struct sql *q, const struct store_session *se)
{
	sqlite3_stmt *s = q->st[ST_SESSION_PUT];

	sqlite3_bind_text(s, 1, se->hash, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, se->nick, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 3, se->role);
	sqlite3_bind_int(s, 4, se->caps);
	sqlite3_bind_int64(s, 5, (sqlite3_int64)se->conv);
	sqlite3_bind_int64(s, 6, (sqlite3_int64)se->place);
	sqlite3_bind_int64(s, 7, (sqlite3_int64)se->from_id);
	return run(q, s);
}

int sql_session_del(struct sql *q, const char *hash)
{
	sqlite3_stmt *s = q->st[ST_SESSION_DEL];

	sqlite3_bind_text(s, 1, hash, -1, SQLITE_STATIC);
	return run(q, s);
}

int sql_stopped(struct sql *q, int64_t time_ms)
{
	sqlite3_stmt *s = q->st[ST_STOPPED];

	sqlite3_bind_int64(s, 1, time_ms);
	return run(q, s);
}

int sql_reserve_id(struct sql *q, uint64_t id)
{
	sqlite3_stmt *s = q->st[ST_RESERVE_ID];

	sqlite3_bind_int64(s, 1, (sqlite3_int64)id);
	return run(q, s);
}

int sql_ban_put(struct sql *q, const struct store_ban *b, int64_t time_ms)
{
	sqlite3_stmt *s = q->st[ST_BAN_PUT];

	sqlite3_bind_text(s, 1, b->spec, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, b->by, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, b->until);
	sqlite3_bind_text(s, 4, b->reason, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, time_ms);
	return run(q, s);
}

int sql_ban_del(struct sql *q, const char *spec)
{
	sqlite3_stmt *s = q->st[ST_BAN_DEL];

	sqlite3_bind_text(s, 1, spec, -1, SQLITE_STATIC);
	return run(q, s);
}

int sql_meta_put(struct sql *q, const char *key, const char *value)
{
	sqlite3_stmt *s = q->st[ST_META_PUT];

	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, value, -1, SQLITE_STATIC);
	return run(q, s);
}

int sql_purge(struct sql *q, const char *sender, int64_t since_ms, unsigned *ret_n)
{
	sqlite3_stmt *s = q->st[ST_PURGE];
	int r;

	sqlite3_bind_text(s, 1, sender, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, since_ms);
	r = run(q, s);
	*ret_n = r == 0 ? (unsigned)sqlite3_changes(q->db) : 0;
	return r;
}

int sql_prepare_all(struct sql *q, const char *path)
{
	for (int i = 0; i < ST_MAX; i++) {
		if (sqlite3_prepare_v3(q->db, statements[i], -1, SQLITE_PREPARE_PERSISTENT,
				       &q->st[i], NULL) != SQLITE_OK) {
			log_warnx("store %s: preparing: %s", path, sqlite3_errmsg(q->db));
			return -EIO;
		}
	}
	return 0;
}
