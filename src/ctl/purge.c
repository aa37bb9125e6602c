/* SPDX-License-Identifier: ISC */
/*
 * purge.c - "purge": transcripts deleted by customer, or by age together with the room's
 * history older than that, while the daemon keeps running.
 *
 * Only ended conversations go. An open one is still the daemon's (it adds messages to it and
 * will end it), so it is kept and counted, to be purged once it has ended.
 *
 * The rows go in chunks, each its own short transaction, so that the daemon, which waits for
 * the write lock a quarter of a second at most, always gets its turn between them: a large
 * purge never makes it tell its clients that the store is unavailable. Each chunk is begun
 * IMMEDIATE, so that waiting for the daemon's write lock happens up front under the busy
 * timeout, not as a failed read-to-write upgrade half-way; it first writes in meta the highest
 * message ID and conversation number there have been, so that a daemon restarted after the
 * newest rows are gone does not give them again. A conversation's messages and transfers go
 * before it (it is how they are found), and it goes once it has none left; the chunks go on
 * until none finds anything more, which also takes conversations that ended meanwhile.
 *
 * Then the text must go from the files too. secure_delete makes SQLite overwrite what it
 * deletes where it lies, but not every copy: as a table grows and shrinks SQLite moves rows
 * between pages and leaves the space a moved row had uncleared (rebuildPage), so a purged row
 * may live on there; a memcheck run of the large purge test found one. VACUUM writes every
 * page anew, and the checkpoint afterwards empties the WAL, which holds the pages as they were.
 * VACUUM keeps the write lock for as long as it copies what is kept (0.6 s per 100 MB kept,
 * measured here): the daemon's writes wait, quietly for 5 s and then telling its clients, and
 * lose nothing.
 * --no-vacuum is for a store too large for that; the deleted text may then live on in unused
 * space until SQLite reuses it.
 *
 * In a cluster (cluster = redis://...) the room's messages are in Redis's stream, which this
 * does not touch: --before purges the store's part only, and says so.
 */
#include <inttypes.h>
#include <stdio.h>
#include <time.h>

#include "config.h"
#include "ctl.h"
#include "storefile.h"

/* The rows one transaction deletes at most: it holds the write lock for milliseconds. */
#define CHUNK 1000

/* ?1 is the customer's name or the WHEN in Unix milliseconds; ?2 the rows a chunk may take. */
struct purge_sql {
	const char *msgs;      /* the purged conversations' messages */
	const char *transfers; /* their passes between agents */
	const char *convs;     /* the purged conversations, once without either */
	const char *room;      /* the room's messages; NULL: none */
	const char *open;      /* counts the open conversations it would take, kept */
	const char *sessions;  /* the customer's sessions (its name) but an open one's; or NULL */
};

#define BY_CUSTOMER "c.customer = ?1 AND c.end_reason IS NOT NULL"
#define BEFORE      "c.end_reason IS NOT NULL AND c.ended_ms < ?1"
#define MSGS(which)                                                                                \
	"DELETE FROM messages WHERE seq IN (SELECT m.seq FROM conversations c JOIN messages m"     \
	" ON m.conv = c.conv WHERE " which " LIMIT ?2)"
#define TRANSFERS(which)                                                                           \
	"DELETE FROM transfers WHERE rowid IN (SELECT t.rowid FROM conversations c JOIN "          \
	"transfers t"                                                                              \
	" ON t.conv = c.conv WHERE " which " LIMIT ?2)"
#define CONVS(which)                                                                               \
	"DELETE FROM conversations WHERE conv IN (SELECT c.conv FROM conversations c WHERE " which \
	" AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.conv = c.conv) AND NOT EXISTS"          \
	" (SELECT 1 FROM transfers t WHERE t.conv = c.conv) LIMIT ?2)"

static const struct purge_sql by_customer = {
	.msgs = MSGS(BY_CUSTOMER),
	.transfers = TRANSFERS(BY_CUSTOMER),
	.convs = CONVS(BY_CUSTOMER),
	.room = NULL,
	.open = "SELECT count(*) FROM conversations WHERE customer = ?1 AND end_reason IS NULL",
	.sessions = "DELETE FROM sessions WHERE role = 0 AND nick = ?1 AND conv NOT IN"
		    " (SELECT conv FROM conversations WHERE ended_ms IS NULL)",
};

static const struct purge_sql by_age = {
	.msgs = MSGS(BEFORE),
	.transfers = TRANSFERS(BEFORE),
	.convs = CONVS(BEFORE),
	.room = "DELETE FROM messages WHERE seq IN (SELECT seq FROM messages WHERE conv = 0"
		" AND time_ms < ?1 LIMIT ?2)",
	.open = "SELECT count(*) FROM conversations WHERE end_reason IS NULL AND started_ms < ?1",
};

/* The counters as high as they have been (the daemon reads them back: store-sqlite.c). */
static const char counters_sql[] =
    "INSERT OR REPLACE INTO meta (key, value)"
    " SELECT 'last_id', max(coalesce((SELECT max(id) FROM messages), 0),"
    " coalesce((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'last_id'), 0))"
    " UNION ALL SELECT 'last_conv', max(coalesce((SELECT max(conv) FROM conversations), 0),"
    " coalesce((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'last_conv'), 0))";

struct purged {
	int64_t convs, msgs, transfers, room, open;
};

/*
 * One statement with ?1 bound (and ?2 to @limit): the rows it deleted, or a SELECT's count, in
 * *@ret_n. 0 or -1.
 */
static int run(const struct storefile *sf, const struct ctl *c, const char *sql, int64_t limit,
	       int64_t *ret_n)
{
	sqlite3_stmt *st = NULL;
	int r;

	*ret_n = 0;
	if (!sql)
		return 0;
	if (sqlite3_prepare_v2(sf->db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (c->customer)
		sqlite3_bind_text(st, 1, c->customer, -1, SQLITE_STATIC);
	else
		sqlite3_bind_int64(st, 1, c->before_ms);
	sqlite3_bind_int64(st, 2, limit);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW)
		*ret_n = sqlite3_column_int64(st, 0);
	else if (r == SQLITE_DONE)
		*ret_n = sqlite3_changes(sf->db);
	sqlite3_finalize(st);
	return r == SQLITE_ROW || r == SQLITE_DONE ? 0 : -1;
}

static const char *plural(int64_t n)
{
	return n == 1 ? "" : "s";
}

/* One chunk, one transaction: at most CHUNK rows, added to @n once committed. 0 or -1, said. */
static int chunk(const struct storefile *sf, const struct ctl *c, const struct purge_sql *q,
		 struct purged *n, int64_t *ret_rows)
{
	struct purged d = { 0 };

	if (sqlite3_exec(sf->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
		storefile_error(sf, "cannot begin the purge");
		return -1;
	}
	if (sqlite3_exec(sf->db, counters_sql, NULL, NULL, NULL) != SQLITE_OK ||
	    run(sf, c, q->msgs, CHUNK, &d.msgs) < 0 ||
	    run(sf, c, q->transfers, CHUNK - d.msgs, &d.transfers) < 0 ||
	    run(sf, c, q->convs, CHUNK - d.msgs - d.transfers, &d.convs) < 0 ||
	    run(sf, c, q->room, CHUNK - d.msgs - d.transfers - d.convs, &d.room) < 0 ||
	    sqlite3_exec(sf->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		if (n->msgs + n->transfers + n->convs + n->room == 0) {
			storefile_error(sf, "purge failed, nothing was deleted");
		} else {
			storefile_error(sf, "purge failed part-way");
			ctl_error("%s: deleted before that: %" PRId64 " conversation%s (%" PRId64
				  " message%s), %" PRId64 " room message%s; run the purge again",
				  sf->path, n->convs, plural(n->convs), n->msgs, plural(n->msgs),
				  n->room, plural(n->room));
		}
		sqlite3_exec(sf->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	n->msgs += d.msgs;
	n->transfers += d.transfers;
	n->convs += d.convs;
	n->room += d.room;
	*ret_rows = d.msgs + d.transfers + d.convs + d.room;
	return 0;
}

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Sleep @us microseconds: the daemon's turn at the write lock. */
static void pause_us(int64_t us)
{
	struct timespec ts = { .tv_sec = us / 1000000, .tv_nsec = us % 1000000 * 1000 };

	nanosleep(&ts, NULL);
}

static int purge(const struct storefile *sf, const struct ctl *c, struct purged *n)
{
	const struct purge_sql *q = c->customer ? &by_customer : &by_age;
	int64_t rows = CHUNK, t;

	if (sqlite3_exec(sf->db, "PRAGMA secure_delete = ON", NULL, NULL, NULL) != SQLITE_OK)
		return storefile_error(sf, "cannot begin the purge");
	/* A chunk that took fewer rows than it could found all there was. */
	while (rows == CHUNK) {
		t = now_us();
		if (chunk(sf, c, q, n, &rows) < 0)
			return CTL_ERROR;
		/*
		 * Off the lock as long as it was held, 10 ms at least: the daemon's busy handler,
		 * which looks again every few to 50 milliseconds, finds it free.
		 */
		t = now_us() - t;
		if (rows == CHUNK)
			pause_us(t > 10000 ? t : 10000);
	}
	if (run(sf, c, q->sessions, 0, &t) < 0)
		return storefile_error(sf, "purged, but cannot delete the customer's sessions");
	if (run(sf, c, q->open, 0, &n->open) < 0)
		return storefile_error(sf, "purged, but cannot count the open conversations");
	return CTL_OK;
}

/*
 * Empty the WAL, where the deleted text still is in older copies of its pages. TRUNCATE waits
 * (the busy timeout) for the daemon's transaction and readers; if they go on, it is left to
 * the daemon's writes to overwrite it, and said.
 */
static void checkpoint(const struct storefile *sf)
{
	sqlite3_stmt *st = NULL;
	int busy = 1;

	if (sqlite3_prepare_v2(sf->db, "PRAGMA wal_checkpoint(TRUNCATE)", -1, &st, NULL) ==
		SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		busy = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (busy)
		ctl_error(
		    "note: %s-wal could not be emptied now (the daemon was busy); the deleted "
		    "text stays in it until the daemon's writes overwrite it",
		    sf->path);
}

/* Rewrite the file, leaving nothing of the deleted rows in unused space (see the top). */
static int vacuum(const struct storefile *sf)
{
	if (sqlite3_exec(sf->db, "VACUUM", NULL, NULL, NULL) == SQLITE_OK)
		return CTL_OK;
	return storefile_error(sf,
			       "purged, but cannot rewrite the file now, so the deleted "
			       "text may live on in its unused space; run the same purge again");
}

/* --before in a cluster: the room's history is in Redis, and not this command's to purge. */
static void cluster_notice(const struct ctl *c)
{
	struct config cfg;
	const char *file;

	if (c->store || !c->has_before || ctl_config(c, &cfg, &file) < 0 || !cfg.cluster)
		return;
	ctl_error("note: %s: cluster: the room's messages in Redis are not purged here; in a "
		  "cluster they go by an operator's purge command or by history_max_messages",
		  file);
}

int ctl_purge(const struct ctl *c)
{
	struct purged n = { 0 };
	struct storefile sf;
	int r;

	if (!c->customer == !c->has_before)
		return ctl_usage_error(
		    "purge takes --customer NAME or --before WHEN (one of them)");
	if (storefile_open(&sf, c, CTL_WRITE) < 0)
		return CTL_ERROR;
	cluster_notice(c);
	r = purge(&sf, c, &n);
	if (r == CTL_OK && !c->no_vacuum)
		r = vacuum(&sf);
	if (r == CTL_OK) {
		checkpoint(&sf);
		printf("deleted %" PRId64 " conversation%s (%" PRId64 " message%s", n.convs,
		       plural(n.convs), n.msgs, plural(n.msgs));
		/* Said only when there were any: a desk with one agent has none. */
		if (n.transfers)
			printf(", %" PRId64 " transfer%s", n.transfers, plural(n.transfers));
		fputs(")\n", stdout);
		if (c->has_before)
			printf("deleted %" PRId64 " room message%s\n", n.room, plural(n.room));
		if (n.open)
			printf("kept %" PRId64 " open conversation%s: purge again once %s ended\n",
			       n.open, plural(n.open), n.open == 1 ? "it has" : "they have");
	}
	storefile_close(&sf);
	return r;
}
