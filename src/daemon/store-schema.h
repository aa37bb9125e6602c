/* SPDX-License-Identifier: ISC */
/*
 * store-schema.h - the SQLite schema of the store, shared by frontdeskd (store-sqlite.c) and
 * frontdeskctl, which reads the same file beside the running daemon.
 *
 * PRAGMA user_version is the schema version. A store written by a newer frontdesk is refused
 * (never used, never overwritten); an older one is migrated forward by STORE_MIGRATIONS[v],
 * which takes version v to v + 1, in one transaction.
 *
 * messages: one row per accepted message, in accept order (seq). id is the ID given at release
 * (protocol 7.2), NULL while the message is held; dropped = 1 for a held message that will
 * never be delivered (an agent's reply whose customer left). conv 0 is the room; N > 0 is
 * desk conversation cN. time_ms is the accept time (Unix milliseconds).
 * conversations: one per desk conversation (a transcript): who, when, how it ended
 * (end_reason NULL while open), and for_next_agent = 1 while what the customer said there,
 * unanswered, waits for the next agent.
 * meta: key/value; "epoch" is the epoch of the IDs; "last_id" and "last_conv", the highest
 * message ID and conversation number given, written before the rows that hold them are deleted
 * (by frontdeskctl purge, or retention): a restarted daemon goes on from the higher of these
 * and what the tables hold.
 *
 * Version 2: retention finds what is due through indexes, never by scanning: the room's
 * messages by time (conv, time_ms, which also serves what messages_time did) and the
 * conversations by when they ended.
 */
#ifndef FRONTDESK_STORE_SCHEMA_H
#define FRONTDESK_STORE_SCHEMA_H

#define STORE_SCHEMA_VERSION 7

#define STORE_SCHEMA_V1                                                                            \
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"                           \
	"CREATE TABLE messages ("                                                                  \
	" seq INTEGER PRIMARY KEY,"                                                                \
	" id INTEGER UNIQUE,"                                                                      \
	" time_ms INTEGER NOT NULL,"                                                               \
	" conv INTEGER NOT NULL,"                                                                  \
	" sender TEXT NOT NULL,"                                                                   \
	" from_agent INTEGER NOT NULL DEFAULT 0,"                                                  \
	" dropped INTEGER NOT NULL DEFAULT 0,"                                                     \
	" text TEXT NOT NULL);"                                                                    \
	"CREATE INDEX messages_conv ON messages (conv, id);"                                       \
	"CREATE INDEX messages_held ON messages (conv, sender, seq) WHERE id IS NULL;"             \
	"CREATE INDEX messages_time ON messages (time_ms);"                                        \
	"CREATE TABLE conversations ("                                                             \
	" conv INTEGER PRIMARY KEY,"                                                               \
	" customer TEXT NOT NULL,"                                                                 \
	" agent TEXT,"                                                                             \
	" started_ms INTEGER NOT NULL,"                                                            \
	" ended_ms INTEGER,"                                                                       \
	" end_reason TEXT,"                                                                        \
	" for_next_agent INTEGER NOT NULL DEFAULT 0);"                                             \
	"CREATE INDEX conversations_next ON conversations (conv) WHERE for_next_agent = 1;"

#define STORE_MIGRATION_V2                                                                         \
	"DROP INDEX messages_time;"                                                                \
	"CREATE INDEX messages_conv_time ON messages (conv, time_ms);"                             \
	"CREATE INDEX conversations_ended ON conversations (ended_ms);"

/*
 * Version 3: sessions a client may resume (session.h) survive a restart. The token is kept as
 * its SHA-256 only; conv is a customer's conversation (a waiting one's stays open meanwhile),
 * place its place in line (its first conversation's number), from_id the last ID when the
 * session began (nothing older was missed).
 */
#define STORE_MIGRATION_V3                                                                         \
	"CREATE TABLE sessions (token_hash TEXT PRIMARY KEY, nick TEXT NOT NULL,"                  \
	" role INTEGER NOT NULL, caps INTEGER NOT NULL, conv INTEGER NOT NULL DEFAULT 0,"          \
	" place INTEGER NOT NULL DEFAULT 0, from_id INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"

/*
 * Version 4: a conversation can pass from one agent to another (store_conv_transfer()). Each
 * pass is a row of its own, not a column of conversations, as a conversation may pass several
 * times: conversations.agent names the last agent, transfers who had it before, when and why.
 * from_agent NULL: it had none; to_agent NULL: back to the line. reason is "transfer",
 * "answer-timeout" or "agent-lost". Rows are only ever found by conversation: transfers_conv
 * gives a transcript its passes in time order (two in one millisecond by rowid, the order
 * they were written), and lets retention and purge find a conversation's rows without a scan.
 */
#define STORE_MIGRATION_V4                                                                         \
	"CREATE TABLE transfers (conv INTEGER NOT NULL, time_ms INTEGER NOT NULL,"                 \
	" from_agent TEXT, to_agent TEXT, reason TEXT NOT NULL);"                                  \
	"CREATE INDEX transfers_conv ON transfers (conv, time_ms);"

/*
 * Version 5: the room's bans (issue 15) survive a restart. spec is the ban as written,
 * canonical ("nick:bob", "addr:10.0.0.0/8"); until is Unix seconds, 0 until it is lifted. The
 * topic lives in meta ("topic", "topic_by"), which needs no table.
 */
#define STORE_MIGRATION_V5                                                                         \
	"CREATE TABLE bans (spec TEXT PRIMARY KEY, by TEXT NOT NULL, until INTEGER NOT NULL,"      \
	" reason TEXT NOT NULL, time_ms INTEGER NOT NULL) WITHOUT ROWID;"

/*
 * Version 6: file messages (issue 19). file is the SHA-256 (hex) of the file a message refers
 * to, NULL for a chat message; its text is then "SHA256 SIZE TYPE NAME". The partial index
 * answers whether a kept file is still referenced (retention of the files directory) without
 * a scan, and costs nothing for chat messages.
 */
#define STORE_MIGRATION_V6                                                                         \
	"ALTER TABLE messages ADD COLUMN file TEXT;"                                               \
	"CREATE INDEX messages_file ON messages (file) WHERE file IS NOT NULL;"

/*
 * Version 7: the index by time holds the room's messages only. Only the room is found by time
 * (retention by age, purge); a desk message is found by its conversation. Each desk message
 * then writes one index page fewer per commit (three WAL frames, not four: issue 20).
 */
#define STORE_MIGRATION_V7                                                                         \
	"DROP INDEX messages_conv_time;"                                                           \
	"CREATE INDEX messages_room_time ON messages (conv, time_ms) WHERE conv = 0;"

/* STORE_MIGRATIONS[v]: the SQL that takes schema version v to v + 1 (0: an empty file). */
#define STORE_MIGRATIONS                                                                           \
	{                                                                                          \
		STORE_SCHEMA_V1, STORE_MIGRATION_V2, STORE_MIGRATION_V3, STORE_MIGRATION_V4,       \
		    STORE_MIGRATION_V5, STORE_MIGRATION_V6, STORE_MIGRATION_V7                     \
	}

#endif
