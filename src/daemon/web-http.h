/* SPDX-License-Identifier: ISC */
/*
 * web-http.h - the HTTP/1.1 request head of a web connection, and what it is answered.
 *
 * Pure functions (no I/O, no allocation), so that the fuzzer (contrib/fuzz/fuzz-http.c) runs
 * exactly what the daemon runs. web.c reads the head (at most WEB_HEAD_MAX bytes, up to the
 * empty line), web_http_parse() takes it apart, web_http_route() decides.
 */
#ifndef FRONTDESK_WEB_HTTP_H
#define FRONTDESK_WEB_HTTP_H

#include <stdbool.h>
#include <stddef.h>

/* The longest request head read, its empty line included; past it: 431. */
#define WEB_HEAD_MAX 8192
/* Sec-WebSocket-Accept's length: base64 of a SHA-1. */
#define WEB_ACCEPT_LEN 28

/* What the daemon keeps of a request head; strings are NUL-terminated, "" when absent. */
struct web_request {
	char method[16];
	char path[256];    /* the target without its query */
	bool http11;       /* HTTP/1.1 (anything else may not upgrade) */
	bool upgrade;      /* Upgrade names "websocket" */
	bool conn_upgrade; /* Connection names "upgrade" */
	char host[256];
	char origin[256];
	char key[32];         /* Sec-WebSocket-Key */
	char version[8];      /* Sec-WebSocket-Version */
	bool has_origin;      /* an Origin header came (maybe empty) */
	unsigned nhost, nkey; /* how many times each came: twice is an error */
	/* If-None-Match: the ETags the client has ("" also when too long: a full answer). */
	char if_none_match[256];
};

/* What a request gets. */
enum web_route {
	WEB_ROUTE_UPGRADE,  /* 101 to a WebSocket on /ws */
	WEB_ROUTE_PAGE,     /* 200 (or 304): a page or an asset (web-pages.h), GET or HEAD */
	WEB_ROUTE_BAD,      /* 400: malformed, or an upgrade without a valid key */
	WEB_ROUTE_ORIGIN,   /* 403: an upgrade from an origin web_origins does not allow */
	WEB_ROUTE_NOTFOUND, /* 404 */
	WEB_ROUTE_METHOD,   /* 405: not GET (nor HEAD, for a page) */
	WEB_ROUTE_VERSION,  /* 426: not Sec-WebSocket-Version 13 */
	WEB_ROUTE_AGENT,    /* /ws/agent: web_http_agent() decides */
	WEB_ROUTE_AGENT_WS, /* 101 to a WebSocket on /ws/agent: an agent */
	WEB_ROUTE_CLEAR,    /* 403: an agent over plain HTTP from another host */
};

/*
 * web_http_parse() - @head (@len bytes, ending with the empty line) into @req. Return 0, or -1
 * for a head that is not HTTP/1.x (*@why says what, for the log): a 400.
 */
int web_http_parse(const char *head, size_t len, struct web_request *req, const char **why);

/*
 * web_http_route() - what @req gets, with @origins the allowed origins (config.web_origins:
 * lower-case, comma-separated; "" for the Host's own). A request without Origin is not from a
 * browser (browsers always send it on an upgrade), so no page can be acting for a visitor: it
 * is allowed.
 */
enum web_route web_http_route(const struct web_request *req, const char *origins);

/* What the agents' door (/ws/agent) depends on besides the request. */
struct web_agent_door {
	bool open;     /* agent_key_file or agents_file is set (single-agent mode) */
	bool tls;      /* the listener speaks TLS (https, wss) */
	bool loopback; /* the peer's address is a loopback one (127.0.0.0/8, ::1) */
};

/*
 * web_http_agent() - what a request routed WEB_ROUTE_AGENT gets: 404 when @door is shut, 405
 * when not a GET, the upgrade's own checks as on /ws, 403 (WEB_ROUTE_ORIGIN) unless its Origin
 * is the Host's own origin (web_origins does not widen it: an agent's page is the daemon's),
 * 403 (WEB_ROUTE_CLEAR) over plain HTTP from a peer that is not on loopback; else
 * WEB_ROUTE_AGENT_WS. The own origin is "https://HOST" over TLS; over plain HTTP
 * "http://HOST", or "https://HOST" from a TLS proxy in front of the daemon on this host. As on
 * /ws, a request without Origin is not from a browser and is not judged by it.
 */
enum web_route web_http_agent(const struct web_request *req, const struct web_agent_door *door);

/* web_http_status() - the status code and reason of @route's answer. */
int web_http_status(enum web_route route, const char **reason);

/* web_http_accept() - Sec-WebSocket-Accept for @key into @out (WEB_ACCEPT_LEN + 1 bytes). */
void web_http_accept(const char *key, char out[WEB_ACCEPT_LEN + 1]);

#endif
