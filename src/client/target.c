/* SPDX-License-Identifier: ISC */
/* target.c - parse, print and resolve connection targets (see target.h). */
#include "target.h"

#include <errno.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int set_path(struct target *t, const char *path)
{
	if (!*path || strlen(path) >= sizeof(t->path))
		return -EINVAL;
	t->is_unix = true;
	snprintf(t->path, sizeof(t->path), "%s", path);
	return 0;
}

static int parse_port(const char *s, unsigned *ret)
{
	char *end;
	long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < 1 || v > 65535)
		return -EINVAL;
	*ret = (unsigned)v;
	return 0;
}

int target_parse(const char *s, struct target *ret)
{
	struct target t = { .port = TARGET_DEFAULT_PORT };
	const char *colon, *host = s;
	size_t hostlen;
	int r;

	if (strncmp(s, "unix:", 5) == 0) {
		r = set_path(&t, s + 5);
		if (r < 0)
			return r;
		*ret = t;
		return 0;
	}
	if (*s == '[') {
		const char *close = strchr(s, ']');

		if (!close || close == s + 1 || (close[1] && close[1] != ':'))
			return -EINVAL;
		host = s + 1;
		hostlen = (size_t)(close - host);
		colon = close[1] ? close + 1 : NULL;
	} else {
		colon = strchr(s, ':');
		if (colon && strchr(colon + 1, ':')) {
			struct in6_addr a6;

			if (inet_pton(AF_INET6, s, &a6) != 1)
				return -EINVAL;
			colon = NULL; /* a bare IPv6 address, no port */
		}
		hostlen = colon ? (size_t)(colon - s) : strlen(s);
	}
	if (hostlen == 0 || hostlen >= sizeof(t.host))
		return -EINVAL;
	memcpy(t.host, host, hostlen);
	t.host[hostlen] = '\0';
	if (colon && parse_port(colon + 1, &t.port) < 0)
		return -EINVAL;
	*ret = t;
	return 0;
}

int target_agent_default(struct target *ret)
{
	const char *dir = getenv("RUNTIME_DIRECTORY");
	char path[sizeof(ret->path) + 16];
	struct target t = { 0 };

	if (dir && *dir)
		snprintf(path, sizeof(path), "%s/agent.sock", dir);
	else
		snprintf(path, sizeof(path), "/run/frontdesk/agent.sock");
	if (set_path(&t, path) < 0)
		return -ENAMETOOLONG;
	*ret = t;
	return 0;
}

void target_format(const struct target *t, char *buf, size_t len)
{
	if (t->is_unix)
		snprintf(buf, len, "unix:%s", t->path);
	else if (strchr(t->host, ':'))
		snprintf(buf, len, "[%s]:%u", t->host, t->port);
	else
		snprintf(buf, len, "%s:%u", t->host, t->port);
}

int target_resolve(const struct target *t, struct target_addrs *ret, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_ADDRCONFIG };
	struct addrinfo *res, *ai;
	char port[8];
	int r;

	ret->n = 0;
	if (t->is_unix) {
		struct sockaddr_un *sun = (struct sockaddr_un *)&ret->addr[0];

		memset(sun, 0, sizeof(*sun));
		sun->sun_family = AF_UNIX;
		memcpy(sun->sun_path, t->path, strlen(t->path) + 1);
		ret->len[0] = sizeof(*sun);
		ret->n = 1;
		return 0;
	}
	snprintf(port, sizeof(port), "%u", t->port);
	r = getaddrinfo(t->host, port, &hints, &res);
	if (r == EAI_NONAME || r == EAI_ADDRFAMILY) {
		/* AI_ADDRCONFIG hides loopback when no other interface is up: ask again without. */
		hints.ai_flags = 0;
		r = getaddrinfo(t->host, port, &hints, &res);
	}
	if (r != 0) {
		snprintf(err, errlen, "cannot resolve %s: %s", t->host,
			 r == EAI_SYSTEM ? strerror(errno) : gai_strerror(r));
		return -EHOSTUNREACH;
	}
	for (ai = res; ai && ret->n < TARGET_MAX_ADDRS; ai = ai->ai_next) {
		if (ai->ai_addrlen > sizeof(ret->addr[0]))
			continue;
		memcpy(&ret->addr[ret->n], ai->ai_addr, ai->ai_addrlen);
		ret->len[ret->n++] = ai->ai_addrlen;
	}
	freeaddrinfo(res);
	if (ret->n == 0) {
		snprintf(err, errlen, "cannot resolve %s: no usable address", t->host);
		return -EHOSTUNREACH;
	}
	return 0;
}
