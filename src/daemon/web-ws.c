/* SPDX-License-Identifier: ISC */
/*
 * web-ws.c - an upgraded web connection: wslay (server mode) between the socket and a
 * bufferevent pair whose other end is an ordinary conn (see web.h).
 *
 * In: socket bytes are fed to wslay; each complete text message must be exactly one frame
 * "LLLL|T|BODY" and is written to the pair as is, so conn.c decodes and judges it like any
 * frame from TCP. wslay itself enforces RFC 6455: an unmasked client frame gets close 1002,
 * invalid UTF-8 in a text message 1007, a message longer than max_frame 1009, and a close is
 * answered with a close. A binary message carries exactly one type 6 frame (a file's bytes,
 * the one frame type exempt from the UTF-8 rule, issue 19), written to the pair like a text
 * message's frame; the conn judges it (without the capability "files" it is unknown-type).
 * Here: any other binary message gets 1003 (RFC 6455 7.4.1: "an endpoint that understands
 * only text data MAY send this if it receives a binary message"; 1008 would say the peer
 * broke a policy, but that binary is a data type we do not take, not a misbehaviour), a text
 * message that is not one frame 1008, a fragmented message not finished within
 * handshake_timeout 1008, more than WEB_PINGS_PER_SEC pings in a second 1008. A type 6 frame
 * in a text message is let through too (its bytes were UTF-8, so nothing is lost): the
 * conn, not the WebSocket, says which frames a client may send.
 *
 * Out: whole frames the conn writes are read off the pair and sent as text messages, type 6
 * frames as binary ones (their bytes need not be UTF-8, which a text message must be).
 *
 * Bounds, le-proxy.c's way: past WEB_IN_MAX bytes waiting for the conn (it is paused) the
 * socket is not read; past soft_output_bytes unsent on the socket (a peer that does not read,
 * pongs included) neither the socket nor the pair is read, so the conn's own output bounds
 * (max_output_bytes, soft_output_bytes) judge a slow web client as they judge a TCP one. The
 * socket's write low watermark (half of that) turns both back on.
 *
 * End: a pair end's free tells its partner nothing, so web.c's scan asks once a second
 * whether the conn is still there (web_ws_check()); then what it wrote last is sent and the
 * WebSocket closed (1000, or 1001 at shutdown). The other way, the socket's end or a close
 * flushes the pair with BEV_FINISHED, which the conn reads as its peer's EOF.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <wslay/wslay.h>

#include "admit.h"
#include "clock.h"
#include "conn.h"
#include "log.h"
#include "server.h"
#include "web-priv.h"

/* Bytes read from the socket that the conn has not taken yet, past which reading stops. */
#define WEB_IN_MAX (64 * 1024)
/* Bytes of frames taken off the pair at once (take_batch()), unless one frame is longer. */
#define WEB_TAKE_MAX (16 * 1024)
/* Pings answered in one second; one more and the connection is closed (1008). */
#define WEB_PINGS_PER_SEC 50
/* The type digit of the frame a binary message carries: data (a file's bytes, issue 19). */
#define WEB_DATA_TYPE ('0' + FD_FRAME_DATA)

static unsigned out_bound(const struct web_conn *wc)
{
	return wc->web->server->config.soft_output_bytes;
}

static bool out_full(const struct web_conn *wc)
{
	return evbuffer_get_length(bufferevent_get_output(wc->bev)) >= out_bound(wc);
}

static bool in_full(const struct web_conn *wc)
{
	return wc->link && evbuffer_get_length(bufferevent_get_output(wc->link)) >= WEB_IN_MAX;
}

static ssize_t ws_recv(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags, void *user)
{
	struct web_conn *wc = user;
	int n = 0;

	if (!in_full(wc) && !out_full(wc))
		n = evbuffer_remove(bufferevent_get_input(wc->bev), buf, len);
	if (n <= 0) {
		wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
		return -1;
	}
	return n;
}

static ssize_t ws_send(wslay_event_context_ptr ctx, const uint8_t *data, size_t len, int flags,
		       void *user)
{
	struct web_conn *wc = user;

	if (evbuffer_add(bufferevent_get_output(wc->bev), data, len) < 0) {
		wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
		return -1;
	}
	return (ssize_t)len;
}

static void ws_close(struct web_conn *wc, uint16_t code, const char *why)
{
	log_info("%s: WebSocket closed (%u): %s", wc->peer, code, why);
	wslay_event_queue_close(wc->ws, code, (const uint8_t *)why, strlen(why));
}

static void ws_frame_start(wslay_event_context_ptr ctx,
			   const struct wslay_event_on_frame_recv_start_arg *arg, void *user)
{
	struct web_conn *wc = user;
	struct timeval tv = { .tv_sec = wc->web->server->config.handshake_timeout };

	/* A data message's first frame without FIN: the rest must come within the deadline. */
	if (!arg->fin && (arg->opcode == WSLAY_TEXT_FRAME || arg->opcode == WSLAY_BINARY_FRAME)) {
		wc->frag = true;
		evtimer_add(wc->timer, &tv);
	}
}

/* Whether @msg is exactly one frame of the framed protocol: LLLL, its whole length, is @len. */
static bool one_frame(const uint8_t *msg, size_t len)
{
	size_t total = 0;

	if (len < FD_FRAME_HEADER_LEN || msg[4] != '|' || msg[6] != '|')
		return false;
	for (size_t i = 0; i < 4; i++) {
		if (msg[i] < '0' || msg[i] > '9')
			return false;
		total = total * 10 + (size_t)(msg[i] - '0');
	}
	return len == total;
}

static void ping_seen(struct web_conn *wc)
{
	long now = (long)fd_clock_seconds();

	if (now != wc->ping_second) {
		wc->ping_second = now;
		wc->pings = 0;
	}
	if (++wc->pings == WEB_PINGS_PER_SEC + 1)
		ws_close(wc, WSLAY_CODE_POLICY_VIOLATION, "too many pings");
}

static void ws_message(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *arg,
		       void *user)
{
	struct web_conn *wc = user;

	if (arg->opcode == WSLAY_TEXT_FRAME || arg->opcode == WSLAY_BINARY_FRAME) {
		wc->frag = false;
		evtimer_del(wc->timer);
	}
	if (wslay_event_get_close_sent(ctx))
		return; /* closing: nothing more is taken in */
	switch (arg->opcode) {
	case WSLAY_TEXT_FRAME:
		if (!one_frame(arg->msg, arg->msg_length))
			ws_close(wc, WSLAY_CODE_POLICY_VIOLATION, "a message must be one frame");
		else if (wc->link)
			evbuffer_add(bufferevent_get_output(wc->link), arg->msg, arg->msg_length);
		break;
	case WSLAY_BINARY_FRAME:
		if (!one_frame(arg->msg, arg->msg_length) || arg->msg[5] != WEB_DATA_TYPE)
			ws_close(wc, WSLAY_CODE_UNSUPPORTED_DATA,
				 "binary messages carry data frames only");
		else if (wc->link)
			evbuffer_add(bufferevent_get_output(wc->link), arg->msg, arg->msg_length);
		break;
	case WSLAY_PING:
		ping_seen(wc);
		break;
	default:
		break;
	}
}

/*
 * The header of an unmasked, unfragmented message of @len bytes (one frame: < 65536) carrying
 * the frame whose type digit is @type: binary for data, text for the rest.
 */
static size_t message_header(uint8_t *hdr, size_t len, uint8_t type)
{
	hdr[0] = 0x80 | (type == WEB_DATA_TYPE ? WSLAY_BINARY_FRAME : WSLAY_TEXT_FRAME); /* FIN */
	if (len < 126) {
		hdr[1] = (uint8_t)len;
		return 2;
	}
	hdr[1] = 126;
	hdr[2] = (uint8_t)(len >> 8);
	hdr[3] = (uint8_t)len;
	return 4;
}

/* The length of the frame whose header is at @hdr (the conn wrote it: four digits). */
static size_t frame_len(const uint8_t *hdr)
{
	size_t len = 0;

	for (size_t i = 0; i < 4; i++)
		len = len * 10 + (size_t)(hdr[i] - '0');
	return len;
}

/*
 * Whole frames at the front of @in, as messages into the socket's output in one piece
 * (none once a close went); return the bytes taken off @in. The frames taken are those in
 * @in's first chunk (WEB_TAKE_MAX bytes of it at most), so that nothing is copied twice; a
 * frame that straddles two chunks is made whole first.
 */
static size_t take_batch(struct web_conn *wc, struct evbuffer *in)
{
	struct evbuffer *out = bufferevent_get_output(wc->bev);
	size_t have = evbuffer_get_contiguous_space(in), first, taken = 0, w = 0;
	bool closed = wslay_event_get_close_sent(wc->ws);
	uint8_t hdr[FD_FRAME_HEADER_LEN];
	struct evbuffer_iovec v;
	const uint8_t *src;

	if (evbuffer_copyout(in, hdr, sizeof(hdr)) != sizeof(hdr))
		return 0;
	first = frame_len(hdr);
	if (first < FD_FRAME_HEADER_LEN || evbuffer_get_length(in) < first)
		return 0;
	if (have > WEB_TAKE_MAX)
		have = WEB_TAKE_MAX;
	if (have < first)
		have = first;
	src = evbuffer_pullup(in, (ssize_t)have);
	/* Each message's header is at most 4 bytes, and a frame at least FD_FRAME_HEADER_LEN. */
	if (!src ||
	    evbuffer_reserve_space(out, (ssize_t)(have + 4 * (have / sizeof(hdr))), &v, 1) != 1)
		return 0;
	while (have - taken >= sizeof(hdr)) {
		size_t len = frame_len(src + taken), h = 0;

		if (len < FD_FRAME_HEADER_LEN || have - taken < len)
			break;
		if (!closed) {
			h = message_header((uint8_t *)v.iov_base + w, len, src[taken + 5]);
			memcpy((uint8_t *)v.iov_base + w + h, src + taken, len);
			w += h + len;
		}
		taken += len;
	}
	v.iov_len = w;
	evbuffer_commit_space(out, &v, 1);
	evbuffer_drain(in, taken);
	return taken;
}

/*
 * Whole frames the conn wrote, as messages, while the socket has room (give or take one
 * batch). Framed here, not queued to wslay: a server's message is a header and the bytes as
 * they are (no mask), and wslay's queue copied each message into a buffer of its own and
 * handed the header and the payload over in two calls, each a round of evbuffer callbacks,
 * which made a delivery over WebSocket cost 1.8 times one over TCP in the room's fan-out
 * (contrib/bench, SCENARIOS=web). wslay's own frames (pongs, the close) are sent first, so
 * nothing follows a close.
 */
static void take_frames(struct web_conn *wc)
{
	struct evbuffer *in = bufferevent_get_input(wc->link);

	wslay_event_send(wc->ws); /* a failure shows at the next web_ws_pump() */
	while (!out_full(wc) && take_batch(wc, in) > 0)
		;
	if (out_full(wc))
		bufferevent_disable(wc->link, EV_READ);
}

static void on_link_read(struct bufferevent *bev, void *arg)
{
	struct web_conn *wc = arg;

	take_frames(wc);
	web_ws_pump(wc);
}

/* The conn took what was waiting for it: the socket may be read again. */
static void on_link_drained(struct bufferevent *bev, void *arg)
{
	web_ws_pump(arg);
}

static void on_socket_drained(struct bufferevent *bev, void *arg)
{
	struct web_conn *wc = arg;

	if (wc->link) {
		bufferevent_enable(wc->link, EV_READ);
		take_frames(wc);
	}
	web_ws_pump(wc);
}

/* Tell the conn its peer has gone (an EOF on its end of the pair), and let go of the pair. */
static void unlink_conn(struct web_conn *wc)
{
	if (!wc->link)
		return;
	if (bufferevent_pair_get_partner(wc->link))
		bufferevent_flush(wc->link, EV_WRITE, BEV_FINISHED);
	bufferevent_setcb(wc->link, NULL, NULL, NULL, NULL);
	bufferevent_free(wc->link);
	wc->link = NULL;
}

void web_ws_free(struct web_conn *wc)
{
	unlink_conn(wc);
	if (wc->ws) {
		wslay_event_context_free(wc->ws);
		wc->ws = NULL;
	}
}

void web_ws_pump(struct web_conn *wc)
{
	struct timeval tv = { .tv_sec = WEB_CLOSE_TIMEOUT };

	if (wslay_event_recv(wc->ws) != 0 || wslay_event_send(wc->ws) != 0) {
		log_info("%s: WebSocket failed", wc->peer);
		web_conn_free(wc);
		return;
	}
	if (wc->state == WEB_OPEN && wslay_event_get_close_sent(wc->ws)) {
		/* Either side closed: the conn hears its peer's EOF; the peer has a while to
		 * answer. */
		wc->state = WEB_CLOSING;
		evtimer_add(wc->timer, &tv);
		take_frames(wc);
		unlink_conn(wc);
	}
	/* Done: both closes went, or ours did at shutdown, when no answer is waited for. */
	if ((!wslay_event_want_read(wc->ws) || (wc->web->stopping && wc->state == WEB_CLOSING)) &&
	    !wslay_event_want_write(wc->ws)) {
		web_ws_free(wc);
		web_conn_finish(wc); /* the close handshake is done: the TCP close */
		return;
	}
	if (in_full(wc) || out_full(wc))
		bufferevent_disable(wc->bev, EV_READ);
	else
		bufferevent_enable(wc->bev, EV_READ);
}

static void on_socket_read(struct bufferevent *bev, void *arg)
{
	web_ws_pump(arg);
}

static void on_socket_event(struct bufferevent *bev, short what, void *arg)
{
	struct web_conn *wc = arg;

	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		web_conn_free(wc); /* the conn hears of it (unlink_conn()) */
}

void web_ws_timer(struct web_conn *wc)
{
	if (wc->frag)
		ws_close(wc, WSLAY_CODE_POLICY_VIOLATION, "a message was not finished in time");
	web_ws_pump(wc);
}

void web_ws_check(struct web_conn *wc)
{
	struct server *s = wc->web->server;

	if (bufferevent_pair_get_partner(wc->link))
		return;
	take_frames(wc); /* its last words (an error, "bye") go before the close */
	if (!wslay_event_get_close_sent(wc->ws))
		wslay_event_queue_close(
		    wc->ws, s->stopping ? WSLAY_CODE_GOING_AWAY : WSLAY_CODE_NORMAL_CLOSURE, NULL,
		    0);
	web_ws_pump(wc);
}

int web_ws_open(struct web_conn *wc, const struct listener *as, const char *refuse_code,
		const char *refuse_text)
{
	static const struct wslay_event_callbacks cb = {
		.recv_callback = ws_recv,
		.send_callback = ws_send,
		.on_frame_recv_start_callback = ws_frame_start,
		.on_msg_recv_callback = ws_message,
	};
	struct server *s = wc->web->server;
	struct bufferevent *pair[2];
	struct conn *c;

	if (wslay_event_context_server_init(&wc->ws, &cb, wc) != 0)
		return -ENOMEM;
	wslay_event_config_set_max_recv_msg_length(wc->ws, s->config.max_frame);
	if (bufferevent_pair_new(s->base, BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS, pair) <
	    0)
		return -ENOMEM;
	wc->link = pair[1];
	c = server_adopt(s, pair[0], as->role, wc->peer, as->key);
	if (!c)
		return -ENOMEM; /* server_adopt() freed pair[0] */
	/* An agent on /ws/agent is one from afar, as on agent_listen. */
	server_admitted(c, as->role == ROLE_AGENT, refuse_code, refuse_text);
	bufferevent_setcb(wc->link, on_link_read, on_link_drained, NULL, wc);
	bufferevent_enable(wc->link, EV_READ | EV_WRITE);
	bufferevent_setcb(wc->bev, on_socket_read, on_socket_drained, on_socket_event, wc);
	bufferevent_setwatermark(wc->bev, EV_WRITE, out_bound(wc) / 2, 0);
	bufferevent_enable(wc->bev, EV_READ | EV_WRITE);
	return 0;
}
