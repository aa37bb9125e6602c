/* SPDX-License-Identifier: ISC */
/*
 * fuzz-frame.c - libFuzzer harness for the frame decoder.
 *
 * The first two input bytes choose the receiver's max_len and how the rest is cut into reads;
 * the rest is the byte stream. Each decoded frame must survive a round trip through the encoder,
 * and the decoder must never ask for fewer bytes than it already has.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include <frontdesk/frame.h>

static char body[FD_FRAME_BODY_BUFSIZE];
static char again[FD_FRAME_BODY_BUFSIZE];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_round_trip(const struct fd_frame *f)
{
	struct evbuffer *b = evbuffer_new();
	struct fd_frame g;
	size_t want;

	if (fd_frame_encode(b, f->type, f->body, f->len) != 0 ||
	    fd_frame_decode(b, FD_FRAME_MAX_LEN, again, &g, &want) != 1 || g.type != f->type ||
	    g.len != f->len || memcmp(g.body, f->body, f->len) != 0 || evbuffer_get_length(b) != 0)
		abort();
	evbuffer_free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct evbuffer *in;
	size_t max_len, step, off = 2;

	if (size < 2)
		return 0;
	max_len = 7 + (size_t)data[0] * 40; /* 7 .. 10207: below, at and above the format's cap */
	step = 1 + data[1] % 64;
	in = evbuffer_new();
	while (off < size) {
		size_t n = size - off < step ? size - off : step;
		struct fd_frame f;
		size_t want = 0;
		int r;

		evbuffer_add(in, data + off, n);
		off += n;
		while ((r = fd_frame_decode(in, max_len, body, &f, &want)) == 1) {
			if (f.len + FD_FRAME_HEADER_LEN > max_len || f.body[f.len] != '\0')
				abort();
			check_round_trip(&f);
		}
		if (r < 0)
			break; /* a real receiver closes the connection here */
		if (want <= evbuffer_get_length(in) || want > FD_FRAME_MAX_LEN)
			abort();
	}
	evbuffer_free(in);
	return 0;
}
