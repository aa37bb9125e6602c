/* SPDX-License-Identifier: ISC */
/* nick.c - the nickname rule (see nick.h). */
#include "nick.h"

bool fd_nick_valid(const char *nick, size_t len)
{
	if (len == 0 || len > FD_NICK_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)nick[i];

		if (ch < 0x20 || ch == 0x7f || ch == ' ' || ch == ':' || ch == ',')
			return false;
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
