/* SPDX-License-Identifier: ISC */
/*
 * typing.c - the typing indicator's command, its limits and its notice (see typing.h).
 *
 * Each connection has a window (struct conn's typing_at, typing_n): the first "typing" of a
 * window is forwarded, the next ones in it are dropped, and one more than TYPING_BURST makes
 * the sender a flood. A flooding conn's reading pauses (PAUSE_TYPING) until its window is
 * over; one timer of the server's ends those pauses, looking at the conns only while some
 * flood, so that no conn pays for a timer of its own (struct conn is within its budget,
 * test-sizeof.c).
 */
#include "typing.h"

#include <stdlib.h>

#include <event2/event.h>

#include "clock.h"
#include "command.h"
#include "conn.h"
#include "log.h"
#include "server.h"

/* Monotonic milliseconds modulo 2^32 (0 is taken as 1: 0 means "never" in a stamp). */
static uint32_t now_ms(void)
{
	uint32_t ms = (uint32_t)(fd_clock_usec() / 1000);

	return ms ? ms : 1;
}

/* Whether the window that began at @at (0: none yet) is over at @now. */
static bool window_over(uint32_t at, uint32_t now)
{
	return !at || now - at >= TYPING_WINDOW_MS;
}

bool typing_due(uint32_t *at)
{
	uint32_t now = now_ms();

	if (!window_over(*at, now))
		return false;
	*at = now;
	return true;
}

void typing_tell(struct conn *to, const char *who)
{
	if (!to || !(to->caps & CAP_TYPING) || !conn_live(to) || (to->paused & PAUSE_RESUME))
		return;
	if (conn_unsent(to) > to->server->config.soft_output_bytes / 2)
		return;
	conn_notice(to, "typing %s", who);
}

static void arm(struct server *s, uint32_t ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 + 1 };

	s->typing_due = now_ms() + ms;
	evtimer_add(s->typing_timer, &tv);
}

/* Flooding conns whose window is over read again; the timer waits for the others. */
static void on_typing_timer(evutil_socket_t fd, short what, void *arg)
{
	struct server *s = arg;
	uint32_t now = now_ms(), wait = 0;
	struct conn *c;

	TAILQ_FOREACH (c, &s->conns, entry) {
		if (!(c->paused & PAUSE_TYPING))
			continue;
		if (window_over(c->typing_at, now)) {
			conn_resume(c, PAUSE_TYPING);
		} else {
			uint32_t left = TYPING_WINDOW_MS - (now - c->typing_at);

			if (!wait || left < wait)
				wait = left;
		}
	}
	if (wait)
		arm(s, wait);
}

/* @c sent more "typing" than a window allows: told once per episode, and slowed down. */
static void flood(struct conn *c, uint32_t now)
{
	struct server *s = c->server;
	uint32_t left;

	if (!c->typing_flooding) {
		c->typing_flooding = true;
		s->stats.flood_slowed++;
		conn_error(c, "flood", "more than %u typing commands in %u s: slowed down",
			   TYPING_BURST, TYPING_WINDOW_MS / 1000);
		log_info("%s (%s): typing flood, slowed down", c->peer, c->nick);
	}
	if (c->paused & PAUSE_TYPING)
		return;
	if (!s->typing_timer && !(s->typing_timer = evtimer_new(s->base, on_typing_timer, s)))
		return; /* not slowed, but nothing more of it is forwarded this window */
	conn_pause(c, PAUSE_TYPING);
	left = TYPING_WINDOW_MS - (now - c->typing_at);
	/* Its window may end before the one the timer waits for (a flood that began earlier). */
	if (!evtimer_pending(s->typing_timer, NULL) ||
	    (int32_t)(s->typing_due - now) > (int32_t)left)
		arm(s, left);
}

/* Count one "typing" from @c in its window: whether it is the window's first. */
static bool count(struct conn *c, uint32_t now)
{
	bool fresh = window_over(c->typing_at, now);

	if (fresh) {
		/* An episode ends with a window that stayed within the burst, or none at all. */
		if (c->typing_n <= TYPING_BURST || now - c->typing_at >= 2 * TYPING_WINDOW_MS)
			c->typing_flooding = false;
		c->typing_at = now;
		c->typing_n = 0;
	}
	if (c->typing_n < UINT8_MAX)
		c->typing_n++;
	return fresh;
}

void cmd_typing(struct conn *c, const char *arg)
{
	uint32_t now = now_ms();
	bool fresh;

	if (!(c->caps & CAP_TYPING)) {
		command_unknown(c, "typing");
		return;
	}
	if (*arg && c->role != ROLE_AGENT) {
		conn_error(c, "bad-command", "typing takes no argument");
		return;
	}
	fresh = count(c, now);
	if (c->typing_n > TYPING_BURST) {
		flood(c, now);
		return;
	}
	/* An agent's limit is per conversation: the mode checks it with typing_due(). */
	if ((fresh || c->role == ROLE_AGENT) && c->server->mode->typing)
		c->server->mode->typing(c, arg);
}

void typing_free(struct server *s)
{
	if (s->typing_timer)
		event_free(s->typing_timer);
	s->typing_timer = NULL;
}
