/* SPDX-License-Identifier: ISC */
/* clock.c - see clock.h. */
#include "clock.h"

#include <time.h>

uint64_t fd_clock_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

double fd_clock_seconds(void)
{
	return (double)fd_clock_usec() / 1e6;
}

int64_t fd_clock_unix_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
