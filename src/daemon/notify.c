/* SPDX-License-Identifier: ISC */
/*
 * notify.c - sd_notify(3) messages and the watchdog and status timers; see notify.h.
 *
 * libsystemd does the socket work (abstract and path sockets, credentials); this file decides
 * what to say and when. A failed send is logged once: systemd will notice a missing READY=1 or
 * missing watchdog pings on its own, and a log line per second would help nobody.
 */
#include "notify.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <systemd/sd-daemon.h>

#include "clock.h"
#include "log.h"

/* How often the status line is recomputed (it is sent only when it changed). */
#define STATUS_INTERVAL_SEC 1

struct notify {
	bool enabled;     /* $NOTIFY_SOCKET was set */
	bool send_failed; /* already logged */
	notify_status_fn *status;
	void *arg;
	struct event *watchdog;
	struct event *status_timer;
	char last[256]; /* the status systemd has */
};

static void send_state(struct notify *n, const char *state)
{
	int r;

	if (!n || !n->enabled)
		return;
	r = sd_notify(0, state);
	if (r < 0 && !n->send_failed) {
		n->send_failed = true;
		log_warnx("cannot notify the service manager: %s", strerror(-r));
	}
}

/* The status with a state prefix, when it is new to systemd (or @force). */
static void send_with_status(struct notify *n, const char *state, bool force)
{
	char status[sizeof(n->last)], msg[sizeof(status) + 128];

	if (!n || !n->enabled)
		return;
	n->status(n->arg, status, sizeof(status));
	if (!force && strcmp(status, n->last) == 0)
		return;
	snprintf(n->last, sizeof(n->last), "%s", status);
	snprintf(msg, sizeof(msg), "%sSTATUS=%s", state, status);
	send_state(n, msg);
}

static void on_watchdog(evutil_socket_t fd, short what, void *arg)
{
	send_state(arg, "WATCHDOG=1");
}

static void on_status_timer(evutil_socket_t fd, short what, void *arg)
{
	send_with_status(arg, "", false);
}

int notify_new(struct event_base *base, notify_status_fn *status, void *arg, struct notify **ret)
{
	struct notify *n = calloc(1, sizeof(*n));
	struct timeval tv = { .tv_sec = STATUS_INTERVAL_SEC };
	uint64_t usec = 0;

	if (!n)
		return -ENOMEM;
	n->status = status;
	n->arg = arg;
	n->enabled = getenv("NOTIFY_SOCKET") != NULL;
	if (!n->enabled) {
		*ret = n;
		return 0;
	}
	n->status_timer = event_new(base, -1, EV_PERSIST, on_status_timer, n);
	if (!n->status_timer) {
		notify_free(n);
		return -ENOMEM;
	}
	event_add(n->status_timer, &tv);
	/* WatchdogSec= in the unit: ping every half interval, as sd_watchdog_enabled(3) advises. */
	if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
		struct timeval half = { .tv_sec = (time_t)(usec / 2 / 1000000),
					.tv_usec = (suseconds_t)(usec / 2 % 1000000) };

		n->watchdog = event_new(base, -1, EV_PERSIST, on_watchdog, n);
		if (!n->watchdog) {
			notify_free(n);
			return -ENOMEM;
		}
		event_add(n->watchdog, &half);
		log_debug("watchdog: pinging systemd every %llu ms",
			  (unsigned long long)(usec / 2 / 1000));
	}
	*ret = n;
	return 0;
}

void notify_free(struct notify *n)
{
	if (!n)
		return;
	if (n->watchdog)
		event_free(n->watchdog);
	if (n->status_timer)
		event_free(n->status_timer);
	free(n);
}

void notify_ready(struct notify *n)
{
	send_with_status(n, "READY=1\n", true);
}

void notify_reloading(struct notify *n)
{
	char msg[sizeof(n->last) + 64];

	if (!n || !n->enabled)
		return;
	/* systemd 253+ (Type=notify-reload) matches the reload by this timestamp. */
	snprintf(n->last, sizeof(n->last), "reloading the configuration");
	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=%s",
		 (unsigned long long)fd_clock_usec(), n->last);
	send_state(n, msg);
}

void notify_stopping(struct notify *n)
{
	send_with_status(n, "STOPPING=1\n", true);
}

void notify_status_now(struct notify *n)
{
	send_with_status(n, "", false);
}
