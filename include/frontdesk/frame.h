/* SPDX-License-Identifier: ISC */
/*
 * frame.h - the frontdesk wire format.
 *
 * A frame is "LLLL|T|BODY": four ASCII digits giving the length of the WHOLE frame (header
 * included), '|', one type digit, '|', then LLLL - 7 bytes of UTF-8 text. Frames follow each
 * other with no separator, so a reader buffers until a whole frame is there ("sticky packets").
 *
 *     0008|1|nickname
 *
 * The decoder works on a libevent evbuffer: fd_frame_decode() takes at most one frame off the
 * front, and when it needs more bytes it says exactly how many, which is what a bufferevent's
 * read low watermark wants (7 until a header is parsed, then the frame's full length). It never
 * allocates: the body is copied into a caller-supplied buffer of FD_FRAME_BODY_BUFSIZE bytes.
 */
#ifndef FRONTDESK_FRAME_H
#define FRONTDESK_FRAME_H

#include <stddef.h>

struct evbuffer;

/** Bytes of "LLLL|T|". */
#define FD_FRAME_HEADER_LEN 7
/** Largest frame the format can express. */
#define FD_FRAME_MAX_LEN 9999
/** Largest body the format can express. */
#define FD_FRAME_MAX_BODY (FD_FRAME_MAX_LEN - FD_FRAME_HEADER_LEN)
/**
 * Longest message text a server accepts: every message must fit in a type 5 frame, whose tag
 * ("ID TIME CONV FROM ") may take up to 200 bytes (protocol 7.2).
 */
#define FD_MESSAGE_MAX_TEXT (FD_FRAME_MAX_BODY - 200)
/** Size of the buffer fd_frame_decode() copies a body into (room for a terminating NUL). */
#define FD_FRAME_BODY_BUFSIZE (FD_FRAME_MAX_BODY + 1)

/**
 * Frame types. 0 and 9 are reserved; receiving one is a protocol error. So is type 5
 * anywhere but at a client: only fd_frame_decode_from_server() accepts it. Type 6 carries a
 * file's raw bytes ("TAG BYTES", fileproto.h): the one body exempt from the UTF-8 rule, which
 * the decoder accepts both ways; a server takes it only from a client granted "files".
 */
enum fd_frame_type {
	FD_FRAME_NICKNAME = 1,  /* client -> server, first frame of every connection */
	FD_FRAME_MESSAGE = 2,   /* both ways, chat text */
	FD_FRAME_NOTICE = 3,    /* server -> client, after "hello notices", or asked for ("info") */
	FD_FRAME_COMMAND = 4,   /* client -> server, e.g. "next", "who", "hello notices" */
	FD_FRAME_TAGGED = 5,    /* server -> client, "ID TIME CONV FROM TEXT" (granted "ids") */
	FD_FRAME_DATA = 6,      /* both ways, "TAG BYTES": a file's bytes (granted "files") */
	FD_FRAME_CHALLENGE = 7, /* server -> client, authentication challenge */
	FD_FRAME_RESPONSE = 8,  /* client -> server, authentication response */
};

/**
 * enum fd_frame_error - why a byte stream is not a valid frame.
 *
 * The decoder returns these negated. Each one maps to a protocol error code with
 * fd_frame_error_code().
 */
enum fd_frame_error {
	FD_FRAME_ERR_LENGTH_DIGITS = 1, /* a non-digit among the four length bytes */
	FD_FRAME_ERR_SEPARATOR,         /* byte 4 or byte 6 is not '|' */
	FD_FRAME_ERR_TYPE_DIGIT,        /* the type byte is not a digit */
	FD_FRAME_ERR_TOO_SHORT,         /* LEN below 7 */
	FD_FRAME_ERR_TOO_LONG,          /* LEN above the receiver's maximum */
	FD_FRAME_ERR_UNKNOWN_TYPE,      /* a reserved type digit */
	FD_FRAME_ERR_BAD_UTF8,          /* the body is not valid UTF-8 (or holds a NUL) */
};

/**
 * struct fd_frame - one decoded frame.
 * @type: the type digit.
 * @len:  length of @body in bytes (the frame's LEN minus 7).
 * @body: the caller's buffer, NUL-terminated after @len bytes.
 */
struct fd_frame {
	enum fd_frame_type type;
	size_t len;
	char *body;
};

/**
 * fd_frame_decode() - take one frame off the front of @buf.
 * @buf:      bytes received so far.
 * @max_len:  the largest whole frame accepted (7..FD_FRAME_MAX_LEN).
 * @body:     FD_FRAME_BODY_BUFSIZE bytes that receive the body.
 * @ret:      filled with the frame on success; @ret->body points at @body.
 * @ret_want: on 0, how many bytes @buf must hold before a call can make progress.
 *
 * The header is checked as soon as its 7 bytes are there, so an oversize or malformed frame is
 * refused before its body is buffered. A header error drains nothing; a body that is not
 * valid UTF-8 is consumed. A type 6 body is not checked: it may hold any byte, NUL included
 * (@ret->len says where it ends).
 *
 * Return: 1 when a frame was removed from @buf, 0 when more bytes are needed, or a negative
 * enum fd_frame_error.
 */
int fd_frame_decode(struct evbuffer *buf, size_t max_len, char *body, struct fd_frame *ret,
		    size_t *ret_want);

/**
 * fd_frame_decode_from_server() - fd_frame_decode() for a client: type 5 is accepted too.
 *
 * A tagged message (type 5) only ever travels from a server to a client, so the server's
 * decoder keeps refusing it ("unknown-type") and only a client's reads take it.
 */
int fd_frame_decode_from_server(struct evbuffer *buf, size_t max_len, char *body,
				struct fd_frame *ret, size_t *ret_want);

/**
 * fd_frame_encode() - append one frame to @out.
 *
 * Return: 0, -EMSGSIZE when @len exceeds FD_FRAME_MAX_BODY, -EINVAL for a type that is not a
 * digit, or -ENOMEM.
 */
int fd_frame_encode(struct evbuffer *out, enum fd_frame_type type, const char *body, size_t len);

/**
 * fd_frame_format_header() - write the 7-byte header for a body of @body_len bytes.
 *
 * For callers that build a frame in pieces (one header, then a shared body). @hdr receives
 * exactly FD_FRAME_HEADER_LEN bytes, no NUL. Return: 0 or -EMSGSIZE.
 */
int fd_frame_format_header(char hdr[FD_FRAME_HEADER_LEN], enum fd_frame_type type, size_t body_len);

/**
 * fd_frame_type_known() - whether fd_frame_decode() accepts @type: a type the protocol
 * defines, except the server-to-client-only type 5.
 */
int fd_frame_type_known(int type);

/** fd_frame_error_code() - the protocol error code ("bad-frame", ...) for a decode error. */
const char *fd_frame_error_code(int err);

/** fd_frame_strerror() - a sentence describing a decode error, for logs and notices. */
const char *fd_frame_strerror(int err);

#endif
