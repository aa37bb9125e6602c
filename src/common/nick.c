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
