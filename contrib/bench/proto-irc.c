/* SPDX-License-Identifier: ISC */
/*
 * proto-irc.c - frontdesk-bench speaking IRC (RFC 2812) to ngircd.
 *
 * A peer registers (NICK, USER) and, as a member, JOINs the channel in the same write; the end
 * of the NAMES list (366) marks it ready, or the welcome (001) for a peer that joins nothing.
 * Senders PRIVMSG the channel (or, relaying, each other). An IRC server does not echo a
 * channel message to its sender, so a message reaches one member fewer than on the others.
 * The server's PINGs are answered.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

static int put(struct peer *p, const char *s)
{
	return peer_write(p, s, strlen(s));
}

static int irc_hello(struct peer *p)
{
	char buf[256];

	snprintf(buf, sizeof(buf), "NICK %s\r\nUSER %s 0 * :bench\r\n", p->nick, p->nick);
	if (p->role == PEER_MEMBER)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "JOIN %s\r\n", p->target);
	return put(p, buf);
}

/* A line without its CRLF. */
static void on_line(struct peer *p, const char *line, size_t len)
{
	const char *sp, *cmd, *text;
	size_t rest;

	if (len >= 5 && memcmp(line, "PING ", 5) == 0) {
		peer_write(p, "PONG ", 5);
		peer_write(p, line + 5, len - 5);
		peer_write(p, "\r\n", 2);
		return;
	}
	if (line[0] != ':' || !(sp = memchr(line, ' ', len)))
		return;
	cmd = sp + 1;
	rest = len - (size_t)(cmd - line);
	if (rest > 8 && memcmp(cmd, "PRIVMSG ", 8) == 0) {
		text = memchr(cmd + 8, ':', rest - 8);
		if (text && text[1] == PAYLOAD_MARK)
			bench_delivery(p, text + 1, len - (size_t)(text + 1 - line));
	} else if (rest > 4 && memcmp(cmd, "366 ", 4) == 0) {
		bench_ready(p->b, p);
	} else if (rest > 4 && memcmp(cmd, "001 ", 4) == 0 && p->role != PEER_MEMBER) {
		bench_ready(p->b, p);
	} else if (rest > 6 && memcmp(cmd, "ERROR ", 6) == 0) {
		bench_fail(p->b, "%s: %.*s", p->nick, (int)len, line);
	} else if (rest > 4 && cmd[0] >= '4' && cmd[0] <= '5' && cmd[3] == ' ') {
		bench_fail(p->b, "%s: %.*s", p->nick, (int)len, line); /* an error numeric */
	}
}

static ssize_t irc_scan(struct peer *p, const char *buf, size_t len)
{
	const char *s = buf, *end = buf + len, *nl;

	while (s < end && (nl = memchr(s, '\n', (size_t)(end - s)))) {
		size_t n = (size_t)(nl - s);

		if (n > 0 && s[n - 1] == '\r')
			n--;
		if (n > 0)
			on_line(p, s, n);
		s = nl + 1;
	}
	if (end - s > 8192)
		return -EPROTO;
	return s - buf;
}

static int irc_send(struct peer *p, const char *payload, size_t len)
{
	if (put(p, "PRIVMSG ") < 0 || put(p, p->target) < 0 || put(p, " :") < 0 ||
	    peer_write(p, payload, len) < 0 || put(p, "\r\n") < 0)
		return -ENOMEM;
	return 0;
}

const struct proto proto_irc = {
	.name = "irc",
	.hello = irc_hello,
	.scan = irc_scan,
	.send = irc_send,
	.max_pending = 8,
	.echo = false,
};
