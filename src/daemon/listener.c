/* SPDX-License-Identifier: ISC */
#include "listener.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "log.h"
#include "server.h"

/*
 * Connections the kernel may complete before we accept them. A burst (every customer of a
 * desk reconnecting after a restart) past the backlog is dropped into TCP's retransmission
 * back-off, 1, 2, 4, 8 ... seconds per connection, so keep it generous; the kernel caps it
 * at net.core.somaxconn (4096 on current kernels).
 */
#define LISTEN_BACKLOG 1024

/*
 * Connections accepted per loop turn. libevent accepts until the backlog is empty; in a burst
 * (every customer reconnecting after a restart) none of them would be read before all were
 * accepted, and max_startups would count well-behaved clients whose nickname is already
 * waiting. After a batch the listener pauses until the next turn, when their reads come first.
 */
#define ACCEPT_BATCH 16

static void on_accept(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa,
		      int salen, void *arg)
{
	struct listener *l = arg;
	struct timeval next_turn = { 0, 0 };

	/* The retry timer ends the batch: a zero timeout runs after the next poll's reads. */
	if (l->batch++ == 0 && !evtimer_pending(l->retry, NULL))
		evtimer_add(l->retry, &next_turn);
	if (l->batch >= ACCEPT_BATCH)
		evconnlistener_disable(lev);
	server_accept(l->server, fd, sa, salen, l);
}

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
	struct listener *l = arg;

	l->batch = 0;
	evconnlistener_enable(l->lev);
}

static void on_accept_error(struct evconnlistener *lev, void *arg)
{
	struct listener *l = arg;
	int err = EVUTIL_SOCKET_ERROR();
	struct timeval tv = { .tv_sec = 1 };

	/* Out of descriptors: back off instead of spinning on a backlog we cannot accept. */
	log_warnx("%s: accept failed: %s; pausing this listener for 1 second", l->name,
		  evutil_socket_error_to_string(err));
	evconnlistener_disable(lev);
	evtimer_add(l->retry, &tv);
}

int listener_addr_format(const struct sockaddr *sa, unsigned salen, char *buf, size_t len)
{
	char host[NI_MAXHOST] = "?", serv[NI_MAXSERV] = "?";
	int r = getnameinfo(sa, (socklen_t)salen, host, sizeof(host), serv, sizeof(serv),
			    NI_NUMERICHOST | NI_NUMERICSERV);

	snprintf(buf, len, strchr(host, ':') ? "[%s]:%s" : "%s:%s", host, serv);
	return r == 0 ? 0 : -1;
}

static struct listener *listener_alloc(struct server *s, enum conn_role role)
{
	struct listener *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->server = s;
	l->role = role;
	l->retry = evtimer_new(s->base, on_retry, l);
	if (!l->retry) {
		free(l);
		return NULL;
	}
	return l;
}

static void listener_start(struct listener *l, struct evconnlistener *lev)
{
	l->lev = lev;
	evconnlistener_set_error_cb(lev, on_accept_error);
}

int listener_new_tcp(struct server *s, const struct endpoint *e, enum conn_role role,
		     enum conn_proto proto, struct listener **ret)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC,
				  .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	struct addrinfo *ai = NULL;
	struct sockaddr_storage bound;
	socklen_t boundlen = sizeof(bound);
	struct evconnlistener *lev;
	struct listener *l;
	char port[8];
	int r;

	snprintf(port, sizeof(port), "%u", e->port);
	r = getaddrinfo(e->host, port, &hints, &ai);
	if (r != 0) {
		log_warnx("cannot resolve %s: %s", e->host, gai_strerror(r));
		return -EADDRNOTAVAIL;
	}
	l = listener_alloc(s, role);
	if (!l) {
		freeaddrinfo(ai);
		return -ENOMEM;
	}
	l->proto = proto;
	endpoint_format(e, l->name, sizeof(l->name));
	/* "[::]:P" means IPv6 only; listen on "0.0.0.0:P" as well for both families. */
	lev = evconnlistener_new_bind(s->base, on_accept, l,
				      LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC |
					  LEV_OPT_REUSEABLE |
					  (ai->ai_family == AF_INET6 ? LEV_OPT_BIND_IPV6ONLY : 0),
				      LISTEN_BACKLOG, ai->ai_addr, (int)ai->ai_addrlen);
	freeaddrinfo(ai);
	if (!lev) {
		r = -errno;
		log_warn("cannot listen on %s", l->name);
		listener_free(l);
		return r ? r : -EADDRNOTAVAIL;
	}
	listener_start(l, lev);
	/* Port 0 asks the kernel for a free port: name the listener by the one it got. */
	if (getsockname(evconnlistener_get_fd(lev), (struct sockaddr *)&bound, &boundlen) == 0) {
		struct endpoint actual = *e;

		actual.port =
		    ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
						      : ((struct sockaddr_in *)&bound)->sin_port);
		endpoint_format(&actual, l->name, sizeof(l->name));
	}
	*ret = l;
	return 0;
}

/* A socket file that nobody answers on is left over from a crash and may be replaced. */
static int remove_stale_socket(const struct sockaddr_un *sun)
{
	int fd, r;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	r = connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
	close(fd);
	if (r == 0)
		return -EADDRINUSE;
	if (unlink(sun->sun_path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

int listener_new_unix(struct server *s, const char *path, enum conn_role role,
		      struct listener **ret)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct evconnlistener *lev;
	struct listener *l;
	char dir[sizeof(sun.sun_path)];
	char *slash;
	mode_t old;
	int r;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	/* The runtime directory (/run/frontdesk) may not exist yet outside systemd. */
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
			r = -errno;
			log_warn("cannot create the directory %s for the agent socket", dir);
			return r;
		}
	}
	r = remove_stale_socket(&sun);
	if (r < 0) {
		errno = -r;
		log_warn("agent socket %s", path);
		return r;
	}
	l = listener_alloc(s, role);
	if (!l)
		return -ENOMEM;
	snprintf(l->name, sizeof(l->name), "%s", path);
	/* Bind with the final mode already in place: no window where others could connect. */
	old = umask(0117);
	lev = evconnlistener_new_bind(s->base, on_accept, l,
				      LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 16,
				      (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (!lev) {
		r = -errno;
		log_warn("cannot listen on %s", path);
		listener_free(l);
		return r ? r : -EADDRNOTAVAIL;
	}
	snprintf(l->unix_path, sizeof(l->unix_path), "%s", path);
	listener_start(l, lev);
	*ret = l;
	return 0;
}

int listener_new_fd(struct server *s, int fd, const char *name, enum conn_role role,
		    struct listener **ret)
{
	struct evconnlistener *lev;
	struct listener *l;
	int r;

	/* systemd passes blocking sockets (NonBlocking=no); libevent accepts until EAGAIN. */
	if (evutil_make_socket_nonblocking(fd) < 0) {
		r = -errno;
		log_warn("%s: cannot make the passed socket non-blocking", name);
		close(fd);
		return r ? r : -EINVAL;
	}
	l = listener_alloc(s, role);
	if (!l) {
		close(fd);
		return -ENOMEM;
	}
	snprintf(l->name, sizeof(l->name), "%s", name);
	/* Backlog 0: already listening, keep the backlog systemd chose (Backlog=). */
	lev = evconnlistener_new(s->base, on_accept, l,
				 LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 0, fd);
	if (!lev) {
		r = -errno;
		log_warn("cannot serve on the passed socket %s", name);
		close(fd);
		listener_free(l);
		return r ? r : -EINVAL;
	}
	listener_start(l, lev);
	*ret = l;
	return 0;
}

void listener_free(struct listener *l)
{
	if (!l)
		return;
	if (l->lev)
		evconnlistener_free(l->lev);
	if (l->unix_path[0])
		unlink(l->unix_path);
	if (l->retry)
		event_free(l->retry);
	free(l);
}
