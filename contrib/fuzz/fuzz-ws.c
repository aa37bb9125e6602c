/* SPDX-License-Identifier: ISC */
/*
 * fuzz-ws.c - libFuzzer harness for WebSocket frames from a client, fed to a wslay context in
 * server mode configured as web-ws.c configures it (the longest message: FD_FRAME_MAX_LEN).
 *
 * The first input byte sets the size of the chunks the rest arrives in (as a socket delivers
 * it, one read at a time); the rest are the client's bytes. What web-ws.c relies on must hold
 * for any of them: wslay never hands over a data message longer than the limit, a text
 * message is well-formed UTF-8 (web-ws.c passes it to the conn, whose own check refuses NUL), and
 * wslay neither fails nor loops: every byte is consumed or the connection is closing.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <frontdesk/frame.h>
#include <wslay/wslay.h>

#include "utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct feed {
	const uint8_t *data;
	size_t size, at, chunk;
	size_t sent; /* bytes wslay wrote: pongs, the close */
};

static ssize_t on_recv(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags, void *user)
{
	struct feed *f = user;
	size_t n = f->size - f->at;

	if (n > f->chunk)
		n = f->chunk;
	if (n > len)
		n = len;
	if (n == 0) {
		wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
		return -1;
	}
	memcpy(buf, f->data + f->at, n);
	f->at += n;
	return (ssize_t)n;
}

static ssize_t on_send(wslay_event_context_ptr ctx, const uint8_t *data, size_t len, int flags,
		       void *user)
{
	struct feed *f = user;

	f->sent += len;
	return (ssize_t)len;
}

/* Well-formed UTF-8 as RFC 6455 means it (NUL included: the conn refuses that, as from TCP). */
static bool utf8_whole(const uint8_t *s, size_t len)
{
	while (len) {
		uint32_t cp;
		size_t n = utf8_decode((const char *)s, len, &cp);

		if (n == 0)
			return false;
		s += n;
		len -= n;
	}
	return true;
}

static void on_message(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *arg,
		       void *user)
{
	if (arg->opcode == WSLAY_TEXT_FRAME || arg->opcode == WSLAY_BINARY_FRAME) {
		if (arg->msg_length > FD_FRAME_MAX_LEN)
			abort();
	}
	if (arg->opcode == WSLAY_TEXT_FRAME && !utf8_whole(arg->msg, arg->msg_length))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct wslay_event_callbacks cb = {
		.recv_callback = on_recv,
		.send_callback = on_send,
		.on_msg_recv_callback = on_message,
	};
	struct feed f = { .data = data + 1, .size = size ? size - 1 : 0 };
	wslay_event_context_ptr ctx;

	if (size == 0)
		return 0;
	f.chunk = (size_t)data[0] + 1;
	if (wslay_event_context_server_init(&ctx, &cb, &f) != 0)
		abort();
	wslay_event_config_set_max_recv_msg_length(ctx, FD_FRAME_MAX_LEN);
	/* One round per chunk, as the socket's read callback runs web_ws_pump(). */
	for (size_t rounds = 0; rounds <= f.size; rounds++) {
		size_t before = f.at;

		if (wslay_event_recv(ctx) != 0 || wslay_event_send(ctx) != 0)
			break;
		if (!wslay_event_want_read(ctx) || f.at == before)
			break;
	}
	wslay_event_context_free(ctx);
	return 0;
}
