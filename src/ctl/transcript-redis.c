/* SPDX-License-Identifier: ISC */
/*
 * transcript-redis.c - "transcripts" and "transcript ID" for a desk across nodes (mode =
 * single-agent with cluster = redis://...): its conversations are in the cluster's Redis, not
 * in the node's store, and are printed here as transcripts.c prints them from the store.
 *
 * The keys, under "NAME:desk:" (NAME: cluster_name; cluster-desk.c):
 *   log:N  conversation N's messages, a stream: entries "ID-0", each with one field "p", the
 *          payload "d ID TIME NODE RUN SEQ A B FROM TO TEXT" (cluster-priv.h): A 1 if the
 *          agent said it, B = N, FROM its sender, TO the other side ("-": no agent yet)
 *   c:N    while it is open (deleted when it ends): cu its customer, ag its agent ("" while it
 *          waits), since (ms) when it came
 * Every message there was delivered (a node holds a message until it may go, then publishes
 * it), so none is held or dropped.
 *
 * What Redis does not keep is not made up: how and when a conversation ended (end_reason
 * "unknown", no end time) and its passes between agents (transfer_count null, no transfers);
 * the agents are those its messages name, in the order each first was named, and its agent
 * its hash's while open, else the last one named. An ended conversation's start is its first
 * message's time. "transcripts" lists the conversations that have a stream (something was
 * said in them): the newest LIST_MAX, found with SCAN, each read from its first FIRST_READ
 * messages, its last one, its length and its hash.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster.h"
#include "config.h"
#include "ctl.h"
#include "print.h"
#include "redisconn.h"

#define LIST_MAX   1000    /* conversations "transcripts" lists at most: the newest */
#define KEYS_MAX   1000000 /* stream keys SCAN collects at most */
#define FIRST_READ 16      /* messages read from each listed conversation's start */
#define BATCH      100     /* conversations read in one pipeline */
#define PAGE       1000    /* messages read at once for a transcript */

/* One message of a conversation's stream: its payload copied, then cut up in place. */
struct said {
	struct ctl_msg m;
	const char *customer; /* its customer's name */
	const char *agent;    /* its agent's; "" before one took it */
	char *buf;            /* the payload, which the names and the text point into */
};

/* What the conversation's hash says: set while it is open. */
struct open_conv {
	bool open;
	char customer[CLUSTER_NICK_BUFSIZE];
	char agent[CLUSTER_NICK_BUFSIZE]; /* "" while it waits */
	int64_t since_ms;
};

/* The agents named, in the order each first was, joined by ',' (which no nickname holds). */
struct names {
	char *s; /* NULL: none */
	size_t len;
};

/* A conversation as Redis tells it: @cv borrows from @o, the messages and @agents. */
struct head {
	struct ctl_conv cv;
	struct names agents;
	int64_t last_ms; /* its last message's time; 0: none read */
};

static void key_of(char *key, size_t size, const struct config *cfg, const char *what, int64_t n)
{
	snprintf(key, size, "%s:desk:%s:%" PRId64, cfg->cluster_name, what, n);
}

/* Entry @e as a message of conversation @n: 0; 1 when it is none; -1 once said (no memory). */
static int said_parse(const redisReply *e, int64_t n, struct said *s)
{
	const redisReply *v = bus_entry_payload(e);
	struct bus_msg b;

	s->buf = NULL;
	if (!v)
		return 1;
	if (!(s->buf = malloc(v->len + 1))) {
		ctl_error("out of memory");
		return -1;
	}
	memcpy(s->buf, v->str, v->len);
	s->buf[v->len] = '\0';
	if (bus_parse(s->buf, v->len, &b) < 0 || b.kind != BUS_DESK || b.id == 0 ||
	    b.b != (uint64_t)n) {
		free(s->buf);
		s->buf = NULL;
		return 1;
	}
	s->m = (struct ctl_msg){
		.released = true,
		.id = (int64_t)b.id,
		.time_ms = b.time_ms,
		.sender = b.from,
		.from_agent = b.a == 1,
		.file = b.file,
		.text = b.text,
		.len = b.len,
	};
	s->customer = b.a == 1 ? b.to : b.from;
	s->agent = b.a == 1 ? b.from : b.to;
	return 0;
}

static void said_free_all(struct said *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(s[i].buf);
}

/* @name added unless empty or there already; -1 once said (no memory). */
static int names_add(struct names *l, const char *name)
{
	size_t len = strlen(name);
	const char *p;
	char *s;

	if (!len)
		return 0;
	for (p = l->s; p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
		if (strncmp(p, name, len) == 0 && (p[len] == ',' || !p[len]))
			return 0;
	if (!(s = realloc(l->s, l->len + len + 2))) {
		ctl_error("out of memory");
		return -1;
	}
	if (l->len)
		s[l->len++] = ',';
	memcpy(s + l->len, name, len + 1);
	l->len += len;
	l->s = s;
	return 0;
}

/* HMGET c:N cu ag since's reply @r into @o. */
static void open_read(const redisReply *r, struct open_conv *o)
{
	const redisReply *cu, *ag, *since;

	*o = (struct open_conv){ .open = false };
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 3)
		return;
	cu = r->element[0];
	ag = r->element[1];
	since = r->element[2];
	if (cu->type != REDIS_REPLY_STRING)
		return;
	o->open = true;
	snprintf(o->customer, sizeof(o->customer), "%.*s", (int)cu->len, cu->str);
	if (ag->type == REDIS_REPLY_STRING)
		snprintf(o->agent, sizeof(o->agent), "%.*s", (int)ag->len, ag->str);
	if (since->type == REDIS_REPLY_STRING)
		o->since_ms = strtoll(since->str, NULL, 10);
}

/*
 * Conversation @n from its hash (@o) and the messages read (@s, @ns, in order: all of them, or
 * its first and its last), @count messages in all; -1 once said (no memory).
 */
static int head_of(struct head *h, int64_t n, const struct open_conv *o, const struct said *s,
		   size_t ns, int64_t count)
{
	const char *agent = NULL;

	*h = (struct head){ .cv = { .conv = n, .count = count, .transfers = -1 } };
	for (size_t i = 0; i < ns; i++) {
		if (names_add(&h->agents, s[i].agent) < 0)
			return -1;
		if (s[i].agent[0])
			agent = s[i].agent;
	}
	if (o->open && names_add(&h->agents, o->agent) < 0)
		return -1;
	h->cv.agents = h->agents.s;
	h->last_ms = ns ? s[ns - 1].m.time_ms : 0;
	if (o->open) {
		h->cv.customer = o->customer;
		h->cv.agent = o->agent[0] ? o->agent : NULL;
		h->cv.started_ms = o->since_ms;
		return 0;
	}
	h->cv.customer = ns ? s[0].customer : "?";
	h->cv.agent = agent;
	h->cv.started_ms = ns ? s[0].m.time_ms : 0;
	h->cv.end_reason = "unknown";
	return 0;
}

/* A transcript's messages, all of them, in the order they were accepted. */
struct msgs {
	struct said *s;
	size_t n, cap;
};

/* One page's entries (@r) appended to @ms; -1 once said. */
static int msgs_add(struct msgs *ms, const redisReply *r, int64_t n)
{
	struct said *s;
	int k;

	if (ms->n + r->elements > ms->cap) {
		if (!(s = realloc(ms->s, (ms->n + r->elements) * sizeof(*s)))) {
			ctl_error("out of memory");
			return -1;
		}
		ms->s = s;
		ms->cap = ms->n + r->elements;
	}
	for (size_t i = 0; i < r->elements; i++) {
		if ((k = said_parse(r->element[i], n, &ms->s[ms->n])) < 0)
			return -1;
		ms->n += k == 0;
	}
	return 0;
}

/* The entry ID of @e (an XRANGE entry), or NULL. */
static const char *entry_id(const redisReply *e)
{
	if (e->type != REDIS_REPLY_ARRAY || e->elements < 1 ||
	    e->element[0]->type != REDIS_REPLY_STRING)
		return NULL;
	return e->element[0]->str;
}

/* Stream @key, conversation @n's, into @ms, a page at a time; -1 once said. */
static int read_stream(struct redisconn *t, const char *key, int64_t n, struct msgs *ms)
{
	char start[64] = "-", count[16];
	const char *argv[] = { "XRANGE", key, start, "+", "COUNT", count }, *id;
	redisReply *r;
	int ret = 0;

	snprintf(count, sizeof(count), "%d", PAGE);
	for (;;) {
		if (!(r = redisconn_call(t, key, 6, argv)))
			return -1;
		if (r->type != REDIS_REPLY_ARRAY) {
			ctl_error("Redis at %s: %s: not a conversation's stream", t->where, key);
			ret = -1;
		} else if (msgs_add(ms, r, n) < 0) {
			ret = -1;
		} else if (r->elements == PAGE && (id = entry_id(r->element[PAGE - 1]))) {
			snprintf(start, sizeof(start), "(%s", id);
			freeReplyObject(r);
			continue;
		}
		freeReplyObject(r);
		return ret;
	}
}

/* The hash of conversation @n into @o; -1 once said. */
static int read_open(struct redisconn *t, const struct config *cfg, int64_t n, struct open_conv *o)
{
	char key[96];
	const char *argv[] = { "HMGET", key, "cu", "ag", "since" };
	redisReply *r;

	key_of(key, sizeof(key), cfg, "c", n);
	if (!(r = redisconn_call(t, key, 5, argv)))
		return -1;
	open_read(r, o);
	freeReplyObject(r);
	return 0;
}

/* The header, the messages and (JSON) an empty list of transfers: none are known here. */
static void print_transcript(const struct head *h, const struct msgs *ms, bool json)
{
	struct printer p;

	print_init(&p, stdout, json);
	print_transcript_begin(&p, &h->cv);
	for (size_t i = 0; i < ms->n; i++)
		print_msg(&p, &ms->s[i].m);
	print_transcript_transfers(&p);
	print_transcript_end(&p);
}

/* The hash first: a conversation that ends meanwhile is shown open with all it said. */
int ctl_transcript_redis(const struct ctl *c, struct config *cfg, int64_t conv)
{
	struct open_conv o;
	struct msgs ms = { .s = NULL };
	struct redisconn t;
	struct head h = { .agents = { .s = NULL } };
	char key[96];
	int r;

	if ((r = redisconn_open(&t, c, cfg)) != CTL_OK)
		goto out;
	r = CTL_ERROR;
	key_of(key, sizeof(key), cfg, "log", conv);
	if (read_open(&t, cfg, conv, &o) < 0 || read_stream(&t, key, conv, &ms) < 0)
		goto out;
	if (!o.open && !ms.n) {
		ctl_error("Redis at %s holds no conversation c%" PRId64, t.where, conv);
		goto out;
	}
	if (head_of(&h, conv, &o, ms.s, ms.n, (int64_t)ms.n) < 0)
		goto out;
	print_transcript(&h, &ms, c->json);
	r = CTL_OK;
out:
	free(h.agents.s);
	said_free_all(ms.s, ms.n);
	free(ms.s);
	redisconn_close(&t);
	return r;
}

/* ---- transcripts ---- */

/* The conversation numbers found, newest first once sorted. */
struct nums {
	int64_t *v;
	size_t n, cap;
};

/* "NAME:desk:log:N" (@prefix, then @r's rest) as N into @ns; -1 once said (no memory). */
static int nums_add(struct nums *ns, const redisReply *r, const char *prefix, size_t plen)
{
	char *end;
	int64_t n;

	if (r->type != REDIS_REPLY_STRING || r->len <= plen || memcmp(r->str, prefix, plen) != 0 ||
	    r->str[plen] < '1' || r->str[plen] > '9')
		return 0;
	n = strtoll(r->str + plen, &end, 10);
	if (*end || n <= 0)
		return 0;
	if (ns->n == ns->cap) {
		size_t cap = ns->cap ? ns->cap * 2 : 1024;
		int64_t *v = realloc(ns->v, cap * sizeof(*v));

		if (!v) {
			ctl_error("out of memory");
			return -1;
		}
		ns->v = v;
		ns->cap = cap;
	}
	ns->v[ns->n++] = n;
	return 0;
}

/* One SCAN step's reply @r: its keys into @ns, the next cursor into @cursor; -1 once said. */
static int scan_step(const struct redisconn *t, const redisReply *r, struct nums *ns,
		     const char *prefix, char *cursor, size_t size)
{
	const redisReply *keys;

	if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
	    r->element[0]->type != REDIS_REPLY_STRING || r->element[1]->type != REDIS_REPLY_ARRAY) {
		ctl_error("Redis at %s: SCAN: an answer that makes no sense", t->where);
		return -1;
	}
	snprintf(cursor, size, "%s", r->element[0]->str);
	keys = r->element[1];
	for (size_t i = 0; i < keys->elements && ns->n < KEYS_MAX; i++)
		if (nums_add(ns, keys->element[i], prefix, strlen(prefix)) < 0)
			return -1;
	return 0;
}

/* Every conversation that has a stream (at most KEYS_MAX of them) into @ns; -1 once said. */
static int scan_convs(struct redisconn *t, const struct config *cfg, struct nums *ns)
{
	char prefix[64], match[72], cursor[32] = "0";
	const char *argv[] = { "SCAN", cursor, "MATCH", match, "COUNT", "1000" };
	redisReply *r;
	int ret;

	snprintf(prefix, sizeof(prefix), "%s:desk:log:", cfg->cluster_name);
	snprintf(match, sizeof(match), "%s*", prefix);
	do {
		if (!(r = redisconn_call(t, "SCAN", 6, argv)))
			return -1;
		ret = scan_step(t, r, ns, prefix, cursor, sizeof(cursor));
		freeReplyObject(r);
		if (ret < 0)
			return -1;
		if (ns->n >= KEYS_MAX && strcmp(cursor, "0") != 0) {
			ctl_error(
			    "note: Redis holds more than %d conversations: only %d of them, not "
			    "all the newest, were looked at",
			    KEYS_MAX, KEYS_MAX);
			break;
		}
	} while (strcmp(cursor, "0") != 0);
	return 0;
}

static int newest_first(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x < y) - (x > y);
}

/* Newest first, each once: SCAN may return a key more than once. */
static void nums_sort(struct nums *ns)
{
	size_t j = 0;

	if (ns->n)
		qsort(ns->v, ns->n, sizeof(*ns->v), newest_first);
	for (size_t i = 0; i < ns->n; i++)
		if (!j || ns->v[i] != ns->v[j - 1])
			ns->v[j++] = ns->v[i];
	ns->n = j;
}

/* A listed conversation, its strings its own. */
struct row {
	struct ctl_conv cv;
	char *customer, *agent, *agents;
};

static void rows_free(struct row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(rows[i].customer);
		free(rows[i].agent);
		free(rows[i].agents);
	}
}

/* Queue the reads of conversation @n: its hash, first messages, last message and length. */
static int send_reads(struct redisconn *t, const struct config *cfg, int64_t n)
{
	char c[96], log[96], first[16];
	const char *hash[] = { "HMGET", c, "cu", "ag", "since" },
		   *head[] = { "XRANGE", log, "-", "+", "COUNT", first },
		   *last[] = { "XREVRANGE", log, "+", "-", "COUNT", "1" }, *len[] = { "XLEN", log };

	key_of(c, sizeof(c), cfg, "c", n);
	key_of(log, sizeof(log), cfg, "log", n);
	snprintf(first, sizeof(first), "%d", FIRST_READ);
	if (redisconn_send(t, 5, hash) < 0 || redisconn_send(t, 6, head) < 0 ||
	    redisconn_send(t, 6, last) < 0 || redisconn_send(t, 2, len) < 0)
		return -1;
	return 0;
}

/* The replies of send_reads() into @r[4]; -1 once said (and the rest not read). */
static int recv_reads(struct redisconn *t, redisReply **r)
{
	static const char *const what[] = { "HMGET", "XRANGE", "XREVRANGE", "XLEN" };

	for (int i = 0; i < 4; i++)
		if (!(r[i] = redisconn_reply(t, what[i])))
			return -1;
	return 0;
}

/* Whether @h is one --customer and --since keep. */
static bool wanted(const struct ctl *c, const struct head *h)
{
	if (c->customer && strcmp(c->customer, h->cv.customer) != 0)
		return false;
	/* Still going on at --since, or said something at it or later (its end is unknown). */
	return !c->has_since || !h->cv.end_reason || h->last_ms >= c->since_ms;
}

/* @h as a row of its own into @row; -1 once said (no memory). */
static int row_keep(struct row *row, const struct head *h)
{
	*row = (struct row){ .cv = h->cv };
	row->customer = strdup(h->cv.customer);
	row->agent = h->cv.agent ? strdup(h->cv.agent) : NULL;
	row->agents = h->agents.s ? strdup(h->agents.s) : NULL;
	if (!row->customer || (h->cv.agent && !row->agent) || (h->agents.s && !row->agents)) {
		rows_free(row, 1);
		ctl_error("out of memory");
		return -1;
	}
	row->cv.customer = row->customer;
	row->cv.agent = row->agent;
	row->cv.agents = row->agents;
	return 0;
}

/* The messages of @r[1] (the first ones) and @r[2] (the last) into @s; how many, or -1. */
static int said_of(redisReply **r, int64_t n, struct said *s)
{
	size_t ns = 0;
	int k;

	for (int j = 1; j <= 2; j++) {
		if (r[j]->type != REDIS_REPLY_ARRAY)
			continue;
		for (size_t i = 0; i < r[j]->elements && ns < FIRST_READ + 1; i++) {
			if ((k = said_parse(r[j]->element[i], n, &s[ns])) < 0) {
				said_free_all(s, ns);
				return -1;
			}
			ns += k == 0;
		}
	}
	return (int)ns;
}

/*
 * Conversation @n from its replies @r: into @rows[*nrows] when --customer and --since keep it
 * and something was said in it (its stream may have gone meanwhile); -1 once said.
 */
static int row_of(const struct ctl *c, redisReply **r, int64_t n, struct row *rows, size_t *nrows)
{
	struct said s[FIRST_READ + 1];
	struct open_conv o;
	struct head h;
	int ns, ret = 0;

	if ((ns = said_of(r, n, s)) < 0)
		return -1;
	open_read(r[0], &o);
	if (ns || o.open) {
		ret = head_of(&h, n, &o, s, (size_t)ns,
			      r[3]->type == REDIS_REPLY_INTEGER ? r[3]->integer : ns);
		if (ret == 0 && wanted(c, &h) && (ret = row_keep(&rows[*nrows], &h)) == 0)
			(*nrows)++;
		free(h.agents.s);
	}
	said_free_all(s, (size_t)ns);
	return ret;
}

/* @ns->v[@from..@to) read in one pipeline, kept ones into @rows; -1 once said. */
static int read_batch(struct redisconn *t, const struct ctl *c, const struct config *cfg,
		      const struct nums *ns, size_t from, size_t to, struct row *rows,
		      size_t *nrows)
{
	redisReply *r[4] = { NULL };
	int ret = 0;

	for (size_t i = from; i < to; i++)
		if (send_reads(t, cfg, ns->v[i]) < 0)
			return -1;
	/* Past LIST_MAX kept, the rest of the batch's replies are read and dropped. */
	for (size_t i = from; i < to && ret == 0; i++) {
		if (recv_reads(t, r) < 0)
			ret = -1;
		else if (*nrows < LIST_MAX && row_of(c, r, ns->v[i], rows, nrows) < 0)
			ret = -1;
		for (int j = 0; j < 4; j++) {
			if (r[j])
				freeReplyObject(r[j]);
			r[j] = NULL;
		}
	}
	return ret;
}

/* The newest LIST_MAX of @ns that --customer and --since keep, newest first; -1 once said. */
static int read_rows(struct redisconn *t, const struct ctl *c, const struct config *cfg,
		     const struct nums *ns, struct row *rows, size_t *nrows)
{
	size_t i;

	for (i = 0; i < ns->n && *nrows < LIST_MAX; i += BATCH)
		if (read_batch(t, c, cfg, ns, i, i + BATCH < ns->n ? i + BATCH : ns->n, rows,
			       nrows) < 0)
			return -1;
	if (*nrows == LIST_MAX && i < ns->n)
		ctl_error("note: the newest %d conversations are listed; Redis holds older ones",
			  LIST_MAX);
	return 0;
}

/* Listed oldest first, as from the store (newest last). */
static void print_rows(const struct row *rows, size_t n, bool json)
{
	struct printer p;

	print_init(&p, stdout, json);
	print_list_begin(&p);
	while (n-- > 0)
		print_conv(&p, &rows[n].cv);
	print_list_end(&p, "no conversations");
}

int ctl_transcripts_redis(const struct ctl *c, struct config *cfg)
{
	struct nums ns = { .v = NULL };
	struct row *rows = NULL;
	struct redisconn t;
	size_t nrows = 0;
	int r;

	if ((r = redisconn_open(&t, c, cfg)) != CTL_OK)
		goto out;
	r = CTL_ERROR;
	if (scan_convs(&t, cfg, &ns) < 0)
		goto out;
	nums_sort(&ns);
	if (!(rows = calloc(LIST_MAX, sizeof(*rows)))) {
		ctl_error("out of memory");
		goto out;
	}
	if (read_rows(&t, c, cfg, &ns, rows, &nrows) == 0) {
		print_rows(rows, nrows, c->json);
		r = CTL_OK;
	}
out:
	if (rows)
		rows_free(rows, nrows);
	free(rows);
	free(ns.v);
	redisconn_close(&t);
	return r;
}
