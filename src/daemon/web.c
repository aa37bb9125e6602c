/* SPDX-License-Identifier: ISC */
/*
 * web.c - web_listen's connections until they are WebSockets: accept, the request head within
 * its size and time limits, the HTTP answers, and the upgrade (see web.h for the design).
 *
 * State: each connection is one struct web_conn on the web's @conns list, from web_accept()
 * until web_conn_free(), the one place that frees it. In WEB_HEAD it counts against
 * WEB_HEAD_CONNS_MAX; an answered one (WEB_ANSWER) sends its answer, half-closes and reads
 * until the peer's EOF (closing with unread input would reset the connection and could destroy
 * the answer), all within WEB_CLOSE_TIMEOUT. An upgraded one belongs to web-ws.c.
 */
#include "web.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/ioctl.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "admit.h"
#include "bans.h"
#include "clock.h"
#include "log.h"
#include "server.h"
#include "tls.h"
#include "tlserr.h"
#include "web-http.h"
#include "web-pages.h"
#include "web-priv.h"

/* /ws/agent over plain HTTP from another host: why not (README, "Web clients"). */
static const char clear_refusal[] =
    "403 Forbidden: agents connect over TLS (https, with tls_cert and tls_key set) or from a "
    "loopback address; a TLS proxy in front of the daemon must run on the same host\n";

static void on_head_read(struct bufferevent *bev, void *arg);
static void on_event(struct bufferevent *bev, short what, void *arg);
static void on_timer(evutil_socket_t fd, short what, void *arg);

static void web_set_timer(struct web_conn *wc, unsigned seconds)
{
	struct timeval tv = { .tv_sec = seconds };

	evtimer_add(wc->timer, &tv);
}

static void on_scan(evutil_socket_t fd, short what, void *arg)
{
	struct web *w = arg;
	struct web_conn *wc, *next;

	/* A pair end's free tells its partner nothing: see whether each conn is still there. */
	for (wc = TAILQ_FIRST(&w->conns); wc; wc = next) {
		next = TAILQ_NEXT(wc, entry);
		if (wc->link)
			web_ws_check(wc); /* may free @wc, never another */
	}
}

int web_new(struct server *s, struct web **ret)
{
	struct web *w = calloc(1, sizeof(*w));
	struct timeval second = { .tv_sec = 1 };

	if (!w)
		return -ENOMEM;
	w->server = s;
	TAILQ_INIT(&w->conns);
	w->as.server = s;
	w->as.role = s->config.mode == MODE_GROUP ? ROLE_MEMBER : ROLE_CUSTOMER;
	w->as.proto = PROTO_FRAMED;
	/*
	 * Never challenged, key_file or not: a public page cannot hold a secret (with key_file,
	 * web_public = yes says so, config.c).
	 */
	w->as.key = NULL;
	snprintf(w->as.name, sizeof(w->as.name), "web_listen");
	w->agent_as = w->as;
	w->agent_as.role = ROLE_AGENT;
	/* As agent_listen's: agents_file's keys answer it even without agent_key_file. */
	w->agent_as.key = &s->agent_key;
	snprintf(w->agent_as.name, sizeof(w->agent_as.name), "web_listen /ws/agent");
	w->scan = event_new(s->base, -1, EV_PERSIST, on_scan, w);
	if (!w->scan || event_add(w->scan, &second) < 0) {
		web_free(w);
		return -ENOMEM;
	}
	*ret = w;
	return 0;
}

void web_conn_free(struct web_conn *wc)
{
	struct web *w = wc->web;

	if (wc->state == WEB_HEAD)
		w->nhead--;
	TAILQ_REMOVE(&w->conns, wc, entry);
	web_ws_free(wc);
	bufferevent_free(wc->bev);
	event_free(wc->timer);
	free(wc);
	if (w->stopping && TAILQ_EMPTY(&w->conns))
		server_sweep_soon(w->server); /* the server may be waiting for us to stop */
}

bool web_idle(const struct web *w)
{
	return !w || TAILQ_EMPTY(&w->conns);
}

void web_free(struct web *w)
{
	struct web_conn *wc;

	if (!w)
		return;
	w->stopping = false; /* the server is being freed: no sweep to ask for */
	while ((wc = TAILQ_FIRST(&w->conns)))
		web_conn_free(wc);
	if (w->scan)
		event_free(w->scan);
	free(w);
}

void web_stop(struct web *w)
{
	struct web_conn *wc, *next;

	if (!w)
		return;
	w->stopping = true;
	/* Each conn is told "shutting-down" now: its WebSocket closes soon after, not in a second.
	 */
	event_del(w->scan);
	event_add(w->scan, &(struct timeval){ .tv_usec = 50 * 1000 });
	for (wc = TAILQ_FIRST(&w->conns); wc; wc = next) {
		next = TAILQ_NEXT(wc, entry);
		if (wc->state == WEB_HEAD)
			web_conn_free(wc);
	}
}

/* Connections from @key still in their request head. */
static unsigned heads_from(struct web *w, const char *key)
{
	struct web_conn *wc;
	unsigned n = 0;

	TAILQ_FOREACH (wc, &w->conns, entry)
		n += wc->state == WEB_HEAD && strcmp(wc->addr_key, key) == 0;
	return n;
}

void web_accept(struct web *w, int fd, const struct sockaddr *sa, socklen_t salen)
{
	struct server *s = w->server;
	struct web_conn *wc;
	char peer[64], key[ADMIT_KEY_MAX];

	listener_addr_format(sa, (unsigned)salen, peer, sizeof(peer));
	admit_address_key(peer, key, sizeof(key));
	if (w->stopping || w->nhead >= WEB_HEAD_CONNS_MAX ||
	    heads_from(w, key) >= WEB_HEAD_PER_ADDRESS) {
		server_log_refusal(s, peer,
				   w->stopping ? "shutting down" : "too many web requests");
		evutil_closesocket(fd);
		return;
	}
	server_tune_tcp(s, fd, peer);
	wc = calloc(1, sizeof(*wc));
	/* With tls_cert, https: the head is read after the TLS handshake, under its deadline. */
	if (!wc ||
	    !(wc->bev = s->tls ? tls_accept(s->tls, s->base, fd)
			       : bufferevent_socket_new(s->base, fd, BEV_OPT_CLOSE_ON_FREE)) ||
	    !(wc->timer = evtimer_new(s->base, on_timer, wc))) {
		log_warnx("%s: out of memory for a web connection", peer);
		if (wc && wc->bev)
			bufferevent_free(wc->bev);
		else
			evutil_closesocket(fd);
		free(wc);
		return;
	}
	wc->web = w;
	wc->state = WEB_HEAD;
	snprintf(wc->peer, sizeof(wc->peer), "%s", peer);
	snprintf(wc->addr_key, sizeof(wc->addr_key), "%s", key);
	memcpy(&wc->sa, sa, salen < sizeof(wc->sa) ? salen : sizeof(wc->sa));
	wc->salen = salen;
	TAILQ_INSERT_TAIL(&w->conns, wc, entry);
	w->nhead++;
	bufferevent_setcb(wc->bev, on_head_read, NULL, on_event, wc);
	bufferevent_enable(wc->bev, EV_READ | EV_WRITE);
	web_set_timer(wc, s->config.handshake_timeout < WEB_HEAD_TIMEOUT
			      ? s->config.handshake_timeout
			      : WEB_HEAD_TIMEOUT);
}

static void on_linger_read(struct bufferevent *bev, void *arg)
{
	struct evbuffer *in = bufferevent_get_input(bev);

	evbuffer_drain(in, evbuffer_get_length(in));
}

/* The answer is out: half-close, and free now, or at the peer's EOF (or the timer). */
static void on_flushed(struct bufferevent *bev, void *arg)
{
	struct web_conn *wc = arg;
	evutil_socket_t fd = bufferevent_getfd(bev);
	int pending = 0;

	if (evbuffer_get_length(bufferevent_get_output(bev)) > 0 || wc->linger)
		return;
	wc->linger = true;
	/*
	 * TLS ends with close_notify, so that the peer can tell the answer is whole. Then, TLS or
	 * not: closing with unread input in the socket resets the connection; with none, it is a
	 * clean FIN.
	 */
	tls_close_notify(bev);
	if (shutdown(fd, SHUT_WR) < 0 || ioctl(fd, FIONREAD, &pending) < 0 || pending == 0) {
		web_conn_free(wc);
		return;
	}
	bufferevent_setcb(bev, on_linger_read, NULL, on_event, wc);
	bufferevent_enable(bev, EV_READ);
}

void web_conn_finish(struct web_conn *wc)
{
	if (wc->state == WEB_HEAD)
		wc->web->nhead--;
	wc->state = WEB_ANSWER;
	web_set_timer(wc, WEB_CLOSE_TIMEOUT);
	bufferevent_setcb(wc->bev, on_linger_read, on_flushed, on_event, wc);
	bufferevent_setwatermark(wc->bev, EV_WRITE, 0, 0);
	on_linger_read(wc->bev, wc);
	on_flushed(wc->bev, wc);
}

/* An HTTP answer that ends the connection: the status, @headers ("Name: value\r\n"...), @body. */
static void answer(struct web_conn *wc, int code, const char *reason, const char *headers,
		   const char *type, const char *body)
{
	struct evbuffer *out = bufferevent_get_output(wc->bev);

	evbuffer_add_printf(out,
			    "HTTP/1.1 %d %s\r\nConnection: close\r\nContent-Type: %s\r\n"
			    "Content-Length: %zu\r\nCache-Control: no-store\r\n"
			    "X-Content-Type-Options: nosniff\r\n%s\r\n%s",
			    code, reason, type, strlen(body), headers ? headers : "", body);
	web_conn_finish(wc);
}

static void answer_status(struct web_conn *wc, int code, const char *reason, const char *headers)
{
	char body[64];

	snprintf(body, sizeof(body), "%d %s\n", code, reason);
	answer(wc, code, reason, headers, "text/plain; charset=utf-8", body);
}

/*
 * Admission for a valid upgrade, as server_admit() does for a framed peer accepted on @as:
 * refused and not to be told, it gets 503 and goes; otherwise @ret_code/@ret_text are what its
 * conn says first (NULL: nothing).
 */
static bool admitted(struct web_conn *wc, const struct listener *as, const char **ret_code,
		     const char **ret_text)
{
	struct server *s = wc->web->server;
	const struct sockaddr *sa = (const struct sockaddr *)&wc->sa;
	bool tell = false;

	*ret_text = NULL;
	*ret_code = admit_accept(s, as, sa, wc->peer, &tell, ret_text);
	if (!*ret_code && bans_addr(&s->bans, sa, fd_clock_unix_ms() / 1000)) {
		*ret_code = "banned";
		*ret_text = "your address is banned from this room";
		tell = true;
	}
	if (*ret_code && (!tell || s->counts[BUCKET_REFUSING] >= MAX_REFUSING)) {
		server_log_refusal(s, wc->peer, tell ? *ret_code : *ret_text);
		s->stats.connections[as->role]++;
		stats_refused(&s->stats, *ret_code);
		return false;
	}
	return true;
}

/* The upgrade to a WebSocket whose conn is admitted as a peer of @as would be. */
static void upgrade(struct web_conn *wc, const struct web_request *req, const struct listener *as)
{
	struct evbuffer *out = bufferevent_get_output(wc->bev);
	const char *code, *text;
	char accept_key[WEB_ACCEPT_LEN + 1];

	if (wc->web->stopping || !admitted(wc, as, &code, &text)) {
		answer_status(wc, 503, "Service Unavailable", "Retry-After: 5\r\n");
		return;
	}
	web_http_accept(req->key, accept_key);
	evbuffer_add_printf(out,
			    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
			    "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
			    accept_key);
	wc->web->nhead--;
	wc->state = WEB_OPEN;
	evtimer_del(wc->timer);
	if (web_ws_open(wc, as, code, text) < 0) {
		log_warnx("%s: cannot open a WebSocket: out of memory", wc->peer);
		web_conn_free(wc);
		return;
	}
	log_info("%s: WebSocket on %s%s", wc->peer, req->path, tls_is_tls(wc->bev) ? " (TLS)" : "");
	web_ws_pump(wc); /* frames that came with the head */
}

/* Whether @sa is a loopback address (127.0.0.0/8, ::1, or 127.x as IPv4-mapped IPv6). */
static bool is_loopback(const struct sockaddr_storage *sa)
{
	const struct in6_addr *a6 = &((const struct sockaddr_in6 *)sa)->sin6_addr;

	if (sa->ss_family == AF_INET)
		return ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24 == 127;
	return sa->ss_family == AF_INET6 &&
	       (IN6_IS_ADDR_LOOPBACK(a6) || (IN6_IS_ADDR_V4MAPPED(a6) && a6->s6_addr[12] == 127));
}

/* /ws/agent: the agents' door, open only where agent_listen's rules would let an agent in. */
static enum web_route agent_route(struct web_conn *wc, const struct web_request *req)
{
	const struct config *cfg = &wc->web->server->config;
	struct web_agent_door door = {
		.open = config_web_agents(cfg),
		.tls = tls_is_tls(wc->bev),
		.loopback = is_loopback(&wc->sa),
	};

	return web_http_agent(req, &door);
}

/* A whole request head, answered. */
static void handle_head(struct web_conn *wc, const char *head, size_t len)
{
	struct web_request req;
	const char *why = NULL, *reason;
	enum web_route route;
	int code;

	if (web_http_parse(head, len, &req, &why) < 0) {
		log_debug("%s: web: a bad request head: %s", wc->peer, why);
		answer_status(wc, 400, "Bad Request", NULL);
		return;
	}
	route = web_http_route(&req, wc->web->server->config.web_origins);
	if (route == WEB_ROUTE_AGENT)
		route = agent_route(wc, &req);
	code = web_http_status(route, &reason);
	log_debug("%s: web: %s %s: %d", wc->peer, req.method, req.path, code);
	switch (route) {
	case WEB_ROUTE_UPGRADE:
		upgrade(wc, &req, &wc->web->as);
		break;
	case WEB_ROUTE_AGENT_WS:
		upgrade(wc, &req, &wc->web->agent_as);
		break;
	case WEB_ROUTE_CLEAR:
		/* Logged as refusals at the door are: at most a line a second. */
		server_log_refusal(wc->web->server, wc->peer,
				   "an agent on /ws/agent over plain HTTP from another host");
		answer(wc, code, reason, NULL, "text/plain; charset=utf-8", clear_refusal);
		break;
	case WEB_ROUTE_PAGE:
		web_pages_answer(wc, &req);
		break;
	case WEB_ROUTE_METHOD:
		/* /ws and /ws/agent are upgrades, a GET only; the pages take HEAD too. */
		answer_status(wc, code, reason,
			      strcmp(req.path, "/ws") && strcmp(req.path, "/ws/agent")
				  ? "Allow: GET, HEAD\r\n"
				  : "Allow: GET\r\n");
		break;
	case WEB_ROUTE_VERSION:
		answer_status(wc, code, reason, "Sec-WebSocket-Version: 13\r\n");
		break;
	default:
		answer_status(wc, code, reason, NULL);
		break;
	}
}

static void on_head_read(struct bufferevent *bev, void *arg)
{
	struct web_conn *wc = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t len = evbuffer_get_length(in);
	struct evbuffer_ptr end = evbuffer_search(in, "\r\n\r\n", 4, NULL);
	size_t head_len;
	char head[WEB_HEAD_MAX];

	if (end.pos < 0 || (size_t)end.pos + 4 > WEB_HEAD_MAX) {
		if (len >= WEB_HEAD_MAX)
			answer_status(wc, 431, "Request Header Fields Too Large", NULL);
		return;
	}
	head_len = (size_t)end.pos + 4;
	evbuffer_remove(in, head, head_len);
	handle_head(wc, head, head_len);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	struct web_conn *wc = arg;

	if (!(what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)))
		return;
	/*
	 * A peer that half-closed after its request still reads our answer; not over TLS, where
	 * libevent writes nothing more once it has read the end (conn.c says the same).
	 */
	if (wc->state == WEB_ANSWER && !wc->linger && !(what & BEV_EVENT_ERROR) &&
	    !tls_is_tls(bev)) {
		bufferevent_disable(bev, EV_READ);
		return;
	}
	/* A failed TLS handshake (plain HTTP on an https port, say) ends this connection only. */
	if (what & BEV_EVENT_ERROR) {
		char tls_err[256];
		const char *why = tls_bufferevent_error(bev, tls_err, sizeof(tls_err));

		if (wc->state == WEB_HEAD)
			log_debug("%s: web: %s", wc->peer,
				  why ? why : evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
	}
	web_conn_free(wc);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct web_conn *wc = arg;

	if (wc->state == WEB_OPEN) {
		web_ws_timer(wc);
		return;
	}
	if (wc->state == WEB_HEAD)
		log_debug("%s: web: no whole request head in time", wc->peer);
	web_conn_free(wc);
}
