/* SPDX-License-Identifier: ISC */
/*
 * line.h - the line protocol of group mode, for nc, telnet and the original threaded
 * group-chat client: newline-delimited UTF-8 text.
 *
 * Input: each line (ended by "\n" or "\r\n") is one message. A line that starts with '/' is a
 * command ("/nick bob" is the command "nick bob"; "//x" is the message "/x"), the line "quit" is
 * the command "quit", and empty lines are skipped. line_decode() turns lines into the same
 * struct fd_frame the framed decoder produces, so the daemon has one dispatch for both.
 *
 * Output: a message is its text and "\n", with control characters shown as spaces so no peer
 * can start a line of its own inside someone else's; a notice is "* " BODY "\n".
 */
#ifndef FRONTDESK_LINE_H
#define FRONTDESK_LINE_H

#include <stdbool.h>
#include <stddef.h>

#include <frontdesk/frame.h>

/* The first line the original group-chat client sends; it is a greeting, not a message. */
#define LINE_GREETING "I'm ready."

/*
 * line_decode() - take one line off the front of @buf.
 * @max_len:  the longest line accepted, without its end of line (at most FD_FRAME_MAX_BODY).
 * @at_eof:   the peer has closed: what is left in @buf is the last line, even without "\n".
 * @body:     FD_FRAME_BODY_BUFSIZE bytes that receive the text (NUL-terminated).
 * @ret:      a message or command frame whose body points into @body.
 * @ret_want: on 0, how many bytes @buf must hold before a call can make progress.
 *
 * Return: 1 when a line was removed, 0 when more bytes are needed, or a negative enum
 * fd_frame_error (FD_FRAME_ERR_TOO_LONG, FD_FRAME_ERR_BAD_UTF8); the bad line is consumed.
 */
int line_decode(struct evbuffer *buf, size_t max_len, bool at_eof, char *body, struct fd_frame *ret,
		size_t *ret_want);

/* line_is_greeting() - whether @f is the original client's "I'm ready." line. */
bool line_is_greeting(const struct fd_frame *f);

/*
 * line_encode() - append a message or notice frame's line form to @out.
 *
 * Return: 0, -EINVAL for another frame type, or -ENOMEM.
 */
int line_encode(struct evbuffer *out, enum fd_frame_type type, const char *body, size_t len);

#endif
