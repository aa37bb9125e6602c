/* SPDX-License-Identifier: ISC */
/*
 * http.h - one blocking HTTP/1.0 GET: how frontdeskctl asks the running daemon.
 *
 * A command line tool waits for its answer anyway, so this is plain blocking I/O: connect to
 * each address the name resolves to in turn (each try bounded by the timeout), send the
 * request, read the answer to EOF (HTTP/1.0: the server closes), under a size cap and the same
 * timeout, and split it into the status code and the body.
 */
#ifndef FRONTDESK_CTL_HTTP_H
#define FRONTDESK_CTL_HTTP_H

#include <stddef.h>

struct http_reply {
	int status;       /* 200, 404, ... */
	char line[80];    /* the status line, printable ASCII, cut to fit */
	char *data;       /* the whole answer, NUL-terminated; http_reply_free() */
	const char *body; /* within data */
	size_t body_len;
};

/*
 * http_get() - GET @path from @host (a name or an address, IPv6 without brackets) at @port.
 *
 * @timeout_ms bounds each connection attempt, and then the exchange; @max the answer's bytes.
 * Return: 0 with @ret filled, whatever its status; -EPROTO when something answered, but not
 * HTTP this reader takes (or more than @max); another negative errno when no connection was
 * made or it broke. On failure @why holds the reason for a person ("Connection refused",
 * "no such host") and @ret holds nothing to free.
 */
int http_get(const char *host, const char *port, const char *path, int timeout_ms, size_t max,
	     struct http_reply *ret, char *why, size_t whylen);

void http_reply_free(struct http_reply *r);

#endif
