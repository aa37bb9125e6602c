/* SPDX-License-Identifier: ISC */
/*
 * fuzz-line.c - libFuzzer harness for the line decoder (group mode's nc/telnet protocol).
 *
 * The first two input bytes choose the receiver's line limit and how the rest is cut into
 * reads; the rest is the byte stream, and the peer hangs up after its last byte (at_eof). Like
 * the daemon, the harness stops at the first error. Every decoded line must respect the limit,
 * hold no end of line and no NUL, be valid UTF-8 and be a message or a command; the decoder must
 * never ask for fewer bytes than it already has nor buffer more than one line; and the encoded
 * form of a message must be exactly one line with no control characters.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "line.h"
#include "utf8.h"

static char body[FD_FRAME_BODY_BUFSIZE];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_line(const struct fd_frame *f, size_t max_len)
{
	if (f->type != FD_FRAME_MESSAGE && f->type != FD_FRAME_COMMAND)
		abort();
	if (f->len > max_len || f->body < body || f->body + f->len >= body + sizeof(body) ||
	    f->body[f->len] != '\0' || memchr(f->body, '\n', f->len) ||
	    !utf8_valid(f->body, f->len))
		abort();
	if (f->type == FD_FRAME_MESSAGE && f->len == 0)
		abort(); /* empty lines are skipped, never delivered */
}

/* A message goes out as its text with control characters blanked, then one "\n". */
static void check_encoding(const struct fd_frame *f)
{
	struct evbuffer *out = evbuffer_new();
	const unsigned char *p;
	size_t len;

	if (!out || line_encode(out, f->type, f->body, f->len) != 0)
		abort();
	len = evbuffer_get_length(out);
	p = evbuffer_pullup(out, -1);
	if (len != f->len + 1 || p[len - 1] != '\n')
		abort();
	for (size_t i = 0; i + 1 < len; i++)
		if (p[i] < 0x20 || p[i] == 0x7f)
			abort();
	evbuffer_free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct evbuffer *in;
	size_t max_len, step, off = 2;
	int r;

	if (size < 2)
		return 0;
	max_len = (size_t)data[0] * 40; /* 0 .. 10200: below, at and above the format's cap */
	step = 1 + data[1] % 64;
	in = evbuffer_new();
	if (!in)
		return 0;
	for (;;) {
		size_t n = size - off < step ? size - off : step;
		bool at_eof = off + n == size;
		struct fd_frame f;
		size_t want = 0;

		evbuffer_add(in, data + off, n);
		off += n;
		while ((r = line_decode(in, max_len, at_eof, body, &f, &want)) == 1) {
			check_line(&f, max_len < FD_FRAME_MAX_BODY ? max_len : FD_FRAME_MAX_BODY);
			if (f.type == FD_FRAME_MESSAGE)
				check_encoding(&f);
		}
		if (r < 0 && r != -FD_FRAME_ERR_TOO_LONG && r != -FD_FRAME_ERR_BAD_UTF8)
			abort();
		if (r < 0)
			break; /* a real receiver closes the connection here */
		/* Waiting: at most one unfinished line is held, and more bytes are asked for. */
		if (want <= evbuffer_get_length(in) ||
		    evbuffer_get_length(in) > FD_FRAME_MAX_BODY + 1)
			abort();
		/* After the peer's last byte nothing but an empty remainder may be left waiting. */
		if (at_eof && evbuffer_get_length(in) != 0)
			abort();
		if (at_eof)
			break;
	}
	evbuffer_free(in);
	return 0;
}
