/* SPDX-License-Identifier: ISC */
/*
 * fuzz-file.c - libFuzzer harness for the files protocol's parsers (fileproto.h, issue 19).
 *
 * Every input goes through each of them whole, as raw bytes (a type 6 body may hold any byte;
 * the others see only checked UTF-8 from the daemon, but promise to stay within the length):
 * - file_name_sanitise() must keep its promises: never empty, at most FILE_NAME_MAX bytes, no
 *   '/', '\', NUL, byte below 0x20 or 0x7f, no leading dot, valid UTF-8 whenever the input was;
 *   cleaning its own output changes nothing; a name that needed nothing comes back as it was.
 * - file_offer_parse(): an accepted offer has a valid TAG, 64 lower-case hex digits, a media
 *   type that is the default or "type/subtype" of the allowed bytes, a TO word and a sanitised
 *   NAME, and formatted back it parses to the same offer; a refused one names a valid TAG or
 *   none.
 * - file_data_split(): as the obvious search finds it: a TAG of 1..16 characters, one space,
 *   the rest untouched, also after a round trip through fd_frame_encode()/fd_frame_decode().
 * - file_tag_sha_parse() and file_type_normalise(): what they accept is well-formed;
 *   file_chunk() leaves room in a frame of max_frame for the longest TAG.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include <frontdesk/frame.h>

#include "fileproto.h"
#include "utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken promise: say which one (the stack of an inlined check() names only the caller). */
static void fail(int line, const char *what)
{
	fprintf(stderr, "fuzz-file.c:%d: check failed: %s\n", line, what);
	abort();
}

#define check(ok) ((ok) ? (void)0 : fail(__LINE__, #ok))

/* A sanitised name's promises, @n its returned length. */
static void check_name(const char *name, size_t n)
{
	check(n >= 1 && n <= FILE_NAME_MAX && strlen(name) == n && name[0] != '.');
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)name[i];

		check(ch >= 0x20 && ch != 0x7f && ch != '/' && ch != '\\');
	}
}

static void check_sanitise(const char *s, size_t len)
{
	char out[FILE_NAME_BUFSIZE], again[FILE_NAME_BUFSIZE];
	size_t n = file_name_sanitise(s, len, out);
	bool clean = len > 0;

	check_name(out, n);
	check(utf8_valid(out, n)); /* whatever came in: bytes that are not UTF-8 are dropped */
	check(file_name_sanitise(out, n, again) == n && memcmp(out, again, n) == 0);
	/* A name with nothing to remove or cut is kept as it is: well-formed UTF-8 without what a
	 * terminal obeys or hides, no separator, no leading dot or blank, no trailing blank. */
	for (size_t i = 0; i < len && clean;) {
		uint32_t cp = 0;
		size_t step = utf8_decode(s + i, len - i, &cp);

		clean = step > 0 && cp != 0 && !utf8_is_control(cp) && cp != '/' && cp != '\\';
		i += step > 0 ? step : 1;
	}
	if (clean && s[0] != '.' && s[0] != ' ' && s[len - 1] != ' ' && len <= FILE_NAME_MAX)
		check(n == len && memcmp(out, s, len) == 0);
}

static void check_type(const char *type)
{
	size_t len = strlen(type), slashes = 0;

	check(len >= 3 && len <= FILE_TYPE_MAX && type[0] != '/' && type[len - 1] != '/');
	for (size_t i = 0; i < len; i++) {
		char ch = type[i];

		slashes += ch == '/';
		check((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
		      strchr("/!#$&^_.+-", ch));
	}
	check(slashes == 1);
}

static void check_sha(const char *sha)
{
	check(strlen(sha) == FILE_SHA_HEX);
	for (size_t i = 0; i < FILE_SHA_HEX; i++)
		check((sha[i] >= '0' && sha[i] <= '9') || (sha[i] >= 'a' && sha[i] <= 'f'));
}

static void check_offer(const char *s, size_t len)
{
	static char line[FD_FRAME_BODY_BUFSIZE];
	struct file_offer o, again;
	int n;

	if (file_offer_parse(s, len, &o) < 0) {
		check(o.tag[0] == '\0' || file_tag_valid(o.tag, strlen(o.tag)));
		return;
	}
	check(file_tag_valid(o.tag, strlen(o.tag)) && o.to[0] && !strchr(o.to, ' '));
	check_sha(o.sha);
	check_type(o.type);
	check_name(o.name, strlen(o.name));
	n = snprintf(line, sizeof(line), "%s %" PRIu64 " %s %s %s %s", o.tag, o.size, o.sha, o.type,
		     o.to, o.name);
	check(n > 0 && (size_t)n < sizeof(line));
	/* Field by field: what follows a field's NUL is not part of it. */
	check(file_offer_parse(line, (size_t)n, &again) == 0);
	check(!strcmp(o.tag, again.tag) && o.size == again.size && !strcmp(o.sha, again.sha));
	check(!strcmp(o.type, again.type) && !strcmp(o.to, again.to));
	check(!strcmp(o.name, again.name));
}

/* The TAG the obvious way: the bytes before the first space, if they make one. */
static size_t tag_len(const char *s, size_t len)
{
	const char *sp = memchr(s, ' ', len);
	size_t n = sp ? (size_t)(sp - s) : 0;

	return sp && file_tag_valid(s, n) ? n : 0;
}

static void check_split(const char *body, size_t len)
{
	char tag[FILE_TAG_BUFSIZE];
	const char *bytes = NULL;
	size_t nbytes = 0, t = tag_len(body, len);

	if (file_data_split(body, len, tag, &bytes, &nbytes) < 0) {
		check(t == 0);
		return;
	}
	check(t > 0 && strlen(tag) == t && memcmp(tag, body, t) == 0);
	check(bytes == body + t + 1 && nbytes == len - t - 1);
}

/* @body as a type 6 frame through the encoder and the decoder, then split. */
static void check_data_frame(const char *body, size_t len)
{
	static char got[FD_FRAME_BODY_BUFSIZE];
	struct evbuffer *b;
	struct fd_frame f;
	size_t want;

	if (len > FD_FRAME_MAX_BODY)
		return;
	b = evbuffer_new();
	check(b && fd_frame_encode(b, FD_FRAME_DATA, body, len) == 0);
	check(fd_frame_decode(b, FD_FRAME_MAX_LEN, got, &f, &want) == 1);
	check(f.type == FD_FRAME_DATA && f.len == len && memcmp(f.body, body, len) == 0);
	check(evbuffer_get_length(b) == 0);
	evbuffer_free(b);
	check_split(f.body, f.len);
}

static void check_tag_sha(const char *s, size_t len)
{
	char tag[FILE_TAG_BUFSIZE], sha[FILE_SHA_BUFSIZE];

	if (file_tag_sha_parse(s, len, tag, NULL) == 0)
		check(strlen(tag) == len && file_tag_valid(tag, len) && memcmp(tag, s, len) == 0);
	if (file_tag_sha_parse(s, len, tag, sha) == 0) {
		check(strlen(tag) + 1 + FILE_SHA_HEX == len && file_tag_valid(tag, strlen(tag)));
		check_sha(sha);
	}
}

static void check_type_normalise(const char *s, size_t len)
{
	char type[FILE_TYPE_BUFSIZE], again[FILE_TYPE_BUFSIZE];

	file_type_normalise(s, len, type);
	check_type(type);
	file_type_normalise(type, strlen(type), again);
	check(strcmp(type, again) == 0);
	if (strcmp(type, FILE_TYPE_DEFAULT) != 0)
		check(strlen(type) == len && strncasecmp(type, s, len) == 0);
}

/* The CHUNK of a max_frame: at most 8192, and a frame with the longest TAG still fits. */
static void check_chunk(const char *s, size_t len)
{
	unsigned max_frame = 0, chunk;

	memcpy(&max_frame, s, len < sizeof(max_frame) ? len : sizeof(max_frame));
	chunk = file_chunk(max_frame);
	check(chunk <= FILE_CHUNK_MAX);
	check(chunk == 0 || chunk + FD_FRAME_HEADER_LEN + FILE_TAG_MAX + 1 <= max_frame);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A copy of exactly @size bytes, so that ASan sees any read past the end. */
	char *s = malloc(size ? size : 1);
	char sha[FILE_SHA_BUFSIZE];

	if (!s)
		return 0;
	memcpy(s, data, size);
	check_sanitise(s, size);
	check_offer(s, size);
	check_split(s, size);
	check_data_frame(s, size);
	check_tag_sha(s, size);
	check_type_normalise(s, size);
	check_chunk(s, size);
	if (file_sha_parse(s, size, sha) == 0)
		check_sha(sha);
	free(s);
	return 0;
}
