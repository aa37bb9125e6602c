/* SPDX-License-Identifier: ISC */
/*
 * clock.h - the one monotonic clock of frontdesk: deadlines, rates and ages are measured on it,
 * never on the wall clock, so a clock step (NTP, a suspended VM) cannot stretch or cut them.
 */
#ifndef FRONTDESK_CLOCK_H
#define FRONTDESK_CLOCK_H

#include <stdint.h>

/* fd_clock_usec() - microseconds on CLOCK_MONOTONIC (systemd's MONOTONIC_USEC clock). */
uint64_t fd_clock_usec(void);

/* fd_clock_seconds() - the same in seconds, with the fraction, for rates and ages. */
double fd_clock_seconds(void);

/* fd_clock_unix_ms() - wall-clock time in Unix milliseconds: message times (protocol 7.2). */
int64_t fd_clock_unix_ms(void);

#endif
