/* SPDX-License-Identifier: ISC */
/*
 * rows.h - the store's rows as frontdeskctl reads them (the schema is store-schema.h).
 *
 * A query selects CONV_COLUMNS, MSG_COLUMNS or TRANSFER_COLUMNS first, in that order, and
 * rows_conv(), rows_msg() or rows_transfer() read them back. The structs borrow SQLite's column
 * memory: valid until the statement's next step.
 */
#ifndef FRONTDESK_CTL_ROWS_H
#define FRONTDESK_CTL_ROWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

/*
 * A conversation with the number of its messages (held and dropped ones included), of its
 * transfers, and every agent that had it, in the order each first did: names from the
 * transfers (from before to) and the conversation's last agent, joined by ',' (which no
 * nickname holds: nick.h); NULL when none.
 */
#define CONV_COLUMNS                                                                               \
	"c.conv, c.customer, c.agent, c.started_ms, c.ended_ms, c.end_reason, c.for_next_agent, "  \
	"(SELECT count(*) FROM messages m WHERE m.conv = c.conv), "                                \
	"(SELECT count(*) FROM transfers t WHERE t.conv = c.conv), " CONV_AGENTS

#define CONV_AGENTS                                                                                \
	"(SELECT group_concat(a, ',') FROM (SELECT a FROM (SELECT a, row_number() OVER"            \
	" (ORDER BY w, r, k) n FROM (SELECT t.from_agent a, t.time_ms w, t.rowid r, 0 k"           \
	" FROM transfers t WHERE t.conv = c.conv UNION ALL SELECT t.to_agent, t.time_ms,"          \
	" t.rowid, 1 FROM transfers t WHERE t.conv = c.conv UNION ALL SELECT c.agent,"             \
	" 9223372036854775807, 0, 2) WHERE a IS NOT NULL) GROUP BY a ORDER BY min(n)))"

/* A pass between agents; to_agent NULL: back to the line. */
#define TRANSFER_COLUMNS "t.time_ms, t.from_agent, t.to_agent, t.reason"

/* m.file: a file message's SHA-256, NULL for chat (schema 6): only whether it is one is read. */
#define MSG_COLUMNS "m.id, m.time_ms, m.sender, m.from_agent, m.dropped, m.text, m.file IS NOT NULL"

struct ctl_conv {
	int64_t conv;         /* cN */
	const char *customer; /* never NULL */
	const char *agent;    /* NULL: no agent served it */
	int64_t started_ms;
	bool ended;
	int64_t ended_ms;       /* when ended */
	const char *end_reason; /* NULL: still open */
	bool for_next_agent;
	int64_t count;
	int64_t transfers;  /* how many times it passed between agents; -1: not known (Redis) */
	const char *agents; /* "mary,john": see CONV_AGENTS; NULL: none */
};

struct ctl_msg {
	bool released; /* it has an ID */
	int64_t id;
	int64_t time_ms;
	const char *sender;
	bool from_agent;
	bool dropped; /* held, and never to be delivered */
	bool file;    /* a file message: @text is "SHA256 SIZE TYPE NAME" */
	const char *text;
	size_t len;
};

/* A conversation passed from one agent to another, or back to the line (store.h). */
struct ctl_transfer {
	int64_t time_ms;
	const char *from;   /* NULL: it had no agent */
	const char *to;     /* NULL: back to the line */
	const char *reason; /* "transfer", "answer-timeout", "agent-lost" */
};

void rows_conv(sqlite3_stmt *st, struct ctl_conv *c);
void rows_msg(sqlite3_stmt *st, struct ctl_msg *m);
void rows_transfer(sqlite3_stmt *st, struct ctl_transfer *t);

/* rows_parse_conv() - "cN" or "N" (N > 0) as N; 0 or -EINVAL. */
int rows_parse_conv(const char *s, int64_t *ret_conv);

#endif
