/* SPDX-License-Identifier: ISC */
/* record.c - desk messages held as store records (see record.h). */
#include "record.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>

#include "clock.h"
#include "conn.h"
#include "held.h"
#include "server.h"
#include "store.h"

uint64_t record_conv_begin(struct conn *c)
{
	c->server->stats.conversations++;
	return store_conv_begin(c->server->store, c->nick, fd_clock_unix_ms());
}

void record_store(struct conn *c, uint64_t conv, const struct fd_frame *f, struct store_msg *m)
{
	*m = (struct store_msg){ .time_ms = fd_clock_unix_ms(),
				 .conv = conv,
				 .from = c->nick,
				 .from_agent = c->role == ROLE_AGENT,
				 .file = f->type == FD_FRAME_DATA,
				 .text = f->body,
				 .len = f->len };
	store_add_held(c->server->store, m, &m->seq);
	c->server->stats.messages++;
}

/* @m as a record frame in @body. */
static int make(const struct store_msg *m, char body[FD_FRAME_BODY_BUFSIZE], struct fd_frame *rec)
{
	int n = snprintf(body, FD_FRAME_BODY_BUFSIZE, "%llu %lld ", (unsigned long long)m->seq,
			 (long long)m->time_ms);

	if (n < 0 || (size_t)n + m->len > FD_FRAME_MAX_BODY)
		return -E2BIG; /* cannot be: texts are at most FD_MESSAGE_MAX_TEXT */
	memcpy(body + n, m->text, m->len);
	*rec = (struct fd_frame){ .type = m->file ? FD_FRAME_DATA : FD_FRAME_TAGGED,
				  .body = body,
				  .len = (size_t)n + m->len };
	return 0;
}

int record_put(struct evbuffer *held, const struct store_msg *m)
{
	char body[FD_FRAME_BODY_BUFSIZE];
	struct fd_frame rec;
	int r = make(m, body, &rec);

	return r < 0 ? r : fd_frame_encode(held, rec.type, rec.body, rec.len);
}

int record_hold(struct conn *c, const struct store_msg *m)
{
	char body[FD_FRAME_BODY_BUFSIZE];
	struct fd_frame rec;
	int r = make(m, body, &rec);

	return r < 0 ? r : conn_hold(c, &rec);
}

uint64_t record_release(struct conn *from, uint64_t conv, const struct fd_frame *f,
			struct store_msg *m)
{
	unsigned long long seq = 0;
	long long time_ms = 0;
	int n = 0;

	sscanf(f->body, "%llu %lld %n", &seq, &time_ms, &n);
	*m = (struct store_msg){ .time_ms = time_ms,
				 .conv = conv,
				 .from = from->nick,
				 .from_agent = from->role == ROLE_AGENT,
				 .file = f->type == FD_FRAME_DATA,
				 .text = f->body + n,
				 .len = f->len - (size_t)n };
	from->server->stats.deliveries++; /* a desk message has one recipient */
	return store_release(from->server->store, seq, &m->id);
}
