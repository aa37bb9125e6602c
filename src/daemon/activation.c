/* SPDX-License-Identifier: ISC */
/*
 * activation.c - match the sockets systemd passed to the configured endpoints; see activation.h.
 *
 * Addresses are compared by value (sd_is_socket_sockaddr), after resolving the configured host
 * the way listener_new_tcp() would bind it, so "localhost:21567" matches a socket on
 * 127.0.0.1:21567. Port 0 ("any port") never matches: with activation the port is systemd's.
 */
#include "activation.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "listener.h"

int activation_init(struct activation *a)
{
	int n = sd_listen_fds(1);

	a->n = 0;
	if (n <= 0)
		return n;
	for (int i = 0; i < n; i++) {
		if (i >= ACTIVATION_MAX) {
			close(SD_LISTEN_FDS_START + i);
			continue;
		}
		a->fds[a->n++] = SD_LISTEN_FDS_START + i;
	}
	return n > ACTIVATION_MAX ? -E2BIG : n;
}

static int take(struct activation *a, unsigned i)
{
	int fd = a->fds[i];

	a->fds[i] = -1;
	return fd;
}

int activation_take_tcp(struct activation *a, const struct endpoint *e)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC,
				  .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	struct addrinfo *ai = NULL;
	char port[8];
	int fd = -ENOENT;

	snprintf(port, sizeof(port), "%u", e->port);
	if (getaddrinfo(e->host, port, &hints, &ai) != 0)
		return -ENOENT;
	for (unsigned i = 0; i < a->n && fd < 0; i++) {
		if (a->fds[i] < 0)
			continue;
		for (struct addrinfo *p = ai; p; p = p->ai_next) {
			if (sd_is_socket_sockaddr(a->fds[i], SOCK_STREAM, p->ai_addr,
						  (unsigned)p->ai_addrlen, 1) > 0) {
				fd = take(a, i);
				break;
			}
		}
	}
	freeaddrinfo(ai);
	return fd;
}

int activation_take_unix(struct activation *a, const char *path)
{
	for (unsigned i = 0; i < a->n; i++)
		if (a->fds[i] >= 0 && sd_is_socket_unix(a->fds[i], SOCK_STREAM, 1, path, 0) > 0)
			return take(a, i);
	return -ENOENT;
}

/* "127.0.0.1:21567", "[::1]:21567", "/run/frontdesk/agent.sock", or what else it is. */
static void describe_one(int fd, char *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);

	if (sd_is_socket(fd, AF_UNSPEC, SOCK_STREAM, 1) <= 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &sslen) < 0) {
		snprintf(buf, len, "fd %d (not a listening stream socket)", fd);
		return;
	}
	if (ss.ss_family == AF_UNIX) {
		const struct sockaddr_un *sun = (const struct sockaddr_un *)&ss;

		snprintf(buf, len, "%s", sun->sun_path[0] ? sun->sun_path : "an abstract socket");
	} else if (listener_addr_format((struct sockaddr *)&ss, sslen, buf, len) < 0) {
		snprintf(buf, len, "fd %d (address family %d)", fd, ss.ss_family);
	}
}

unsigned activation_describe(const struct activation *a, char *buf, size_t len)
{
	unsigned left = 0;
	size_t used = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < a->n; i++) {
		char one[256];

		if (a->fds[i] < 0)
			continue;
		describe_one(a->fds[i], one, sizeof(one));
		if (used < len)
			used +=
			    (size_t)snprintf(buf + used, len - used, "%s%s", left ? ", " : "", one);
		left++;
	}
	return left;
}

void activation_close(struct activation *a)
{
	for (unsigned i = 0; i < a->n; i++)
		if (a->fds[i] >= 0)
			close(take(a, i));
}
