/* SPDX-License-Identifier: ISC */
/*
 * web-pages.h - the pages web_listen serves (the customer page, the room page, their assets),
 * built into the daemon so that a fresh install serves them with no extra step.
 *
 * contrib/web/gen-pages.py turns contrib/web/'s files into one table (web-pages-data.c, made
 * by the build), in the order of their names; web-pages.c finds a request's file in it and
 * answers it, with the security headers every page and asset carries.
 */
#ifndef FRONTDESK_WEB_PAGES_H
#define FRONTDESK_WEB_PAGES_H

#include <stdbool.h>
#include <stddef.h>

struct web_conn;
struct web_request;

/* One file of contrib/web/, as built in. */
struct web_asset {
	const char *name;           /* "style.css": the file's name, served as /static/NAME */
	const char *type;           /* its Content-Type */
	const unsigned char *bytes; /* its bytes, exactly */
	size_t len;
	const char *etag; /* a quoted hash of the bytes: the same file, the same ETag */
};

/* The table (web-pages-data.c, generated), sorted by name. */
extern const struct web_asset web_assets[];
extern const size_t web_assets_count;

/* web_pages_find() - the file a request for @path gets, or NULL (a 404). */
const struct web_asset *web_pages_find(const char *path);

/*
 * web_pages_fresh() - whether If-None-Match's @list names @etag (or is "*"): the client has
 * the file already, and gets 304. Weak comparison (RFC 9110 section 13.1.2).
 */
bool web_pages_fresh(const char *list, const char *etag);

/* web_pages_answer() - answer @req, routed WEB_ROUTE_PAGE, on @wc, and end the connection. */
void web_pages_answer(struct web_conn *wc, const struct web_request *req);

#endif
