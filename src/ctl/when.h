/* SPDX-License-Identifier: ISC */
/*
 * when.h - frontdeskctl's times: WHEN arguments in, times for people and for JSON out.
 *
 * The store keeps Unix milliseconds; people read and write local time. WHEN is a date
 * "2026-11-29" (local midnight), a date and time "2026-11-29T10:00" (seconds optional, a space
 * for the T allowed), or an age "7d", "12h", "30m", "45s" (that long before now).
 */
#ifndef FRONTDESK_CTL_WHEN_H
#define FRONTDESK_CTL_WHEN_H

#include <stddef.h>
#include <stdint.h>

/* when_now_ms() - the wall clock in Unix milliseconds. */
int64_t when_now_ms(void);

/* when_parse() - WHEN as Unix milliseconds, ages counted back from @now_ms; 0 or -EINVAL. */
int when_parse(const char *s, int64_t now_ms, int64_t *ret_ms);

#define WHEN_TEXT_LEN 40
/* when_text() - "2026-11-29 10:00:03", local time, for people. */
void when_text(int64_t ms, char buf[WHEN_TEXT_LEN]);
/* when_iso() - "2026-11-29T10:00:03.123+01:00": ISO 8601, local time with its offset. */
void when_iso(int64_t ms, char buf[WHEN_TEXT_LEN]);

#endif
