/* SPDX-License-Identifier: ISC */
/*
 * conn.c - one connection's bytes: framing, output bounds, pausing, closing. The handshake is in
 * handshake.c, commands in command.c, held messages in held.c.
 *
 * Reading: the read low watermark is always "the bytes the decoder needs next" (7 for a header,
 * then the frame's length), so on_read runs only when it can make progress, and it consumes
 * every whole frame in the buffer. The high watermark stays 0: the buffer never holds more than
 * one partial frame plus one read, and pausing is done with bufferevent_disable(EV_READ), never
 * by leaving data at a high mark (which spins on libevent 2.1.11+, libevent issue 891).
 *
 * Pausing: reading is on only while no reason to pause is set and the input buffer holds no
 * whole frame. A pause that clears with whole frames still buffered has them handled first (a
 * deferred read callback), and the socket is read again only once they are gone; so the input
 * buffer never holds more than one partial frame plus one socket read (4 KiB on plain TCP with
 * libevent 2.1; with TLS, up to one TLS record, 16 KiB), paused or not, EOF or not.
 *
 * EOF: a peer that half-closes (or closes: the two look the same until we write to it) has
 * only finished sending. Its conn stays open (@peer_eof) and its remaining input is read no
 * faster than its pauses allow, exactly as before the EOF; it closes once no whole frame is
 * left. A paused peer's EOF is not even seen until its pause clears and its turn to be read
 * comes: only a reset (POLLHUP/POLLERR, checked once a second) ends a paused peer early. A
 * reset is never an EOF, even when libevent's OpenSSL bufferevent reports it as one.
 *
 * Output: every append first checks the peer's unsent output against max_output_bytes (socket
 * bufferevents ignore the write high watermark); a peer past it is dropped as a slow consumer.
 * Broadcasts also pause a peer's reading past soft_output_bytes, until the write low watermark
 * (half of that) says its output has drained. Reading can be paused for several reasons at
 * once (conn->paused bits); it resumes when the last one clears. A plain socket's output is
 * written at the end of the loop turn (conn-write.c); the drain runs after either write.
 *
 * Closing: bufferevent_free() does not flush, so conn_close() stops reading, waits for the
 * output to drain (write callback), half-closes, drains whatever the peer still sends until EOF
 * (a close with unread input would reset the connection and could destroy the error notice we
 * just sent), and a safety timer bounds all of it.
 *
 * Silence: a conn granted "ping" has a read timeout on its bufferevent (alive.c), so no timer
 * of ours is needed for it; c->timer stays the handshake, idle and close deadline.
 */
#include "conn.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "admit.h"
#include "alive.h"
#include "clock.h"
#include "command.h"
#include "conn-write.h"
#include "deliver.h"
#include "files.h"
#include "handshake.h"
#include "line.h"
#include "log.h"
#include "nick.h"
#include "server.h"
#include "store.h"
#include "tls.h"
#include "tlserr.h"

/* Seconds a closing conn may take to flush and say goodbye before it is cut off. */
#define CLOSE_TIMEOUT 5

static const char *const state_names[] = { "challenge", "handshake", "queued",
					   "active",    "closing",   "dead" };

static void on_read(struct bufferevent *bev, void *arg);
static void on_write(struct bufferevent *bev, void *arg);
static void on_event(struct bufferevent *bev, short what, void *arg);
static void on_timer(evutil_socket_t fd, short what, void *arg);
static struct event *conn_timer(struct conn *c);
static void hangup_watch(struct conn *c, bool on);
static void read_input(struct conn *c, bool take_all);

struct conn *conn_new(struct server *s, struct bufferevent *bev, enum conn_role role,
		      const char *peer, const struct auth_key *key)
{
	size_t plen = strnlen(peer, CONN_PEER_MAX);
	struct conn *c = calloc(1, sizeof(*c) + plen + 1);

	if (!c)
		return NULL;
	memcpy(c->peer, peer, plen);
	c->asked = "";
	c->server = s;
	c->bev = bev;
	c->id = ++s->next_id;
	c->role = role;
	s->stats.connections[role]++;
	c->state = CONN_HANDSHAKE;
	c->since = fd_clock_seconds();
	/* Made now: a handshake that cannot be bounded is not begun. */
	if (!conn_timer(c)) {
		c->bev = NULL; /* the caller still owns it */
		conn_free(c);
		return NULL;
	}
	bufferevent_setcb(bev, on_read, on_write, on_event, c);
	bufferevent_setwatermark(bev, EV_READ, FD_FRAME_HEADER_LEN, 0);
	conn_write_start(c);
	if (handshake_begin(c, key) < 0) {
		c->bev = NULL; /* the caller still owns it */
		conn_free(c);
		return NULL;
	}
	/* A plain socket's output is written by conn-write.c: EV_WRITE only when it must. */
	bufferevent_enable(bev, c->wr ? EV_READ : EV_READ | EV_WRITE);
	conn_set_timer(c, s->config.handshake_timeout);
	return c;
}

void conn_free(struct conn *c)
{
	if (!c)
		return;
	files_conn_ended(c);
	deliver_forget(c);
	conn_write_stop(c, false);
	if (c->bev)
		bufferevent_free(c->bev);
	if (c->timer)
		event_free(c->timer);
	if (c->hangup)
		event_free(c->hangup);
	if (c->held)
		evbuffer_free(c->held);
	if (c->gated)
		evbuffer_free(c->gated);
	if (c->asked[0])
		free((char *)c->asked);
	free(c);
}

const char *conn_role_name(enum conn_role role)
{
	switch (role) {
	case ROLE_AGENT:
		return "agent";
	case ROLE_MEMBER:
		return "member";
	default:
		return "customer";
	}
}

bool conn_live(const struct conn *c)
{
	return c->state < CONN_CLOSING;
}

bool conn_attached(const struct conn *c)
{
	return c->mode_link == MODE_LINK_ATTACHED;
}

void conn_set_state(struct conn *c, enum conn_state state)
{
	if (c->state == state)
		return;
	log_debug("conn %llu %s (%s): %s -> %s", (unsigned long long)c->id, c->peer,
		  c->nick[0] ? c->nick : "-", state_names[c->state], state_names[state]);
	c->state = state;
	c->since = fd_clock_seconds();
	admit_recount(c);
}

int conn_set_asked(struct conn *c, const char *name, size_t len)
{
	char *copy = NULL;

	if (len > NICK_BUFSIZE - 1)
		len = NICK_BUFSIZE - 1;
	if (len && !(copy = malloc(len + 1)))
		return -1;
	if (c->asked[0])
		free((char *)c->asked);
	c->asked = "";
	if (copy) {
		memcpy(copy, name, len);
		copy[len] = '\0';
		c->asked = copy;
	}
	return 0;
}

/*
 * The conn's timer event, made on first use. An idle group member has no deadline once
 * attached, so conn_set_timer(c, 0) frees the event: 144 bytes of RSS per idle member
 * (issue 20, contrib/bench scenario b), made again by the next deadline (a close, say).
 */
static struct event *conn_timer(struct conn *c)
{
	if (!c->timer && !(c->timer = evtimer_new(c->server->base, on_timer, c)))
		log_warnx("%s: out of memory: no deadline for this connection", c->peer);
	return c->timer;
}

void conn_set_timer(struct conn *c, unsigned seconds)
{
	struct timeval tv = { .tv_sec = seconds };

	if (seconds) {
		if (conn_timer(c))
			evtimer_add(c->timer, &tv);
	} else if (c->timer) {
		event_free(c->timer); /* deletes it too; safe inside its own callback */
		c->timer = NULL;
	}
}

static int encode(const struct conn *c, struct evbuffer *out, enum fd_frame_type type,
		  const char *body, size_t len)
{
	if (c->proto == PROTO_LINE)
		return line_encode(out, type, body, len);
	return fd_frame_encode(out, type, body, len);
}

size_t conn_unsent(struct conn *c)
{
	return evbuffer_get_length(bufferevent_get_output(c->bev)) + deliver_gated(c);
}

/* Drop the peer when @len more bytes would put its unsent output past the hard bound. */
static bool over_bound(struct conn *c, size_t len)
{
	unsigned max = c->server->config.max_output_bytes;

	if (conn_unsent(c) + len <= max)
		return false;
	/* Often a network that died under a busy room: what it missed is in the store. */
	c->lost = true;
	conn_fail(c, "slow-consumer", "more than %u bytes unread", max);
	return true;
}

/* Append one frame unless this peer already has more unsent output than it may. */
static void on_flushed(struct bufferevent *bev, void *arg);

static int send_frame(struct conn *c, enum fd_frame_type type, const char *body, size_t len)
{
	if (!conn_live(c))
		return -EPIPE;
	if (type == FD_FRAME_NOTICE && !c->notices)
		return 0;
	if (over_bound(c, len))
		return -ENOBUFS;
	if (encode(c, deliver_out(c), type, body, len) < 0)
		return -ENOMEM;
	conn_write_soon(c);
	return 0;
}

int conn_send_frame(struct conn *c, enum fd_frame_type type, const char *body, size_t len)
{
	int r = send_frame(c, type, body, len);

	if (r == 0 && type != FD_FRAME_NOTICE)
		conn_output_added(c);
	return r;
}

int conn_send_encoded(struct conn *c, const void *data, size_t len)
{
	if (!conn_live(c))
		return -EPIPE;
	if (over_bound(c, len))
		return -ENOBUFS;
	if (evbuffer_add(deliver_out(c), data, len) < 0)
		return -ENOMEM;
	conn_output_added(c);
	return 0;
}

void conn_output_added(struct conn *c)
{
	unsigned soft = c->server->config.soft_output_bytes;
	struct evbuffer *out = bufferevent_get_output(c->bev);

	if (c->state == CONN_CLOSING) {
		on_flushed(c->bev, c); /* a close may have waited for this output */
		return;
	}
	if (!conn_live(c))
		return;
	if (evbuffer_get_length(out) + deliver_gated(c) > soft && !(c->paused & PAUSE_OUTPUT)) {
		/* A peer that does not read may not make everyone else's output grow either. */
		conn_pause(c, PAUSE_OUTPUT);
		bufferevent_setwatermark(c->bev, EV_WRITE, soft / 2, 0);
		log_debug("%s (%s): %zu bytes unsent, reading paused", c->peer, c->nick,
			  evbuffer_get_length(out));
	}
	conn_write_soon(c);
}

/* libevent wrote output, down to the write low watermark. */
static void on_write(struct bufferevent *bev, void *arg)
{
	conn_write_drained(arg);
	conn_output_drained(arg);
}

static void vnotice(struct conn *c, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static void vnotice(struct conn *c, const char *fmt, va_list ap)
{
	char body[FD_FRAME_BODY_BUFSIZE];
	int n;

	n = vsnprintf(body, sizeof(body), fmt, ap);
	if (n < 0)
		return;
	send_frame(c, FD_FRAME_NOTICE, body,
		   (size_t)n < sizeof(body) ? (size_t)n : sizeof(body) - 1);
}

void conn_notice(struct conn *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vnotice(c, fmt, ap);
	va_end(ap);
}

static void verror(struct conn *c, const char *code, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/* "error CODE -- TEXT" into @body (ERROR_BODY bytes); returns its length. */
#define ERROR_BODY 600
static size_t error_body(char *body, const char *code, const char *text)
{
	int n = snprintf(body, ERROR_BODY, "error %s -- %s", code, text);

	return n < 0 ? 0 : (size_t)n < ERROR_BODY ? (size_t)n : ERROR_BODY - 1;
}

static void verror(struct conn *c, const char *code, const char *fmt, va_list ap)
{
	char text[512], body[ERROR_BODY];

	vsnprintf(text, sizeof(text), fmt, ap);
	send_frame(c, FD_FRAME_NOTICE, body, error_body(body, code, text));
}

void conn_error(struct conn *c, const char *code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verror(c, code, fmt, ap);
	va_end(ap);
}

void conn_error_now(struct conn *c, const char *code, const char *fmt, ...)
{
	char text[512], body[ERROR_BODY];
	size_t len;
	va_list ap;

	if (!conn_live(c) || !c->notices)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	len = error_body(body, code, text);
	if (over_bound(c, len))
		return;
	if (encode(c, bufferevent_get_output(c->bev), FD_FRAME_NOTICE, body, len) == 0)
		conn_write_soon(c);
}

void conn_fail(struct conn *c, const char *code, const char *fmt, ...)
{
	char text[512];
	va_list ap;

	if (!conn_live(c))
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	deliver_discard(c);
	/* The notice goes out even past the output bound: it is small and the last one. */
	if (c->notices) {
		char body[ERROR_BODY];

		encode(c, deliver_out(c), FD_FRAME_NOTICE, body, error_body(body, code, text));
	}
	log_info("%s (%s): error %s: %s", c->peer, c->nick[0] ? c->nick : "-", code, text);
	/* Refused by the mode at attach (queue-full, agent-busy): still handshaking. */
	if (c->mode_link == MODE_LINK_NONE || c->state <= CONN_HANDSHAKE)
		stats_refused(&c->server->stats, code);
	else
		stats_dropped(&c->server->stats, code);
	conn_close(c, NULL);
}

/* The conn is finished with: let the sweep detach and free it. */
static void conn_lost(struct conn *c)
{
	bool was_live = conn_live(c);

	if (c->state == CONN_DEAD)
		return;
	conn_write_stop(c, false);
	bufferevent_disable(c->bev, EV_READ | EV_WRITE);
	conn_set_timer(c, 0);
	hangup_watch(c, false);
	conn_set_state(c, CONN_DEAD);
	if (was_live)
		server_conn_ended(c->server, c);
	else
		server_sweep_soon(c->server);
}

static void on_linger_read(struct bufferevent *bev, void *arg)
{
	struct evbuffer *in = bufferevent_get_input(bev);

	evbuffer_drain(in, evbuffer_get_length(in));
}

static void on_closing_event(struct bufferevent *bev, short what, void *arg)
{
	conn_lost(arg);
}

/* Output is flushed: half-close and wait (bounded) for the peer's EOF. */
static void on_flushed(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;
	evutil_socket_t fd = bufferevent_getfd(bev);
	int pending = 0;

	/*
	 * Output waiting for the store is not flushed yet: conn_output_added() comes back when the
	 * gate opens. conn_close() and conn_output_added() call this whatever the gate; libevent
	 * calls it on any writable event of an established socket, output or not, and
	 * conn_close() enables EV_WRITE on a plain socket (conn-write.c) whose output may be
	 * behind its gate (a store locked by another writer retries its commit).
	 */
	if (c->gate_ticket || c->gate_hold)
		return;
	/*
	 * libevent's OpenSSL bufferevent writes nothing more once it has seen the peer's EOF:
	 * what is unsent can never leave, and waiting for it would hold the conn (an fd, and a
	 * place in max_clients) for CLOSE_TIMEOUT. A plain TCP peer that half-closed still reads.
	 */
	if (c->peer_eof && tls_is_tls(bev))
		evbuffer_drain(bufferevent_get_output(bev),
			       evbuffer_get_length(bufferevent_get_output(bev)));
	if (evbuffer_get_length(bufferevent_get_output(bev)) > 0)
		return;
	tls_close_notify(bev);
	/* Closing with unread input resets the connection; with none, it is a clean FIN. */
	if (fd < 0 || shutdown(fd, SHUT_WR) < 0 || ioctl(fd, FIONREAD, &pending) < 0 ||
	    pending == 0) {
		conn_lost(c);
		return;
	}
	bufferevent_setcb(bev, on_linger_read, NULL, on_closing_event, c);
	bufferevent_setwatermark(bev, EV_READ, 0, 0);
	bufferevent_enable(bev, EV_READ);
}

/* Seconds between checks whether a paused peer is still there. */
#define HANGUP_CHECK_INTERVAL 1

/*
 * The socket's hang-up state: POLLHUP or POLLERR once the peer has reset (or the connection is
 * closed both ways), POLLRDHUP for its FIN alone.
 */
static short hangup_poll(struct conn *c)
{
	struct pollfd p = { .fd = bufferevent_getfd(c->bev), .events = POLLRDHUP };

	if (p.fd < 0 || poll(&p, 1, 0) != 1)
		return 0;
	return p.revents;
}

/* A paused peer's FIN, seen before its EOF can be read: said once, at debug level. */
static void note_fin(struct conn *c)
{
	if (c->fin_seen)
		return;
	c->fin_seen = true;
	log_debug("%s (%s): finished sending while paused; %zu bytes read, %zu held", c->peer,
		  c->nick[0] ? c->nick : "-", evbuffer_get_length(bufferevent_get_input(c->bev)),
		  c->held ? evbuffer_get_length(c->held) : 0);
}

/*
 * A paused peer: has it reset, or failed? A FIN alone (POLLRDHUP) changes nothing: the peer
 * has only finished sending, and what it sent is read as its pauses allow, like any input;
 * reading it all now would bypass every bound (the kernel's receive buffer can hold megabytes).
 */
static void on_hangup_check(evutil_socket_t unused, short what, void *arg)
{
	struct conn *c = arg;
	short revents = hangup_poll(c);

	if (!(revents & (POLLHUP | POLLERR))) {
		if (revents & POLLRDHUP)
			note_fin(c);
		return;
	}
	/* Gone. The whole frames already read (one read at most) are taken in: they were sent. */
	read_input(c, true);
	if (conn_live(c))
		c->lost = true; /* a hang-up: its session may resume */
	conn_close(c, "peer hung up while paused");
}

/*
 * With reading disabled no EOF is reported, so a paused peer is checked once a second with
 * poll(POLLRDHUP). Not an EV_CLOSED event: libevent 2.1's epoll backend turns EPOLLHUP/EPOLLERR
 * (a reset) into EV_READ|EV_WRITE, which an EV_CLOSED-only event never consumes, so epoll
 * reports the fd forever and the loop spins at 100% CPU.
 */
static void hangup_watch(struct conn *c, bool on)
{
	struct timeval tv = { .tv_sec = HANGUP_CHECK_INTERVAL };

	if (!on) {
		if (c->hangup)
			event_del(c->hangup);
		return;
	}
	if (bufferevent_getfd(c->bev) < 0)
		return;
	if (!c->hangup)
		c->hangup = event_new(c->server->base, -1, EV_PERSIST, on_hangup_check, c);
	if (c->hangup)
		event_add(c->hangup, &tv);
}

void conn_close(struct conn *c, const char *why)
{
	if (!conn_live(c))
		return;
	if (why)
		log_info("%s (%s): closed: %s", c->peer, c->nick[0] ? c->nick : "-", why);
	hangup_watch(c, false);
	if (c->caps & CAP_PING)
		alive_stop(c); /* the close has its own deadline */
	conn_set_state(c, CONN_CLOSING);
	conn_set_timer(c, CLOSE_TIMEOUT);
	bufferevent_disable(c->bev, EV_READ);
	conn_write_stop(c, true); /* libevent flushes it, and calls on_flushed() when done */
	bufferevent_setwatermark(c->bev, EV_WRITE, 0, 0);
	bufferevent_setcb(c->bev, on_linger_read, on_flushed, on_closing_event, c);
	server_conn_ended(c->server, c);
	/* Output waiting for the store goes first: then conn_output_added() finishes the close. */
	on_flushed(c->bev, c);
}

void conn_pause(struct conn *c, enum conn_pause why)
{
	/* Further bytes stay in the kernel: the sender feels back-pressure. */
	if (!c->paused && conn_live(c) && !c->peer_eof) {
		bufferevent_disable(c->bev, EV_READ);
		hangup_watch(c, true);
	}
	if (!c->paused)
		files_paused(c);
	c->paused |= why;
}

void conn_resume(struct conn *c, enum conn_pause why)
{
	if (!(c->paused & why))
		return;
	c->paused &= ~(unsigned)why;
	if (c->paused || !conn_live(c))
		return;
	files_read_again(c);
	hangup_watch(c, false);
	/*
	 * Whole frames may wait in the input buffer (no new read would report them), or the EOF
	 * that closes the conn once they are gone: read_input() handles them first and turns
	 * reading on only when none is left, so a pause never lets the buffer grow.
	 */
	if (c->peer_eof || evbuffer_get_length(bufferevent_get_input(c->bev)) > 0)
		bufferevent_trigger(c->bev, EV_READ,
				    BEV_TRIG_IGNORE_WATERMARKS | BEV_TRIG_DEFER_CALLBACKS);
	else
		bufferevent_enable(c->bev, EV_READ);
}

/* Chat text reaches the log only with log_messages = yes, escaped to one line. */
static void log_message(struct conn *c, const struct fd_frame *f)
{
	char text[800];

	if (c->server->config.log_messages)
		log_info("%s (%s): message: %s", c->peer, c->nick,
			 log_escape(f->body, f->len, text, sizeof(text)));
}

static void on_frame(struct conn *c, const struct fd_frame *f)
{
	if (c->ping_out)
		alive_answered(c);
	/* A file's bytes only from a client granted "files": to any other, a reserved type. */
	if (f->type == FD_FRAME_DATA && !(c->caps & CAP_FILES)) {
		conn_fail(c, "unknown-type", "%s", fd_frame_strerror(-FD_FRAME_ERR_UNKNOWN_TYPE));
		return;
	}
	if (c->state < CONN_QUEUED) {
		handshake_frame(c, f);
		return;
	}
	switch (f->type) {
	case FD_FRAME_MESSAGE:
		/* Every message must fit in a type 5 frame with its tag (protocol 7.2). */
		if (f->len > FD_MESSAGE_MAX_TEXT) {
			conn_error(c, "frame-too-long",
				   "a message is at most %d bytes; %zu bytes not sent",
				   FD_MESSAGE_MAX_TEXT, f->len);
			break;
		}
		log_message(c, f);
		c->server->mode->message(c, f);
		break;
	case FD_FRAME_COMMAND:
		command_run(c, f);
		break;
	case FD_FRAME_DATA:
		file_up_data(c, f);
		break;
	case FD_FRAME_NICKNAME:
		conn_error(c, "bad-nick", "the nickname is already set");
		break;
	default:
		conn_fail(c, "unknown-type", "type %d frames are not sent to the server", f->type);
		break;
	}
}

/* No whole frame is left in the input: read the socket again, or close after the EOF. */
static void input_drained(struct conn *c, size_t want)
{
	bufferevent_setwatermark(c->bev, EV_READ, want, 0);
	if (c->peer_eof) {
		c->lost = true; /* a hang-up, not a quit: its session may resume */
		conn_close(c, "peer closed the connection");
	} else if (!c->paused && !(bufferevent_get_enabled(c->bev) & EV_READ))
		bufferevent_enable(c->bev, EV_READ);
}

/*
 * Handle the whole frames (or lines) in the input while no pause stops it, or all of them
 * (@take_all: the peer is gone). After the EOF a last line needs no newline.
 */
static void read_input(struct conn *c, bool take_all)
{
	struct server *s = c->server;
	struct bufferevent *bev = c->bev;
	struct evbuffer *in = bufferevent_get_input(bev);

	while (conn_live(c) && (!c->paused || take_all)) {
		struct fd_frame f;
		size_t want;
		int r;

		unsigned limit = c->partial_limit ? c->partial_limit : s->config.max_frame;

		if (c->proto == PROTO_LINE)
			r = line_decode(in, limit - FD_FRAME_HEADER_LEN, c->peer_eof, s->body, &f,
					&want);
		else
			r = fd_frame_decode(in, limit, s->body, &f, &want);
		/*
		 * A frame is read under the max_frame in force when its first bytes arrived: a
		 * reload that lowers it applies from the next frame on, never to one half received.
		 */
		c->partial_limit = r == 0 && evbuffer_get_length(in) ? (uint16_t)limit : 0;
		if (r == 0) {
			if (!take_all)
				input_drained(c, want);
			return;
		}
		if (r < 0) {
			conn_fail(c, fd_frame_error_code(r), "%s",
				  c->proto == PROTO_LINE ? "line is too long or not UTF-8 text"
							 : fd_frame_strerror(r));
			return;
		}
		if (c->proto == PROTO_LINE && !c->greeted) {
			c->greeted = true;
			if (line_is_greeting(&f))
				continue;
		}
		on_frame(c, &f);
	}
}

static void on_read(struct bufferevent *bev, void *arg)
{
	read_input(arg, false);
}

/* Gone, as at a reset seen while paused: what was read is taken in all the same. */
static void peer_gone(struct conn *c, const char *why)
{
	log_info("%s (%s): connection error: %s", c->peer, c->nick[0] ? c->nick : "-", why);
	read_input(c, true);
	if (conn_live(c))
		c->lost = true; /* not closed by what it sent last (a quit): it may resume */
	conn_lost(c);
}

/* As on_event() hears of libevent's own failed write: EOF (wrote 0) or the error. */
void conn_write_failed(struct conn *c, int err)
{
	peer_gone(c, err ? evutil_socket_error_to_string(err) : "connection reset by the peer");
}

/*
 * libevent's OpenSSL bufferevent, allowed a dirty shutdown (tls.c), reports a read or write that
 * failed (ECONNRESET, EPIPE: the peer reset) as an EOF, like a FIN, and stops reading and writing.
 * Taken for a FIN, the conn would wait for its remaining input at its pace with output that can
 * never leave: a conn paused for that output (PAUSE_OUTPUT) never resumes, and no hang-up check
 * runs after an EOF, so it stayed until shutdown. A failed write, or a socket that is hung up
 * (a FIN alone is neither), is a peer that is gone.
 */
static bool reset_as_eof(struct conn *c, short what)
{
	return (what & BEV_EVENT_WRITING) || (hangup_poll(c) & (POLLHUP | POLLERR));
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	struct conn *c = arg;

	if (what & BEV_EVENT_CONNECTED) {
		handshake_tls_done(c);
	} else if ((what & BEV_EVENT_EOF) && reset_as_eof(c, what)) {
		peer_gone(c, "connection reset by the peer");
	} else if (what & BEV_EVENT_EOF) {
		/*
		 * The peer finished sending. What is left (and a line peer's last line without its
		 * newline, "printf bye | nc") is handled as its pauses allow; read_input() closes
		 * the conn when no whole frame is left. A partial frame dies with the peer.
		 */
		c->peer_eof = true;
		read_input(c, false);
	} else if (what & BEV_EVENT_TIMEOUT) {
		/* Only a conn granted "ping" has a read timeout: it has been silent. */
		alive_silent(c);
	} else if (what & BEV_EVENT_ERROR) {
		char tls_err[256];
		const char *why = tls_bufferevent_error(bev, tls_err, sizeof(tls_err));

		peer_gone(c, why ? why : evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
	}
}

/* The conn's deadline passed. */
static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;

	switch (c->state) {
	case CONN_CHALLENGE:
	case CONN_HANDSHAKE:
		handshake_expired(c);
		break;
	case CONN_ACTIVE:
		/* Only the mode arms a deadline on an attached conn: the desk's idle timeout. */
		c->end_why = END_IDLE; /* a transcript says so (desk.c) */
		conn_fail(c, "timeout", "idle for too long");
		break;
	case CONN_CLOSING:
		conn_lost(c);
		break;
	default:
		break;
	}
}
