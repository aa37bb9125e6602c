/* SPDX-License-Identifier: ISC */
/*
 * line.c - decode and encode the line protocol (see line.h).
 *
 * The decoder looks for "\n" in what has arrived; a line longer than the limit is refused as
 * soon as that many bytes are buffered without an end of line, so a peer that never sends one
 * costs at most one line plus one read.
 */
#include "line.h"

#include <errno.h>
#include <string.h>

#include <event2/buffer.h>

#include "utf8.h"

/* Turn the text of one line (already in @body) into a frame; false for a line to skip. */
static bool classify(char *body, size_t len, struct fd_frame *ret)
{
	ret->type = FD_FRAME_MESSAGE;
	ret->body = body;
	ret->len = len;
	if (len == 0)
		return false;
	if (body[0] == '/') {
		/* "//text" is the message "/text"; "/cmd args" the command "cmd args". */
		if (len < 2 || body[1] != '/') {
			ret->type = FD_FRAME_COMMAND;
			while (ret->len > 1 &&
			       (body[ret->len - 1] == ' ' || body[ret->len - 1] == '\t'))
				ret->len--;
		}
		ret->body = body + 1;
		ret->len--;
		ret->body[ret->len] = '\0';
	} else if (len == 4 && memcmp(body, "quit", 4) == 0) {
		ret->type = FD_FRAME_COMMAND;
	}
	return true;
}

int line_decode(struct evbuffer *buf, size_t max_len, bool at_eof, char *body, struct fd_frame *ret,
		size_t *ret_want)
{
	if (max_len > FD_FRAME_MAX_BODY)
		max_len = FD_FRAME_MAX_BODY;
	for (;;) {
		size_t have = evbuffer_get_length(buf), eol_len = 0, len;
		struct evbuffer_ptr eol = evbuffer_search_eol(buf, NULL, &eol_len, EVBUFFER_EOL_LF);

		if (eol.pos < 0 && at_eof && have > 0 && have <= max_len + 1) {
			eol.pos = (ev_off_t)have;
		} else if (eol.pos < 0) {
			/* Room for max_len bytes and a '\r' that may still be followed by '\n'. */
			if (have > max_len + 1) {
				evbuffer_drain(buf, have);
				return -FD_FRAME_ERR_TOO_LONG;
			}
			*ret_want = have + 1;
			return 0;
		}
		len = (size_t)eol.pos;
		if (len > max_len + 1) {
			evbuffer_drain(buf, len + eol_len);
			return -FD_FRAME_ERR_TOO_LONG;
		}
		evbuffer_remove(buf, body, len);
		evbuffer_drain(buf, eol_len);
		if (len > 0 && body[len - 1] == '\r')
			len--;
		if (len > max_len)
			return -FD_FRAME_ERR_TOO_LONG;
		body[len] = '\0';
		if (!utf8_valid(body, len))
			return -FD_FRAME_ERR_BAD_UTF8;
		if (classify(body, len, ret))
			return 1;
	}
}

bool line_is_greeting(const struct fd_frame *f)
{
	return f->type == FD_FRAME_MESSAGE && f->len == strlen(LINE_GREETING) &&
	       memcmp(f->body, LINE_GREETING, f->len) == 0;
}

int line_encode(struct evbuffer *out, enum fd_frame_type type, const char *body, size_t len)
{
	struct evbuffer_iovec v;
	size_t prefix = type == FD_FRAME_NOTICE ? 2 : 0;
	char *p;

	if (type != FD_FRAME_NOTICE && type != FD_FRAME_MESSAGE)
		return -EINVAL;
	if (evbuffer_reserve_space(out, (ev_ssize_t)(prefix + len + 1), &v, 1) < 1)
		return -ENOMEM;
	p = v.iov_base;
	memcpy(p, "* ", prefix);
	memcpy(p + prefix, body, len);
	/*
	 * Line members read on bare terminals (nc, telnet): a newline inside a message must not
	 * start a line the reader takes as its own, and neither escapes nor bidi overrides may
	 * reach the terminal (the same rule the frontdesk client applies to what it shows).
	 */
	utf8_make_printable(p + prefix, len);
	p[prefix + len] = '\n';
	v.iov_len = prefix + len + 1;
	return evbuffer_commit_space(out, &v, 1) < 0 ? -ENOMEM : 0;
}
