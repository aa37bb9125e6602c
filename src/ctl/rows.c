/* SPDX-License-Identifier: ISC */
/* rows.c - conversations, messages and transfers read from their columns (rows.h). */
#include "rows.h"

#include <errno.h>

/* A NOT NULL text column SQLite still gave as NULL (a damaged file): read as empty. */
static const char *text_col(sqlite3_stmt *st, int i)
{
	const char *s = (const char *)sqlite3_column_text(st, i);

	return s ? s : "";
}

static const char *text_or_null(sqlite3_stmt *st, int i)
{
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return NULL;
	return text_col(st, i);
}

void rows_conv(sqlite3_stmt *st, struct ctl_conv *c)
{
	c->conv = sqlite3_column_int64(st, 0);
	c->customer = text_col(st, 1);
	c->agent = text_or_null(st, 2);
	c->started_ms = sqlite3_column_int64(st, 3);
	c->ended = sqlite3_column_type(st, 4) != SQLITE_NULL;
	c->ended_ms = sqlite3_column_int64(st, 4);
	c->end_reason = text_or_null(st, 5);
	c->for_next_agent = sqlite3_column_int(st, 6) != 0;
	c->count = sqlite3_column_int64(st, 7);
	c->transfers = sqlite3_column_int64(st, 8);
	c->agents = text_or_null(st, 9);
}

void rows_msg(sqlite3_stmt *st, struct ctl_msg *m)
{
	m->released = sqlite3_column_type(st, 0) != SQLITE_NULL;
	m->id = sqlite3_column_int64(st, 0);
	m->time_ms = sqlite3_column_int64(st, 1);
	m->sender = text_col(st, 2);
	m->from_agent = sqlite3_column_int(st, 3) != 0;
	m->dropped = sqlite3_column_int(st, 4) != 0;
	m->text = text_col(st, 5);
	/* After the text itself: sqlite3_column_bytes() counts the form text_col() asked for. */
	m->len = (size_t)sqlite3_column_bytes(st, 5);
	m->file = sqlite3_column_int(st, 6) != 0;
}

void rows_transfer(sqlite3_stmt *st, struct ctl_transfer *t)
{
	t->time_ms = sqlite3_column_int64(st, 0);
	t->from = text_or_null(st, 1);
	t->to = text_or_null(st, 2);
	t->reason = text_col(st, 3);
}

int rows_parse_conv(const char *s, int64_t *ret_conv)
{
	int64_t v = 0;

	if (*s == 'c')
		s++;
	if (*s < '1' || *s > '9')
		return -EINVAL;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > (INT64_MAX - 9) / 10)
			return -EINVAL;
		v = v * 10 + (*s - '0');
	}
	if (*s)
		return -EINVAL;
	*ret_conv = v;
	return 0;
}
