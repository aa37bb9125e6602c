/* SPDX-License-Identifier: ISC */
/*
 * store-sqlite.h - the SQL side of the store (store-sqlite.c), used by store.c only: open and
 * migrate, then one call per kind of write or read, each run inside the transaction store.c
 * opens for a batch. Statements are prepared once, at open.
 */
#ifndef FRONTDESK_STORE_SQLITE_H
#define FRONTDESK_STORE_SQLITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

struct sql;

/* Messages read back: owned copies (from and text are malloc'd), freed by msgset_free(). */
struct msgset {
	struct store_msg *v;
	size_t n, cap;
};

void msgset_free(struct msgset *set);
/* sql_sessions_free() - what sql_open() read of the sessions kept across a restart. */
void sql_sessions_free(struct store_session *v, size_t n);

/* What sql_open() learnt: the epoch and where the counters stand. */
struct sql_state {
	char epoch[33];
	uint64_t last_id;   /* the highest message ID */
	uint64_t last_conv; /* the highest conversation number */
	uint64_t last_seq;  /* the highest row number */
	unsigned recovered; /* conversations found open: the daemon had not stopped cleanly */
	int64_t stopped_ms; /* when the last run stopped cleanly; 0: it did not */
	struct store_session *sessions; /* kept across the restart, by conversation */
	size_t nsessions;
	struct store_ban *bans; /* in force at open (strings malloc'd), oldest first */
	size_t nbans;
	char *topic, *topic_by; /* NULL: none */
};

/* sql_room_free() - what sql_open() read of the room's bans and topic. */
void sql_room_free(struct sql_state *state);
/* sql_open() - @path NULL: in memory. Errors are logged with what to do; -errno returned. */
int sql_open(const char *path, enum store_sync sync, struct sql **ret, struct sql_state *state);
void sql_close(struct sql *q);

int sql_begin(struct sql *q);
int sql_commit(struct sql *q);
void sql_rollback(struct sql *q);

int sql_add(struct sql *q, uint64_t seq, const struct store_msg *m);
int sql_release(struct sql *q, uint64_t seq, uint64_t id);
int sql_drop_held(struct sql *q, uint64_t conv, const char *from);
int sql_conv_begin(struct sql *q, uint64_t conv, const char *customer, int64_t time_ms);
int sql_conv_agent(struct sql *q, uint64_t conv, const char *agent);
/* sql_conv_transfer() - a row of transfers; conversations.agent becomes @to unless NULL. */
int sql_conv_transfer(struct sql *q, uint64_t conv, const char *from, const char *to,
		      const char *why, int64_t time_ms);
int sql_conv_end(struct sql *q, uint64_t conv, const char *why, int64_t time_ms,
		 bool for_next_agent);
int sql_history(struct sql *q, uint64_t conv, uint64_t before, uint64_t upto, unsigned n,
		struct msgset *out);
/* sql_after() - up to @n messages of @conv with IDs above @after and at most @upto, oldest. */
int sql_after(struct sql *q, uint64_t conv, uint64_t after, uint64_t upto, unsigned n,
	      struct msgset *out);
/* sql_after_agent() - the same across the open conversations of @agent. */
int sql_after_agent(struct sql *q, const char *agent, uint64_t after, uint64_t upto, unsigned n,
		    struct msgset *out);
int sql_history_by_name(struct sql *q, const char *customer, uint64_t except, uint64_t before,
			unsigned n, struct msgset *out);
/* sql_offline_next() - see store_offline_next(); held messages get IDs from *@last_id on. */
int sql_offline_next(struct sql *q, uint64_t after, uint64_t *last_id, struct msgset *out);
int sql_offline_done(struct sql *q, uint64_t conv);
/*
 * sql_prune() - delete at most @step rows past the retention: room messages older than
 * @before_ms or beyond the newest @keep_room, and transcripts (messages and transfers, then
 * the conversation) whose conversation ended before @ended_before_ms and is not kept for the next
 * agent. 0 means no bound. Return how many rows went, or a negative errno. Index reads come
 * first: when nothing is due it writes nothing and takes no lock.
 */
int sql_session_put(struct sql *q, const struct store_session *se);
int sql_session_del(struct sql *q, const char *hash);
/* sql_stopped() - the daemon stops cleanly now (meta stopped_ms). */
int sql_stopped(struct sql *q, int64_t time_ms);
/* sql_reserve_id() - @id was given to a message no row keeps: meta last_id is at least it. */
int sql_reserve_id(struct sql *q, uint64_t id);
int sql_ban_put(struct sql *q, const struct store_ban *b, int64_t time_ms);
int sql_ban_del(struct sql *q, const char *spec);
int sql_meta_put(struct sql *q, const char *key, const char *value);
/* sql_purge() - delete @sender's room messages since @since_ms; *@ret_n: how many. */
int sql_purge(struct sql *q, const char *sender, int64_t since_ms, unsigned *ret_n);
int sql_prune(struct sql *q, int64_t before_ms, int64_t ended_before_ms, unsigned keep_room,
	      unsigned step);
/* sql_file_used() - 1 if a message refers to the file @sha (messages.file), 0 if none. */
int sql_file_used(struct sql *q, const char *sha);

#endif
