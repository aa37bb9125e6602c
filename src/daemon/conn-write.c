/* SPDX-License-Identifier: ISC */
/*
 * conn-write.c - pending writes, once per loop turn (see conn-write.h).
 *
 * State: the server's @writes, an array of the conns whose output grew since the last pass
 * (@nwrites of @writes_max; a slot is NULL once its conn left), and @write_turn, an event made
 * active by the first of them: libevent runs it after the callbacks already active in this
 * turn (the reads, the store's commit and the broadcasts it releases), so a member gets every
 * message of the turn in one writev. A conn is on the list at most once (WRITE_PENDING);
 * leaving (closing, freed) clears its slot, so the pass never meets freed memory.
 *
 * struct conn has no room for a list entry (test-sizeof): leaving scans the array, from its
 * end, where a conn that fails in a broadcast just went. Only a conn that leaves while on the
 * list pays for it, and the list holds only this turn's writers.
 */
#include "conn-write.h"

#include <errno.h>
#include <stdlib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "conn.h"
#include "files.h"
#include "server.h"
#include "tls.h"

/* Write @c's output now; what the kernel does not take, libevent writes when it can. */
static void write_out(struct conn *c)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	int n, err;

	if (c->wr != WRITE_DIRECT || evbuffer_get_length(out) == 0)
		return;
	/* A socket bufferevent keeps its output's start frozen but while it writes: so do we. */
	evbuffer_unfreeze(out, 1);
	n = evbuffer_write(out, bufferevent_getfd(c->bev));
	err = EVUTIL_SOCKET_ERROR();
	evbuffer_freeze(out, 1);
	if (n < 0) {
		if (err != EAGAIN && err != EWOULDBLOCK && err != EINTR) {
			conn_write_failed(c, err); /* EPIPE, ECONNRESET: as libevent's own write */
			return;
		}
	} else if (n == 0) {
		conn_write_failed(c, 0);
		return;
	}
	if (evbuffer_get_length(out) > 0) {
		c->wr |= WRITE_WAITING;
		bufferevent_enable(c->bev, EV_WRITE);
	}
	conn_output_drained(c);
}

/* The turn's callbacks are done: write every pending conn's output. */
static void on_write_turn(evutil_socket_t fd, short what, void *arg)
{
	struct server *s = arg;

	s->write_pass = true;
	for (unsigned i = 0; i < s->nwrites; i++) {
		struct conn *c = s->writes[i];

		if (!c)
			continue;
		s->writes[i] = NULL;
		c->wr &= ~WRITE_PENDING;
		write_out(c);
	}
	s->nwrites = 0;
	s->write_pass = false;
}

int conn_write_init(struct server *s)
{
	s->write_turn = event_new(s->base, -1, 0, on_write_turn, s);
	return s->write_turn ? 0 : -ENOMEM;
}

void conn_write_deinit(struct server *s)
{
	if (s->write_turn)
		event_free(s->write_turn);
	free(s->writes);
	s->write_turn = NULL;
	s->writes = NULL;
	s->nwrites = s->writes_max = 0;
}

/*
 * Without a cap the kernel takes a non-reader's output until its send buffer has autotuned to
 * tcp_wmem's maximum (4 MiB on Debian): kernel memory that the slow-consumer rule does not
 * see, and megabytes more before the drop. With it the socket takes no more once
 * max_output_bytes wait unsent (the peer's receive window is shut): the rest waits in our
 * output, which max_output_bytes bounds. Not tighter: a reader that pauses and catches up
 * (or a Python test's reader thread) keeps this much slack besides its output and its receive
 * window; a fast reader never has that much unsent. A download's queue (files.h) is capped
 * the same way.
 */
int conn_write_tune_socket(struct server *s, int fd)
{
	int lowat = (int)s->config.max_output_bytes;

	if (setsockopt(fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &lowat, sizeof(lowat)) < 0)
		return -errno;
	return 0;
}

void conn_write_start(struct conn *c)
{
	evutil_socket_t fd = bufferevent_getfd(c->bev);

	if (!c->server->write_turn || fd < 0 || tls_is_tls(c->bev))
		return;
	c->wr = WRITE_DIRECT;
	bufferevent_disable(c->bev, EV_WRITE); /* a new bufferevent has it on */
}

static int grow(struct server *s)
{
	unsigned max = s->writes_max ? 2 * s->writes_max : 64;
	struct conn **w = realloc(s->writes, max * sizeof(*w));

	if (!w)
		return -ENOMEM;
	s->writes = w;
	s->writes_max = max;
	return 0;
}

void conn_write_soon(struct conn *c)
{
	struct server *s = c->server;

	if (c->wr != WRITE_DIRECT)
		return; /* libevent's path, already pending, or waiting for the kernel */
	/*
	 * Output made by a write of this pass (a download or a desk's replay refilling what
	 * drained) goes the libevent way, 16 KiB a writable event: written here, a fast reader's
	 * whole file would go out before the loop reads anyone again. No memory: the same.
	 */
	if (s->write_pass || (s->nwrites == s->writes_max && grow(s) < 0)) {
		c->wr |= WRITE_WAITING;
		bufferevent_enable(c->bev, EV_WRITE);
		return;
	}
	if (s->nwrites == 0)
		event_active(s->write_turn, EV_WRITE, 0);
	s->writes[s->nwrites++] = c;
	c->wr |= WRITE_PENDING;
}

void conn_write_stop(struct conn *c, bool flush)
{
	struct server *s = c->server;
	bool was = c->wr & WRITE_DIRECT;

	if (c->wr & WRITE_PENDING)
		for (unsigned i = s->nwrites; i-- > 0;)
			if (s->writes[i] == c) {
				s->writes[i] = NULL;
				break;
			}
	c->wr = 0;
	if (was && flush)
		bufferevent_enable(c->bev, EV_WRITE);
}

void conn_write_drained(struct conn *c)
{
	if ((c->wr & WRITE_WAITING) && evbuffer_get_length(bufferevent_get_output(c->bev)) == 0) {
		c->wr &= ~WRITE_WAITING;
		bufferevent_disable(c->bev, EV_WRITE);
	}
}

bool conn_output_busy(struct conn *c)
{
	unsigned low = c->server->config.soft_output_bytes / 2;

	if (conn_unsent(c) <= low)
		return false;
	c->wants_drain = true;
	bufferevent_setwatermark(c->bev, EV_WRITE, low, 0);
	return true;
}

void conn_output_drained(struct conn *c)
{
	struct server *s = c->server;

	if (!(c->paused & PAUSE_OUTPUT) && !c->wants_drain)
		return;
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) > s->config.soft_output_bytes / 2)
		return;
	bufferevent_setwatermark(c->bev, EV_WRITE, 0, 0);
	conn_resume(c, PAUSE_OUTPUT);
	if (c->wants_drain && conn_live(c)) {
		c->wants_drain = false;
		if (s->mode->drained)
			s->mode->drained(c);
		file_get_drained(c); /* a download waits for the same room (files.h) */
	}
}
