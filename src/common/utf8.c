/* SPDX-License-Identifier: ISC */
#include "utf8.h"

#include <string.h>

#define ZWNJ 0x200c /* zero-width non-joiner */
#define ZWJ  0x200d /* zero-width joiner */

size_t utf8_decode(const char *s, size_t len, uint32_t *ret_cp)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t cp, min;
	size_t n;

	if (len == 0)
		return 0;
	if (p[0] < 0x80) {
		*ret_cp = p[0];
		return 1;
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2;
		cp = p[0] & 0x1f;
		min = 0x80;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		cp = p[0] & 0x0f;
		min = 0x800;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		cp = p[0] & 0x07;
		min = 0x10000;
	} else {
		return 0; /* continuation byte, 0xc0/0xc1 overlong lead, or > U+10FFFF */
	}
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	*ret_cp = cp;
	return n;
}

bool utf8_valid(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		uint32_t cp;
		size_t n;

		/* Most text is ASCII: no decoding for it. */
		if (c > 0 && c < 0x80) {
			i++;
			continue;
		}
		n = utf8_decode(s + i, len - i, &cp);
		if (n == 0 || cp == 0)
			return false;
		i += n;
	}
	return true;
}

/*
 * Format characters (Unicode 15.1, category Cf; U+2065, unassigned and default-ignorable, is
 * taken with its neighbours) and the line and paragraph separators, in order.
 */
static const struct {
	uint32_t first, last;
} format_chars[] = {
	{ 0x00ad, 0x00ad },   /* soft hyphen */
	{ 0x0600, 0x0605 },   /* Arabic number signs */
	{ 0x061c, 0x061c },   /* Arabic letter mark */
	{ 0x06dd, 0x06dd },   /* Arabic end of ayah */
	{ 0x070f, 0x070f },   /* Syriac abbreviation mark */
	{ 0x0890, 0x0891 },   /* Arabic pound and piastre marks above */
	{ 0x08e2, 0x08e2 },   /* Arabic disputed end of ayah */
	{ 0x180e, 0x180e },   /* Mongolian vowel separator */
	{ 0x200b, 0x200f },   /* zero-width space, non-joiner, joiner; LRM, RLM */
	{ 0x2028, 0x202e },   /* line, paragraph separators; LRE, RLE, PDF, LRO, RLO */
	{ 0x2060, 0x206f },   /* word joiner, invisible operators; LRI, RLI, FSI, PDI; ... */
	{ 0xfeff, 0xfeff },   /* zero-width no-break space (byte order mark) */
	{ 0xfff9, 0xfffb },   /* interlinear annotation */
	{ 0x110bd, 0x110bd }, /* Kaithi number sign */
	{ 0x110cd, 0x110cd }, /* Kaithi number sign above */
	{ 0x13430, 0x1343f }, /* Egyptian hieroglyph format controls */
	{ 0x1bca0, 0x1bca3 }, /* shorthand format controls */
	{ 0x1d173, 0x1d17a }, /* musical symbol beams and slurs */
	{ 0xe0001, 0xe0001 }, /* language tag */
	{ 0xe0020, 0xe007f }, /* tag characters */
};

bool utf8_is_control(uint32_t cp)
{
	if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
		return true;
	for (size_t i = 0; i < sizeof(format_chars) / sizeof(format_chars[0]); i++) {
		if (cp < format_chars[i].first)
			return false;
		if (cp <= format_chars[i].last)
			return true;
	}
	return false;
}

void utf8_make_printable(char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		uint32_t cp = 0;
		size_t n = utf8_decode(s + i, len - i, &cp);

		if (n == 0) {
			/* Not UTF-8 (a cut sequence, say): that byte alone goes. */
			s[i++] = ' ';
			continue;
		}
		if (utf8_is_control(cp) && cp != ZWNJ && cp != ZWJ)
			memset(s + i, ' ', n);
		i += n;
	}
}
