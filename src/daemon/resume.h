/* SPDX-License-Identifier: ISC */
/*
 * resume.h - "resume TOKEN LAST_ID": a new connection takes over a session (protocol 7.3).
 *
 * Sent as the first frame (after any key challenge) instead of a nickname. Every refusal is
 * one "error resume-failed" and the connection goes on with the normal handshake: a LAST_ID
 * beyond the last ID given (another epoch) is refused before the token is looked at, and an
 * unknown, used, expired or other-role token is refused in the same words, so that a wrong
 * one teaches nothing. One attempt per connection; the handshake's rate limits apply to each.
 *
 * Resumed: "resumed NAME", a new "session TOKEN" (the old one is void), "caps" and "epoch",
 * then every message of its conversation (a room's: all) with an ID above LAST_ID, oldest
 * first, read from the store in parts as the peer's output drains ("gap" first when the store
 * no longer holds them all). Until the last part the peer is not read and live output waits
 * behind it, so nothing comes twice or out of order.
 */
#ifndef FRONTDESK_RESUME_H
#define FRONTDESK_RESUME_H

#include <stdbool.h>
#include <stdint.h>

#include <frontdesk/frame.h>

#include "session.h"

struct conn;

/* resume_is() - @f is a "resume ..." command. */
bool resume_is(const struct fd_frame *f);
/*
 * resume_parse() - the argument of "resume": TOKEN (SESSION_TOKEN_LEN characters, no space)
 * and LAST_ID (decimal digits, at most INT64_MAX). Return 0 or -EINVAL.
 */
int resume_parse(const char *arg, char token[SESSION_TOKEN_LEN + 1], uint64_t *last_id);
/* resume_frame() - handle "resume TOKEN LAST_ID" from @c in its handshake. */
void resume_frame(struct conn *c, const struct fd_frame *f);
/*
 * resume_found() - the rest of it, once the session @se is known (here, or taken from another
 * node of the cluster: node.c): @c becomes its connection, then what it missed after @last_id.
 */
struct session;
void resume_found(struct conn *c, struct session *se, uint64_t last_id);

#endif
