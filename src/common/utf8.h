/* SPDX-License-Identifier: ISC */
/* utf8.h - strict UTF-8 validation and decoding for frame bodies, lines and nicknames. */
#ifndef FRONTDESK_UTF8_H
#define FRONTDESK_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * utf8_valid() - whether @s[0..len) is well-formed UTF-8 without NUL bytes.
 *
 * Strict per RFC 3629: no overlong forms, no UTF-16 surrogates, nothing above U+10FFFF. NUL is
 * refused because bodies travel through C strings on both ends.
 */
bool utf8_valid(const char *s, size_t len);

/*
 * utf8_decode() - the code point at the start of @s[0..len), as strictly as utf8_valid().
 *
 * Return: its length in bytes (1 to 4), or 0 when @s does not start with a well-formed sequence
 * (a stray continuation byte, an overlong form, a surrogate, a cut sequence, or @len 0). NUL
 * decodes as U+0000. @ret_cp is untouched on failure.
 */
size_t utf8_decode(const char *s, size_t len, uint32_t *ret_cp);

/*
 * utf8_is_control() - whether @cp is a character a terminal obeys or hides instead of showing.
 *
 * C0 controls, DEL, the C1 controls U+0080..U+009F, the line and paragraph separators
 * U+2028/U+2029, and every format character (Unicode category Cf, as of Unicode 15.1): the
 * bidi embeddings, overrides and isolates U+202A..U+202E and U+2066..U+2069, the marks
 * U+200E/U+200F and U+061C, zero-width characters U+200B..U+200D, U+2060..U+2064 and U+FEFF,
 * the soft hyphen U+00AD, U+180E, the tag characters U+E0001 and U+E0020..U+E007F, and the
 * rarer rest (the table in utf8.c). With these, text can reorder itself on screen or hide what
 * it holds.
 */
bool utf8_is_control(uint32_t cp);

/*
 * utf8_make_printable() - turn every utf8_is_control() character in @s into spaces, in place.
 *
 * Each byte of such a character becomes one space (U+202E, three bytes, becomes three spaces),
 * so the length is unchanged and the result is valid UTF-8; a byte that does not start a
 * well-formed sequence becomes a space too. Peer text shown on a terminal can then neither move
 * the cursor, fake a line of its own, send escape sequences, nor reverse or hide part of a line.
 * The zero-width (non-)joiners U+200C/U+200D are kept: emoji sequences and several scripts
 * need them, and they reorder nothing (nicknames refuse them all the same).
 */
void utf8_make_printable(char *s, size_t len);

#endif
