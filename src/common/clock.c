/* SPDX-License-Identifier: ISC */
/* clock.c - see clock.h. */
#include "clock.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
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

int fd_clock_iso8601(time_t t, char *buf, size_t len)
{
	struct tm tm;
	long off;
	size_t n;

	if (len)
		buf[0] = '\0';
	if (!localtime_r(&t, &tm))
		return -EOVERFLOW;
	/* %z gives "+0530" and strftime() has no form with the colon: write the offset here. */
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	off = tm.tm_gmtoff / 60;
	if (n == 0 || (size_t)snprintf(buf + n, len - n, "%c%02ld:%02ld", off < 0 ? '-' : '+',
				       labs(off) / 60, labs(off) % 60) >= len - n) {
		buf[0] = '\0';
		return -EOVERFLOW;
	}
	return 0;
}
