/* SPDX-License-Identifier: ISC */
/*
 * target.h - where the client connects: "HOST[:PORT]", "[V6]:PORT" or "unix:PATH".
 *
 * Parsing is pure; resolving turns a target into the socket addresses to try, in order.
 */
#ifndef FRONTDESK_CLIENT_TARGET_H
#define FRONTDESK_CLIENT_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>

#define TARGET_DEFAULT_HOST "127.0.0.1"
#define TARGET_DEFAULT_PORT 21567
#define TARGET_MAX_ADDRS    8

struct target {
	bool is_unix;
	char host[256];
	unsigned port;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

struct target_addrs {
	struct sockaddr_storage addr[TARGET_MAX_ADDRS];
	socklen_t len[TARGET_MAX_ADDRS];
	size_t n;
};

/* target_parse() - parse @s; a missing port is TARGET_DEFAULT_PORT. Return: 0 or -EINVAL. */
int target_parse(const char *s, struct target *ret);

/* target_agent_default() - unix:$RUNTIME_DIRECTORY/agent.sock, else /run/frontdesk/agent.sock. */
int target_agent_default(struct target *ret);

/* target_format() - the target as the user would write it ("127.0.0.1:21567", "unix:/x"). */
void target_format(const struct target *t, char *buf, size_t len);

/*
 * target_resolve() - the addresses to try for @t (getaddrinfo for a host name).
 *
 * Return: 0, or a negative errno with a sentence in @err ("cannot resolve x: ...").
 */
int target_resolve(const struct target *t, struct target_addrs *ret, char *err, size_t errlen);

#endif
