/* SPDX-License-Identifier: ISC */
/*
 * frame.c - encode and incrementally decode frames (see include/frontdesk/frame.h).
 *
 * The decoder copies out only the 7 header bytes until the whole frame has arrived, so a peer
 * that claims a long frame costs nothing until it actually sends the bytes, and a claim above
 * the maximum is refused on the header alone.
 */
#include <frontdesk/frame.h>

#include <errno.h>
#include <stdio.h>

#include <event2/buffer.h>

#include "utf8.h"

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

int fd_frame_type_known(int type)
{
	switch (type) {
	case FD_FRAME_NICKNAME:
	case FD_FRAME_MESSAGE:
	case FD_FRAME_NOTICE:
	case FD_FRAME_COMMAND:
	case FD_FRAME_DATA:
	case FD_FRAME_CHALLENGE:
	case FD_FRAME_RESPONSE:
		return 1;
	default:
		return 0;
	}
}

/*
 * Check a 7-byte header; on success store the whole frame's length and its type. @tagged_ok:
 * the reader is a client, to which a server may send type 5.
 */
static int parse_header(const char *h, size_t max_len, bool tagged_ok, size_t *ret_len,
			int *ret_type)
{
	size_t len = 0;

	for (int i = 0; i < 4; i++) {
		if (!is_digit(h[i]))
			return -FD_FRAME_ERR_LENGTH_DIGITS;
		len = len * 10 + (size_t)(h[i] - '0');
	}
	if (h[4] != '|' || h[6] != '|')
		return -FD_FRAME_ERR_SEPARATOR;
	if (!is_digit(h[5]))
		return -FD_FRAME_ERR_TYPE_DIGIT;
	if (len < FD_FRAME_HEADER_LEN)
		return -FD_FRAME_ERR_TOO_SHORT;
	if (len > max_len)
		return -FD_FRAME_ERR_TOO_LONG;
	if (!fd_frame_type_known(h[5] - '0') && !(tagged_ok && h[5] - '0' == FD_FRAME_TAGGED))
		return -FD_FRAME_ERR_UNKNOWN_TYPE;
	*ret_len = len;
	*ret_type = h[5] - '0';
	return 0;
}

static int decode(struct evbuffer *buf, size_t max_len, bool tagged_ok, char *body,
		  struct fd_frame *ret, size_t *ret_want)
{
	char hdr[FD_FRAME_HEADER_LEN];
	size_t have = evbuffer_get_length(buf), len;
	int type, r;

	if (max_len > FD_FRAME_MAX_LEN)
		max_len = FD_FRAME_MAX_LEN;
	if (have < FD_FRAME_HEADER_LEN) {
		*ret_want = FD_FRAME_HEADER_LEN;
		return 0;
	}
	if (evbuffer_copyout(buf, hdr, sizeof(hdr)) != (ev_ssize_t)sizeof(hdr))
		return -FD_FRAME_ERR_LENGTH_DIGITS; /* cannot happen: length checked above */
	r = parse_header(hdr, max_len, tagged_ok, &len, &type);
	if (r < 0)
		return r;
	if (have < len) {
		*ret_want = len;
		return 0;
	}

	/* A body that fails validation is consumed: the connection is being closed anyway. */
	evbuffer_drain(buf, FD_FRAME_HEADER_LEN);
	len -= FD_FRAME_HEADER_LEN;
	evbuffer_remove(buf, body, len);
	body[len] = '\0';
	/* A file's bytes are bytes: the one body not held to the UTF-8 rule. */
	if (type != FD_FRAME_DATA && !utf8_valid(body, len))
		return -FD_FRAME_ERR_BAD_UTF8;

	ret->type = (enum fd_frame_type)type;
	ret->len = len;
	ret->body = body;
	return 1;
}

int fd_frame_decode(struct evbuffer *buf, size_t max_len, char *body, struct fd_frame *ret,
		    size_t *ret_want)
{
	return decode(buf, max_len, false, body, ret, ret_want);
}

int fd_frame_decode_from_server(struct evbuffer *buf, size_t max_len, char *body,
				struct fd_frame *ret, size_t *ret_want)
{
	return decode(buf, max_len, true, body, ret, ret_want);
}

int fd_frame_format_header(char hdr[FD_FRAME_HEADER_LEN], enum fd_frame_type type, size_t body_len)
{
	size_t total = body_len + FD_FRAME_HEADER_LEN;

	if (body_len > FD_FRAME_MAX_BODY)
		return -EMSGSIZE;
	if ((int)type < 0 || (int)type > 9)
		return -EINVAL;
	/* By hand: snprintf() cost ~1,200 instructions a frame, a third of a desk relay. */
	hdr[0] = (char)('0' + total / 1000);
	hdr[1] = (char)('0' + total / 100 % 10);
	hdr[2] = (char)('0' + total / 10 % 10);
	hdr[3] = (char)('0' + total % 10);
	hdr[4] = '|';
	hdr[5] = (char)('0' + (int)type);
	hdr[6] = '|';
	return 0;
}

int fd_frame_encode(struct evbuffer *out, enum fd_frame_type type, const char *body, size_t len)
{
	char hdr[FD_FRAME_HEADER_LEN];
	int r;

	r = fd_frame_format_header(hdr, type, len);
	if (r < 0)
		return r;
	if (evbuffer_expand(out, sizeof(hdr) + len) < 0 ||
	    evbuffer_add(out, hdr, sizeof(hdr)) < 0 || evbuffer_add(out, body, len) < 0)
		return -ENOMEM;
	return 0;
}

const char *fd_frame_error_code(int err)
{
	switch (err < 0 ? -err : err) {
	case FD_FRAME_ERR_TOO_LONG:
		return "frame-too-long";
	case FD_FRAME_ERR_BAD_UTF8:
		return "bad-utf8";
	case FD_FRAME_ERR_UNKNOWN_TYPE:
		return "unknown-type";
	default:
		return "bad-frame";
	}
}

const char *fd_frame_strerror(int err)
{
	switch (err < 0 ? -err : err) {
	case FD_FRAME_ERR_LENGTH_DIGITS:
		return "frame length is not four digits";
	case FD_FRAME_ERR_SEPARATOR:
		return "frame header is missing a '|'";
	case FD_FRAME_ERR_TYPE_DIGIT:
		return "frame type is not a digit";
	case FD_FRAME_ERR_TOO_SHORT:
		return "frame length is below 7";
	case FD_FRAME_ERR_TOO_LONG:
		return "frame is longer than this server accepts";
	case FD_FRAME_ERR_UNKNOWN_TYPE:
		return "frame type is reserved";
	case FD_FRAME_ERR_BAD_UTF8:
		return "frame body is not valid UTF-8 text";
	default:
		return "unknown frame error";
	}
}
