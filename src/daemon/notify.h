/* SPDX-License-Identifier: ISC */
/*
 * notify.h - talking to the service manager (sd_notify(3)): readiness, reload, shutdown, a
 * one-line status and the watchdog.
 *
 * Without $NOTIFY_SOCKET (not started by systemd) every call is a cheap no-op and no timer runs.
 * Under systemd two timers run on the server's event_base: the watchdog ping, every half of
 * $WATCHDOG_USEC, so a wedged loop is restarted; and a once-a-second status refresh that asks
 * the server for its status line and sends STATUS= only when the text changed. Polling keeps
 * every mode free of notify calls; a second of lag is fine for `systemctl status`.
 */
#ifndef FRONTDESK_NOTIFY_H
#define FRONTDESK_NOTIFY_H

#include <stddef.h>

struct event_base;
struct notify;

/* Writes the current one-line status ("serving bob, 2 waiting") into @buf. */
typedef void notify_status_fn(void *arg, char *buf, size_t len);

/* notify_new() - set up the timers if systemd asked for them. Return 0 or -ENOMEM. */
int notify_new(struct event_base *base, notify_status_fn *status, void *arg, struct notify **ret);
void notify_free(struct notify *n);

/* notify_ready() - READY=1 and the current status (start-up, and the end of a reload). */
void notify_ready(struct notify *n);
/* notify_reloading() - RELOADING=1 with MONOTONIC_USEC (Type=notify-reload semantics). */
void notify_reloading(struct notify *n);
/* notify_stopping() - STOPPING=1 and the status, once, when shutdown begins. */
void notify_stopping(struct notify *n);
/* notify_status_now() - send the status at once if it changed (instead of within a second). */
void notify_status_now(struct notify *n);

#endif
