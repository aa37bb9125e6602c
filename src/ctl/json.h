/* SPDX-License-Identifier: ISC */
/*
 * json.h - the little JSON frontdeskctl writes: strings escaped for any UTF-8 text, written
 * straight to a stream as the rows come (a list is never held in memory whole).
 */
#ifndef FRONTDESK_CTL_JSON_H
#define FRONTDESK_CTL_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * json_string() - @s[0..len) as a JSON string, quotes included: '"' and '\' escaped with a
 * backslash, control characters (U+0000..U+001F) as \uXXXX, all else as it is. A byte that
 * does not start well-formed UTF-8 (the daemon stores none, but a file can be damaged) becomes
 * U+FFFD, so the output is always valid JSON.
 */
void json_string(FILE *f, const char *s, size_t len);

/* json_string_or_null() - @s (NUL-terminated) as a string, or null when @s is NULL. */
void json_string_or_null(FILE *f, const char *s);

/* json_time() - "KEY_ms": N, "KEY": "ISO 8601" (when.h); both null when !@set. */
void json_time(FILE *f, const char *key, int64_t ms, bool set);

#endif
