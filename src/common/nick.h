/* SPDX-License-Identifier: ISC */
/*
 * nick.h - the nickname rule, one definition for the daemon and the client: 1 to FD_NICK_MAX
 * bytes, no control characters, spaces, ':' or ',' (so "customer NAME" and "NAME: text" parse).
 */
#ifndef FRONTDESK_NICK_H
#define FRONTDESK_NICK_H

#include <stdbool.h>
#include <stddef.h>

#define FD_NICK_MAX 32
/* Bytes a nickname may take (4 per character at most): size buffers with this, plus 1. */
#define FD_NICK_MAX_BYTES (FD_NICK_MAX * 4)

/* fd_nick_valid() - whether @nick[0..len) is an acceptable nickname. */
bool fd_nick_valid(const char *nick, size_t len);

/*
 * fd_nick_cut() - the length in bytes of the first @chars characters of the NUL-terminated
 * UTF-8 string @nick (all of it when it is shorter), so that a name is never cut inside a
 * character.
 */
size_t fd_nick_cut(const char *nick, size_t chars);

#endif
