/* SPDX-License-Identifier: ISC */
/*
 * proto-redis.c - frontdesk-bench speaking RESP to redis-server's pub/sub.
 *
 * A member SUBSCRIBEs to its channel ("bench" in a room); the confirmation marks it ready.
 * A connection in subscribed state may not PUBLISH, so each sender publishes through a second
 * connection of its own (role PEER_PUBLISHER), whose replies (":N", subscribers reached) are
 * read and dropped. Deliveries arrive as *3 [message, CHANNEL, PAYLOAD].
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

static int put_command(struct peer *p, const char *verb, const char *arg, const char *data,
		       size_t len)
{
	char head[128];
	int n;

	n = snprintf(head, sizeof(head), "*%d\r\n$%zu\r\n%s\r\n$%zu\r\n%s\r\n", data ? 3 : 2,
		     strlen(verb), verb, strlen(arg), arg);
	if (peer_write(p, head, (size_t)n) < 0)
		return -ENOMEM;
	if (!data)
		return 0;
	n = snprintf(head, sizeof(head), "$%zu\r\n", len);
	if (peer_write(p, head, (size_t)n) < 0 || peer_write(p, data, len) < 0 ||
	    peer_write(p, "\r\n", 2) < 0)
		return -ENOMEM;
	return 0;
}

static int redis_hello(struct peer *p)
{
	if (p->role == PEER_PUBLISHER) {
		bench_ready(p->b, p);
		return 0;
	}
	return put_command(p, "SUBSCRIBE", p->nick, NULL, 0);
}

#define BAD ((const char *)-1)

/* A number ended by CRLF at @s (before @end); the position after the CRLF, or NULL. */
static const char *number(const char *s, const char *end, long *ret)
{
	long v = 0;
	bool neg = false;

	if (s < end && *s == '-') {
		neg = true;
		s++;
	}
	while (s < end && *s >= '0' && *s <= '9')
		v = v * 10 + (*s++ - '0');
	if (end - s < 2)
		return NULL;
	if (s[0] != '\r' || s[1] != '\n')
		return BAD;
	*ret = neg ? -v : v;
	return s + 2;
}

/* One bulk string "$LEN\r\nDATA\r\n"; NULL when incomplete, (char *)-1 when malformed. */
static const char *bulk(const char *s, const char *end, const char **data, long *len)
{
	const char *q;

	if (s >= end)
		return NULL;
	if (*s != '$')
		return BAD;
	q = number(s + 1, end, len);
	if (!q || q == BAD)
		return q;
	if (*len < 0 || end - q < *len + 2)
		return NULL;
	*data = q;
	return q + *len + 2;
}

/* One push "*3 [KIND, CHANNEL, DATA or :COUNT]"; NULL when incomplete, BAD when malformed. */
static const char *push(struct peer *p, const char *s, const char *end)
{
	const char *kind = NULL, *chan = NULL, *data = NULL;
	long n = 0, klen = 0, clen = 0, dlen = 0;

	s = number(s + 1, end, &n);
	if (s && s != BAD && n != 3)
		return BAD;
	if (s && s != BAD)
		s = bulk(s, end, &kind, &klen);
	if (s && s != BAD)
		s = bulk(s, end, &chan, &clen);
	if (s && s != BAD && s < end && *s == ':')
		s = number(s + 1, end, &dlen); /* (un)subscribe: the count of channels */
	else if (s && s != BAD)
		s = bulk(s, end, &data, &dlen);
	if (!s || s == BAD)
		return s;
	if (klen == 7 && memcmp(kind, "message", 7) == 0 && data && *data == PAYLOAD_MARK)
		bench_delivery(p, data, (size_t)dlen);
	else if (klen == 9 && memcmp(kind, "subscribe", 9) == 0)
		bench_ready(p->b, p);
	return s;
}

static ssize_t redis_scan(struct peer *p, const char *buf, size_t len)
{
	const char *s = buf, *end = buf + len, *q;

	while (s < end) {
		switch (*s) {
		case ':': /* PUBLISH's reply: how many heard it */
		case '+':
			q = memchr(s, '\n', (size_t)(end - s));
			q = q ? q + 1 : NULL;
			break;
		case '*':
			q = push(p, s, end);
			break;
		case '-':
			bench_fail(p->b, "redis: %.*s", (int)(end - s < 200 ? end - s : 200), s);
			return -EPROTO;
		default:
			return -EPROTO;
		}
		if (q == BAD)
			return -EPROTO;
		if (!q)
			break;
		s = q;
	}
	return s - buf;
}

static int redis_send(struct peer *p, const char *payload, size_t len)
{
	return put_command(p->pub ? p->pub : p, "PUBLISH", p->target, payload, len);
}

const struct proto proto_redis = {
	.name = "redis",
	.hello = redis_hello,
	.scan = redis_scan,
	.send = redis_send,
	.max_pending = 128,
	.echo = true,
	.separate_publisher = true,
};
