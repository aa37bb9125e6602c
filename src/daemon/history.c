/* SPDX-License-Identifier: ISC */
/* history.c - earlier messages for a peer (see history.h). */
#include "history.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "conn.h"
#include "deliver.h"
#include "log.h"
#include "msglog.h"
#include "nick.h"
#include "server.h"
#include "store.h"

/* What a read needs to find its peer again: the conn may be gone by the time it completes. */
struct history_req {
	struct server *server;
	uint64_t conn_id;
	bool on_join;               /* an empty history on joining says nothing at all */
	char by_name[NICK_BUFSIZE]; /* "earlier": the customer's name, which is all that matched */
};

/*
 * The first of @msgs to send: the newest that fit in half of soft_output_bytes (an answer goes
 * out at once, so it must stay well inside the output bound).
 */
static size_t first_fitting(const struct server *s, const struct store_msg *msgs, size_t n)
{
	size_t budget = s->config.soft_output_bytes / 2, used = 0, first = n;

	while (first > 0 && used + msgs[first - 1].len + 64 <= budget)
		used += msgs[--first].len + 64;
	return first;
}

/* Send the newest of @msgs that fit (first_fitting()), oldest first, between the markers. */
static void on_history(void *arg, const struct store_msg *msgs, size_t n, int err)
{
	struct history_req *req = arg;
	struct conn *c = server_find_conn(req->server, req->conn_id);
	size_t first = first_fitting(req->server, msgs, n), count = 0;
	char by_name[NICK_BUFSIZE + 16] = "";
	struct evbuffer *live;
	bool on_join = req->on_join;

	if (req->by_name[0])
		snprintf(by_name, sizeof(by_name), " by-name %s", req->by_name);
	free(req);
	if (!c)
		return;
	for (size_t i = first; i < n; i++)
		count += deliver_takes(c, &msgs[i]); /* what it is sent: no file without "files" */
	/* Capable clients get the markers whatever (a point to sync on); nc users no noise. */
	if (on_join && count == 0 && c->proto == PROTO_LINE) {
		deliver_release(c);
		return;
	}
	live = deliver_set_aside(c);
	if (err < 0)
		conn_error(c, "store-unavailable", "history cannot be read now");
	else
		conn_notice(c, "history-start %zu%s", count, by_name);
	for (size_t i = first; err == 0 && i < n && conn_live(c); i++)
		deliver_msg(c, 0, &msgs[i], msgs[i].conv == 0);
	if (err == 0)
		conn_notice(c, "history-end");
	deliver_put_back(c, live);
}

/* A request for @c, whose output is held until the answer: NULL (told, released) if none. */
static struct history_req *begin(struct conn *c)
{
	struct history_req *req = calloc(1, sizeof(*req));

	if (req && deliver_hold(c) == 0) {
		req->server = c->server;
		req->conn_id = c->id;
		return req;
	}
	free(req);
	conn_error(c, "out-of-memory", "history cannot be read now");
	return NULL;
}

/* The read for @req could not be queued (@r < 0): undo begin(). */
static void begun(struct conn *c, struct history_req *req, int r)
{
	if (r == 0)
		return;
	free(req);
	deliver_release(c);
	conn_error(c, "out-of-memory", "history cannot be read now");
}

/*
 * Send what the customer wrote since an agent last wrote (of @msgs, the newest that fit), as
 * the messages came: no markers, for an agent that cannot tell a history from live messages.
 */
static void on_unanswered(void *arg, const struct store_msg *msgs, size_t n, int err)
{
	struct history_req *req = arg;
	struct conn *c = server_find_conn(req->server, req->conn_id);
	size_t first = first_fitting(req->server, msgs, n), since = n;
	struct evbuffer *live;

	free(req);
	if (!c)
		return;
	while (since > 0 && !msgs[since - 1].from_agent)
		since--;
	live = deliver_set_aside(c);
	if (err < 0)
		conn_error(c, "store-unavailable", "the conversation so far cannot be read now");
	for (size_t i = first > since ? first : since; err == 0 && i < n && conn_live(c); i++)
		deliver_msg(c, 0, &msgs[i], c->caps & CAP_AGENT);
	deliver_put_back(c, live);
}

void history_send_unanswered(struct conn *c, uint64_t conv)
{
	struct history_req *req = begin(c);

	if (req)
		begun(c, req,
		      msglog_history(c->server, conv, 0, msglog_last_id(c->server), HISTORY_MAX,
				     on_unanswered, req));
}

void history_send(struct conn *c, uint64_t conv, unsigned n, uint64_t before, uint64_t upto,
		  bool on_join)
{
	struct history_req *req = begin(c);

	if (!req)
		return;
	req->on_join = on_join;
	begun(c, req, msglog_history(c->server, conv, before, upto, n, on_history, req));
}

int history_parse(const char *arg, unsigned *ret_n, uint64_t *ret_before)
{
	char *end;
	unsigned long long v;

	*ret_n = 20;
	*ret_before = 0;
	if (*arg >= '1' && *arg <= '9') {
		errno = 0;
		v = strtoull(arg, &end, 10);
		if (errno)
			return -EINVAL; /* more than a number can hold: not a count */
		if (v > HISTORY_MAX)
			v = HISTORY_MAX; /* the server may cap it (7.4) */
		*ret_n = (unsigned)v;
		arg = end;
		if (*arg == ' ')
			arg++;
		else if (*arg)
			return -EINVAL;
	}
	if (!*arg)
		return 0;
	if (strncmp(arg, "before ", 7) != 0 || arg[7] < '1' || arg[7] > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(arg + 7, &end, 10);
	if (*end || errno || v > INT64_MAX)
		return -EINVAL; /* IDs are SQLite integers: none is above INT64_MAX */
	*ret_before = v;
	return 0;
}

void cmd_history(struct conn *c, const char *arg)
{
	int64_t conv = c->server->mode->history_conv ? c->server->mode->history_conv(c) : -1;
	uint64_t before;
	unsigned n;

	if (!(c->caps & CAP_IDS)) {
		conn_error(c, "bad-command", "history needs the ids capability (caps ids)");
		return;
	}
	if (c->gate_hold) {
		conn_error(c, "bad-command", "one history at a time: wait for history-end");
		return;
	}
	if (history_parse(arg, &n, &before) < 0) {
		conn_error(c, "bad-command", "history [N] [before ID]: N and ID are whole numbers");
		return;
	}
	if (conv < 0) {
		conn_notice(c, "history-start 0");
		conn_notice(c, "history-end");
		return;
	}
	history_send(c, (uint64_t)conv, n, before, msglog_last_id(c->server), false);
}

/*
 * earlier NAME [N] [before ID]: for an agent, the messages of the earlier conversations of a
 * customer called NAME (not the one it serves), between "history-start COUNT by-name NAME" and
 * "history-end": the name is all that matched, and anyone may have used it (protocol 7.4).
 */
void cmd_earlier(struct conn *c, const char *arg)
{
	int64_t conv = c->server->mode->history_conv ? c->server->mode->history_conv(c) : -1;

	history_earlier(c, arg, conv > 0 ? (uint64_t)conv : 0);
}

void history_earlier(struct conn *c, const char *arg, uint64_t except)
{
	size_t len = strcspn(arg, " ");
	struct history_req *req;
	uint64_t before;
	unsigned n;

	if (!(c->caps & CAP_IDS) || c->gate_hold) {
		conn_error(c, "bad-command",
			   c->gate_hold ? "one history at a time"
					: "earlier needs the ids capability");
		return;
	}
	if (!fd_nick_valid(arg, len) ||
	    history_parse(arg[len] ? arg + len + 1 : "", &n, &before) < 0) {
		conn_error(c, "bad-command", "earlier NAME [N] [before ID]");
		return;
	}
	if (!(req = begin(c)))
		return;
	memcpy(req->by_name, arg, len);
	begun(c, req,
	      store_history_by_name(c->server->store, req->by_name, except, before, n, on_history,
				    req));
}
