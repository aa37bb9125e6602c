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

/* fd_nick_valid() - whether @nick[0..len) is an acceptable nickname. */
bool fd_nick_valid(const char *nick, size_t len);

#endif
