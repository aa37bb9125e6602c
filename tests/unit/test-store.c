/* SPDX-License-Identifier: ISC */
/*
 * test-store.c - the store layer on a real file, without the daemon: a conversation passed
 * between agents (store_conv_transfer()) is queued, written in the batch's transaction, goes
 * with its transcript at retention; and a schema 3 file is migrated to 4.
 *
 * Each test has a store of its own in a fresh directory and reads it back with a second
 * SQLite connection, as frontdeskctl does beside the daemon.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>
#include <sqlite3.h>

#include "clock.h"
#include "store-schema.h"
#include "store.h"

#define DAY_MS (24 * 3600 * INT64_C(1000))

struct fixture {
	char dir[64];
	char path[96];
	struct event_base *base;
	struct store *st;
	int ticks; /* until_pruned(): its looks so far */
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/frontdesk-test-store-XXXXXX");
	if (!mkdtemp(f->dir) || !(f->base = event_base_new()))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/frontdesk.db", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char name[128];

	store_free(f->st, false);
	event_base_free(f->base);
	for (const char *const *s = (const char *const[]){ "", "-wal", "-shm", NULL }; *s; s++) {
		snprintf(name, sizeof(name), "%s%s", f->path, *s);
		unlink(name);
	}
	rmdir(f->dir);
	free(f);
	return 0;
}

static void open_store(struct fixture *f, unsigned max_age)
{
	struct store_options o = {
		.kind = STORE_SQLITE,
		.path = f->path,
		.history_max_age = max_age,
	};

	assert_int_equal(store_open(f->base, &o, &f->st), 0);
}

/* One integer from @sql on a connection of its own (the file as another reader sees it). */
static int64_t query(const struct fixture *f, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	int64_t v = -1;

	assert_int_equal(sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

/* The transfers of @conv as "from>to:why@time|..." (to "-" for the line), in time order. */
static void transfers_text(const struct fixture *f, uint64_t conv, char *buf, size_t size)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	size_t n = 0;

	buf[0] = '\0';
	assert_int_equal(sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db,
					    "SELECT coalesce(from_agent, '-'), coalesce(to_agent,"
					    " '-'), reason, time_ms FROM transfers WHERE conv = ?1"
					    " ORDER BY time_ms, rowid",
					    -1, &s, NULL),
			 SQLITE_OK);
	sqlite3_bind_int64(s, 1, (sqlite3_int64)conv);
	while (sqlite3_step(s) == SQLITE_ROW && n < size)
		n +=
		    (size_t)snprintf(buf + n, size - n, "%s>%s:%s@%lld|", sqlite3_column_text(s, 0),
				     sqlite3_column_text(s, 1), sqlite3_column_text(s, 2),
				     (long long)sqlite3_column_int64(s, 3));
	sqlite3_finalize(s);
	sqlite3_close(db);
}

static void test_transfer_is_written_with_its_batch(void **state)
{
	struct fixture *f = *state;
	uint64_t conv, ticket;
	char got[256];

	open_store(f, 0);
	conv = store_conv_begin(f->st, "bob", 1000);
	store_conv_agent(f->st, conv, "mary");
	assert_int_equal(store_flush(f->st), 0);
	ticket = store_pending(f->st);
	store_conv_transfer(f->st, conv, "mary", "john", "transfer", 2000);
	store_conv_transfer(f->st, conv, "john", NULL, "agent-lost", 3000);
	store_conv_transfer(f->st, conv, NULL, "ann", "answer-timeout", 3000);
	/* Queued, not written: nothing blocks, the batch commits on a later loop turn. */
	assert_int_equal(store_pending(f->st), ticket + 1);
	assert_int_equal(query(f, "SELECT count(*) FROM transfers"), 0);
	assert_int_equal(event_base_loop(f->base, EVLOOP_ONCE | EVLOOP_NONBLOCK), 0);
	assert_int_equal(store_committed(f->st), ticket + 1);
	transfers_text(f, conv, got, sizeof(got));
	assert_string_equal(got, "mary>john:transfer@2000|john>-:agent-lost@3000|"
				 "->ann:answer-timeout@3000|");
	/* The last agent named: back to the line changed nothing, a pass to ann did. */
	assert_int_equal(query(f, "SELECT agent = 'ann' FROM conversations"), 1);
}

static void test_back_to_the_line_keeps_the_agent(void **state)
{
	struct fixture *f = *state;
	uint64_t conv;

	open_store(f, 0);
	conv = store_conv_begin(f->st, "bob", 1000);
	store_conv_agent(f->st, conv, "mary");
	store_conv_transfer(f->st, conv, "mary", NULL, "answer-timeout", 2000);
	store_conv_end(f->st, conv, END_LEFT, 3000, true);
	assert_int_equal(store_flush(f->st), 0);
	assert_int_equal(query(f, "SELECT agent = 'mary' AND end_reason = 'left'"
				  " FROM conversations"),
			 1);
	assert_int_equal(query(f, "SELECT count(*) FROM transfers WHERE to_agent IS NULL"), 1);
}

/* Stop the loop once @f's store holds no transfers (retention took them), or give up. */
static void until_pruned(evutil_socket_t fd, short what, void *arg)
{
	struct fixture *f = arg;
	static const struct timeval tick = { 0, 100000 };

	if (query(f, "SELECT count(*) FROM transfers WHERE conv = 1") == 0 || ++f->ticks > 50)
		event_base_loopbreak(f->base);
	else
		event_base_once(f->base, -1, EV_TIMEOUT, until_pruned, f, &tick);
}

static void test_retention_takes_the_transfers(void **state)
{
	struct fixture *f = *state;
	int64_t long_ago = fd_clock_unix_ms() - 10 * DAY_MS;
	uint64_t old, open;

	open_store(f, 3600);
	old = store_conv_begin(f->st, "bob", long_ago);
	store_conv_transfer(f->st, old, "mary", "john", "transfer", long_ago + 1);
	store_conv_transfer(f->st, old, "john", NULL, "agent-lost", long_ago + 2);
	store_conv_end(f->st, old, END_LEFT, long_ago + 3, false);
	/* Open, however old: it stays, with what it says of its agents. */
	open = store_conv_begin(f->st, "carol", long_ago);
	store_conv_transfer(f->st, open, "mary", "john", "transfer", long_ago + 1);
	assert_int_equal(store_flush(f->st), 0);
	assert_int_equal(query(f, "SELECT count(*) FROM transfers"), 3);
	until_pruned(-1, EV_TIMEOUT, f);
	assert_int_equal(event_base_dispatch(f->base), 0);
	assert_int_equal(query(f, "SELECT count(*) FROM transfers WHERE conv = 1"), 0);
	assert_int_equal(query(f, "SELECT count(*) FROM conversations WHERE conv = 1"), 0);
	assert_int_equal(query(f, "SELECT count(*) FROM transfers WHERE conv = 2"), 1);
	assert_int_equal(query(f, "SELECT count(*) FROM conversations WHERE conv = 2"), 1);
}

static void test_schema_3_is_migrated(void **state)
{
	struct fixture *f = *state;
	sqlite3 *db;

	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(
	    sqlite3_exec(db,
			 STORE_SCHEMA_V1 STORE_MIGRATION_V2 STORE_MIGRATION_V3
			 "INSERT INTO meta VALUES ('epoch', 'e3');"
			 "INSERT INTO conversations (conv, customer, agent, started_ms)"
			 " VALUES (7, 'bob', 'mary', 1000);"
			 "UPDATE conversations SET ended_ms = 2000, end_reason = 'next';"
			 "PRAGMA user_version = 3;",
			 NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	open_store(f, 0);
	assert_int_equal(query(f, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	assert_int_equal(query(f, "SELECT count(*) FROM sqlite_master WHERE name IN"
				  " ('transfers', 'transfers_conv', 'bans')"),
			 3);
	assert_string_equal(store_epoch(f->st), "e3");
	/* The new conversation numbers go on after what the file held; its transfers are kept. */
	assert_int_equal(store_conv_begin(f->st, "ann", 2000), 8);
	store_conv_transfer(f->st, 7, "mary", "john", "transfer", 3000);
	assert_int_equal(store_flush(f->st), 0);
	assert_int_equal(query(f, "SELECT count(*) FROM transfers WHERE conv = 7"), 1);
	assert_int_equal(query(f, "SELECT agent = 'john' FROM conversations WHERE conv = 7"), 1);
}

/* A history read's answer: the flag and text of its one message. */
struct read_back {
	int n;
	bool file;
	char text[128];
};

static void on_read_back(void *arg, const struct store_msg *msgs, size_t n, int err)
{
	struct read_back *rb = arg;

	assert_int_equal(err, 0);
	rb->n = (int)n;
	if (n) {
		rb->file = msgs[n - 1].file;
		snprintf(rb->text, sizeof(rb->text), "%.*s", (int)msgs[n - 1].len,
			 msgs[n - 1].text);
	}
}

/* Version 6: a file message keeps its flag and its SHA-256, which says the file is in use. */
static void test_file_message_is_kept_and_found(void **state)
{
	static const char sha[] =
	    "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
	struct fixture *f = *state;
	char text[128];
	struct store_msg m = { .time_ms = 1000, .from = "bob", .file = true, .text = text };
	struct read_back rb = { 0 };
	uint64_t id;

	open_store(f, 0);
	m.len = (size_t)snprintf(text, sizeof(text), "%s 4 text/plain a b.txt", sha);
	store_add_released(f->st, &m, &id);
	m.file = false; /* the same words as chat: no file of it */
	m.text = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef 1 x/y z";
	m.len = strlen(m.text);
	store_add_released(f->st, &m, &id);
	/* Queued only: not in the file yet, and not waited for (the sweep's grace covers it). */
	assert_int_equal(store_file_used(f->st, sha), 0);
	assert_int_equal(store_flush(f->st), 0);
	assert_int_equal(store_file_used(f->st, sha), 1);
	assert_int_equal(store_file_used(f->st, "0123456789abcdef0123456789abcdef0123456789abcdef"
						"0123456789abcdef"),
			 0);
	assert_int_equal(query(f, "SELECT count(*) FROM messages WHERE file IS NOT NULL"), 1);
	assert_int_equal(store_history(f->st, 0, id, 0, 1, on_read_back, &rb), 0);
	assert_int_equal(event_base_loop(f->base, EVLOOP_ONCE), 0);
	assert_int_equal(rb.n, 1);
	assert_true(rb.file);
	assert_string_equal(rb.text, text);
}

/* Version 5: the room's bans and topic are read back at open; an expired ban is not. */
static void test_bans_and_topic_are_read_at_open(void **state)
{
	struct fixture *f = *state;
	const struct store_ban *v;
	const char *by;
	size_t n;

	open_store(f, 0);
	store_ban_put(f->st,
		      &(struct store_ban){ .spec = "nick:bob", .by = "op", .reason = "spam" });
	store_ban_put(f->st, &(struct store_ban){
				 .spec = "addr:10.0.0.0/8", .by = "op", .reason = "", .until = 1 });
	store_ban_put(f->st, &(struct store_ban){ .spec = "nick:eve", .by = "op", .reason = "" });
	store_ban_del(f->st, "nick:eve");
	store_topic_put(f->st, "op", "be kind");
	assert_int_equal(store_flush(f->st), 0);
	store_free(f->st, true);
	f->st = NULL;
	open_store(f, 0);
	v = store_bans(f->st, &n);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].spec, "nick:bob");
	assert_string_equal(v[0].by, "op");
	assert_string_equal(v[0].reason, "spam");
	assert_int_equal(v[0].until, 0);
	assert_string_equal(store_topic(f->st, &by), "be kind");
	assert_string_equal(by, "op");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_transfer_is_written_with_its_batch, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_back_to_the_line_keeps_the_agent, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_retention_takes_the_transfers, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_schema_3_is_migrated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_message_is_kept_and_found, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bans_and_topic_are_read_at_open, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
