/* SPDX-License-Identifier: ISC */
/*
 * record.h - a desk message between accepted and relayed.
 *
 * A desk message is stored when accepted (store_add_held()) and held; it gets its ID when it
 * is relayed (store_release()). While held it is a record, a type 5 frame "SEQ TIME TEXT"
 * (type 6 for a file message, as file_route_send() hands it to the mode): its row in the store and
 * its accept time travel with it, so that relaying it needs nothing else.
 */
#ifndef FRONTDESK_RECORD_H
#define FRONTDESK_RECORD_H

#include <stdint.h>

#include <frontdesk/frame.h>

struct conn;
struct evbuffer;
struct store_msg;

/* record_conv_begin() - a new desk conversation for customer @c: its number. */
uint64_t record_conv_begin(struct conn *c);
/* record_store() - store @f from @c in @conv as accepted: *@m is it, with its row (seq). */
void record_store(struct conn *c, uint64_t conv, const struct fd_frame *f, struct store_msg *m);
/* record_put() - append stored message @m to @held as a record. 0 or a negative errno. */
int record_put(struct evbuffer *held, const struct store_msg *m);
/* record_hold() - hold stored message @m at @c (conn_hold(), with its bound). */
int record_hold(struct conn *c, const struct store_msg *m);
/*
 * record_release() - @from's record @f (just taken from where it was held) is relayed now in
 * @conv: *@m is the message, with its ID. Returns the store's ticket.
 */
uint64_t record_release(struct conn *from, uint64_t conv, const struct fd_frame *f,
			struct store_msg *m);

#endif
