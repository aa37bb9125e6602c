/* SPDX-License-Identifier: ISC */
/* test-web-http.c - web_listen's request head parser and router, and web_origins' parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "web-http.h"
#include "web-pages.h"

#define UPGRADE                                                                                    \
	"GET /ws?v=1 HTTP/1.1\r\nHost: Shop.example:8080\r\nUpgrade: WebSocket\r\n"                \
	"Connection: keep-alive, Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"       \
	"Sec-WebSocket-Version: 13\r\n"

static enum web_route route(const char *head, const char *origins)
{
	struct web_request req;
	const char *why = NULL;

	if (web_http_parse(head, strlen(head), &req, &why) < 0) {
		assert_non_null(why);
		return WEB_ROUTE_BAD;
	}
	return web_http_route(&req, origins);
}

static void test_accept_key(void **state)
{
	char out[WEB_ACCEPT_LEN + 1];

	/* RFC 6455 section 1.3's example. */
	web_http_accept("dGhlIHNhbXBsZSBub25jZQ==", out);
	assert_string_equal(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

static void test_parse(void **state)
{
	const char *head = UPGRADE "Origin: http://shop.example:8080\r\n\r\n";
	struct web_request req;
	const char *why = NULL;

	assert_int_equal(web_http_parse(head, strlen(head), &req, &why), 0);
	assert_string_equal(req.method, "GET");
	assert_string_equal(req.path, "/ws");
	assert_true(req.http11 && req.upgrade && req.conn_upgrade && req.has_origin);
	assert_string_equal(req.host, "Shop.example:8080");
	assert_string_equal(req.version, "13");
	/* Malformed heads. */
	assert_int_equal(route("GET /ws HTTP/1.1\r\nHost: x\r\n", ""), WEB_ROUTE_BAD);
	assert_int_equal(route("GET /ws HTTP/1.1\r\n Host: x\r\n\r\n", ""), WEB_ROUTE_BAD);
	assert_int_equal(route("GET ws HTTP/1.1\r\nHost: x\r\n\r\n", ""), WEB_ROUTE_BAD);
	assert_int_equal(route("GET / HTTP/2.0\r\nHost: x\r\n\r\n", ""), WEB_ROUTE_BAD);
	assert_int_equal(route("GET / HTTP/1.1\r\nHost : x\r\n\r\n", ""), WEB_ROUTE_BAD);
	assert_int_equal(route("GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", ""), WEB_ROUTE_BAD);
	assert_int_equal(route("GET / HTTP/1.1\r\nHost: x\rX\r\n\r\n", ""), WEB_ROUTE_BAD);
	assert_int_equal(route("GET / HTTP/1.0\r\n\r\n", ""), WEB_ROUTE_PAGE);
}

static void test_route(void **state)
{
	const char *list = "https://a.example,http://shop.example:8080";

	assert_int_equal(route(UPGRADE "\r\n", ""), WEB_ROUTE_UPGRADE); /* no Origin: no browser */
	assert_int_equal(route(UPGRADE "Origin: http://SHOP.example:8080\r\n\r\n", ""),
			 WEB_ROUTE_UPGRADE);
	assert_int_equal(route(UPGRADE "Origin: https://shop.example:8080\r\n\r\n", ""),
			 WEB_ROUTE_UPGRADE);
	assert_int_equal(route(UPGRADE "Origin: http://shop.example\r\n\r\n", ""),
			 WEB_ROUTE_ORIGIN);
	assert_int_equal(route(UPGRADE "Origin: null\r\n\r\n", ""), WEB_ROUTE_ORIGIN);
	assert_int_equal(route(UPGRADE "Origin: https://a.example\r\n\r\n", list),
			 WEB_ROUTE_UPGRADE);
	assert_int_equal(route(UPGRADE "Origin: https://a.example.evil\r\n\r\n", list),
			 WEB_ROUTE_ORIGIN);
	assert_int_equal(route(UPGRADE "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n", ""),
			 WEB_ROUTE_BAD); /* two keys */
	assert_int_equal(route("GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
			       "Connection: upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n",
			       ""),
			 WEB_ROUTE_BAD);
	assert_int_equal(route("GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
			       "Connection: upgrade\r\nSec-WebSocket-Key: short==\r\n"
			       "Sec-WebSocket-Version: 13\r\n\r\n",
			       ""),
			 WEB_ROUTE_BAD);
	assert_int_equal(
	    route("GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
		  "Connection: upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
		  "Sec-WebSocket-Version: 8\r\n\r\n",
		  ""),
	    WEB_ROUTE_VERSION);
	assert_int_equal(route("GET /ws HTTP/1.1\r\nHost: x\r\n\r\n", ""), WEB_ROUTE_BAD);
	assert_int_equal(route("POST / HTTP/1.1\r\nHost: x\r\n\r\n", ""), WEB_ROUTE_METHOD);
	assert_int_equal(route("GET /agent HTTP/1.1\r\nHost: x\r\n\r\n", ""), WEB_ROUTE_PAGE);
	assert_int_equal(route("GET /agent/ HTTP/1.1\r\nHost: x\r\n\r\n", ""), WEB_ROUTE_NOTFOUND);
	/* A path that is nothing: 404 whatever the method (a 405 would name what it takes). */
	assert_int_equal(route("POST /nope HTTP/1.1\r\nHost: x\r\n\r\n", ""), WEB_ROUTE_NOTFOUND);
}

#define AGENT_UPGRADE                                                                              \
	"GET /ws/agent HTTP/1.1\r\nHost: desk.example\r\nUpgrade: websocket\r\n"                   \
	"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"                   \
	"Sec-WebSocket-Version: 13\r\n"

/* /ws/agent's decision with the door @open, @tls, from @loopback. */
static enum web_route agent(const char *head, bool open, bool tls, bool loopback)
{
	struct web_agent_door door = { .open = open, .tls = tls, .loopback = loopback };
	struct web_request req;
	const char *why = NULL;

	assert_int_equal(web_http_parse(head, strlen(head), &req, &why), 0);
	/* web_origins never widens the agents' door. */
	assert_int_equal(web_http_route(&req, "http://evil.example"), WEB_ROUTE_AGENT);
	return web_http_agent(&req, &door);
}

static void test_agent_door(void **state)
{
	const char *own_http = AGENT_UPGRADE "Origin: http://desk.example\r\n\r\n";
	const char *own_https = AGENT_UPGRADE "Origin: https://DESK.example\r\n\r\n";
	const char *other = AGENT_UPGRADE "Origin: https://shop.example\r\n\r\n";

	/* Shut (no agent key): 404, whatever else is wrong, the method too. */
	assert_int_equal(agent(own_https, false, true, true), WEB_ROUTE_NOTFOUND);
	assert_int_equal(agent("POST /ws/agent HTTP/1.1\r\nHost: x\r\n\r\n", false, true, true),
			 WEB_ROUTE_NOTFOUND);
	assert_int_equal(agent("HEAD /ws/agent HTTP/1.1\r\nHost: x\r\n\r\n", true, true, true),
			 WEB_ROUTE_METHOD);
	assert_int_equal(agent("GET /ws/agent HTTP/1.1\r\nHost: x\r\n\r\n", false, true, true),
			 WEB_ROUTE_NOTFOUND);
	/* Open: the upgrade's own checks first. */
	assert_int_equal(agent("GET /ws/agent HTTP/1.1\r\nHost: x\r\n\r\n", true, true, true),
			 WEB_ROUTE_BAD);
	/* Over TLS: only the https origin of the Host, from anywhere. */
	assert_int_equal(agent(own_https, true, true, false), WEB_ROUTE_AGENT_WS);
	assert_int_equal(agent(own_http, true, true, true), WEB_ROUTE_ORIGIN);
	assert_int_equal(agent(other, true, true, true), WEB_ROUTE_ORIGIN);
	assert_int_equal(
	    agent(AGENT_UPGRADE "Origin: https://desk.example:444\r\n\r\n", true, true, true),
	    WEB_ROUTE_ORIGIN);
	/* Plain HTTP: from loopback only; https too (a TLS proxy on this host). */
	assert_int_equal(agent(own_http, true, false, true), WEB_ROUTE_AGENT_WS);
	assert_int_equal(agent(own_https, true, false, true), WEB_ROUTE_AGENT_WS);
	assert_int_equal(agent(own_http, true, false, false), WEB_ROUTE_CLEAR);
	assert_int_equal(agent(other, true, false, true), WEB_ROUTE_ORIGIN);
	/* No Origin: not a browser, judged by the rest. */
	assert_int_equal(agent(AGENT_UPGRADE "\r\n", true, false, true), WEB_ROUTE_AGENT_WS);
	assert_int_equal(agent(AGENT_UPGRADE "\r\n", true, false, false), WEB_ROUTE_CLEAR);
	assert_int_equal(agent(AGENT_UPGRADE "Origin: null\r\n\r\n", true, true, true),
			 WEB_ROUTE_ORIGIN);
}

/* The built-in pages: which paths are files, HEAD, If-None-Match. */
static void test_pages(void **state)
{
	const char *head = "GET / HTTP/1.1\r\nHost: x\r\nIf-None-Match: W/\"a\", \"b\"\r\n\r\n";
	const struct web_asset *a = web_pages_find("/static/style.css");
	struct web_request req;
	const char *why = NULL;

	assert_non_null(a);
	assert_string_equal(a->type, "text/css; charset=utf-8");
	assert_string_equal(web_pages_find("/")->name, "index.html");
	assert_string_equal(web_pages_find("/room")->name, "room.html");
	assert_string_equal(web_pages_find("/agent")->name, "agent.html");
	assert_null(web_pages_find("/agent.html"));
	assert_null(web_pages_find("/static/"));
	assert_null(web_pages_find("/static/../index.html"));
	assert_null(web_pages_find("/static/x/style.css"));
	assert_null(web_pages_find("/index.html"));
	assert_int_equal(route("HEAD / HTTP/1.1\r\nHost: x\r\n\r\n", ""), WEB_ROUTE_PAGE);
	assert_int_equal(route("GET /static/link.js HTTP/1.1\r\nHost: x\r\n\r\n", ""),
			 WEB_ROUTE_PAGE);
	assert_int_equal(route("GET /static/%2e%2e HTTP/1.1\r\nHost: x\r\n\r\n", ""),
			 WEB_ROUTE_NOTFOUND);
	assert_int_equal(route("HEAD /ws HTTP/1.1\r\nHost: x\r\n\r\n", ""), WEB_ROUTE_METHOD);
	assert_int_equal(web_http_parse(head, strlen(head), &req, &why), 0);
	assert_string_equal(req.if_none_match, "W/\"a\", \"b\"");
	assert_true(web_pages_fresh(req.if_none_match, "\"a\""));
	assert_true(web_pages_fresh(req.if_none_match, "\"b\""));
	assert_false(web_pages_fresh(req.if_none_match, "\"c\""));
	assert_false(web_pages_fresh(req.if_none_match, "\"\""));
	assert_true(web_pages_fresh(" * ", "\"c\""));
	assert_false(web_pages_fresh("", "\"c\""));
	assert_false(web_pages_fresh("\"ab\"", "\"a\""));
}

/* web_origins, through the config file as users write it. */
static void test_origins_config(void **state)
{
	char path[] = "/tmp/test-web-http-XXXXXX", *errors = NULL;
	struct config c;
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");

	fputs("web_listen = 127.0.0.1:8080\nweb_origins = HTTPS://Shop.Example , "
	      "http://[::1]:8080\n",
	      f);
	fclose(f);
	config_init(&c);
	assert_int_equal(config_load(&c, path, &errors), 0);
	assert_int_equal(c.web_listen.n, 1);
	assert_string_equal(c.web_origins, "https://shop.example,http://[::1]:8080");
	f = fopen(path, "w");
	fputs("web_embed_origins = https://A.example, http://b.example:81\n", f);
	fclose(f);
	config_init(&c);
	assert_int_equal(config_load(&c, path, &errors), 0);
	assert_string_equal(c.web_embed_origins, "https://a.example,http://b.example:81");
	f = fopen(path, "w");
	fputs("web_origins = https://shop.example/page\n", f);
	fclose(f);
	config_init(&c);
	assert_true(config_load(&c, path, &errors) < 0);
	assert_non_null(strstr(errors, "is not scheme://host[:port]"));
	free(errors);
	config_init(&c);
	assert_int_equal(c.web_listen.n, 0); /* off by default */
	assert_string_equal(c.web_origins, "");
	assert_string_equal(c.web_embed_origins, "");
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accept_key),     cmocka_unit_test(test_parse),
		cmocka_unit_test(test_route),          cmocka_unit_test(test_agent_door),
		cmocka_unit_test(test_pages), /* the built-in pages: web-pages.c */
		cmocka_unit_test(test_origins_config),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
