/* SPDX-License-Identifier: ISC */
/*
 * held.h - messages a peer sent that were accepted but not yet relayed (waiting in line, no
 * agent, not its turn, over its rate). They are the conn's, encoded as type 2 frames in
 * conn->held, oldest first (a room member's private messages as type 4 "NICK TEXT" among them,
 * room-msg.c); past max_held_bytes the peer's reading pauses (PAUSE_HELD), so further bytes stay
 * in the kernel and the sender feels back-pressure.
 */
#ifndef FRONTDESK_HELD_H
#define FRONTDESK_HELD_H

#include <stdbool.h>
#include <stddef.h>

#include <frontdesk/frame.h>

struct conn;
struct evbuffer;

/* conn_hold() - keep @f after what is already held. Return 0, or -ENOMEM (the conn is failed). */
int conn_hold(struct conn *c, const struct fd_frame *f);
bool conn_has_held(const struct conn *c);
/* conn_take_held() - the oldest held message into @body; false when none. */
bool conn_take_held(struct conn *c, char *body, struct fd_frame *ret);
void conn_drop_held(struct conn *c);
/* conn_give_held() - hand the held messages over to the caller (NULL when none are held). */
struct evbuffer *conn_give_held(struct conn *c);
/*
 * conn_adopt_held() - @c holds @held now (frames held for it elsewhere: a leaver's, a lost
 * agent's), in place of what it held; past max_held_bytes its reading pauses. NULL: nothing.
 */
void conn_adopt_held(struct conn *c, struct evbuffer *held);
/* conn_move_held() - @to takes over what @from holds (a resumed customer, desk-away.c). */
void conn_move_held(struct conn *to, struct conn *from);

/*
 * On a held buffer itself, which may outlive its conn (a room member that has left):
 * held_peek() - the body length of the oldest message; false when none is left;
 * held_take() - the oldest message into @body; false when none is left.
 */
bool held_peek(struct evbuffer *held, size_t *ret_len);
/*
 * held_file_first() - whether the oldest message is a file message (type 6): it needs no turn
 * and passes none (strict turns).
 */
bool held_file_first(struct evbuffer *held);
bool held_take(struct evbuffer *held, char *body, struct fd_frame *ret);

#endif
