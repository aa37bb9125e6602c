/* SPDX-License-Identifier: ISC */
/*
 * store-sqlite-priv.h - what the two halves of the store's SQL share: store-sqlite.c (the
 * statements, prepared once, and every write and read) and store-open.c (opening, checking,
 * migrating and recovering a store file). Nothing else includes it.
 */
#ifndef FRONTDESK_STORE_SQLITE_PRIV_H
#define FRONTDESK_STORE_SQLITE_PRIV_H

#include <sqlite3.h>

enum stmt_id {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_ADD,
	ST_RELEASE,
	ST_DROP,
	ST_CONV_BEGIN,
	ST_CONV_AGENT,
	ST_CONV_TRANSFER,
	ST_CONV_END,
	ST_HISTORY,
	ST_BY_NAME,
	ST_AFTER,
	ST_AFTER_AGENT,
	ST_NEXT_CONV,
	ST_UNANSWERED,
	ST_NEXT_DONE,
	ST_PRUNE_DUE,
	ST_PRUNE_COUNTERS,
	ST_PRUNE_OLD,
	ST_PRUNE_ENDED,
	ST_PRUNE_TRANSFERS,
	ST_ROOM_NEW,
	ST_PRUNE_ROOM,
	ST_PRUNE_CONVS,
	ST_SESSION_PUT,
	ST_SESSION_DEL,
	ST_STOPPED,
	ST_RESERVE_ID,
	ST_BAN_PUT,
	ST_BAN_DEL,
	ST_META_PUT,
	ST_PURGE,
	ST_FILE_USED,
	ST_MAX,
};

struct sql {
	sqlite3 *db;
	int lock_fd; /* the store file, flock()ed: one daemon per store (sql_open()); -1: none */
	sqlite3_stmt *st[ST_MAX];
	/* Retention's view of the room: at most room_most messages, up to ID room_top. */
	int64_t room_most, room_top;
	struct sql_walsync *walsync; /* the WAL's syncing thread (store-walsync.c); NULL: none */
};

/* sql_errno() - SQLite's result code as a negative errno: what the caller reports and acts on. */
int sql_errno(int rc);
/* msgset_add() - a copy of @m (its from and text too) at the end of @set. */
int msgset_add(struct msgset *set, const struct store_msg *m);
/* sql_prepare_all() - every statement, once, at open; errors logged. */
int sql_prepare_all(struct sql *q, const char *path);

/*
 * sql_walsync_start() - a thread syncs the WAL of the file store @q at @path as it grows, so
 * that the checkpoints on the loop are short; without it (logged), SQLite's own as before.
 */
void sql_walsync_start(struct sql *q, const char *path);
/* sql_walsync_stop() - the thread stopped and joined, before the connection closes. */
void sql_walsync_stop(struct sql *q);

#endif
