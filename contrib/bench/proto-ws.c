/* SPDX-License-Identifier: ISC */
/*
 * proto-ws.c - frontdesk-bench's members over WebSocket (--proto frontdesk-ws, --port the
 * daemon's web_listen): the client side of RFC 6455 around proto-frontdesk.c's frames.
 *
 * Once connected a member asks for "GET /ws" with a Sec-WebSocket-Key and an Origin that names
 * the Host (the daemon's rule when web_origins is empty); the answer must be a 101 whose
 * Sec-WebSocket-Accept is the key's. Then it says its frontdesk hello, and each frame either
 * way is one text message: ours masked (section 5.3), the server's unmasked, read with a 7-,
 * 16- or 64-bit length and handed whole to fd_scan(), which must take all of it.
 *
 * Written plainly rather than with wslay's client mode: the generator must stay cheaper than
 * the daemon it drives, and it parses every delivery in place in its one scratch buffer
 * (bench.h). wslay's event API copies each message it receives into a buffer of its own and
 * calls back per frame and per message, and its send side queues copies; the client side of
 * the protocol is a header, a mask and a length, under 200 lines here.
 *
 * The daemon sends every message as one frame (web-ws.c), never pings and closes only on an
 * error, so a continuation frame or a close is reported as the run's failure, with its code
 * and reason. A ping is answered all the same.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "bench.h"

#define WS_FIN      0x80
#define WS_MASK     0x80
#define WS_OP_TEXT  0x1
#define WS_OP_CLOSE 0x8
#define WS_OP_PING  0x9
#define WS_OP_PONG  0xa
/* Most a 101 answer may be before its blank line (the daemon's is about 130 bytes). */
#define WS_HEAD_MAX 4096
/* RFC 6455 section 1.3. */
static const char ws_guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/*
 * The masks: RFC 6455 asks a browser for unpredictable ones, so that script cannot choose the
 * bytes an intermediary sees. The bench runs no one's script; a xorshift seeded from
 * getrandom() is unpredictable enough and costs nothing per message.
 */
static uint64_t mask_state;

static uint32_t next_mask(void)
{
	if (!mask_state &&
	    (getrandom(&mask_state, sizeof(mask_state), 0) != sizeof(mask_state) || !mask_state))
		mask_state = 0x9e3779b97f4a7c15ull;
	mask_state ^= mask_state << 13;
	mask_state ^= mask_state >> 7;
	mask_state ^= mask_state << 17;
	return (uint32_t)mask_state;
}

/* One masked frame: FIN, @opcode, the length, the mask, then @n parts of payload. */
static int put_masked(struct peer *p, unsigned opcode, const char *const *part, const size_t *len,
		      unsigned n)
{
	unsigned char hdr[8], mask[4], buf[FD_FRAME_MAX_LEN];
	size_t total = 0, h = 0, at = 0;
	uint32_t m = next_mask();

	for (unsigned i = 0; i < n; i++)
		total += len[i];
	if (total > sizeof(buf))
		return -EMSGSIZE;
	hdr[h++] = WS_FIN | opcode;
	if (total < 126) {
		hdr[h++] = WS_MASK | (unsigned char)total;
	} else {
		hdr[h++] = WS_MASK | 126;
		hdr[h++] = (unsigned char)(total >> 8);
		hdr[h++] = (unsigned char)total;
	}
	memcpy(mask, &m, sizeof(mask));
	memcpy(hdr + h, mask, sizeof(mask));
	h += sizeof(mask);
	for (unsigned i = 0; i < n; i++)
		for (size_t j = 0; j < len[i]; j++, at++)
			buf[at] = (unsigned char)part[i][j] ^ mask[at & 3];
	if (peer_write(p, hdr, h) < 0 || peer_write(p, buf, total) < 0)
		return -ENOMEM;
	return 0;
}

int ws_put_message(struct peer *p, const char hdr[FD_FRAME_HEADER_LEN], const char *body,
		   size_t len)
{
	const char *part[] = { hdr, body };
	const size_t plen[] = { FD_FRAME_HEADER_LEN, len };

	return put_masked(p, WS_OP_TEXT, part, plen, 2);
}

/* The upgrade request; what its answer's Sec-WebSocket-Accept must be goes into @p. */
static int ws_hello(struct peer *p)
{
	const struct options *o = &p->b->o;
	unsigned char nonce[16], md[SHA_DIGEST_LENGTH];
	char key[32], both[sizeof(key) + sizeof(ws_guid)], req[512];
	int n;

	if (getrandom(nonce, sizeof(nonce), 0) != sizeof(nonce))
		return -EIO;
	EVP_EncodeBlock((unsigned char *)key, nonce, sizeof(nonce));
	n = snprintf(both, sizeof(both), "%s%s", key, ws_guid);
	SHA1((const unsigned char *)both, (size_t)n, md);
	EVP_EncodeBlock((unsigned char *)p->ws_accept, md, sizeof(md));
	n = snprintf(req, sizeof(req),
		     "GET /ws HTTP/1.1\r\nHost: %s:%u\r\nUpgrade: websocket\r\n"
		     "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
		     "Origin: http://%s:%u\r\n\r\n",
		     o->host, o->port, key, o->host, o->port);
	return peer_write(p, req, (size_t)n);
}

/* The answer's head (@len bytes, the blank line included): a 101 with our accept, or fail. */
static int ws_answer(struct peer *p, const char *head, size_t len)
{
	static const char name[] = "\r\nSec-WebSocket-Accept:";
	const char *at = head, *end = head + len, *v;
	size_t alen = strlen(p->ws_accept);

	if (len < 13 || strncmp(head, "HTTP/1.1 101 ", 13) != 0) {
		bench_fail(p->b, "peer %u (%s): no upgrade: %.*s", p->idx, p->nick,
			   (int)strcspn(head, "\r\n"), head);
		return -EPROTO;
	}
	for (; (at = memchr(at, '\r', (size_t)(end - at))); at++) {
		if ((size_t)(end - at) < sizeof(name) - 1 ||
		    strncasecmp(at, name, sizeof(name) - 1) != 0)
			continue;
		for (v = at + sizeof(name) - 1; v < end && (*v == ' ' || *v == '\t'); v++)
			;
		if ((size_t)(end - v) >= alen + 2 && memcmp(v, p->ws_accept, alen) == 0 &&
		    v[alen] == '\r')
			return 0;
		break;
	}
	bench_fail(p->b, "peer %u (%s): the 101 has no Sec-WebSocket-Accept or a wrong one", p->idx,
		   p->nick);
	return -EPROTO;
}

/* A frame from the server: its payload @data of @len bytes, already whole. */
static int ws_frame(struct peer *p, unsigned b0, const char *data, size_t len)
{
	unsigned opcode = b0 & 0x0f;

	switch (opcode) {
	case WS_OP_TEXT:
		if (!(b0 & WS_FIN))
			break;
		if (fd_scan(p, data, len) != (ssize_t)len) {
			bench_fail(p->b,
				   "peer %u (%s): a text message that is not one frame: %.40s",
				   p->idx, p->nick, data);
			return -EPROTO;
		}
		return 0;
	case WS_OP_PING: {
		const char *part[] = { data };

		return put_masked(p, WS_OP_PONG, part, &len, 1);
	}
	case WS_OP_PONG:
		return 0;
	case WS_OP_CLOSE:
		bench_fail(p->b, "peer %u (%s): the server closed the WebSocket (%u): %.*s", p->idx,
			   p->nick,
			   len >= 2 ? (unsigned char)data[0] << 8 | (unsigned char)data[1] : 0,
			   len > 2 ? (int)(len - 2) : 0, data + 2);
		return -EPROTO;
	default:
		break;
	}
	bench_fail(p->b, "peer %u (%s): a fragment or an unknown opcode (0x%x) from the server",
		   p->idx, p->nick, b0);
	return -EPROTO;
}

/* Whole frames at @buf: each one's header read, its payload handed on; the bytes taken. */
static ssize_t ws_frames(struct peer *p, const unsigned char *buf, size_t len)
{
	size_t at = 0;

	while (len - at >= 2) {
		const unsigned char *f = buf + at;
		size_t h = 2, plen = f[1] & 0x7f;

		if ((f[0] & 0x70) || (f[1] & WS_MASK)) {
			bench_fail(p->b, "peer %u (%s): a masked frame or RSV bits from the server",
				   p->idx, p->nick);
			return -EPROTO;
		}
		if (plen == 126) {
			if (len - at < 4)
				break;
			plen = (size_t)f[2] << 8 | f[3];
			h = 4;
		} else if (plen == 127) {
			if (len - at < 10)
				break;
			plen = 0;
			for (unsigned i = 2; i < 10; i++)
				plen = plen << 8 | f[i];
			h = 10;
		}
		if (plen > FD_FRAME_MAX_LEN) {
			bench_fail(p->b, "peer %u (%s): a frame of %zu bytes from the server",
				   p->idx, p->nick, plen);
			return -EPROTO;
		}
		if (len - at - h < plen)
			break;
		if (ws_frame(p, f[0], (const char *)f + h, plen) < 0)
			return -EPROTO;
		at += h + plen;
	}
	return (ssize_t)at;
}

/* Before the 101: its head, then the hello; after: frames. */
static ssize_t ws_scan(struct peer *p, const char *buf, size_t len)
{
	const char *end;
	size_t head;
	ssize_t r;

	if (p->ws_open)
		return ws_frames(p, (const unsigned char *)buf, len);
	end = memmem(buf, len, "\r\n\r\n", 4);
	if (!end) {
		if (len < WS_HEAD_MAX)
			return 0;
		bench_fail(p->b, "peer %u (%s): no end to the answer's head", p->idx, p->nick);
		return -EPROTO;
	}
	head = (size_t)(end - buf) + 4;
	if (ws_answer(p, buf, head) < 0)
		return -EPROTO;
	p->ws_open = true;
	if (fd_hello(p) < 0)
		return -ENOMEM;
	r = ws_frames(p, (const unsigned char *)buf + head, len - head);
	return r < 0 ? r : (ssize_t)head + r;
}

const struct proto proto_frontdesk_ws = {
	.name = "frontdesk-ws",
	.hello = ws_hello,
	.scan = ws_scan,
	.send = fd_send,
	/* web.c takes at most WEB_HEAD_PER_ADDRESS (16) request heads at once from one address */
	.max_pending = 16,
	.echo = true,
};
