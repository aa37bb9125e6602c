/* SPDX-License-Identifier: ISC */
/* nick.c - the nickname rule (see nick.h). */
#include "nick.h"

#include <stdint.h>

#include "utf8.h"

/* Characters that show as blank: Unicode spaces (category Zs) and the Hangul fillers. */
static bool blank(uint32_t cp)
{
	switch (cp) {
	case 0x0020:
	case 0x00a0:
	case 0x1680:
	case 0x202f:
	case 0x205f:
	case 0x3000:
	case 0x115f: /* Hangul choseong filler */
	case 0x1160: /* Hangul jungseong filler */
	case 0x3164: /* Hangul filler */
	case 0xffa0: /* halfwidth Hangul filler */
		return true;
	}
	return cp >= 0x2000 && cp <= 0x200a;
}

bool fd_nick_valid(const char *nick, size_t len)
{
	size_t chars = 0;

	if (len == 0 || len > FD_NICK_MAX_BYTES || nick[0] == '-')
		return false;
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t n = utf8_decode(nick + i, len - i, &cp);

		if (n == 0 || ++chars > FD_NICK_MAX)
			return false;
		if (utf8_is_control(cp) || blank(cp) || cp == ':' || cp == ',')
			return false;
		i += n;
	}
	return true;
}

size_t fd_nick_cut(const char *nick, size_t chars)
{
	size_t i;

	/* Each character starts with a byte that is not a continuation byte (10xxxxxx). */
	for (i = 0; nick[i]; i++)
		if (((unsigned char)nick[i] & 0xc0) != 0x80 && chars-- == 0)
			break;
	return i;
}
