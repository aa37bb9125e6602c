/* SPDX-License-Identifier: ISC */
/*
 * store-open.c - opening a store file (see store-sqlite.h): configured, checked, migrated,
 * recovered after a crash; closing it.
 *
 * Opening is careful with old data: a file that is not a database, is corrupt (quick_check),
 * or has a schema newer than this binary stops the start with the reason; it is never
 * replaced by a fresh store. A new file is created 0600 (umask 077 around the open) so that
 * messages are private to the service, as are its -wal and -shm files (SQLite gives them the
 * database file's mode).
 */
#include "store-sqlite.h"
#include "store-sqlite-priv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <openssl/rand.h>

#include "clock.h"
#include "log.h"
#include "store-schema.h"

/* The page cache's bound, in KiB (SQLite's default is 2000). */
#define STORE_CACHE_KIB "1024"

/* Run @sql (several statements, no results); log what failed with @what. */
static int exec(struct sql *q, const char *sql, const char *path, const char *what)
{
	char *msg = NULL;
	int rc = sqlite3_exec(q->db, sql, NULL, NULL, &msg);

	if (rc == SQLITE_OK)
		return 0;
	log_warnx("store %s: %s: %s", path, what, msg ? msg : sqlite3_errstr(rc));
	sqlite3_free(msg);
	return sql_errno(rc);
}

/* One integer from @sql (0 if no row); < 0 on error, logged. */
static int64_t query_int(struct sql *q, const char *sql, const char *path, int *ret)
{
	sqlite3_stmt *s;
	int64_t v = 0;
	int rc = sqlite3_prepare_v2(q->db, sql, -1, &s, NULL);

	if (rc == SQLITE_OK) {
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW)
			v = sqlite3_column_int64(s, 0);
		if (rc == SQLITE_ROW || rc == SQLITE_DONE)
			rc = SQLITE_OK;
		sqlite3_finalize(s);
	}
	if (rc != SQLITE_OK) {
		log_warnx("store %s: %s", path, sqlite3_errmsg(q->db));
		*ret = sql_errno(rc);
	}
	return v;
}

/*
 * Refuse a newer schema and a database that is not ours: each would otherwise be overwritten
 * or misread. Run before anything writes (turning on WAL rewrites the file's header), so that
 * a refused file is left exactly as it was.
 */
static int check_ours(struct sql *q, const char *path)
{
	int r = 0;
	int64_t version = query_int(q, "PRAGMA user_version", path, &r);

	if (r < 0)
		return r;
	if (version > STORE_SCHEMA_VERSION) {
		log_warnx("store %s was written by a newer frontdesk (schema %" PRId64 ", this one "
			  "knows %d): not opened; run the newer frontdeskd or restore a backup",
			  path, version, STORE_SCHEMA_VERSION);
		return -EPROTONOSUPPORT;
	}
	if (version == 0 && query_int(q, "SELECT count(*) FROM sqlite_master", path, &r) > 0) {
		log_warnx("store %s is an SQLite database but not a frontdesk store: not touched; "
			  "point store = sqlite:PATH elsewhere",
			  path);
		return -EEXIST;
	}
	return r;
}

/* Bring the schema to STORE_SCHEMA_VERSION (check_ours() said it is ours, or empty). */
static int migrate(struct sql *q, const char *path)
{
	static const char *const migrations[] = STORE_MIGRATIONS;
	int r = 0;
	int64_t version = query_int(q, "PRAGMA user_version", path, &r);
	char sql[64];

	if (r < 0)
		return r;
	if (version == STORE_SCHEMA_VERSION)
		return 0;
	if ((r = exec(q, "BEGIN IMMEDIATE", path, "migrating")) < 0)
		return r;
	for (int64_t v = version; v < STORE_SCHEMA_VERSION && r == 0; v++)
		r = exec(q, migrations[v], path, "migrating");
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", STORE_SCHEMA_VERSION);
	if (r == 0)
		r = exec(q, sql, path, "migrating");
	if (r == 0)
		r = exec(q, "COMMIT", path, "migrating");
	if (r < 0)
		exec(q, "ROLLBACK", path, "rolling back the migration");
	else if (version)
		log_info("store %s: schema %" PRId64 " migrated to %d", path, version,
			 STORE_SCHEMA_VERSION);
	return r;
}

/* The epoch of this store's IDs: made once, with the store. */
static int load_epoch(struct sql *q, const char *path, char epoch[33])
{
	unsigned char raw[16];
	sqlite3_stmt *s;
	int rc;

	rc = sqlite3_prepare_v2(q->db, "SELECT value FROM meta WHERE key = 'epoch'", -1, &s, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW)
		snprintf(epoch, 33, "%s", (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc != SQLITE_DONE) {
		log_warnx("store %s: %s", path, sqlite3_errmsg(q->db));
		return sql_errno(rc);
	}
	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return -EIO;
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(epoch + 2 * i, 3, "%02x", raw[i]);
	rc = sqlite3_prepare_v2(q->db, "INSERT INTO meta (key, value) VALUES ('epoch', ?1)", -1, &s,
				NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(s, 1, epoch, -1, SQLITE_STATIC);
		rc = sqlite3_step(s);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		log_warnx("store %s: %s", path, sqlite3_errmsg(q->db));
		return sql_errno(rc);
	}
	return 0;
}

/*
 * A conversation that stays open across a restart: its customer was waiting in line (never
 * given to an agent) and has a session it may resume (role 0: a customer, enum conn_role).
 */
#define WAITING "agent IS NULL AND conv IN (SELECT conv FROM sessions WHERE role = 0)"

/*
 * Conversations still open were cut by a crash or a restart: they end now, and what their
 * customers said unanswered (held or released) goes to the next agent; replies the agent had
 * not yet delivered never will be. Those of customers who may resume their place stay open.
 */
static int recover(struct sql *q, const char *path, struct sql_state *state)
{
	char sql[1536];
	int r = 0;
	int64_t n = query_int(
	    q, "SELECT count(*) FROM conversations WHERE ended_ms IS NULL AND NOT (" WAITING ")",
	    path, &r);

	if (r < 0 || n == 0)
		return r;
	snprintf(
	    sql, sizeof(sql),
	    "UPDATE messages SET dropped = 1 WHERE id IS NULL AND from_agent = 1 AND conv IN"
	    " (SELECT conv FROM conversations WHERE ended_ms IS NULL AND NOT (" WAITING "));"
	    "UPDATE conversations SET ended_ms = %lld, end_reason = 'restart', for_next_agent ="
	    " EXISTS (SELECT 1 FROM messages m WHERE m.conv = conversations.conv AND"
	    " m.from_agent = 0 AND m.dropped = 0 AND m.seq > (SELECT coalesce(max(seq), 0)"
	    " FROM messages a WHERE a.conv = conversations.conv AND a.from_agent = 1 AND"
	    " a.id IS NOT NULL)) WHERE ended_ms IS NULL AND NOT (" WAITING ");",
	    (long long)fd_clock_unix_ms());
	state->recovered = (unsigned)n;
	return exec(q, sql, path, "recovering open conversations");
}

/* The clean stop's time, forgotten now: a crash later must not look like one (0: none). */
static int take_stopped(struct sql *q, const char *path, struct sql_state *state)
{
	int r = 0;

	state->stopped_ms = query_int(q,
				      "SELECT coalesce((SELECT CAST(value AS INTEGER) FROM meta"
				      " WHERE key = 'stopped_ms'), 0)",
				      path, &r);
	if (r == 0)
		r = exec(q, "DELETE FROM meta WHERE key = 'stopped_ms'", path, "reading the stop");
	return r;
}

void sql_sessions_free(struct store_session *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct msgset held = { .v = v[i].held, .n = v[i].nheld };

		msgset_free(&held);
		free(v[i].nick);
	}
	free(v);
}

/* What customer @se held in its open conversation, oldest first. */
static int load_held(struct sql *q, struct store_session *se)
{
	struct msgset held = { 0 };
	sqlite3_stmt *s;
	int rc, r = 0;

	rc = sqlite3_prepare_v2(q->db,
				"SELECT seq, time_ms, text, file IS NOT NULL FROM messages"
				" WHERE conv = ?1 AND id IS"
				" NULL AND dropped = 0 AND from_agent = 0 ORDER BY seq",
				-1, &s, NULL);
	if (rc != SQLITE_OK)
		return sql_errno(rc);
	sqlite3_bind_int64(s, 1, (sqlite3_int64)se->conv);
	while (r == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_msg m = { .seq = (uint64_t)sqlite3_column_int64(s, 0),
				       .time_ms = sqlite3_column_int64(s, 1),
				       .conv = se->conv,
				       .from = se->nick,
				       .text = (const char *)sqlite3_column_text(s, 2),
				       .len = (size_t)sqlite3_column_bytes(s, 2),
				       .file = sqlite3_column_int(s, 3) };

		r = msgset_add(&held, &m);
	}
	sqlite3_finalize(s);
	se->held = held.v;
	se->nheld = held.n;
	return r ? r : rc == SQLITE_DONE ? 0 : sql_errno(rc);
}

/* The sessions kept across the restart, in the order of their customers' places in line. */
static int load_sessions(struct sql *q, struct sql_state *state)
{
	sqlite3_stmt *s;
	size_t cap = 0;
	int rc, r = 0;

	rc = sqlite3_prepare_v2(
	    q->db,
	    "SELECT s.token_hash, s.nick, s.role, s.caps, coalesce(c.conv, 0), c.conv IS NOT NULL"
	    " AND c.ended_ms IS NULL AND c.agent IS NULL, s.place, s.from_id FROM sessions s"
	    " LEFT JOIN conversations c ON c.conv = s.conv AND s.role = 0"
	    " ORDER BY s.place, s.token_hash",
	    -1, &s, NULL);
	if (rc != SQLITE_OK)
		return sql_errno(rc);
	while (r == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_session *se, *v = state->sessions;

		if (state->nsessions == cap) {
			cap = cap ? 2 * cap : 16;
			if (!(v = realloc(v, cap * sizeof(*v)))) {
				r = -ENOMEM;
				break;
			}
			state->sessions = v;
		}
		se = memset(&v[state->nsessions], 0, sizeof(*se));
		snprintf(se->hash, sizeof(se->hash), "%s", sqlite3_column_text(s, 0));
		se->role = sqlite3_column_int(s, 2);
		se->caps = (unsigned)sqlite3_column_int(s, 3);
		se->conv = (uint64_t)sqlite3_column_int64(s, 4);
		se->open = sqlite3_column_int(s, 5);
		se->place = (uint64_t)sqlite3_column_int64(s, 6);
		se->from_id = (uint64_t)sqlite3_column_int64(s, 7);
		if (!(se->nick = strdup((const char *)sqlite3_column_text(s, 1))))
			r = -ENOMEM;
		state->nsessions++;
		if (r == 0 && se->open)
			r = load_held(q, se);
	}
	sqlite3_finalize(s);
	return r ? r : rc == SQLITE_DONE ? 0 : sql_errno(rc);
}

void sql_room_free(struct sql_state *state)
{
	for (size_t i = 0; i < state->nbans; i++) {
		free((char *)state->bans[i].spec);
		free((char *)state->bans[i].by);
		free((char *)state->bans[i].reason);
	}
	free(state->bans);
	free(state->topic);
	free(state->topic_by);
	state->bans = NULL;
	state->nbans = 0;
	state->topic = state->topic_by = NULL;
}

/* The room's bans still in force (an expired one is forgotten here), and its topic. */
static int load_room(struct sql *q, struct sql_state *state)
{
	sqlite3_stmt *s;
	size_t cap = 0;
	int rc, r = 0;

	rc = sqlite3_prepare_v2(
	    q->db,
	    "SELECT spec, by, until, reason FROM bans WHERE until = 0 OR until > ?1"
	    " ORDER BY time_ms, spec",
	    -1, &s, NULL);
	if (rc != SQLITE_OK)
		return sql_errno(rc);
	sqlite3_bind_int64(s, 1, fd_clock_unix_ms() / 1000);
	while (r == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_ban *b, *v = state->bans;

		if (state->nbans == cap) {
			cap = cap ? 2 * cap : 16;
			if (!(v = realloc(v, cap * sizeof(*v)))) {
				r = -ENOMEM;
				break;
			}
			state->bans = v;
		}
		b = &v[state->nbans++];
		b->spec = strdup((const char *)sqlite3_column_text(s, 0));
		b->by = strdup((const char *)sqlite3_column_text(s, 1));
		b->until = sqlite3_column_int64(s, 2);
		b->reason = strdup((const char *)sqlite3_column_text(s, 3));
		if (!b->spec || !b->by || !b->reason)
			r = -ENOMEM;
	}
	sqlite3_finalize(s);
	if (r == 0 && rc != SQLITE_DONE)
		r = sql_errno(rc);
	rc = sqlite3_prepare_v2(q->db,
				"SELECT (SELECT value FROM meta WHERE key = 'topic'),"
				" (SELECT value FROM meta WHERE key = 'topic_by')",
				-1, &s, NULL);
	if (r == 0 && rc == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW &&
	    sqlite3_column_type(s, 0) == SQLITE_TEXT && sqlite3_column_type(s, 1) == SQLITE_TEXT &&
	    (!(state->topic = strdup((const char *)sqlite3_column_text(s, 0))) ||
	     !(state->topic_by = strdup((const char *)sqlite3_column_text(s, 1)))))
		r = -ENOMEM;
	sqlite3_finalize(s);
	return r ? r : rc == SQLITE_OK ? 0 : sql_errno(rc);
}

static int configure(struct sql *q, const char *path, enum store_sync sync)
{
	int r = 0;

	/* A purge by frontdeskctl holds the lock briefly; wait a little, never long. */
	sqlite3_busy_timeout(q->db, 250);
	/* Writes and short reads of recent rows need few pages: the memory stays small, fixed. */
	r = exec(q, "PRAGMA cache_size = -" STORE_CACHE_KIB, path ? path : "(memory)",
		 "setting the cache size");
	if (r < 0)
		return r;
	if (!path)
		return 0;
	if ((r = check_ours(q, path)) < 0)
		return r;
	r = exec(q, "PRAGMA journal_mode = WAL", path, "turning on WAL");
	if (r == 0)
		r = exec(q,
			 sync == STORE_SYNC_FULL ? "PRAGMA synchronous = FULL"
						 : "PRAGMA synchronous = NORMAL",
			 path, "setting synchronous");
	if (r == 0 && query_int(q, "PRAGMA user_version", path, &r) > 0 && r == 0) {
		sqlite3_stmt *s;

		/* Damage found now stops the start, rather than a write failing mid-chat. */
		if (sqlite3_prepare_v2(q->db, "PRAGMA quick_check", -1, &s, NULL) == SQLITE_OK &&
		    sqlite3_step(s) == SQLITE_ROW &&
		    strcmp((const char *)sqlite3_column_text(s, 0), "ok") != 0) {
			log_warnx("store %s is damaged (%s): not opened; restore a backup or move "
				  "it aside (sqlite3's .recover may save its content)",
				  path, (const char *)sqlite3_column_text(s, 0));
			r = -EBADMSG;
		}
		sqlite3_finalize(s);
	}
	return r;
}

/*
 * One daemon per store: a second one would take the first's sessions for a restart's, reuse
 * its IDs and fail its writes (UNIQUE constraints). SQLite's own locks allow that (WAL lets
 * writers take turns), so the file is flock()ed as well; flock() and SQLite's fcntl() locks do
 * not interact on Linux, and the kernel drops it with the process, kill -9 included.
 * frontdeskctl does not take it: it reads, or purges in short transactions, beside the daemon.
 */
static int lock_store(struct sql *q, const char *path)
{
	q->lock_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (q->lock_fd < 0) {
		log_warnx("store %s cannot be locked: %s", path, strerror(errno));
		return -errno;
	}
	if (flock(q->lock_fd, LOCK_EX | LOCK_NB) == 0)
		return 0;
	if (errno == EWOULDBLOCK)
		log_warnx("store %s is in use by another frontdeskd: give each daemon its own "
			  "(store = sqlite:PATH)",
			  path);
	else
		log_warnx("store %s cannot be locked: %s", path, strerror(errno));
	return errno == EWOULDBLOCK ? -EBUSY : -errno;
}

int sql_open(const char *path, enum store_sync sync, struct sql **ret, struct sql_state *state)
{
	const char *name = path ? path : "(memory)";
	struct sql *q = calloc(1, sizeof(*q));
	mode_t mask;
	int rc, r = 0;

	if (!q)
		return -ENOMEM;
	q->lock_fd = -1;
	memset(state, 0, sizeof(*state));
	mask = umask(077); /* a new store is the service's alone */
	rc =
	    sqlite3_open_v2(path ? path : ":memory:", &q->db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	umask(mask);
	if (rc != SQLITE_OK) {
		log_warnx("store %s cannot be opened: %s", name,
			  q->db ? sqlite3_errmsg(q->db) : sqlite3_errstr(rc));
		r = sql_errno(rc);
	}
	if (r == 0 && path)
		r = lock_store(q, path);
	if (r == 0)
		r = configure(q, path, sync);
	if (r == 0)
		r = migrate(q, name);
	if (r == 0)
		r = load_epoch(q, name, state->epoch);
	/* purge and retention keep the counters in meta: deleting the newest rows reuses no ID. */
	if (r == 0)
		state->last_id = (uint64_t)query_int(
		    q,
		    "SELECT max(coalesce((SELECT max(id) FROM messages), 0), coalesce((SELECT "
		    "CAST(value AS INTEGER) FROM meta WHERE key = 'last_id'), 0))",
		    name, &r);
	if (r == 0)
		state->last_conv = (uint64_t)query_int(
		    q,
		    "SELECT max(coalesce((SELECT max(conv) FROM conversations), 0), "
		    "coalesce((SELECT "
		    "CAST(value AS INTEGER) FROM meta WHERE key = 'last_conv'), 0))",
		    name, &r);
	if (r == 0)
		state->last_seq =
		    (uint64_t)query_int(q, "SELECT coalesce(max(seq), 0) FROM messages", name, &r);
	if (r == 0)
		r = recover(q, name, state);
	if (r == 0)
		r = take_stopped(q, name, state);
	if (r == 0 && (r = load_sessions(q, state)) < 0)
		log_warnx("store %s: the sessions kept across the restart cannot be read (%s)",
			  name, strerror(-r));
	if (r == 0 && (r = load_room(q, state)) < 0)
		log_warnx("store %s: the room's bans and topic cannot be read (%s)", name,
			  strerror(-r));
	if (r == 0)
		r = sql_prepare_all(q, name);
	if (r < 0) {
		sql_sessions_free(state->sessions, state->nsessions);
		state->sessions = NULL;
		sql_room_free(state);
		sql_close(q);
		return r;
	}
	if (path)
		sql_walsync_start(q, path);
	*ret = q;
	return 0;
}

void sql_close(struct sql *q)
{
	if (!q)
		return;
	sql_walsync_stop(q);
	for (int i = 0; i < ST_MAX; i++)
		sqlite3_finalize(q->st[i]);
	sqlite3_close(q->db);
	if (q->lock_fd >= 0)
		close(q->lock_fd);
	free(q);
}
