/* SPDX-License-Identifier: ISC */
/*
 * nick.h - the nickname rule, one definition for the daemon and the client.
 *
 * A nickname is 1 to FD_NICK_MAX characters (code points) of well-formed UTF-8, so at most
 * FD_NICK_MAX_BYTES bytes. It may not start with '-': "--" alone would read as the start of a
 * notice's free text ("KEYWORD [ARGS] -- text"), and "-x" as an option to people and scripts.
 * It may not hold anything that would let it pass for more or less than one word on a screen:
 * no spaces of any kind (' ' and the other Unicode space separators), no ':' or ',' (so
 * "customer NAME" and "NAME: text" parse), no control or format character (utf8_is_control():
 * C0, DEL, C1, bidi controls, zero-width characters, ...) and no Hangul filler, which shows as
 * nothing.
 */
#ifndef FRONTDESK_NICK_H
#define FRONTDESK_NICK_H

#include <stdbool.h>
#include <stddef.h>

/* Characters, not bytes: what the rule counts. */
#define FD_NICK_MAX 32
/* The rule in words, for the bad-nick error. */
#define FD_NICK_RULE                                                                               \
	"a nickname is 1 to 32 characters: no spaces, ':' or ',', no control, invisible or "       \
	"bidi characters, and no leading '-'"
/* Bytes a nickname may take (4 per character at most): size buffers with this, plus 1. */
#define FD_NICK_MAX_BYTES (FD_NICK_MAX * 4)

/* fd_nick_valid() - whether @nick[0..len) is an acceptable nickname; safe on any bytes. */
bool fd_nick_valid(const char *nick, size_t len);

/*
 * fd_nick_cut() - the length in bytes of the first @chars characters of the NUL-terminated
 * UTF-8 string @nick (all of it when it is shorter), so that a name is never cut inside a
 * character.
 */
size_t fd_nick_cut(const char *nick, size_t chars);

#endif
