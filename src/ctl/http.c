/* SPDX-License-Identifier: ISC */
/*
 * http.c - one blocking HTTP/1.0 GET (http.h).
 *
 * The socket is non-blocking only so that poll() can bound every wait by one deadline; the
 * flow is the plain blocking one. The answer is read whole into one buffer that grows up to
 * the cap; the reply's pointers point into it.
 */
#include "http.h"

#include <errno.h>
#include <stdbool.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "build-config.h"

#define FIRST_BUFFER 4096

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait until @fd is ready for @events or @deadline passes: 0, -ETIMEDOUT, or -errno. */
static int wait_fd(int fd, short events, int64_t deadline)
{
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = events };
		int64_t left = deadline - now_ms();
		int n;

		if (left <= 0)
			return -ETIMEDOUT;
		n = poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (n > 0)
			return 0;
		if (n == 0)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return -errno;
	}
}

/* A connected socket to @ai within @timeout_ms, or -errno. */
static int connect_one(const struct addrinfo *ai, int timeout_ms)
{
	int fd, err = 0, r = 0;
	socklen_t len = sizeof(err);

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
	if (fd < 0)
		return -errno;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return fd;
	if (errno != EINPROGRESS)
		r = -errno;
	else if ((r = wait_fd(fd, POLLOUT, now_ms() + timeout_ms)) == 0 &&
		 getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		r = -errno;
	else if (r == 0 && err)
		r = -err;
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

/* A socket connected to the first of @host's addresses that takes it; else the last error. */
static int connect_any(const char *host, const char *port, int timeout_ms, char *why, size_t whylen)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC,
				  .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICSERV };
	struct addrinfo *list = NULL;
	int g, fd = -EHOSTUNREACH;

	g = getaddrinfo(host, port, &hints, &list);
	if (g != 0) {
		snprintf(why, whylen, "%s", g == EAI_SYSTEM ? strerror(errno) : gai_strerror(g));
		return -EHOSTUNREACH;
	}
	for (const struct addrinfo *ai = list; ai; ai = ai->ai_next)
		if ((fd = connect_one(ai, timeout_ms)) >= 0)
			break;
	freeaddrinfo(list);
	if (fd < 0)
		snprintf(why, whylen, "%s", strerror(-fd));
	return fd;
}

static int send_all(int fd, const char *buf, size_t len, int64_t deadline)
{
	ssize_t n;
	int r;

	while (len > 0) {
		n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n > 0) {
			buf += n;
			len -= (size_t)n;
		} else if (errno == EAGAIN || errno == EINTR) {
			if ((r = wait_fd(fd, POLLOUT, deadline)) < 0)
				return r;
		} else {
			return -errno;
		}
	}
	return 0;
}

/* Everything until EOF into a new buffer (NUL-terminated), at most @max bytes. */
static int read_all(int fd, size_t max, int64_t deadline, char **ret, size_t *ret_len, char *why,
		    size_t whylen)
{
	size_t size = 0, len = 0;
	char *buf = NULL, *bigger;
	ssize_t n;
	int r = 0;

	while (r == 0 && len <= max) {
		if (len == size) {
			size = size ? size * 2 : FIRST_BUFFER;
			if (!(bigger = realloc(buf, size + 1))) {
				r = -ENOMEM;
				break;
			}
			buf = bigger;
		}
		n = recv(fd, buf + len, size - len, 0);
		if (n == 0)
			break;
		if (n > 0)
			len += (size_t)n;
		else if (errno == EAGAIN || errno == EINTR)
			r = wait_fd(fd, POLLIN, deadline);
		else
			r = -errno;
	}
	if (r == 0 && len > max) {
		snprintf(why, whylen, "the answer is larger than %zu bytes", max);
		r = -EPROTO;
	} else if (r < 0) {
		snprintf(why, whylen, "%s", strerror(-r));
	}
	if (r < 0) {
		free(buf);
		return r;
	}
	buf[len] = '\0';
	*ret = buf;
	*ret_len = len;
	return 0;
}

static bool digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

/* The header @name's value in the headers @h[0..len), or NULL; *@vlen its length. */
static const char *header(const char *h, size_t len, const char *name, size_t *vlen)
{
	size_t n = strlen(name), line;
	const char *end = h + len, *v;

	for (; h < end; h += line + 1) {
		const char *nl = memchr(h, '\n', (size_t)(end - h));

		if (!nl)
			break;
		line = (size_t)(nl - h);
		if (line > n && h[n] == ':' && strncasecmp(h, name, n) == 0) {
			for (v = h + n + 1; *v == ' ' || *v == '\t'; v++)
				;
			*vlen = line - (size_t)(v - h);
			while (*vlen && (v[*vlen - 1] == '\r' || v[*vlen - 1] == ' '))
				(*vlen)--;
			return v;
		}
	}
	return NULL;
}

/* "HTTP/1.x NNN ..." and the headers of @data[0..len) into @ret; -EPROTO when not HTTP. */
static int parse_reply(char *data, size_t len, struct http_reply *ret, char *why, size_t whylen)
{
	const char *end = memmem(data, len, "\r\n\r\n", 4), *v;
	size_t hlen, vlen, i;
	unsigned long long cl;

	if (len < 13 || memcmp(data, "HTTP/1.", 7) != 0 || data[8] != ' ' || !digit(data[9]) ||
	    !digit(data[10]) || !digit(data[11]) || (data[12] != ' ' && data[12] != '\r')) {
		snprintf(why, whylen, "the answer is not HTTP");
		return -EPROTO;
	}
	ret->status = (data[9] - '0') * 100 + (data[10] - '0') * 10 + (data[11] - '0');
	for (i = 0; i < sizeof(ret->line) - 1 && i < len && data[i] != '\r' && data[i] != '\n'; i++)
		ret->line[i] = data[i] >= 0x20 && data[i] < 0x7f ? data[i] : '?';
	ret->line[i] = '\0';
	if (!end) {
		snprintf(why, whylen, "the answer ended inside its headers");
		return -EPROTO;
	}
	hlen = (size_t)(end - data) + 2; /* each header line with its "\r\n" */
	ret->body = end + 4;
	ret->body_len = len - (size_t)(ret->body - data);
	if (header(data, hlen, "Transfer-Encoding", &vlen)) {
		snprintf(why, whylen, "the answer came in a transfer encoding (HTTP/1.1?)");
		return -EPROTO;
	}
	if ((v = header(data, hlen, "Content-Length", &vlen))) {
		if (!digit(*v) || sscanf(v, "%llu", &cl) != 1) {
			snprintf(why, whylen, "the answer's Content-Length is not a number");
			return -EPROTO;
		}
		if (cl > ret->body_len) {
			snprintf(why, whylen, "the answer was cut short (%zu of %llu bytes)",
				 ret->body_len, cl);
			return -EPROTO;
		}
		ret->body_len = (size_t)cl;
	}
	ret->data = data;
	return 0;
}

int http_get(const char *host, const char *port, const char *path, int timeout_ms, size_t max,
	     struct http_reply *ret, char *why, size_t whylen)
{
	bool v6 = strchr(host, ':') != NULL;
	char req[1024], *data = NULL;
	size_t len = 0;
	int fd, n, r;

	n = snprintf(req, sizeof(req),
		     "GET %s HTTP/1.0\r\nHost: %s%s%s:%s\r\nUser-Agent: frontdeskctl/%s\r\n"
		     "Connection: close\r\n\r\n",
		     path, v6 ? "[" : "", host, v6 ? "]" : "", port, FRONTDESK_VERSION);
	if (n < 0 || (size_t)n >= sizeof(req)) {
		snprintf(why, whylen, "the request is too long");
		return -ENAMETOOLONG;
	}
	memset(ret, 0, sizeof(*ret));
	if ((fd = connect_any(host, port, timeout_ms, why, whylen)) < 0)
		return fd;
	r = send_all(fd, req, (size_t)n, now_ms() + timeout_ms);
	if (r < 0)
		snprintf(why, whylen, "%s", strerror(-r));
	else
		r = read_all(fd, max, now_ms() + timeout_ms, &data, &len, why, whylen);
	close(fd);
	if (r == 0 && (r = parse_reply(data, len, ret, why, whylen)) < 0)
		free(data);
	return r;
}

void http_reply_free(struct http_reply *r)
{
	free(r->data);
	r->data = NULL;
}
