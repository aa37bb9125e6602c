/* SPDX-License-Identifier: ISC */
/* test-clock.c - the wall clock in ISO 8601 ("time"): local time, the offset with its colon. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "clock.h"

/* 2026-11-30T04:31:07Z */
#define WHEN ((time_t)1796013067)

/* @t as fd_clock_iso8601() writes it in the zone @tz (POSIX TZ: no zone files needed). */
static const char *in_zone(const char *tz, time_t t)
{
	static char buf[FD_CLOCK_ISO8601_BUFSIZE];

	setenv("TZ", tz, 1);
	tzset();
	assert_int_equal(fd_clock_iso8601(t, buf, sizeof(buf)), 0);
	return buf;
}

static void test_utc(void **state)
{
	assert_string_equal(in_zone("UTC0", WHEN), "2026-11-30T04:31:07+00:00");
	assert_string_equal(in_zone("UTC0", 0), "1970-01-01T00:00:00+00:00");
}

static void test_offsets(void **state)
{
	/* East and west of Greenwich, whole hours and not: the sign, then hours:minutes. */
	assert_string_equal(in_zone("IST-5:30", WHEN), "2026-11-30T10:01:07+05:30");
	assert_string_equal(in_zone("NPT-5:45", WHEN), "2026-11-30T10:16:07+05:45");
	assert_string_equal(in_zone("EST5", WHEN), "2026-11-29T23:31:07-05:00");
	assert_string_equal(in_zone("<-0330>3:30", WHEN), "2026-11-30T01:01:07-03:30");
}

static void test_daylight_saving(void **state)
{
	/* Central Europe: +01:00 in November, +02:00 in July. */
	assert_string_equal(in_zone("CET-1CEST,M3.5.0,M10.5.0/3", WHEN),
			    "2026-11-30T05:31:07+01:00");
	assert_string_equal(in_zone("CET-1CEST,M3.5.0,M10.5.0/3", WHEN - 140 * 86400),
			    "2026-07-13T06:31:07+02:00");
}

static void test_too_small(void **state)
{
	char buf[FD_CLOCK_ISO8601_BUFSIZE];

	setenv("TZ", "UTC0", 1);
	tzset();
	/* One byte short of the NUL: nothing half written. */
	memset(buf, 'x', sizeof(buf));
	assert_int_equal(fd_clock_iso8601(WHEN, buf, 25), -EOVERFLOW);
	assert_string_equal(buf, "");
	assert_int_equal(fd_clock_iso8601(WHEN, buf, 10), -EOVERFLOW);
	assert_string_equal(buf, "");
	assert_int_equal(fd_clock_iso8601(WHEN, buf, 26), 0);
	assert_string_equal(buf, "2026-11-30T04:31:07+00:00");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utc),
		cmocka_unit_test(test_offsets),
		cmocka_unit_test(test_daylight_saving),
		cmocka_unit_test(test_too_small),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
