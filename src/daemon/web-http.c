/* SPDX-License-Identifier: ISC */
/*
 * web-http.c - the request head: parsing (RFC 9112's grammar, strictly: CRLF line ends, no
 * folded headers, no NUL) and routing (RFC 6455 section 4.2.1's checks). See web-http.h.
 */
#include "web-http.h"
#include "web-pages.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

/* RFC 6455 section 1.3: appended to the client's key before hashing. */
static const char ws_guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

static int bad(const char **why, const char *what)
{
	*why = what;
	return -1;
}

/* A token character (RFC 9110 section 5.6.2): what methods and header names are made of. */
static bool is_tchar(unsigned char ch)
{
	return isalnum(ch) || (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

/* Copy @len bytes into @dst (@size bytes); false when they do not fit. */
static bool copy(char *dst, size_t size, const char *src, size_t len)
{
	if (len >= size)
		return false;
	memcpy(dst, src, len);
	dst[len] = '\0';
	return true;
}

/* Whether the comma-separated list @v (@len bytes) has the token @tok, in any case. */
static bool list_has(const char *v, size_t len, const char *tok)
{
	size_t tlen = strlen(tok);

	while (len) {
		size_t n = 0;

		while (len && (*v == ' ' || *v == '\t' || *v == ','))
			v++, len--;
		while (n < len && v[n] != ',')
			n++;
		len -= n;
		/* The item without its trailing blanks. */
		while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
			n--, len++;
		if (n == tlen && strncasecmp(v, tok, tlen) == 0)
			return true;
		v += n;
	}
	return false;
}

/* "METHOD SP TARGET SP HTTP/1.x": the target in origin form, its query cut off. */
static int request_line(const char *l, size_t len, struct web_request *req, const char **why)
{
	const char *sp1 = memchr(l, ' ', len), *sp2, *target, *q;
	size_t tlen;

	if (!sp1 || sp1 == l || !copy(req->method, sizeof(req->method), l, (size_t)(sp1 - l)))
		return bad(why, "no method");
	for (const char *p = l; p < sp1; p++)
		if (!is_tchar((unsigned char)*p))
			return bad(why, "the method is not a token");
	target = sp1 + 1;
	sp2 = memchr(target, ' ', len - (size_t)(target - l));
	if (!sp2 || sp2 == target || *target != '/')
		return bad(why, "no target in origin form");
	if ((size_t)(l + len - (sp2 + 1)) != 8 || strncmp(sp2 + 1, "HTTP/1.", 7) != 0 ||
	    !isdigit((unsigned char)sp2[8]))
		return bad(why, "not HTTP/1.x");
	req->http11 = sp2[8] != '0';
	q = memchr(target, '?', (size_t)(sp2 - target));
	tlen = (size_t)((q ? q : sp2) - target);
	for (size_t i = 0; i < tlen; i++)
		if ((unsigned char)target[i] <= ' ' || target[i] == 0x7f)
			return bad(why, "a control character in the target");
	/* A path too long for any of ours is nobody's: it routes to 404. */
	if (!copy(req->path, sizeof(req->path), target, tlen))
		strcpy(req->path, "/?");
	return 0;
}

/* One header line; only the headers the upgrade needs are kept. */
static int header_line(const char *l, size_t len, struct web_request *req, const char **why)
{
	const char *colon = memchr(l, ':', len), *v;
	size_t nlen, vlen;

	if (!colon || colon == l)
		return bad(why, "a header line without a name");
	nlen = (size_t)(colon - l);
	for (size_t i = 0; i < nlen; i++)
		if (!is_tchar((unsigned char)l[i]))
			return bad(why, "a header name is not a token");
	v = colon + 1;
	vlen = len - nlen - 1;
	while (vlen && (*v == ' ' || *v == '\t'))
		v++, vlen--;
	while (vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
		vlen--;
	for (size_t i = 0; i < vlen; i++)
		if (((unsigned char)v[i] < ' ' && v[i] != '\t') || v[i] == 0x7f)
			return bad(why, "a control character in a header value");
#define IS(name) (nlen == sizeof(name) - 1 && strncasecmp(l, name, nlen) == 0)
	if (IS("Host")) {
		req->nhost++;
		if (!copy(req->host, sizeof(req->host), v, vlen))
			return bad(why, "Host is too long");
	} else if (IS("Origin")) {
		req->has_origin = true;
		if (!copy(req->origin, sizeof(req->origin), v, vlen))
			return bad(why, "Origin is too long");
	} else if (IS("Upgrade")) {
		req->upgrade = req->upgrade || list_has(v, vlen, "websocket");
	} else if (IS("Connection")) {
		req->conn_upgrade = req->conn_upgrade || list_has(v, vlen, "upgrade");
	} else if (IS("Sec-WebSocket-Key")) {
		req->nkey++;
		if (!copy(req->key, sizeof(req->key), v, vlen))
			req->key[0] = '\0'; /* not a valid key: a 400 */
	} else if (IS("Sec-WebSocket-Version")) {
		if (!copy(req->version, sizeof(req->version), v, vlen))
			strcpy(req->version, "?");
	} else if (IS("If-None-Match")) {
		if (!copy(req->if_none_match, sizeof(req->if_none_match), v, vlen))
			req->if_none_match[0] = '\0'; /* a full answer is never wrong */
	}
#undef IS
	return 0;
}

int web_http_parse(const char *head, size_t len, struct web_request *req, const char **why)
{
	const char *p = head, *end = head + len;
	bool first = true;

	memset(req, 0, sizeof(*req));
	if (memchr(head, '\0', len))
		return bad(why, "a NUL byte in the head");
	while (p < end) {
		const char *lf = memchr(p, '\n', (size_t)(end - p));
		size_t n;
		int r;

		if (!lf || lf == p || lf[-1] != '\r')
			return bad(why, "a line not ended by CRLF");
		n = (size_t)(lf - 1 - p);
		if (memchr(p, '\r', n))
			return bad(why, "a bare CR");
		if (n == 0)
			return first ? bad(why, "no request line") : 0;
		if (!first && (*p == ' ' || *p == '\t'))
			return bad(why, "a folded header line");
		r = first ? request_line(p, n, req, why) : header_line(p, n, req, why);
		if (r < 0)
			return r;
		first = false;
		p = lf + 1;
	}
	return bad(why, "no empty line at the end of the head");
}

/* A Sec-WebSocket-Key: base64 of 16 bytes, so 22 characters and "==". */
static bool key_valid(const char *key)
{
	if (strlen(key) != 24 || strcmp(key + 22, "==") != 0)
		return false;
	for (size_t i = 0; i < 22; i++)
		if (!isalnum((unsigned char)key[i]) && key[i] != '+' && key[i] != '/')
			return false;
	return true;
}

/* Whether the Origin may open a WebSocket (see web-http.h). */
static bool origin_allowed(const struct web_request *req, const char *origins)
{
	const char *o = req->origin, *authority;
	size_t olen = strlen(o);

	if (!req->has_origin)
		return true;
	if (!*origins) {
		if (strncasecmp(o, "http://", 7) == 0)
			authority = o + 7;
		else if (strncasecmp(o, "https://", 8) == 0)
			authority = o + 8;
		else
			return false;
		return *authority && strcasecmp(authority, req->host) == 0;
	}
	while (*origins) {
		const char *comma = strchr(origins, ',');
		size_t n = comma ? (size_t)(comma - origins) : strlen(origins);

		if (n == olen && strncasecmp(origins, o, n) == 0)
			return true;
		origins += n + (comma != NULL);
	}
	return false;
}

/* An upgrade's own checks (RFC 6455 section 4.2.1), on /ws and /ws/agent alike. */
static enum web_route upgrade_checks(const struct web_request *req)
{
	if (!req->http11 || !req->upgrade || !req->conn_upgrade)
		return WEB_ROUTE_BAD;
	if (strcmp(req->version, "13") != 0)
		return WEB_ROUTE_VERSION;
	if (req->nkey != 1 || !key_valid(req->key))
		return WEB_ROUTE_BAD;
	return WEB_ROUTE_UPGRADE;
}

enum web_route web_http_route(const struct web_request *req, const char *origins)
{
	bool head = strcmp(req->method, "HEAD") == 0;
	bool ws = strcmp(req->path, "/ws") == 0;
	enum web_route r;

	if (req->http11 && req->nhost != 1)
		return WEB_ROUTE_BAD; /* RFC 9112 section 3.2: exactly one Host */
	/* The agents' door decides all of it (web_http_agent()): shut, it is nothing, a 404. */
	if (strcmp(req->path, "/ws/agent") == 0)
		return WEB_ROUTE_AGENT;
	/* A path that is nothing is 404 whatever the method: a 405 names what the path takes. */
	if (!ws && !web_pages_find(req->path))
		return WEB_ROUTE_NOTFOUND;
	if (strcmp(req->method, "GET") != 0 && !head)
		return WEB_ROUTE_METHOD;
	if (!ws)
		return WEB_ROUTE_PAGE;
	if (head)
		return WEB_ROUTE_METHOD; /* an upgrade is a GET */
	if ((r = upgrade_checks(req)) != WEB_ROUTE_UPGRADE)
		return r;
	if (!origin_allowed(req, origins))
		return WEB_ROUTE_ORIGIN;
	return WEB_ROUTE_UPGRADE;
}

/* Whether @origin is @scheme ("https://") followed by exactly @host, in any case. */
static bool origin_is(const char *origin, const char *scheme, const char *host)
{
	size_t n = strlen(scheme);

	return strncasecmp(origin, scheme, n) == 0 && *host && strcasecmp(origin + n, host) == 0;
}

enum web_route web_http_agent(const struct web_request *req, const struct web_agent_door *door)
{
	enum web_route r;

	if (!door->open)
		return WEB_ROUTE_NOTFOUND;
	if (strcmp(req->method, "GET") != 0)
		return WEB_ROUTE_METHOD; /* an upgrade is a GET */
	if ((r = upgrade_checks(req)) != WEB_ROUTE_UPGRADE)
		return r;
	/* An http:// page on a TLS listener is never ours: it could be anyone on the path. */
	if (req->has_origin && !origin_is(req->origin, "https://", req->host) &&
	    (door->tls || !origin_is(req->origin, "http://", req->host)))
		return WEB_ROUTE_ORIGIN;
	if (!door->tls && !door->loopback)
		return WEB_ROUTE_CLEAR;
	return WEB_ROUTE_AGENT_WS;
}

int web_http_status(enum web_route route, const char **reason)
{
	static const struct {
		int code;
		const char *reason;
	} s[] = {
		[WEB_ROUTE_UPGRADE] = { 101, "Switching Protocols" },
		[WEB_ROUTE_PAGE] = { 200, "OK" },
		[WEB_ROUTE_BAD] = { 400, "Bad Request" },
		[WEB_ROUTE_ORIGIN] = { 403, "Forbidden" },
		[WEB_ROUTE_NOTFOUND] = { 404, "Not Found" },
		[WEB_ROUTE_METHOD] = { 405, "Method Not Allowed" },
		[WEB_ROUTE_VERSION] = { 426, "Upgrade Required" },
		[WEB_ROUTE_AGENT] = { 404, "Not Found" }, /* (never answered as such) */
		[WEB_ROUTE_AGENT_WS] = { 101, "Switching Protocols" },
		[WEB_ROUTE_CLEAR] = { 403, "Forbidden" },
	};

	*reason = s[route].reason;
	return s[route].code;
}

void web_http_accept(const char *key, char out[WEB_ACCEPT_LEN + 1])
{
	unsigned char md[SHA_DIGEST_LENGTH];
	char buf[64 + sizeof(ws_guid)];
	size_t klen = strnlen(key, 64);

	memcpy(buf, key, klen);
	memcpy(buf + klen, ws_guid, sizeof(ws_guid) - 1);
	SHA1((const unsigned char *)buf, klen + sizeof(ws_guid) - 1, md);
	EVP_EncodeBlock((unsigned char *)out, md, SHA_DIGEST_LENGTH);
}
