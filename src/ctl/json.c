/* SPDX-License-Identifier: ISC */
/* json.c - JSON strings and times (json.h). */
#include "json.h"

#include <inttypes.h>
#include <string.h>

#include "utf8.h"
#include "when.h"

/* ASCII that goes out as it is. */
static bool plain(unsigned char ch)
{
	return ch >= 0x20 && ch < 0x80 && ch != '"' && ch != '\\';
}

void json_string(FILE *f, const char *s, size_t len)
{
	size_t i = 0, run;
	uint32_t cp;

	putc('"', f);
	while (i < len) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '"' || ch == '\\') {
			fprintf(f, "\\%c", ch);
			i++;
		} else if (ch < 0x20) {
			fprintf(f, "\\u%04x", ch);
			i++;
		} else if (ch < 0x80) {
			/* The plain ASCII that follows, in one write. */
			for (run = i + 1; run < len && plain((unsigned char)s[run]); run++)
				;
			fwrite(s + i, 1, run - i, f);
			i = run;
		} else if ((run = utf8_decode(s + i, len - i, &cp)) > 0) {
			fwrite(s + i, 1, run, f);
			i += run;
		} else {
			fputs("\\ufffd", f);
			i++;
		}
	}
	putc('"', f);
}

void json_string_or_null(FILE *f, const char *s)
{
	if (s)
		json_string(f, s, strlen(s));
	else
		fputs("null", f);
}

void json_time(FILE *f, const char *key, int64_t ms, bool set)
{
	char iso[WHEN_TEXT_LEN];

	if (!set) {
		fprintf(f, "\"%s_ms\": null, \"%s\": null", key, key);
		return;
	}
	when_iso(ms, iso);
	fprintf(f, "\"%s_ms\": %" PRId64 ", \"%s\": \"%s\"", key, ms, key, iso);
}
