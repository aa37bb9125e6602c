/* SPDX-License-Identifier: ISC */
/*
 * history.c - "history": the room's last messages, oldest first, as members joining it would
 * see them: released ones only (a room message is released when it is accepted; conv 0).
 *
 * Where from: --store sqlite:PATH, the store; --redis URL, that Redis; else the daemon's
 * configuration: Redis's stream when it has cluster = redis://... (history-redis.c), where a
 * cluster's room is, else its store.
 */
#include <stdio.h>

#include "config.h"
#include "ctl.h"
#include "print.h"
#include "rows.h"
#include "storefile.h"

/* The newest ?1 by ID (a negative LIMIT is no limit: -n 0), then turned oldest first. */
static const char history_sql[] = "SELECT * FROM (SELECT " MSG_COLUMNS " FROM messages m"
				  " WHERE m.conv = 0 AND m.id IS NOT NULL"
				  " ORDER BY m.id DESC LIMIT ?1) ORDER BY id";

static int history_store(const struct ctl *c)
{
	sqlite3_stmt *st = NULL;
	struct storefile sf;
	struct ctl_msg m;
	struct printer p;
	int r;

	if (storefile_open(&sf, c, CTL_READ) < 0)
		return CTL_ERROR;
	if (sqlite3_prepare_v2(sf.db, history_sql, -1, &st, NULL) != SQLITE_OK) {
		r = storefile_error(&sf, "reading");
		goto out;
	}
	sqlite3_bind_int64(st, 1, c->count ? (sqlite3_int64)c->count : -1);
	print_init(&p, stdout, c->json);
	print_list_begin(&p);
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		rows_msg(st, &m);
		print_msg(&p, &m);
	}
	if (r != SQLITE_DONE) {
		r = storefile_error(&sf, "reading");
		goto out;
	}
	print_list_end(&p, "no messages");
	r = CTL_OK;
out:
	sqlite3_finalize(st);
	storefile_close(&sf);
	return r;
}

int ctl_history(const struct ctl *c)
{
	struct config cfg;

	switch (ctl_where(c, &cfg, "history")) {
	case CTL_FROM_STORE:
		return history_store(c);
	case CTL_FROM_REDIS:
		return ctl_history_redis(c, &cfg);
	default:
		return CTL_ERROR;
	}
}
