/* SPDX-License-Identifier: ISC */
/*
 * typing.h - the typing indicator: the command "typing [NAME]" from a client granted the
 * capability "typing", forwarded as the notice "typing NAME" to the other side.
 *
 * A notice, never a message: it is not stored, held, replayed, transcribed or published to
 * other nodes, and a client that never asked for "typing" neither sees one nor may send one
 * (its "typing" is an unknown command, as on a server without it).
 *
 * Two limits, both per connection, both in @c's own fields (struct conn's typing_*): a sender
 * is forwarded at most once per TYPING_WINDOW_MS (the rest are dropped without a word: the
 * indicator is advisory), and a sender of more than TYPING_BURST commands in one window is a
 * flood: told "error flood" once per episode, and its reading pauses until the window is over,
 * as a room slows a member who floods it with messages.
 */
#ifndef FRONTDESK_TYPING_H
#define FRONTDESK_TYPING_H

#include <stdbool.h>
#include <stdint.h>

struct conn;
struct server;

/* At most one "typing" forwarded per sender (and, for an agent, per conversation) per window. */
#define TYPING_WINDOW_MS 2000u
/* "typing" commands one connection may send in one window; more is a flood. */
#define TYPING_BURST 10u

/*
 * cmd_typing() - "typing" (customers, members) or "typing [NAME]" (agents): checked, limited,
 * then handed to the mode's typing hook, which finds who is told (typing_tell()).
 */
void cmd_typing(struct conn *c, const char *arg);

/*
 * typing_due() - whether a notice stamped at *@at (ms, modulo 2^32, 0: never) may go now: if
 * so the stamp becomes now. For limits kept apart from the sender (an agent's conversations).
 */
bool typing_due(uint32_t *at);

/*
 * typing_tell() - "typing @who" to @to if it was granted "typing", is live, and is not behind
 * on its output or its resume's replay (advisory: a slow reader is not given more to read).
 */
void typing_tell(struct conn *to, const char *who);

/* typing_free() - the server's timer that ends typing floods' pauses (server_free()). */
void typing_free(struct server *s);

#endif
