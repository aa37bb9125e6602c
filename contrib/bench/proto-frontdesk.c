/* SPDX-License-Identifier: ISC */
/*
 * proto-frontdesk.c - frontdesk-bench speaking frontdesk's frames ("LLLL|T|BODY").
 *
 * Members do not opt into notices, so a thousand joins cost the room nothing; one observer
 * does (the first member of a group run, the agent of a relay run), and its notices mark the
 * others ready: "joined mN" in a room (so the room must tell every join: announce_max_members
 * = 0, as compare.sh sets it), "customer NAME" and "queue N" at the desk. An agent peer first
 * answers the listener's challenge with the key given by --key-file.
 *
 * The same frames go over WebSocket (proto-ws.c, --proto frontdesk-ws): there each frame is
 * one text message, so fd_put_frame() hands it to ws_put_message() and proto-ws.c hands each
 * message it receives to fd_scan().
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <frontdesk/frame.h>

#include "auth.h"
#include "bench.h"

int fd_put_frame(struct peer *p, enum fd_frame_type type, const char *body, size_t len)
{
	char hdr[FD_FRAME_HEADER_LEN];
	int r = fd_frame_format_header(hdr, type, len);

	if (r < 0)
		return r;
	if (p->b->o.proto == &proto_frontdesk_ws)
		return ws_put_message(p, hdr, body, len);
	if (peer_write(p, hdr, sizeof(hdr)) < 0 || peer_write(p, body, len) < 0)
		return -ENOMEM;
	return 0;
}

int fd_hello(struct peer *p)
{
	int r;

	if (p->role == PEER_AGENT)
		return 0; /* the challenge comes first */
	r = fd_put_frame(p, FD_FRAME_NICKNAME, p->nick, strlen(p->nick));
	if (r == 0 && p->notices)
		r = fd_put_frame(p, FD_FRAME_COMMAND, "hello notices", 13);
	return r;
}

/* An observer's notice: mark whoever it reports ready. Members are named "m<peer index>". */
static void on_notice(struct peer *p, const char *body, size_t len)
{
	struct bench *b = p->b;
	char text[128];
	unsigned n;

	snprintf(text, sizeof(text), "%.*s", (int)(len < sizeof(text) ? len : sizeof(text) - 1),
		 body);
	if (strncmp(text, "error ", 6) == 0) {
		bench_fail(b, "%s: %s", p->nick, text);
	} else if (p->role == PEER_CHURN) {
		return; /* it asked for notices as a client would, and reads past them */
	} else if (strncmp(text, "welcome ", 8) == 0) {
		bench_ready(b, p);
	} else if (sscanf(text, "joined m%u", &n) == 1 && n < bench_npeers(b)) {
		bench_ready(b, bench_peer(b, n));
	} else if (strncmp(text, "customer ", 9) == 0) {
		for (n = 0; n < bench_npeers(b); n++)
			if (bench_peer(b, n)->role == PEER_CUSTOMER)
				bench_ready(b, bench_peer(b, n));
	} else if (sscanf(text, "queue %u", &n) == 1) {
		/* The queued customers follow the agent and the active customer in b->peers. */
		if (n > 0 && n + 1 < bench_npeers(b))
			bench_ready(b, bench_peer(b, n + 1));
	}
}

static void on_challenge(struct peer *p, const char *body, size_t len)
{
	char answer[AUTH_RESPONSE_LEN + 1];
	const unsigned char *key;
	size_t key_len;

	key = bench_key(p->b, &key_len);
	if (!key || auth_response(key, key_len, body, len, NULL, 0, answer) < 0) {
		bench_fail(p->b, "the agent listener challenged us: give --key-file");
		return;
	}
	fd_put_frame(p, FD_FRAME_RESPONSE, answer, AUTH_RESPONSE_LEN);
	fd_put_frame(p, FD_FRAME_NICKNAME, p->nick, strlen(p->nick));
	fd_put_frame(p, FD_FRAME_COMMAND, "hello notices", 13);
}

ssize_t fd_scan(struct peer *p, const char *buf, size_t len)
{
	size_t at = 0;

	while (len - at >= FD_FRAME_HEADER_LEN) {
		const char *f = buf + at;
		size_t flen = (size_t)(f[0] - '0') * 1000 + (size_t)(f[1] - '0') * 100 +
			      (size_t)(f[2] - '0') * 10 + (size_t)(f[3] - '0');
		const char *body = f + FD_FRAME_HEADER_LEN, *mark;
		size_t blen = flen - FD_FRAME_HEADER_LEN;

		if (flen < FD_FRAME_HEADER_LEN || flen > FD_FRAME_MAX_LEN || f[4] != '|')
			return -EPROTO;
		if (len - at < flen)
			break;
		switch (f[5]) {
		case '2':
			/* "NICK: payload" in a room, the bare payload at the desk */
			mark = memchr(body, PAYLOAD_MARK, blen);
			if (mark)
				bench_delivery(p, mark, blen - (size_t)(mark - body));
			else
				bench_plain_delivery(p, body, blen);
			break;
		case '3':
			if (p->notices)
				on_notice(p, body, blen);
			break;
		case '7':
			on_challenge(p, body, blen);
			break;
		default:
			return -EPROTO;
		}
		at += flen;
	}
	return (ssize_t)at;
}

int fd_send(struct peer *p, const char *payload, size_t len)
{
	return fd_put_frame(p, FD_FRAME_MESSAGE, payload, len);
}

const struct proto proto_frontdesk = {
	.name = "frontdesk",
	.hello = fd_hello,
	.scan = fd_scan,
	.send = fd_send,
	.max_pending = 128,
	.echo = true,
};
