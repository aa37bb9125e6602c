/* SPDX-License-Identifier: ISC */
/*
 * fuzz-http.c - libFuzzer harness for web_listen's request head parser and router
 * (web-http.h).
 *
 * The input is taken as a whole head, as web.c hands one over (it ends at the first empty
 * line, at most WEB_HEAD_MAX bytes). What web.c relies on must hold for any of them: a parsed
 * head has a method, a path in origin form and NUL-terminated fields within their buffers; the
 * route is one of the known ones with a status code; an upgrade has a well-formed key, whose
 * Sec-WebSocket-Accept is WEB_ACCEPT_LEN characters; an agent is never let in through a shut
 * door, nor over plain HTTP from afar.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "web-http.h"
#include "web-pages.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_field(const char *f, size_t size)
{
	if (!memchr(f, '\0', size))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct web_request req;
	const char *why = NULL, *reason = NULL;
	char accept[WEB_ACCEPT_LEN + 1];
	enum web_route route;
	int code;

	if (size > WEB_HEAD_MAX)
		return 0;
	if (web_http_parse((const char *)data, size, &req, &why) < 0) {
		if (!why)
			abort();
		return 0;
	}
	check_field(req.method, sizeof(req.method));
	check_field(req.path, sizeof(req.path));
	check_field(req.host, sizeof(req.host));
	check_field(req.origin, sizeof(req.origin));
	check_field(req.key, sizeof(req.key));
	check_field(req.version, sizeof(req.version));
	check_field(req.if_none_match, sizeof(req.if_none_match));
	if (!req.method[0] || req.path[0] != '/')
		abort();
	/* Both defaults: the Host's own origin, and a list. */
	route = web_http_route(&req, data[0] & 1 ? "" : "https://a.example,http://b.example:8080");
	if (route > WEB_ROUTE_AGENT)
		abort();
	/* /ws/agent: the agents' door, open or shut, TLS or not, from loopback or not. */
	if (route == WEB_ROUTE_AGENT) {
		struct web_agent_door door = { data[0] & 2, data[0] & 4, data[0] & 8 };

		route = web_http_agent(&req, &door);
		if (route == WEB_ROUTE_AGENT || route == WEB_ROUTE_UPGRADE ||
		    route == WEB_ROUTE_PAGE ||
		    (route == WEB_ROUTE_AGENT_WS && (!door.open || (!door.tls && !door.loopback))))
			abort();
	}
	code = web_http_status(route, &reason);
	if (code < 100 || code > 599 || !reason)
		abort();
	/* A page is a file the table has; If-None-Match is read within its string. */
	if (route == WEB_ROUTE_PAGE && !web_pages_find(req.path))
		abort();
	(void)web_pages_fresh(req.if_none_match, "\"x\"");
	if (route == WEB_ROUTE_UPGRADE || route == WEB_ROUTE_AGENT_WS) {
		if (strcmp(req.method, "GET") != 0 || strlen(req.key) != 24 ||
		    strcmp(req.version, "13") != 0)
			abort();
		web_http_accept(req.key, accept);
		if (strlen(accept) != WEB_ACCEPT_LEN)
			abort();
	}
	return 0;
}
