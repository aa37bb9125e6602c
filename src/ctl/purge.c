/* SPDX-License-Identifier: ISC */
/*
 * purge.c - "purge": transcripts deleted by customer, or by age together with the room's
 * history older than that, while the daemon keeps running.
 *
 * Only ended conversations go. An open one is still the daemon's (it adds messages to it and
 * will end it), so it is kept and counted, to be purged once it has ended. Everything goes in
 * one transaction, begun IMMEDIATE so that waiting for the daemon's write lock happens up
 * front under the busy timeout, not as a failed read-to-write upgrade half-way. secure_delete
 * makes SQLite overwrite what it deletes, so the text does not live on in free pages; the
 * checkpoint afterwards also empties the WAL, which still holds the pages as they were.
 */
#include <inttypes.h>
#include <stdio.h>

#include "ctl.h"
#include "storefile.h"

/* ?1 is the customer's name or the WHEN in Unix milliseconds. */
struct purge_sql {
	const char *msgs;  /* the purged conversations' messages (first: it reads conversations) */
	const char *convs; /* the conversations */
	const char *room;  /* the room's messages; NULL: none */
	const char *open;  /* counts the open conversations it would take, kept */
};

#define BY_CUSTOMER "customer = ?1 AND end_reason IS NOT NULL"
#define BEFORE      "end_reason IS NOT NULL AND ended_ms < ?1"

static const struct purge_sql by_customer = {
	.msgs = "DELETE FROM messages WHERE conv IN"
		" (SELECT conv FROM conversations WHERE " BY_CUSTOMER ")",
	.convs = "DELETE FROM conversations WHERE " BY_CUSTOMER,
	.room = NULL,
	.open = "SELECT count(*) FROM conversations WHERE customer = ?1 AND end_reason IS NULL",
};

static const struct purge_sql by_age = {
	.msgs =
	    "DELETE FROM messages WHERE conv IN (SELECT conv FROM conversations WHERE " BEFORE ")",
	.convs = "DELETE FROM conversations WHERE " BEFORE,
	.room = "DELETE FROM messages WHERE conv = 0 AND time_ms < ?1",
	.open = "SELECT count(*) FROM conversations WHERE end_reason IS NULL AND started_ms < ?1",
};

struct purged {
	int64_t convs, msgs, room, open;
};

/* One statement of @q with ?1 bound: the rows it deleted, or a SELECT's count. 0 or -1. */
static int run(const struct storefile *sf, const struct ctl *c, const char *sql, int64_t *ret_n)
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
	r = sqlite3_step(st);
	if (r == SQLITE_ROW)
		*ret_n = sqlite3_column_int64(st, 0);
	else if (r == SQLITE_DONE)
		*ret_n = sqlite3_changes(sf->db);
	sqlite3_finalize(st);
	return r == SQLITE_ROW || r == SQLITE_DONE ? 0 : -1;
}

static int purge(const struct storefile *sf, const struct ctl *c, struct purged *n)
{
	const struct purge_sql *q = c->customer ? &by_customer : &by_age;

	if (sqlite3_exec(sf->db, "PRAGMA secure_delete = ON", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(sf->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return storefile_error(sf, "cannot begin the purge");
	if (run(sf, c, q->msgs, &n->msgs) < 0 || run(sf, c, q->convs, &n->convs) < 0 ||
	    run(sf, c, q->room, &n->room) < 0 || run(sf, c, q->open, &n->open) < 0 ||
	    sqlite3_exec(sf->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		storefile_error(sf, "purge failed, nothing was deleted");
		sqlite3_exec(sf->db, "ROLLBACK", NULL, NULL, NULL);
		return CTL_ERROR;
	}
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

static const char *plural(int64_t n)
{
	return n == 1 ? "" : "s";
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
	r = purge(&sf, c, &n);
	if (r == CTL_OK) {
		checkpoint(&sf);
		printf("deleted %" PRId64 " conversation%s (%" PRId64 " message%s)\n", n.convs,
		       plural(n.convs), n.msgs, plural(n.msgs));
		if (c->has_before)
			printf("deleted %" PRId64 " room message%s\n", n.room, plural(n.room));
		if (n.open)
			printf("kept %" PRId64 " open conversation%s: purge again once %s ended\n",
			       n.open, plural(n.open), n.open == 1 ? "it has" : "they have");
	}
	storefile_close(&sf);
	return r;
}
