/* SPDX-License-Identifier: ISC */
/*
 * session.c - the client's connection: connect, handshake, frames or lines, turn state.
 *
 * Ownership: the session owns at most one bufferevent at a time (s->bev); session_finish()
 * frees it and then reports closed() exactly once per connection, so a front end may call
 * session_connect() again from inside closed() (reconnect). Freeing a bufferevent from inside
 * its own callback is safe in libevent: the free is deferred until the callback returns; we
 * only must not touch it afterwards, which is why every loop below re-checks s->state after
 * each callback.
 *
 * Reading framed input follows conn.c: the read low watermark is what the decoder needs next.
 * What the frames say (messages, notices, the turn) is incoming.c's; resuming a session after
 * a drop is resume.c's (session-priv.h holds what all three see).
 */
#include "session-priv.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/ssl.h>

#include "auth.h"
#include "client-tls.h"
#include "utf8.h"

/* Seconds to wait for the server to close after "quit" before closing ourselves. */
#define QUIT_TIMEOUT 5
/* Longest line accepted from a line-protocol server. */
#define LINE_MAX_BYTES 16384

static void on_read(struct bufferevent *bev, void *arg);
static void on_write(struct bufferevent *bev, void *arg);
static void on_event(struct bufferevent *bev, short what, void *arg);
static void on_quit_timer(evutil_socket_t fd, short what, void *arg);

/* The client's TLS context: 1.2 or later, the server's certificate verified unless --insecure. */
int session_check_tls(const struct session_config *cfg, char *err, size_t len)
{
	SSL_CTX *ctx;
	int r = client_tls_context(cfg, &ctx);

	if (r == -ENOENT)
		snprintf(err, len, "cannot load trusted certificates from %s",
			 cfg->ca_file[0] ? cfg->ca_file : "the system's default locations");
	else if (r < 0)
		snprintf(err, len, "cannot set up TLS: %s", strerror(-r));
	else
		SSL_CTX_free(ctx);
	return r;
}

int session_new(struct event_base *base, const struct session_config *cfg,
		const struct session_ops *ops, void *ui, struct session **ret)
{
	struct session *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->base = base;
	s->cfg = *cfg;
	s->ops = ops;
	s->ui = ui;
	s->quit_timer = evtimer_new(base, on_quit_timer, s);
	if (!s->quit_timer || files_new(&s->files) < 0) {
		if (s->quit_timer)
			event_free(s->quit_timer);
		free(s);
		return -ENOMEM;
	}
	if (cfg->tls) {
		int r = client_tls_context(cfg, &s->tls);

		if (r < 0) {
			event_free(s->quit_timer);
			files_free(s->files);
			free(s);
			return r;
		}
	}
	target_format(&cfg->target, s->target_name, sizeof(s->target_name));
	snprintf(s->nick, sizeof(s->nick), "%s", cfg->nick);
	*ret = s;
	return 0;
}

void session_free(struct session *s)
{
	if (!s)
		return;
	session_close(s);
	event_free(s->quit_timer);
	if (s->tls)
		SSL_CTX_free(s->tls);
	explicit_bzero(s->cfg.key, sizeof(s->cfg.key));
	explicit_bzero(s->cfg.oper_key, sizeof(s->cfg.oper_key));
	resume_forget(&s->resume);
	canned_clear(&s->canned);
	files_free(s->files);
	free(s);
}

const char *session_error(const struct session *s)
{
	return s->why;
}

void session_set_why(struct session *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->why, sizeof(s->why), fmt, ap);
	va_end(ap);
}

void session_close(struct session *s)
{
	if (s->bev) {
		bufferevent_free(s->bev);
		s->bev = NULL;
	}
	evtimer_del(s->quit_timer);
	s->state = SESSION_IDLE;
}

/* The connection is over: drop it, then tell the front end (last: it may reconnect). */
void session_finish(struct session *s, int err)
{
	resume_lost(s, err); /* while s->state still says how it ended */
	session_close(s);
	files_lost(s, true); /* closed: a front end told of it sends nothing into a dead end */
	s->ops->closed(s->ui, err, s->why);
}

void session_forget_standing(struct session *s)
{
	s->notices = false;
	s->strict = !s->cfg.line;
	s->group = s->cfg.line;
	s->my_turn = !s->cfg.agent; /* a customer writes first */
	s->awaiting = false;
	s->held = 0;
	s->served = false;
	s->agent_gone = false;
	s->agent_back = false;
	s->queued = 0;
	s->peer[0] = '\0';
	s->gone[0] = '\0';
	s->multi = false;
	s->nconvs = 0;
	s->last_to[0] = '\0';
	s->topic[0] = '\0';
	s->topic_by[0] = '\0';
	s->oper = false;
	snprintf(s->nick, sizeof(s->nick), "%s", s->cfg.nick);
}

/* A new connection: what was said on the last one is over; where we stand, unless resumed. */
static void reset_protocol_state(struct session *s)
{
	s->bye = false;
	s->heard = false;
	s->caps_pending = false;
	s->canned_pending = false;
	s->ids_granted = false;
	s->oper_asked = false;
	s->topic_asked = false;
	s->who_page = 1;
	s->refused = false;
	s->final = false;
	s->renaming[0] = '\0';
	s->oper_pending = false;
	ids_history(&s->ids, false);
	files_lost(s, false);
	if (!resume_possible(s))
		session_forget_standing(s);
}

/* Start a non-blocking connect to the next address; 0 when one is under way. */
static int try_next_address(struct session *s)
{
	while (s->next_addr < s->addrs.n) {
		size_t i = s->next_addr++;
		const struct sockaddr *sa = (const struct sockaddr *)&s->addrs.addr[i];
		struct bufferevent *bev;
		int fd;

		fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			s->last_errno = errno;
			continue;
		}
		if (connect(fd, sa, s->addrs.len[i]) < 0 && errno != EINPROGRESS) {
			s->last_errno = errno;
			close(fd);
			continue;
		}
		bev = s->tls ? client_tls_bufferevent(s->tls, s->base, s->cfg.target.host, fd)
			     : bufferevent_socket_new(s->base, fd, BEV_OPT_CLOSE_ON_FREE);
		if (!bev) {
			close(fd);
			s->last_errno = ENOMEM;
			break;
		}
		bufferevent_setcb(bev, on_read, on_write, on_event, s);
		bufferevent_setwatermark(bev, EV_WRITE, SESSION_OUTPUT_HIGH / 2, 0);
		/* NULL address: the connect is already in progress; report its outcome. */
		if (!s->tls && bufferevent_socket_connect(bev, NULL, 0) < 0) {
			bufferevent_free(bev);
			s->last_errno = EIO;
			continue;
		}
		s->bev = bev;
		s->state = SESSION_CONNECTING;
		return 0;
	}
	session_set_why(s, "cannot connect to %s: %s", s->target_name, strerror(s->last_errno));
	return -s->last_errno;
}

int session_connect(struct session *s)
{
	int r;

	session_close(s);
	reset_protocol_state(s);
	s->why[0] = '\0';
	r = target_resolve(&s->cfg.target, &s->addrs, s->why, sizeof(s->why));
	if (r < 0)
		return r;
	s->next_addr = 0;
	s->last_errno = ECONNREFUSED;
	return try_next_address(s);
}

int session_send_frame(struct session *s, enum fd_frame_type type, const char *body, size_t len)
{
	if (!s->bev ||
	    (s->state != SESSION_OPEN && s->state != SESSION_AUTH && s->state != SESSION_RESUMING))
		return -ENOTCONN;
	return fd_frame_encode(bufferevent_get_output(s->bev), type, body, len);
}

static int send_line(struct session *s, const char *prefix, const char *text)
{
	if (!s->bev || s->state != SESSION_OPEN)
		return -ENOTCONN;
	if (strchr(text, '\n') || strchr(text, '\r'))
		return -EILSEQ;
	if (evbuffer_add_printf(bufferevent_get_output(s->bev), "%s%s\n", prefix, text) < 0)
		return -ENOMEM;
	return 0;
}

/*
 * Introduce ourselves, then ask for notices, server pings, message IDs and sessions (protocol
 * 7.1, 7.6, 7.2, 7.3), and as an agent for several conversations (7.5), without waiting for any
 * answer: a server that knows none of them ignores them or says unknown-command, and we carry on as
 * with wave 1.
 */
static void send_hello(struct session *s)
{
	/* An agent may also serve several customers at once (7.5), if the server lets it. */
	const char *caps =
	    s->cfg.agent ? "caps ping ids resume agent files" : "caps ping ids resume files";

	if (s->cfg.line) {
		send_line(s, "/nick ", s->nick);
	} else {
		session_send_frame(s, FD_FRAME_NICKNAME, s->nick, strlen(s->nick));
		session_send_frame(s, FD_FRAME_COMMAND, "hello notices", strlen("hello notices"));
		session_send_frame(s, FD_FRAME_COMMAND, caps, strlen(caps));
		s->caps_pending = true;
	}
}

/* The nickname is on its way: the front end may talk. */
void session_join(struct session *s)
{
	s->state = SESSION_OPEN;
	s->restarting = false;
	send_hello(s);
	s->ops->opened(s->ui, false);
}

/* Connected and authenticated: take our session back, or join. */
static void opened(struct session *s)
{
	if (!resume_begin(s))
		session_join(s);
}

/*
 * Connected. With a key, the listener speaks first (a challenge) and the nickname follows our
 * response; without one, we introduce ourselves at once.
 */
static void connected(struct session *s)
{
	if (!s->cfg.line)
		bufferevent_setwatermark(s->bev, EV_READ, FD_FRAME_HEADER_LEN, 0);
	bufferevent_enable(s->bev, EV_READ | EV_WRITE);
	if (s->cfg.key_len > 0)
		s->state = SESSION_AUTH;
	else
		opened(s);
}

/* The server broke the protocol: nothing it sends can be trusted any more. */
void session_protocol_error(struct session *s, const char *what)
{
	session_set_why(s, "protocol error from %s: %s", s->target_name, what);
	session_finish(s, -EPROTO);
}

/*
 * An agent over TLS binds its answer to the session (auth.h), so that a man in the middle
 * cannot relay it into his own session with the server. Return: bytes in @out (0: unbound).
 */
static int tls_binding(struct session *s, unsigned char out[AUTH_BINDING_BYTES])
{
	int r;

	if (!s->tls || !s->cfg.agent)
		return 0;
	r = auth_tls_binding(bufferevent_openssl_get_ssl(s->bev), out);
	if (r < 0)
		return r;
	return AUTH_BINDING_BYTES;
}

/*
 * A challenge: answer with the HMAC of its bytes under our key. Only the server's first frame
 * may be one: answering later would sign whatever a server in mid-session (or someone speaking
 * in its name) relays to us from elsewhere.
 */
static void on_challenge(struct session *s, bool late, const char *body, size_t len)
{
	char response[AUTH_RESPONSE_LEN + 1];
	unsigned char binding[AUTH_BINDING_BYTES];
	int r, bound;

	if (late) {
		session_protocol_error(s, "a challenge after the session began (not answered)");
		return;
	}
	if (s->cfg.key_len == 0) {
		session_set_why(s, "%s asks for a key; use --key-file", s->target_name);
		session_finish(s, -EACCES);
		return;
	}
	bound = tls_binding(s, binding);
	if (bound < 0) {
		session_set_why(
		    s, "cannot bind the answer to the TLS session with %s: %s", s->target_name,
		    bound == -EPROTONOSUPPORT ? "an agent needs TLS 1.3" : "no exporter");
		session_finish(s, bound);
		return;
	}
	r = auth_response(s->cfg.key, s->cfg.key_len, body, len, binding, (size_t)bound, response);
	if (r < 0) {
		session_protocol_error(s, "malformed authentication challenge");
		return;
	}
	session_send_frame(s, FD_FRAME_RESPONSE, response, AUTH_RESPONSE_LEN);
	if (s->state == SESSION_AUTH)
		opened(s);
}

static bool live(const struct session *s)
{
	return s->bev && (s->state == SESSION_AUTH || s->state == SESSION_OPEN ||
			  s->state == SESSION_RESUMING || s->state == SESSION_QUITTING);
}

static void read_frames(struct session *s)
{
	while (live(s)) {
		struct evbuffer *in = bufferevent_get_input(s->bev);
		struct fd_frame f;
		size_t want;
		bool heard;
		int r;

		r = fd_frame_decode_from_server(in, FD_FRAME_MAX_LEN, s->body, &f, &want);
		if (r == 0) {
			bufferevent_setwatermark(s->bev, EV_READ, want, 0);
			return;
		}
		if (r < 0) {
			session_protocol_error(s, fd_frame_strerror(r));
			return;
		}
		heard = s->heard;
		s->heard = true;
		s->resume.ended = false; /* unless this is an error notice: incoming_notice() */
		if (f.type != FD_FRAME_NOTICE)
			s->resume.telling = false; /* the state of a resumed session comes first */
		switch (f.type) {
		case FD_FRAME_MESSAGE:
			incoming_message(s, f.body);
			break;
		case FD_FRAME_TAGGED:
			incoming_tagged(s, f.body);
			break;
		case FD_FRAME_DATA:
			files_data(s, f.body, f.len);
			break;
		case FD_FRAME_NOTICE:
			incoming_notice(s, f.body);
			break;
		case FD_FRAME_CHALLENGE:
			on_challenge(s, heard, f.body, f.len);
			break;
		default: {
			char what[64];

			snprintf(what, sizeof(what), "unexpected frame type %d", (int)f.type);
			session_protocol_error(s, what);
			return;
		}
		}
	}
}

/* Line protocol: a line is a message, or a notice when it starts with "* ". */
static void read_lines(struct session *s)
{
	while (live(s)) {
		struct evbuffer *in = bufferevent_get_input(s->bev);
		size_t len;
		char *line = evbuffer_readln(in, &len, EVBUFFER_EOL_CRLF);

		if (!line) {
			if (evbuffer_get_length(in) > LINE_MAX_BYTES)
				session_protocol_error(s, "line too long");
			return;
		}
		s->heard = true;
		s->resume.ended = false; /* as read_frames(): an error is the last word if last */
		if (!utf8_valid(line, len))
			session_protocol_error(s, "a line is not valid UTF-8 text");
		else if (strncmp(line, "* ", 2) == 0)
			incoming_notice(s, line + 2);
		else
			incoming_message(s, line);
		free(line);
	}
}

static void on_read(struct bufferevent *bev, void *arg)
{
	struct session *s = arg;

	if (s->cfg.line)
		read_lines(s);
	else
		read_frames(s);
}

/* The server closed (or the connection broke): say how it ended. */
static void ended(struct session *s, short what, int sockerr)
{
	size_t pending = evbuffer_get_length(bufferevent_get_input(s->bev));
	/* Its last word was an error that ends a connection: a refusal, even after our quit. */
	bool refused = s->resume.ended && s->refused;

	if (pending > 0 && !(what & BEV_EVENT_ERROR)) {
		/*
		 * Even after our quit: a server that closes mid-frame is broken. A reset or a
		 * network error mid-frame is the network's doing, a drop like any other.
		 */
		session_set_why(s, "connection closed by %s in the middle of a %s", s->target_name,
				s->cfg.line ? "line" : "frame");
		session_finish(s, -EPROTO);
	} else if (s->state == SESSION_QUITTING && !refused) {
		s->why[0] = '\0';
		session_finish(s, 0);
	} else if (s->bye) {
		session_finish(s, 0); /* s->why holds the bye, in words */
	} else if ((what & BEV_EVENT_ERROR) && !refused) {
		session_set_why(s, "connection to %s lost: %s", s->target_name, strerror(sockerr));
		session_finish(s, -sockerr);
	} else {
		/*
		 * A reset right after a refusal is the server closing on what we sent after it.
		 * The refusal itself was shown as it came: said once, not again here.
		 */
		session_set_why(s, "connection closed by %s", s->target_name);
		session_finish(s, refused && s->final ? -EPERM : -ECONNRESET);
	}
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	struct session *s = arg;
	int sockerr = EVUTIL_SOCKET_ERROR();

	if (sockerr == 0)
		sockerr = EIO;
	if (s->state == SESSION_CONNECTING) {
		char tls_err[256];
		const char *tls_why;

		if (what & BEV_EVENT_CONNECTED) {
			connected(s);
			return;
		}
		tls_why = (s->tls ? client_tls_failure(bev, tls_err, sizeof(tls_err)) : NULL);
		if (tls_why) {
			/* Another address would present the same certificate: stop here. */
			session_set_why(s, "TLS with %s failed: %s", s->target_name, tls_why);
			bufferevent_free(s->bev);
			s->bev = NULL;
			session_finish(s, -EPROTO);
			return;
		}
		bufferevent_free(s->bev);
		s->bev = NULL;
		s->last_errno = sockerr;
		if (try_next_address(s) < 0)
			session_finish(s, -sockerr);
		return;
	}
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
		/* Whole frames still in the buffer were delivered by on_read already. */
		on_read(bev, s);
		if (live(s))
			ended(s, what, sockerr);
	}
}

/* What the user sends: connected, fits in a frame, UTF-8 without NUL. */
static int check_outgoing(const struct session *s, const char *text, size_t len)
{
	if (s->state != SESSION_OPEN)
		return -ENOTCONN;
	if (len > FD_FRAME_MAX_BODY)
		return -EMSGSIZE;
	if (!utf8_valid(text, len))
		return -EILSEQ;
	return 0;
}

/*
 * An agent granted "agent" wrote "NAME: TEXT": NAME's turn now, if NAME is one of ours (the
 * server refuses anything else with "no-customer").
 */
static void sent_to(struct session *s, const char *text)
{
	const char *sep = strstr(text, ": ");
	char name[SESSION_NICK_MAX];

	s->last_to[0] = '\0';
	if (!sep || (size_t)(sep - text) >= sizeof(name))
		return;
	snprintf(name, sizeof(name), "%.*s", (int)(sep - text), text);
	session_said(s, name);
}

void session_said(struct session *s, const char *to)
{
	struct session_conv *c;

	if (!s->multi) {
		s->awaiting = true;
		if (s->strict)
			s->my_turn = false;
		return;
	}
	snprintf(s->last_to, sizeof(s->last_to), "%s", to ? to : "");
	c = session_find_conv(s, s->last_to);
	if (!c)
		return;
	c->awaiting = true;
	if (s->strict)
		c->my_turn = false;
}

int session_say(struct session *s, const char *text)
{
	size_t len = strlen(text);
	int r = check_outgoing(s, text, len);

	if (r < 0)
		return r;
	/* A line member's "/nick NAME" is a command though it goes as a line: its answer too. */
	if (s->cfg.line && text[0] == '/')
		group_sent(s, text + 1);
	r = s->cfg.line ? send_line(s, "", text)
			: session_send_frame(s, FD_FRAME_MESSAGE, text, len);
	if (r < 0)
		return r;
	if (s->multi)
		sent_to(s, text);
	else
		session_said(s, NULL);
	return 0;
}

int session_say_to(struct session *s, const char *name, const char *text)
{
	char line[FD_FRAME_BODY_BUFSIZE];
	int n = snprintf(line, sizeof(line), "%s: %s", name, text);

	if (n < 0 || (size_t)n >= sizeof(line))
		return -EMSGSIZE;
	return session_say(s, line);
}

int session_command(struct session *s, const char *text)
{
	size_t len = strlen(text);
	int r = check_outgoing(s, text, len);

	if (r < 0)
		return r;
	group_sent(s, text);
	return s->cfg.line ? send_line(s, "/", text)
			   : session_send_frame(s, FD_FRAME_COMMAND, text, len);
}

/* Our goodbye has left: half-close, so even a server that ignores "quit" sees EOF. */
static void on_quit_flushed(struct bufferevent *bev, void *arg)
{
	struct session *s = arg;

	if (evbuffer_get_length(bufferevent_get_output(bev)) > 0)
		return;
	shutdown(bufferevent_getfd(bev), SHUT_WR);
	bufferevent_setcb(bev, on_read, on_write, on_event, s);
}

static void on_quit_timer(evutil_socket_t fd, short what, void *arg)
{
	struct session *s = arg;

	s->why[0] = '\0';
	session_finish(s, 0);
}

void session_quit(struct session *s)
{
	struct timeval tv = { .tv_sec = QUIT_TIMEOUT };

	if (s->state != SESSION_OPEN) {
		s->why[0] = '\0';
		session_finish(s, 0);
		return;
	}
	if (s->cfg.line)
		send_line(s, "", "quit");
	else
		session_send_frame(s, FD_FRAME_COMMAND, "quit", 4);
	s->state = SESSION_QUITTING;
	evtimer_add(s->quit_timer, &tv);
	bufferevent_setwatermark(s->bev, EV_WRITE, 0, 0);
	bufferevent_setcb(s->bev, on_read, on_quit_flushed, on_event, s);
	on_quit_flushed(s->bev, s);
}

enum session_state session_state(const struct session *s)
{
	return s->state;
}

/* With several conversations the turn is each one's (session_conv()); the server holds. */
bool session_may_send(const struct session *s)
{
	return !s->strict || s->my_turn || s->multi;
}

bool session_output_full(const struct session *s)
{
	return s->bev && evbuffer_get_length(bufferevent_get_output(s->bev)) > SESSION_OUTPUT_HIGH;
}

/* Output drained to the low watermark: a producer that stopped at output_full may go on. */
static void on_write(struct bufferevent *bev, void *arg)
{
	struct session *s = arg;

	files_pump(s);
	if (s->ops->drained)
		s->ops->drained(s->ui);
}

bool session_awaiting_reply(const struct session *s)
{
	for (size_t i = 0; s->multi && i < s->nconvs; i++)
		if (s->convs[i].awaiting)
			return true;
	return s->awaiting;
}

bool session_multi(const struct session *s)
{
	return s->multi;
}

const struct session_conv *session_conv(const struct session *s, const char *name)
{
	return session_find_conv((struct session *)s, name);
}

int session_send_canned(struct session *s, const char *name, const char *to, const char **ret_text)
{
	const struct canned_reply *r = canned_find(&s->canned, name);
	char body[FD_FRAME_BODY_BUFSIZE];
	int n = s->multi ? snprintf(body, sizeof(body), "canned %s %s", name, to)
			 : snprintf(body, sizeof(body), "canned %s", name);

	*ret_text = NULL;
	if (n < 0 || (size_t)n >= sizeof(body))
		return -EMSGSIZE;
	n = session_command(s, body);
	if (n < 0 || !r)
		return n;
	/* The desk hands it on as if typed: the same turn, held the same way. */
	session_said(s, to);
	*ret_text = r->text;
	return 0;
}

const struct canned *session_canned(const struct session *s)
{
	return &s->canned;
}

bool session_strict(const struct session *s)
{
	return s->strict;
}

bool session_has_notices(const struct session *s)
{
	return s->notices;
}

const char *session_nick(const struct session *s)
{
	return s->nick;
}

const char *session_peer(const struct session *s)
{
	return s->peer;
}

bool session_group(const struct session *s)
{
	return s->group;
}

const char *session_target_name(const struct session *s)
{
	return s->target_name;
}

bool session_resumable(const struct session *s)
{
	return resume_possible(s);
}

bool session_heard(const struct session *s)
{
	return s->heard;
}

bool session_restarting(const struct session *s)
{
	return s->restarting;
}
