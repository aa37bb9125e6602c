/* SPDX-License-Identifier: ISC */
/*
 * deliver.h - commit, then deliver: a conn's output waits for the store, and a stored message
 * is encoded for each kind of peer.
 *
 * A message is appended to a peer only once the transaction holding it has committed. The
 * sender of output that contains a message passes the message's ticket (store.h); while the
 * store has not reached it, the conn's output is gated: it and everything after it (notices
 * too, so that order holds) go to conn->gated, and deliver_committed(), the store's commit
 * hook, moves gated output into the conns' output buffers. A conn may also hold its gate shut
 * (a history answer being read: live messages wait behind it).
 *
 * The gated buffer is made at a conn's first gated message and kept (a chat repeats it); it
 * counts against max_output_bytes like any unsent output.
 *
 * The room defers whole broadcasts instead (room.c), until the mode's committed hook, which
 * deliver_committed() calls after opening the gates; it gates only a member whose own message
 * waits, and a held gate (a history being read) still takes what the room sends it.
 */
#ifndef FRONTDESK_DELIVER_H
#define FRONTDESK_DELIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct conn;
struct evbuffer;
struct server;
struct store_msg;

/* deliver_out() - where output for @c goes now: its gate while that is shut, else its bev. */
struct evbuffer *deliver_out(struct conn *c);
/* deliver_gated() - bytes waiting behind @c's gate. */
size_t deliver_gated(const struct conn *c);
/* deliver_gate() - output for @c with @ticket must wait for it. Return 0 or -ENOMEM. */
int deliver_gate(struct conn *c, uint64_t ticket);
/* deliver_hold()/deliver_release() - keep @c's gate shut whatever commits (history). */
int deliver_hold(struct conn *c);
void deliver_release(struct conn *c);
/*
 * deliver_set_aside() - while @c's gate is held, take what waits behind it, so that what is
 * sent next (a history answer) goes before it; deliver_put_back() appends it again after and
 * releases the gate. @aside may be NULL.
 */
struct evbuffer *deliver_set_aside(struct conn *c);
void deliver_put_back(struct conn *c, struct evbuffer *aside);
/*
 * deliver_pass() - while @c's gate is held, send what waits behind it now and keep holding it
 * (a long answer in parts, resume.c); nothing passes a ticket the store has not reached.
 */
void deliver_pass(struct conn *c);
/*
 * deliver_discard() - @c is failed: what waits behind its gate (messages it would have got,
 * all of them kept in the store) is dropped, so that the error that ends it goes out now,
 * while the peer may still read it.
 */
void deliver_discard(struct conn *c);
/* deliver_forget() - @c is freed: off the list of gated conns (conn_free()). */
void deliver_forget(struct conn *c);
/* deliver_committed() - the store committed: open every gate it allows. */
void deliver_committed(struct server *s);

/*
 * deliver_tag() - the body of @m as a type 5 frame ("ID TIME CONV FROM TEXT") into @buf
 * (FD_FRAME_BODY_BUFSIZE bytes); its length, or 0 when it does not fit.
 */
size_t deliver_tag(char *buf, const struct store_msg *m);
/*
 * deliver_conv_tag() - " cN" after a customer's name in a notice to @to, for peers granted
 * "ids" (protocol 7.2; @conv its conversation, 0: none); else "". Returns @buf.
 */
const char *deliver_conv_tag(const struct conn *to, uint64_t conv, char buf[24]);
/*
 * deliver_file_tag() - the notice "file ID TIME CONV FROM TEXT" of file message @m into @buf
 * (FD_FRAME_BODY_BUFSIZE bytes); its length, or 0 when it does not fit.
 */
size_t deliver_file_tag(char *buf, const struct store_msg *m);
/*
 * deliver_msg() - @m to @c as @c asked for it: type 5 to "caps ids", else type 2 with TEXT
 * (the desk) or "FROM: TEXT" (@room). A file message is the notice "file ..." to a conn
 * granted "files", and nothing at all to any other. Return 0 or a negative errno (the conn
 * may be closed).
 */
int deliver_msg(struct conn *c, uint64_t ticket, const struct store_msg *m, bool room);
/* deliver_takes() - whether @c is given @m at all (a file message: only with "files"). */
bool deliver_takes(const struct conn *c, const struct store_msg *m);

/*
 * Kinds of peers: how a peer takes what many get at once (the room's fan-out), its encoding
 * (type 2, type 5 for "caps ids", a line), whether it takes notices and whether it takes file
 * messages ("files"); DELIVER_KINDS of them, deliver_enc() of one its encoding.
 * deliver_encode() appends to @out, as a peer of @kind takes it, the notice @data (@m NULL) or
 * the room message @m, @data being its type 2 frame ("FROM: TEXT"); both @len bytes.
 */
enum { DELIVER_FRAME, DELIVER_TAGGED, DELIVER_LINE };
/* 2 * enc + notices, + DELIVER_FILES for a peer granted "files" */
enum { DELIVER_FILES = 6, DELIVER_KINDS = 12 };
unsigned deliver_kind(const struct conn *c);
static inline unsigned deliver_enc(unsigned kind)
{
	return kind % DELIVER_FILES / 2;
}
void deliver_encode(struct evbuffer *out, unsigned kind, const struct store_msg *m,
		    const char *data, size_t len);

/*
 * Records: messages and notices kept in an evbuffer to be given to a peer later (the desk's
 * replays), as type 5 frames (type 6 for a file message, same body) and type 3 notices.
 * deliver_record_msg() appends @m; deliver_record_send() sends every record of @rec as @c asked
 * (see deliver_msg()), draining
 * @rec (@paced: only while @c's output is not busy); it returns whether it sent anything.
 */
int deliver_record_msg(struct evbuffer *rec, const struct store_msg *m);
bool deliver_record_send(struct conn *c, struct evbuffer *rec, uint64_t ticket, bool paced);

#endif
