/* SPDX-License-Identifier: ISC */
/*
 * rows.h - the store's rows as frontdeskctl reads them (the schema is store-schema.h).
 *
 * A query selects CONV_COLUMNS or MSG_COLUMNS first, in that order, and rows_conv() /
 * rows_msg() read them back. The structs borrow SQLite's column memory: valid until the
 * statement's next step.
 */
#ifndef FRONTDESK_CTL_ROWS_H
#define FRONTDESK_CTL_ROWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

/* A conversation with the number of its messages (held and dropped ones included). */
#define CONV_COLUMNS                                                                               \
	"c.conv, c.customer, c.agent, c.started_ms, c.ended_ms, c.end_reason, c.for_next_agent, "  \
	"(SELECT count(*) FROM messages m WHERE m.conv = c.conv)"

#define MSG_COLUMNS "m.id, m.time_ms, m.sender, m.from_agent, m.dropped, m.text"

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
};

struct ctl_msg {
	bool released; /* it has an ID */
	int64_t id;
	int64_t time_ms;
	const char *sender;
	bool from_agent;
	bool dropped; /* held, and never to be delivered */
	const char *text;
	size_t len;
};

void rows_conv(sqlite3_stmt *st, struct ctl_conv *c);
void rows_msg(sqlite3_stmt *st, struct ctl_msg *m);

/* rows_parse_conv() - "cN" or "N" (N > 0) as N; 0 or -EINVAL. */
int rows_parse_conv(const char *s, int64_t *ret_conv);

#endif
