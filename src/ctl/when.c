/* SPDX-License-Identifier: ISC */
/* when.c - WHEN arguments and the times frontdeskctl prints (when.h). */
#include "when.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* An age further back than this is a typo, and would overflow the arithmetic long before. */
#define MAX_AGE_MS (100LL * 366 * 24 * 3600 * 1000)

int64_t when_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Exactly @n decimal digits at @s (a NUL ends the check, so it never reads past a string). */
static bool digits(const char *s, int n, int *ret)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*ret = v;
	return true;
}

/* "7d", "12h", "30m", "45s": that long before @now_ms. */
static int parse_age(const char *s, int64_t now_ms, int64_t *ret_ms)
{
	int64_t unit, v = 0;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (*p - '0');
		if (v > MAX_AGE_MS)
			return -EINVAL;
	}
	switch (p[0]) {
	case 'd':
		unit = 24 * 3600 * 1000;
		break;
	case 'h':
		unit = 3600 * 1000;
		break;
	case 'm':
		unit = 60 * 1000;
		break;
	case 's':
		unit = 1000;
		break;
	default:
		return -EINVAL;
	}
	if (p[1] != '\0' || v > MAX_AGE_MS / unit)
		return -EINVAL;
	*ret_ms = now_ms - v * unit;
	return 0;
}

/* "2026-11-29", "2026-11-29T10:00", "2026-11-29 10:00:30": local time. */
static int parse_date(const char *s, int64_t *ret_ms)
{
	int y, mo, d, h = 0, mi = 0, sec = 0;
	struct tm tm = { 0 };
	time_t t;

	if (!digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) || s[7] != '-' ||
	    !digits(s + 8, 2, &d))
		return -EINVAL;
	s += 10;
	if (*s) {
		if ((*s != 'T' && *s != ' ') || !digits(s + 1, 2, &h) || s[3] != ':' ||
		    !digits(s + 4, 2, &mi))
			return -EINVAL;
		s += 6;
		if (*s == ':') {
			if (!digits(s + 1, 2, &sec))
				return -EINVAL;
			s += 3;
		}
		if (*s)
			return -EINVAL;
	}
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 59)
		return -EINVAL;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	tm.tm_isdst = -1; /* whatever the zone says for that day */
	t = mktime(&tm);
	/* mktime() rolls 2026-02-30 over into March: a day the month does not have is refused. */
	if (t == (time_t)-1 || tm.tm_mday != d || tm.tm_mon != mo - 1)
		return -EINVAL;
	*ret_ms = (int64_t)t * 1000;
	return 0;
}

int when_parse(const char *s, int64_t now_ms, int64_t *ret_ms)
{
	if (s[0] >= '0' && s[0] <= '9' && s[1] && s[2] && s[3] && s[4] == '-')
		return parse_date(s, ret_ms);
	return parse_age(s, now_ms, ret_ms);
}

/* @ms into local broken-down time and the milliseconds left over (0..999, also before 1970). */
static void split(int64_t ms, struct tm *tm, int *ret_frac)
{
	int64_t sec = ms / 1000, frac = ms % 1000;
	time_t t;

	if (frac < 0) {
		sec--;
		frac += 1000;
	}
	t = (time_t)sec;
	localtime_r(&t, tm);
	*ret_frac = (int)frac;
}

void when_text(int64_t ms, char buf[WHEN_TEXT_LEN])
{
	struct tm tm;
	int frac;

	split(ms, &tm, &frac);
	strftime(buf, WHEN_TEXT_LEN, "%Y-%m-%d %H:%M:%S", &tm);
}

void when_iso(int64_t ms, char buf[WHEN_TEXT_LEN])
{
	char date[24];
	struct tm tm;
	int frac, off;

	split(ms, &tm, &frac);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	/* Zones are less than a day off UTC: the modulo only tells the compiler so. */
	off = (int)(tm.tm_gmtoff / 60 % (24 * 60));
	snprintf(buf, WHEN_TEXT_LEN, "%s.%03d%c%02d:%02d", date, frac, off < 0 ? '-' : '+',
		 abs(off) / 60, abs(off) % 60);
}
