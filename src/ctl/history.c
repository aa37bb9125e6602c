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
	const char *file;

	if (c->store)
		return history_store(c);
	if (c->redis && !c->config) {
		/* No configuration: the built-in cluster_name, no password. */
		config_init(&cfg);
		return ctl_history_redis(c, &cfg);
	}
	if (ctl_config(c, &cfg, &file) < 0) {
		ctl_error("no history without a valid configuration (or --store sqlite:PATH, or "
			  "--redis redis://HOST:PORT)");
		return CTL_ERROR;
	}
	if (c->redis || cfg.cluster)
		return ctl_history_redis(c, &cfg);
	return history_store(c);
}
