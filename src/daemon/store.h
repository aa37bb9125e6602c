/* SPDX-License-Identifier: ISC */
/*
 * store.h - the durable state: messages with their IDs, desk conversations (transcripts), the
 * epoch. Backends: SQLite on a file (the default), SQLite in memory (store = memory), none.
 *
 * Asynchronous by shape, as the cluster's Redis backend will need: a write is queued and
 * returns at once; every write queued in one loop turn goes into one transaction, committed on
 * a later turn; then the commit hook runs. Reads (history) complete through a callback, after
 * the writes queued before them have committed, so they see them.
 *
 * Commit, then deliver: every write returns the number of its transaction, its ticket. Output
 * that contains a message is appended to a peer only once store_committed() has reached the
 * message's ticket (conn.c gates it; the commit hook opens the gates). Numbers that must be
 * known when the message is formatted, the message ID and the conversation number, are taken
 * from counters the store keeps in memory (loaded at open); the cluster issue will reserve
 * them in blocks from Redis.
 *
 * When a transaction fails (a full disk, an I/O error) nothing of it is kept or delivered: the
 * store keeps the queued writes, retries every second, and the failure hook tells the server,
 * which pauses every reader and tells them "error store-unavailable" until a retry commits.
 */
#ifndef FRONTDESK_STORE_H
#define FRONTDESK_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;
struct store;

enum store_kind {
	STORE_OFF,    /* wave-1 behaviour: nothing kept; IDs from a counter, a new epoch per run */
	STORE_MEMORY, /* SQLite in memory: history while the daemon runs, bounded */
	STORE_SQLITE, /* SQLite on a file, WAL */
};

enum store_sync {
	STORE_SYNC_NORMAL, /* survives a crash of the process (WAL, synchronous=NORMAL) */
	STORE_SYNC_FULL,   /* survives a power loss too (synchronous=FULL) */
};

struct store_options {
	enum store_kind kind;
	const char *path; /* STORE_SQLITE */
	enum store_sync sync;
	unsigned history_max_age;      /* seconds; 0 = no limit */
	unsigned history_max_messages; /* 0 = no limit (memory: always bounded) */
};

/* Who ended a desk conversation, as transcripts say it. */
enum store_end {
	END_LEFT,     /* the customer quit or hung up */
	END_NEXT,     /* the agent's "next" */
	END_KICK,     /* the agent's "kick" */
	END_IDLE,     /* customer_idle_timeout */
	END_SHUTDOWN, /* the daemon stopped */
	END_RESTART,  /* found open at start-up: the daemon did not stop cleanly */
};

/* One message as stored: borrowed pointers, valid during the callback that gives it. */
struct store_msg {
	uint64_t id;      /* 0: accepted, not released yet */
	uint64_t seq;     /* its row: held messages read back at start-up (store_session) */
	int64_t time_ms;  /* accept time, Unix milliseconds */
	uint64_t conv;    /* 0: the room; N: desk conversation cN */
	const char *from; /* the sender's nickname (a line member's ip:port) */
	bool from_agent;  /* desk: the agent wrote it */
	bool file;        /* a file message (files.h): text is "SHA256 SIZE TYPE NAME" */
	const char *text;
	size_t len;
};

/*
 * A session that survives a restart (session.h), as the store keeps it: the SHA-256 of its
 * token (hex); for a customer its conversation, open if it was waiting in line (with what it
 * held), else ended (it was being served: back at its place in a new one), and its place.
 */
struct store_session {
	char hash[65];
	char *nick;
	int role;               /* enum conn_role */
	unsigned caps;          /* enum conn_cap bits */
	uint64_t conv;          /* 0: none (or it no longer exists) */
	bool open;              /* @conv is open: it goes on when the customer is back */
	uint64_t place;         /* its place in line: the number of its first conversation */
	uint64_t from_id;       /* the last ID when it began: nothing older was missed */
	struct store_msg *held; /* oldest first, seq set; id 0 */
	size_t nheld;
};

/* A room's ban as the store keeps it (bans.h parses @spec); strings borrowed. */
struct store_ban {
	const char *spec;   /* "nick:NAME", "addr:ADDRESS[/PREFIX]", canonical */
	const char *by;     /* the operator who set it */
	const char *reason; /* "" for none */
	int64_t until;      /* Unix seconds; 0: until it is lifted */
};

/* store_open() - open (create, migrate) the store; errors are logged with what to do. */
int store_open(struct event_base *base, const struct store_options *o, struct store **ret);
/* store_free() - write what is queued; @stopped: a clean stop, said in the store. */
void store_free(struct store *st, bool stopped);

/*
 * Sessions across a restart (store = sqlite only; the others keep none). store_sessions()
 * gives those found at open, and when the last run stopped cleanly (0: it did not); they are
 * the caller's to read until store_sessions_done().
 */
const struct store_session *store_sessions(const struct store *st, size_t *n, int64_t *stopped_ms);
void store_sessions_done(struct store *st);
void store_session_put(struct store *st, const struct store_session *se);
void store_session_del(struct store *st, const char *hash);

/*
 * The room's moderation (issue 15). store_bans() and store_topic() give what open found (the
 * bans in force at open, in the order they were set; the topic, NULL for none); writes keep
 * it across a restart (store = sqlite; the others forget it at exit).
 */
const struct store_ban *store_bans(const struct store *st, size_t *n);
const char *store_topic(const struct store *st, const char **ret_by);
void store_ban_put(struct store *st, const struct store_ban *b);
void store_ban_del(struct store *st, const char *spec);
void store_topic_put(struct store *st, const char *by, const char *text);
/* A purge's outcome: @n of @from's messages went (@err < 0: the store failed). */
typedef void (*store_count_cb)(void *arg, const char *from, const char *by, unsigned n, int err);
/*
 * store_purge() - delete the room messages @from sent since @since_ms, after what is queued
 * (so those too); @by (the operator) is handed back to @cb with how many went.
 */
int store_purge(struct store *st, const char *from, int64_t since_ms, const char *by,
		store_count_cb cb, void *arg);

enum store_kind store_kind(const struct store *st);
/* store_epoch() - the epoch token of this store's IDs (protocol 7.2). */
const char *store_epoch(const struct store *st);
/* store_commit_seconds() - how long the last commit took, BEGIN to COMMIT. */
double store_commit_seconds(const struct store *st);
/* store_last_id() - the highest ID released so far (0: none). */
uint64_t store_last_id(const struct store *st);

/* Tickets: each transaction's number. A write returns its own; 0 means nothing to wait for. */
uint64_t store_committed(const struct store *st);
/* store_pending() - the ticket of what is queued now: committed + 1, or committed if nothing. */
uint64_t store_pending(const struct store *st);
/* store_pruned() - how many rows retention removed since open (a kept file may be unused). */
uint64_t store_pruned(const struct store *st);
/*
 * store_file_used() - whether a message in the store refers to the kept file @sha (its text
 * begins with it, store_msg.file): 1, 0, or -EAGAIN while the store fails to commit (what it
 * queued is not in the file: ask again later) or keeps nothing (off), another negative errno
 * if the read failed. One index seek, synchronous: for the files directory's retention
 * (file-keep.c). Writes merely queued are not waited for: they commit within a loop turn or
 * two, and the sweep spares every file younger than its grace, which covers them.
 */
int store_file_used(struct store *st, const char *sha);
/* store_flush() - commit what is queued now (shutdown). Return 0 or a negative errno. */
int store_flush(struct store *st);

/* The server's hooks: a transaction committed; writes failed (@err < 0) or work again (0). */
void store_set_hooks(struct store *st, void (*committed)(void *arg),
		     void (*failing)(void *arg, int err), void *arg);

/* A room message, released at once: *@ret_id is its ID. */
uint64_t store_add_released(struct store *st, const struct store_msg *m, uint64_t *ret_id);
/*
 * store_reserve_id() - an ID for a message that is not kept (a private message in the room):
 * *@ret_id. Only the counter is written, so that the ID is never given again, even after a
 * crash; deliver the message once the ticket returned has committed, as any other.
 */
uint64_t store_reserve_id(struct store *st, uint64_t *ret_id);
/* A desk message, accepted and held (no ID yet): *@ret_seq names it for store_release(). */
uint64_t store_add_held(struct store *st, const struct store_msg *m, uint64_t *ret_seq);
/* store_release() - held message @seq is released now: *@ret_id is its ID. */
uint64_t store_release(struct store *st, uint64_t seq, uint64_t *ret_id);
/* store_drop_held() - @from's held messages in @conv will never be delivered (marked so). */
uint64_t store_drop_held(struct store *st, uint64_t conv, const char *from);

/* Desk conversations: begin returns its number N (cN); the agent is set when it is served. */
uint64_t store_conv_begin(struct store *st, const char *customer, int64_t time_ms);
void store_conv_agent(struct store *st, uint64_t conv, const char *agent);
/*
 * store_conv_transfer() - conversation @conv passed from agent @from (NULL: none) to agent @to
 * (NULL: back to the line) because of @why ("transfer", "answer-timeout", "agent-lost"): the
 * transcript says so, in place among its messages (a row of transfers, schema 4). With @to
 * set, the conversation's agent becomes @to in the same write, so a transcript always names
 * the last agent and the caller need not call store_conv_agent() too (it may: no harm). Back
 * to the line, the agent stays @from until store_conv_agent() names the next one; until then
 * a restart treats the conversation as one an agent had (ended "restart", what is unanswered
 * goes to the next agent), not as a customer's still waiting in line.
 */
void store_conv_transfer(struct store *st, uint64_t conv, const char *from, const char *to,
			 const char *why, int64_t time_ms);
/*
 * store_conv_end() - conversation @conv ended. @for_next_agent: no agent saw its end; what the
 * customer said that no agent answered is given to the next agent (store_offline_next()).
 */
void store_conv_end(struct store *st, uint64_t conv, enum store_end why, int64_t time_ms,
		    bool for_next_agent);

/*
 * Reads. The callback runs on a later loop turn, after the writes queued before the call have
 * committed; @err < 0 when the read failed. @msgs are oldest first.
 */
typedef void (*store_msgs_cb)(void *arg, const struct store_msg *msgs, size_t n, int err);
/*
 * store_history() - up to @n messages of conversation @conv with an ID below @before (0: no
 * bound) and at most @upto (0: no bound), the newest ones, given oldest first.
 */
int store_history(struct store *st, uint64_t conv, uint64_t before, uint64_t upto, unsigned n,
		  store_msgs_cb cb, void *arg);
/*
 * store_missed() - what a resumed session missed: up to @n messages of conversation @conv with
 * an ID above @after and at most @upto, the oldest ones, oldest first.
 */
int store_missed(struct store *st, uint64_t conv, uint64_t after, uint64_t upto, unsigned n,
		 store_msgs_cb cb, void *arg);
/*
 * store_missed_by_agent() - the same across the open conversations of agent @agent (an agent
 * holding several): what it missed in any of them, oldest first.
 */
int store_missed_by_agent(struct store *st, const char *agent, uint64_t after, uint64_t upto,
			  unsigned n, store_msgs_cb cb, void *arg);
/*
 * store_history_by_name() - the same from the desk conversations of a customer called
 * @customer, other than @except: found by the name alone, which another may have used.
 */
int store_history_by_name(struct store *st, const char *customer, uint64_t except, uint64_t before,
			  unsigned n, store_msgs_cb cb, void *arg);
/*
 * store_offline_next() - the oldest conversation after @after kept for the next agent: its
 * customer in *@msgs[0].from with the messages no agent answered, oldest first (held ones are
 * released: they get their IDs now). @n = 0 when there is none. It stays kept until
 * store_offline_done(): an agent that vanishes halfway, or a crash, does not lose it.
 */
int store_offline_next(struct store *st, uint64_t after, store_msgs_cb cb, void *arg);
/* store_offline_done() - conversation @conv was given whole to an agent: no longer kept. */
void store_offline_done(struct store *st, uint64_t conv);

#endif
