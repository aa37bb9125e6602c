/* SPDX-License-Identifier: ISC */
/* utf8.h - strict UTF-8 validation for frame bodies, lines and nicknames. */
#ifndef FRONTDESK_UTF8_H
#define FRONTDESK_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/*
 * utf8_valid() - whether @s[0..len) is well-formed UTF-8 without NUL bytes.
 *
 * Strict per RFC 3629: no overlong forms, no UTF-16 surrogates, nothing above U+10FFFF. NUL is
 * refused because bodies travel through C strings on both ends.
 */
bool utf8_valid(const char *s, size_t len);

/*
 * utf8_make_printable() - turn control characters in valid UTF-8 @s into spaces, in place.
 *
 * C0 controls (newline and tab included), DEL and the C1 controls U+0080..U+009F (two bytes
 * each, so two spaces) become spaces: peer text shown on a terminal can then neither move the
 * cursor, fake a line of its own, nor send escape sequences. The length is unchanged.
 */
void utf8_make_printable(char *s, size_t len);

#endif
