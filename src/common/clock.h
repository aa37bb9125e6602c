/* SPDX-License-Identifier: ISC */
/*
 * clock.h - the one monotonic clock of frontdesk: deadlines, rates and ages are measured on it,
 * never on the wall clock, so a clock step (NTP, a suspended VM) cannot stretch or cut them.
 */
#ifndef FRONTDESK_CLOCK_H
#define FRONTDESK_CLOCK_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* fd_clock_usec() - microseconds on CLOCK_MONOTONIC (systemd's MONOTONIC_USEC clock). */
uint64_t fd_clock_usec(void);

/* fd_clock_seconds() - the same in seconds, with the fraction, for rates and ages. */
double fd_clock_seconds(void);

/* fd_clock_unix_ms() - wall-clock time in Unix milliseconds: message times (protocol 7.2). */
int64_t fd_clock_unix_ms(void);

/* "2026-11-30T04:31:07+00:00" and its NUL. */
#define FD_CLOCK_ISO8601_BUFSIZE 32

/*
 * fd_clock_iso8601() - @t as local time in ISO 8601 to the second, with the zone's offset
 * written with a colon (RFC 3339): "2026-11-30T04:31:07+00:00", "2026-11-30T10:01:07+05:30".
 * Return: 0, or -EOVERFLOW when @t has no local time or it does not fit in @len bytes
 * (@buf then holds "").
 */
int fd_clock_iso8601(time_t t, char *buf, size_t len);

#endif
