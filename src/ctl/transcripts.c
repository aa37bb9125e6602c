/* SPDX-License-Identifier: ISC */
/*
 * transcripts.c - "transcripts" lists the desk's conversations, "transcript ID" prints one
 * with every message it holds, held and dropped ones included, in the order they were
 * accepted (a held message gets its ID later than messages accepted after it), and every time
 * it passed between agents (the transfers): in text among the messages, by time, in JSON as a
 * list of their own. A desk across nodes keeps them in the cluster's Redis instead
 * (transcript-redis.c): ctl_where() says which.
 */
#include <stdio.h>

#include "config.h"
#include "ctl.h"
#include "print.h"
#include "rows.h"
#include "storefile.h"

/*
 * --since: conversations still going on at WHEN or begun after it, so that one that began
 * before and went on past it is not missed. NULL parameters leave a filter out.
 */
static const char list_sql[] = "SELECT " CONV_COLUMNS " FROM conversations c"
			       " WHERE (?1 IS NULL OR c.customer = ?1)"
			       " AND (?2 IS NULL OR c.end_reason IS NULL OR c.ended_ms >= ?2)"
			       " ORDER BY c.started_ms, c.conv";

static const char conv_sql[] = "SELECT " CONV_COLUMNS " FROM conversations c WHERE c.conv = ?1";

static const char msgs_sql[] = "SELECT " MSG_COLUMNS " FROM messages m WHERE m.conv = ?1"
			       " ORDER BY m.seq";

/* In the order they happened; two in one millisecond in the order they were written. */
static const char transfers_sql[] = "SELECT " TRANSFER_COLUMNS " FROM transfers t"
				    " WHERE t.conv = ?1 ORDER BY t.time_ms, t.rowid";

/* Step @st to its end, each row to @each; CTL_OK or the error said. */
static int each_row(const struct storefile *sf, sqlite3_stmt *st, struct printer *p,
		    void (*each)(struct printer *p, sqlite3_stmt *st))
{
	int r;

	while ((r = sqlite3_step(st)) == SQLITE_ROW)
		each(p, st);
	if (r != SQLITE_DONE)
		return storefile_error(sf, "reading");
	return CTL_OK;
}

static void each_conv(struct printer *p, sqlite3_stmt *st)
{
	struct ctl_conv c;

	rows_conv(st, &c);
	print_conv(p, &c);
}

static void each_msg(struct printer *p, sqlite3_stmt *st)
{
	struct ctl_msg m;

	rows_msg(st, &m);
	print_msg(p, &m);
}

static void each_transfer(struct printer *p, sqlite3_stmt *st)
{
	struct ctl_transfer t;

	rows_transfer(st, &t);
	print_transfer(p, &t);
}

/*
 * Text: the messages (in accept order, so by time) and the transfers in one list, merged by
 * time; a transfer comes after the messages of its own millisecond.
 */
static int merged(const struct storefile *sf, sqlite3_stmt *msgs, sqlite3_stmt *transfers,
		  struct printer *p)
{
	int rm = sqlite3_step(msgs), rt = sqlite3_step(transfers);

	while (rm == SQLITE_ROW || rt == SQLITE_ROW) {
		if (rt == SQLITE_ROW && (rm != SQLITE_ROW || sqlite3_column_int64(transfers, 0) <
								 sqlite3_column_int64(msgs, 1))) {
			each_transfer(p, transfers);
			rt = sqlite3_step(transfers);
		} else {
			each_msg(p, msgs);
			rm = sqlite3_step(msgs);
		}
	}
	if (rm != SQLITE_DONE || rt != SQLITE_DONE)
		return storefile_error(sf, "reading");
	return CTL_OK;
}

/* The transcript's body: merged as text, or the two JSON lists one after the other. */
static int body(const struct storefile *sf, sqlite3_stmt *msgs, sqlite3_stmt *transfers,
		struct printer *p)
{
	int r;

	if (!p->json)
		return merged(sf, msgs, transfers, p);
	r = each_row(sf, msgs, p, each_msg);
	if (r == CTL_OK) {
		print_transcript_transfers(p);
		r = each_row(sf, transfers, p, each_transfer);
	}
	return r;
}

int ctl_transcripts(const struct ctl *c)
{
	sqlite3_stmt *st = NULL;
	struct storefile sf;
	struct printer p;
	struct config cfg;
	int r;

	if ((r = ctl_where(c, &cfg, "transcripts")) < 0)
		return CTL_ERROR;
	if (r == CTL_FROM_REDIS)
		return ctl_transcripts_redis(c, &cfg);
	if (storefile_open(&sf, c, CTL_READ) < 0)
		return CTL_ERROR;
	if (sqlite3_prepare_v2(sf.db, list_sql, -1, &st, NULL) != SQLITE_OK) {
		r = storefile_error(&sf, "reading");
		goto out;
	}
	if (c->customer)
		sqlite3_bind_text(st, 1, c->customer, -1, SQLITE_STATIC);
	if (c->has_since)
		sqlite3_bind_int64(st, 2, c->since_ms);
	print_init(&p, stdout, c->json);
	print_list_begin(&p);
	r = each_row(&sf, st, &p, each_conv);
	if (r == CTL_OK)
		print_list_end(&p, "no conversations");
out:
	sqlite3_finalize(st);
	storefile_close(&sf);
	return r;
}

/*
 * The conversation, its messages and its transfers are read in one transaction, so that the
 * counts in the header and the rows below it agree while the daemon goes on writing.
 */
static int transcript(const struct storefile *sf, int64_t conv, bool json)
{
	sqlite3_stmt *head = NULL, *msgs = NULL, *transfers = NULL;
	struct ctl_conv cv;
	struct printer p;
	int r;

	if (sqlite3_prepare_v2(sf->db, conv_sql, -1, &head, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(sf->db, msgs_sql, -1, &msgs, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(sf->db, transfers_sql, -1, &transfers, NULL) != SQLITE_OK) {
		r = storefile_error(sf, "reading");
		goto out;
	}
	sqlite3_bind_int64(head, 1, conv);
	sqlite3_bind_int64(msgs, 1, conv);
	sqlite3_bind_int64(transfers, 1, conv);
	r = sqlite3_step(head);
	if (r != SQLITE_ROW) {
		if (r == SQLITE_DONE)
			ctl_error("%s holds no conversation c%lld", sf->path, (long long)conv);
		else
			storefile_error(sf, "reading");
		r = CTL_ERROR;
		goto out;
	}
	rows_conv(head, &cv);
	print_init(&p, stdout, json);
	print_transcript_begin(&p, &cv);
	r = body(sf, msgs, transfers, &p);
	if (r == CTL_OK)
		print_transcript_end(&p);
out:
	sqlite3_finalize(transfers);
	sqlite3_finalize(msgs);
	sqlite3_finalize(head);
	return r;
}

int ctl_transcript(const struct ctl *c)
{
	struct storefile sf;
	struct config cfg;
	int64_t conv;
	int r;

	if (rows_parse_conv(c->args[0], &conv) < 0)
		return ctl_usage_error("transcript: '%s' is not a conversation (N or cN)",
				       c->args[0]);
	if ((r = ctl_where(c, &cfg, "transcript")) < 0)
		return CTL_ERROR;
	if (r == CTL_FROM_REDIS)
		return ctl_transcript_redis(c, &cfg, conv);
	if (storefile_open(&sf, c, CTL_READ) < 0)
		return CTL_ERROR;
	if (sqlite3_exec(sf.db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
		r = storefile_error(&sf, "reading");
	} else {
		r = transcript(&sf, conv, c->json);
		sqlite3_exec(sf.db, "COMMIT", NULL, NULL, NULL);
	}
	storefile_close(&sf);
	return r;
}
