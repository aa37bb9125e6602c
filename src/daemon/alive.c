/* SPDX-License-Identifier: ISC */
/* alive.c - keepalive on accepted sockets and server pings (see alive.h). */
#include "alive.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <event2/bufferevent.h>
#include <event2/event.h>

#include "clock.h"
#include "conn.h"
#include "log.h"
#include "server.h"

int alive_tune_socket(int fd, unsigned peer_timeout)
{
	int idle = (int)peer_timeout / 2, cnt = ALIVE_KEEPCNT;
	int intvl = ((int)peer_timeout - idle) / cnt;
	unsigned user_ms = peer_timeout * 1000;

	if (!peer_timeout)
		return 0;
	if (intvl < 1)
		intvl = 1;
	/* The kernel's default (two hours of silence, then eleven minutes of probes) is useless
	 * to a desk whose agent may have closed a laptop lid: probe after P/2, give up after P. */
	if (setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &(int){ 1 }, sizeof(int)) < 0 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle)) < 0 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl)) < 0 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt)) < 0 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_ms, sizeof(user_ms)) < 0)
		return -errno;
	return 0;
}

/* Seconds of silence before a ping. */
static unsigned ping_after(const struct conn *c)
{
	unsigned p = c->server->config.peer_timeout;

	return p / 2 ? p / 2 : 1;
}

/* Restart the silence measure: @seconds without a read and alive_silent() runs. */
static void wait_silence(struct conn *c, unsigned seconds)
{
	struct timeval tv = { .tv_sec = seconds };

	bufferevent_set_timeouts(c->bev, &tv, NULL);
}

void alive_start(struct conn *c)
{
	c->ping_out = false;
	wait_silence(c, ping_after(c));
}

void alive_stop(struct conn *c)
{
	c->ping_out = false;
	bufferevent_set_timeouts(c->bev, NULL, NULL);
}

void alive_silent(struct conn *c)
{
	unsigned p = c->server->config.peer_timeout;

	if (!conn_live(c))
		return;
	if (c->ping_out) {
		c->lost = true; /* a network that died silently: its session may resume */
		conn_fail(c, "timeout", "no answer to ping");
		return;
	}
	/* A reload turned pings off (peer_timeout = 0): this conn is not pinged any more. */
	if (!p) {
		alive_stop(c);
	} else {
		c->ping_out = true;
		/* The token is opaque to the client; the clock makes each one different. */
		conn_notice(c, "ping %llu", (unsigned long long)(fd_clock_usec() / 1000));
		log_debug("%s (%s): silent for %u s, pinged", c->peer, c->nick, ping_after(c));
		wait_silence(c, p);
	}
	/*
	 * A socket bufferevent stops reading when its read timeout fires; we did not pause. (It
	 * fires only while reading is on: no whole frame is buffered and no EOF has been read.)
	 */
	if (conn_live(c) && !c->paused && !c->peer_eof)
		bufferevent_enable(c->bev, EV_READ);
}

void alive_answered(struct conn *c)
{
	c->ping_out = false;
	if (c->server->config.peer_timeout)
		wait_silence(c, ping_after(c));
	else
		alive_stop(c);
}
