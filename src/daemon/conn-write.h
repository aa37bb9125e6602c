/* SPDX-License-Identifier: ISC */
/*
 * conn-write.h - a plain socket conn's output, written once at the end of the loop turn.
 *
 * A bufferevent with EV_WRITE enabled adds its write event to epoll at each append and removes
 * it once the output is drained: two epoll_ctl per write. Instead, like Redis's
 * handleClientsWithPendingWrites(), a conn whose output grew goes on the server's list of
 * pending writes, and one event, made active, writes each of them with evbuffer_write() after
 * the turn's callbacks: every message of the turn in one writev, no epoll_ctl. Only when the
 * kernel takes less than all of it is EV_WRITE enabled, for libevent to finish the job; it is
 * disabled again once the output has drained. Output that the pass itself makes (a drained
 * download or desk replay sending more) goes that way too, so that a fast reader's bulk
 * transfer never keeps the loop from reading the others.
 *
 * Plain TCP and Unix sockets only: TLS, WebSocket (bufferevent pairs) and closing conns keep
 * libevent's own path (conn_write_stop()).
 */
#ifndef FRONTDESK_CONN_WRITE_H
#define FRONTDESK_CONN_WRITE_H

#include <stdbool.h>

struct conn;
struct server;

/* Bits of conn->wr. */
enum conn_write {
	WRITE_DIRECT = 1 << 0,  /* written by us (a plain socket, not closing) */
	WRITE_PENDING = 1 << 1, /* on the server's list for this turn */
	WRITE_WAITING = 1 << 2, /* the kernel was full: EV_WRITE is on until the output drains */
};

/* conn_write_init()/conn_write_deinit() - the server's list and its event. 0 or -ENOMEM. */
int conn_write_init(struct server *s);
void conn_write_deinit(struct server *s);
/*
 * conn_write_tune_socket() - an accepted TCP socket keeps at most max_output_bytes unsent in
 * the kernel (TCP_NOTSENT_LOWAT, at accept: a reload applies to new peers): the rest of a
 * peer's backlog waits in its output, where max_output_bytes sees it. 0 or a negative errno.
 */
int conn_write_tune_socket(struct server *s, int fd);
/* conn_write_start() - a new conn on a plain socket writes its own output from now on. */
void conn_write_start(struct conn *c);
/* conn_write_soon() - output was appended to @c: write it at the end of this turn. */
void conn_write_soon(struct conn *c);
/*
 * conn_write_stop() - @c closes or is freed: off the list, and back to libevent's path (its
 * EV_WRITE enabled when @flush, so that a closing conn's output still leaves).
 */
void conn_write_stop(struct conn *c, bool flush);
/* conn_write_drained() - libevent wrote @c's output (its write callback): EV_WRITE off if done. */
void conn_write_drained(struct conn *c);
/*
 * conn_output_drained() - the output may be at the write low watermark: resume a reader paused
 * for its output, and tell the mode (and a download) that waited for room. After each write,
 * ours or libevent's.
 */
void conn_output_drained(struct conn *c);

#endif
