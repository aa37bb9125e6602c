/* SPDX-License-Identifier: ISC */
/*
 * web-pages.c - the built-in pages: which file a path is, and its answer (see web-pages.h).
 *
 * Paths are matched whole against the table's names, never taken apart as file names: nothing
 * is decoded and nothing is read from disk, so "/static/../x" or "%2e%2e" is simply a name the
 * table does not have (404). Every answer carries the same Content-Security-Policy: the pages
 * run only their own modules and style, talk only to their own host (CSP 3's 'self' covers
 * ws: and wss: to it), and may be framed only by the origins web_embed_origins lists.
 * Cache-Control: no-cache with an ETag: a browser keeps the files but asks each time, so a
 * new daemon's pages are used at once and an unchanged file costs a 304.
 */
#include "web-pages.h"

#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "server.h"
#include "web-http.h"
#include "web-priv.h"

/* The CSP before frame-ancestors' origins. */
#define CSP_BASE                                                                                   \
	"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "    \
	"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'"

static const struct web_asset *find_name(const char *name)
{
	for (size_t i = 0; i < web_assets_count; i++)
		if (strcmp(web_assets[i].name, name) == 0)
			return &web_assets[i];
	return NULL;
}

const struct web_asset *web_pages_find(const char *path)
{
	if (strcmp(path, "/") == 0)
		return find_name("index.html");
	if (strcmp(path, "/room") == 0)
		return find_name("room.html");
	if (strcmp(path, "/agent") == 0)
		return find_name("agent.html");
	if (strncmp(path, "/static/", 8) == 0 && path[8] && !strchr(path + 8, '/'))
		return find_name(path + 8);
	return NULL;
}

bool web_pages_fresh(const char *list, const char *etag)
{
	size_t elen = strlen(etag);

	while (*list) {
		size_t n;

		while (*list == ' ' || *list == '\t' || *list == ',')
			list++;
		n = strcspn(list, ",");
		while (n && (list[n - 1] == ' ' || list[n - 1] == '\t'))
			n--;
		if (n == 1 && *list == '*')
			return true;
		if (n > 2 && strncmp(list, "W/", 2) == 0)
			list += 2, n -= 2;
		if (n == elen && strncmp(list, etag, n) == 0)
			return true;
		list += n;
		while (*list && *list != ',')
			list++;
	}
	return false;
}

/* Content-Security-Policy's value: frame-ancestors lists @origins (comma-separated) too. */
static void csp_format(const char *origins, char *buf, size_t size)
{
	size_t used = (size_t)snprintf(buf, size, "%s%s", CSP_BASE, *origins ? " " : "");

	for (; *origins && used + 1 < size; origins++)
		buf[used++] = *origins == ',' ? ' ' : *origins;
	buf[used < size ? used : size - 1] = '\0';
}

void web_pages_answer(struct web_conn *wc, const struct web_request *req)
{
	const struct config *c = &wc->web->server->config;
	const struct web_asset *a = web_pages_find(req->path);
	struct evbuffer *out = bufferevent_get_output(wc->bev);
	char csp[sizeof(CSP_BASE) + sizeof(c->web_embed_origins) + 1];
	bool fresh = web_pages_fresh(req->if_none_match, a->etag);

	/*
	 * Only the customer's and the room's pages may be framed by the sites web_embed_origins
	 * lists: the agents' console never is, so that no other site can overlay it (clickjacking
	 * an agent, who is signed in, is worth more than a customer).
	 */
	csp_format(strcmp(a->name, "agent.html") == 0 ? "" : c->web_embed_origins, csp,
		   sizeof(csp));
	evbuffer_add_printf(out, "HTTP/1.1 %s\r\nConnection: close\r\n",
			    fresh ? "304 Not Modified" : "200 OK");
	if (!fresh)
		evbuffer_add_printf(out, "Content-Type: %s\r\nContent-Length: %zu\r\n", a->type,
				    a->len);
	evbuffer_add_printf(out,
			    "ETag: %s\r\nCache-Control: no-cache\r\n"
			    "Content-Security-Policy: %s\r\nX-Content-Type-Options: nosniff\r\n"
			    "Referrer-Policy: no-referrer\r\n\r\n",
			    a->etag, csp);
	/* The bytes are the table's, alive as long as the daemon: no copy. */
	if (!fresh && strcmp(req->method, "HEAD") != 0)
		evbuffer_add_reference(out, a->bytes, a->len, NULL, NULL);
	web_conn_finish(wc);
}
