/* SPDX-License-Identifier: ISC */
/*
 * handshake.h - a connection's way in: the key challenge (protocol section 6), the nickname,
 * "hello notices", a refusal at the door, and the hand-over to the mode.
 *
 * A framed conn starts in CONN_CHALLENGE (keyed listener) or CONN_HANDSHAKE; every frame it
 * sends before it is attached comes here. A line conn has no handshake: it is named by its
 * address and attached at once.
 */
#ifndef FRONTDESK_HANDSHAKE_H
#define FRONTDESK_HANDSHAKE_H

#include <stdbool.h>
#include <stddef.h>

#include <frontdesk/frame.h>

struct auth_key;
struct conn;

/* handshake_begin() - queue the challenge for a keyed listener. Return 0 or a negative errno. */
int handshake_begin(struct conn *c, const struct auth_key *key);
/* handshake_frame() - a frame from a conn that is not attached yet. */
void handshake_frame(struct conn *c, const struct fd_frame *f);
/*
 * handshake_attach() - the name in c->asked is valid: made unique, the conn is handed to the
 * mode, and welcomed if it takes notices. @resumed: a session's name, kept for it; resume.c
 * answers it and hands it to the mode.
 */
void handshake_attach(struct conn *c, bool resumed);
/*
 * handshake_agent_refusal() - with agents_file, why agent @c may not be @name (its
 * credential is not listed for it), written to @buf; NULL when it may, or without agents_file.
 * Checked for a nickname here, and for a resumed session's name (resume.c).
 */
const char *handshake_agent_refusal(struct conn *c, const char *name, char *buf, size_t len);
/* handshake_expired() - the handshake deadline passed: say why, and close. */
void handshake_expired(struct conn *c);
/* handshake_line() - a line-protocol peer: told of a refusal, or named "ip:port" and attached. */
void handshake_line(struct conn *c);
/* handshake_tls_done() - the TLS handshake finished: a line peer waiting for it joins now. */
void handshake_tls_done(struct conn *c);

#endif
