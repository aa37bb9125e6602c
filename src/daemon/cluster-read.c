/* SPDX-License-Identifier: ISC */
/*
 * cluster-read.c - what comes back from Redis: payloads (on the channel, and in the stream
 * when catching up) delivered once each, and reads of the stream for history and resume.
 */
#include "cluster-priv.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>

#include <frontdesk/frame.h>

#include "clock.h"
#include "log.h"
#include "rlink.h"

/* A payload at its longest: the text, two nicknames, and the numbers before them. */
#define PAYLOAD_MAX (FD_FRAME_BODY_BUFSIZE + 512)

/* The next word of @p (up to @end), cut with a NUL; NULL when there is none. */
static char *word(char **p, char *end)
{
	char *w = *p, *sp = memchr(w, ' ', (size_t)(end - w));

	if (!sp)
		return NULL;
	*sp = '\0';
	*p = sp + 1;
	return w;
}

int bus_parse(char *p, size_t len, struct bus_msg *m)
{
	char *end = p + len, *w[10];

	for (size_t i = 0; i < 10; i++)
		if (!(w[i] = word(&p, end)))
			return -EINVAL;
	*m = (struct bus_msg){
		/* Upper-case: a file message of that kind (cluster-out.c). */
		.kind = (enum bus_kind)tolower((unsigned char)w[0][0]),
		.file = isupper((unsigned char)w[0][0]),
		.id = strtoull(w[1], NULL, 10),
		.time_ms = strtoll(w[2], NULL, 10),
		.node = w[3],
		.run = w[4],
		.a = strtoull(w[6], NULL, 10),
		.b = strtoull(w[7], NULL, 10),
		.from = strcmp(w[8], "-") ? w[8] : "",
		.to = strcmp(w[9], "-") ? w[9] : "",
		.text = p,
		.len = (size_t)(end - p),
	};
	if (m->kind != BUS_MESSAGE && m->kind != BUS_PRIVATE && m->kind != BUS_NOTICE &&
	    m->kind != BUS_CONTROL && m->kind != BUS_DESK)
		return -EINVAL;
	return 0;
}

int read_payload(struct cluster *cl, char *p, size_t len, struct bus_msg *m)
{
	if (bus_parse(p, len, m) < 0)
		return -EINVAL;
	m->mine = strcmp(m->node, cl->node) == 0 && strcmp(m->run, cl->inc) == 0;
	return 0;
}

void read_deliver(struct cluster *cl, const char *p, size_t len)
{
	static char buf[PAYLOAD_MAX + 1];
	struct bus_msg m;

	if (len >= sizeof(buf))
		return;
	memcpy(buf, p, len);
	buf[len] = '\0'; /* the text ends the payload: a notice's is a string */
	if (read_payload(cl, buf, len, &m) < 0) {
		log_warnx("cluster: a payload that makes no sense (%zu bytes) was ignored", len);
		return;
	}
	/*
	 * Notices and the room's controls have no ID; the rest once, in order (the catch-up
	 * overlaps): messages (one without an ID is damaged: dropped as seen), and the desk's
	 * events, which are kept in the stream too.
	 */
	if (m.id || m.kind == BUS_MESSAGE || m.kind == BUS_PRIVATE || m.kind == BUS_DESK) {
		if (m.id <= cl->last_id)
			return;
		cl->last_id = m.id;
	}
	cl->hooks.deliver(cl->arg, &m);
}

const redisReply *bus_entry_payload(const redisReply *e)
{
	const redisReply *f;

	if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
	    e->element[0]->type != REDIS_REPLY_STRING ||
	    (f = e->element[1])->type != REDIS_REPLY_ARRAY)
		return NULL;
	for (size_t i = 0; i + 1 < f->elements; i += 2)
		if (f->element[i]->type == REDIS_REPLY_STRING &&
		    strcmp(f->element[i]->str, "p") == 0 &&
		    f->element[i + 1]->type == REDIS_REPLY_STRING)
			return f->element[i + 1];
	return NULL;
}

int read_entries(struct cluster *cl, const redisReply *r, uint64_t *ret_last)
{
	const redisReply *p;

	if (r->type != REDIS_REPLY_ARRAY)
		return -1;
	for (size_t i = 0; i < r->elements; i++) {
		if (!(p = bus_entry_payload(r->element[i])))
			continue;
		early_until(cl, strtoull(r->element[i]->element[0]->str, NULL, 10));
		read_deliver(cl, p->str, p->len);
	}
	*ret_last = cl->last_id;
	return (int)r->elements;
}

/* A read of the stream for history or resume, until its answer. */
struct read_req {
	struct cluster *cl;
	store_msgs_cb cb;
	void *arg;
	bool newest; /* XREVRANGE: the entries come newest first */
};

static void on_failed_later(evutil_socket_t fd, short what, void *arg)
{
	struct read_req *req = arg;

	req->cb(req->arg, NULL, 0, -ENOTCONN);
	free(req);
}

/* @r's entries as messages, oldest first (history_max_age applied); -1 if @r is no list. */
static int to_msgs(struct read_req *req, const redisReply *r, struct store_msg *msgs, char **bufs)
{
	int64_t oldest = req->cl->max_age_ms ? fd_clock_unix_ms() - req->cl->max_age_ms : 0;
	size_t n = 0;

	for (size_t i = 0; i < r->elements; i++) {
		const redisReply *p =
		    bus_entry_payload(r->element[req->newest ? r->elements - 1 - i : i]);
		struct bus_msg m;

		if (!p || !(bufs[n] = malloc(p->len + 1)))
			continue;
		memcpy(bufs[n], p->str, p->len);
		if (read_payload(req->cl, bufs[n], p->len, &m) < 0 || m.time_ms < oldest) {
			free(bufs[n]);
			continue;
		}
		bufs[n][p->len] = '\0'; /* the text ends the payload: a string for the log */
		msgs[n] = (struct store_msg){ .id = m.id,
					      .time_ms = m.time_ms,
					      .conv = m.kind == BUS_DESK ? m.b : 0,
					      .from_agent = m.kind == BUS_DESK && m.a == 1,
					      .from = m.from,
					      .file = m.file,
					      .text = m.text,
					      .len = m.len };
		n++;
	}
	return (int)n;
}

static void on_read(void *arg, redisReply *r)
{
	struct read_req *req = arg;
	size_t max = r && r->type == REDIS_REPLY_ARRAY ? r->elements : 0;
	struct store_msg *msgs = calloc(max + 1, sizeof(*msgs));
	char **bufs = calloc(max + 1, sizeof(*bufs));
	int n = -1;

	if (r && r->type == REDIS_REPLY_ARRAY && msgs && bufs)
		n = to_msgs(req, r, msgs, bufs);
	if (n < 0)
		req->cb(req->arg, NULL, 0, r ? -EIO : -ENOTCONN);
	else
		req->cb(req->arg, msgs, (size_t)n, 0);
	for (int i = 0; i < n; i++)
		free(bufs[i]);
	free(bufs);
	free(msgs);
	free(req);
}

/* XRANGE or XREVRANGE of the stream from @lo to @hi, @n entries: the answer to @cb. */
static int read_range(struct cluster *cl, uint64_t conv, bool newest, const char *lo,
		      const char *hi, unsigned n, store_msgs_cb cb, void *arg)
{
	struct read_req *req = malloc(sizeof(*req));
	char count[16], key[96];
	const char *argv[] = { newest ? "XREVRANGE" : "XRANGE",
			       key,
			       newest ? hi : lo,
			       newest ? lo : hi,
			       "COUNT",
			       count };

	if (!req)
		return -ENOMEM;
	*req = (struct read_req){ .cl = cl, .cb = cb, .arg = arg, .newest = newest };
	/* The room's stream, or a desk conversation's (cluster-desk.c). */
	if (conv)
		snprintf(key, sizeof(key), "%s:log:%" PRIu64, cl->key_desk, conv);
	else
		snprintf(key, sizeof(key), "%s", cl->key_log);
	snprintf(count, sizeof(count), "%u", n ? n : 1);
	/* Down: the answer is "unavailable", on a later turn as every read's (store.h). */
	if (!cl->ready || rlink_call(cl->cmd, on_read, req, 6, argv, NULL) < 0)
		if (event_base_once(cl->base, -1, EV_TIMEOUT, on_failed_later, req,
				    &(struct timeval){ 0, 0 }) < 0) {
			free(req);
			return -ENOMEM;
		}
	return 0;
}

int cluster_history(struct cluster *cl, uint64_t conv, uint64_t before, uint64_t upto, unsigned n,
		    store_msgs_cb cb, void *arg)
{
	uint64_t hi = upto ? upto : UINT64_MAX;
	char end[32] = "+";

	if (before && before - 1 < hi)
		hi = before - 1;
	if (hi != UINT64_MAX)
		snprintf(end, sizeof(end), "%" PRIu64 "-0", hi);
	return read_range(cl, conv, true, "-", end, n, cb, arg);
}

int cluster_missed(struct cluster *cl, uint64_t conv, uint64_t after, uint64_t upto, unsigned n,
		   store_msgs_cb cb, void *arg)
{
	char start[32], end[32] = "+";

	snprintf(start, sizeof(start), "(%" PRIu64 "-0", after);
	if (upto)
		snprintf(end, sizeof(end), "%" PRIu64 "-0", upto);
	return read_range(cl, conv, false, start, end, n, cb, arg);
}
