/* SPDX-License-Identifier: ISC */
/* test-frame.c - the frame codec: every valid edge and every error class of protocol section 1. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <event2/buffer.h>

#include <frontdesk/frame.h>

static char body[FD_FRAME_BODY_BUFSIZE];

static int decode_str(const char *bytes, size_t len, size_t max, struct fd_frame *f, size_t *want)
{
	struct evbuffer *b = evbuffer_new();
	int r;

	evbuffer_add(b, bytes, len);
	r = fd_frame_decode(b, max, body, f, want);
	evbuffer_free(b);
	return r;
}

static void test_nickname_frame(void **state)
{
	struct fd_frame f;
	size_t want;

	assert_int_equal(decode_str("0015|1|nickname", 15, 9999, &f, &want), 1);
	assert_int_equal(f.type, FD_FRAME_NICKNAME);
	assert_int_equal(f.len, 8);
	assert_string_equal(f.body, "nickname");
}

static void test_empty_body(void **state)
{
	struct fd_frame f;
	size_t want;

	assert_int_equal(decode_str("0007|2|", 7, 9999, &f, &want), 1);
	assert_int_equal(f.len, 0);
	assert_string_equal(f.body, "");
}

static void test_body_with_separators(void **state)
{
	struct fd_frame f;
	size_t want;

	assert_int_equal(decode_str("0016|2|a|b c\n|d|", 16, 9999, &f, &want), 1);
	assert_string_equal(f.body, "a|b c\n|d|");
}

static void test_max_frame(void **state)
{
	struct evbuffer *b = evbuffer_new();
	char *big = malloc(FD_FRAME_MAX_BODY);
	struct fd_frame f;
	size_t want;

	memset(big, 'x', FD_FRAME_MAX_BODY);
	assert_int_equal(fd_frame_encode(b, FD_FRAME_MESSAGE, big, FD_FRAME_MAX_BODY), 0);
	assert_int_equal(evbuffer_get_length(b), 9999);
	assert_int_equal(fd_frame_decode(b, 9999, body, &f, &want), 1);
	assert_int_equal(f.len, FD_FRAME_MAX_BODY);
	assert_memory_equal(f.body, big, FD_FRAME_MAX_BODY);
	assert_int_equal(fd_frame_encode(b, FD_FRAME_MESSAGE, big, FD_FRAME_MAX_BODY + 1),
			 -EMSGSIZE);
	assert_int_equal(evbuffer_get_length(b), 0);
	free(big);
	evbuffer_free(b);
}

/* Feed @bytes in pieces of @step; every frame must come out exactly once, in order. */
static void feed_in_steps(const char *bytes, size_t len, size_t step, const char *const *expect,
			  size_t nexpect)
{
	struct evbuffer *b = evbuffer_new();
	size_t off = 0, got = 0, want = 0;

	while (off < len) {
		size_t n = len - off < step ? len - off : step;
		struct fd_frame f;
		int r;

		evbuffer_add(b, bytes + off, n);
		off += n;
		while ((r = fd_frame_decode(b, 9999, body, &f, &want)) == 1) {
			assert_true(got < nexpect);
			assert_string_equal(f.body, expect[got]);
			got++;
		}
		assert_int_equal(r, 0);
		assert_true(want > evbuffer_get_length(b));
	}
	assert_int_equal(got, nexpect);
	assert_int_equal(evbuffer_get_length(b), 0);
	evbuffer_free(b);
}

static void test_byte_at_a_time(void **state)
{
	static const char *const expect[] = { "hello", "wörld" };

	feed_in_steps("0012|2|hello0013|2|w\xc3\xb6rld", 25, 1, expect, 2);
}

static void test_utf8_split_across_reads(void **state)
{
	/* "€" is e2 82 ac; split after each of its bytes in turn. */
	static const char frame[] = "0013|2|a\xe2\x82\xac"
				    "bc";
	static const char *const expect[] = { "a\xe2\x82\xac"
					      "bc" };

	for (size_t step = 1; step <= 9; step++)
		feed_in_steps(frame, sizeof(frame) - 1, step, expect, 1);
}

static void test_watermark_wants(void **state)
{
	struct fd_frame f;
	size_t want;

	assert_int_equal(decode_str("00", 2, 9999, &f, &want), 0);
	assert_int_equal(want, FD_FRAME_HEADER_LEN);
	assert_int_equal(decode_str("0020|2|abc", 10, 9999, &f, &want), 0);
	assert_int_equal(want, 20);
}

static void test_hundred_frames_in_one_buffer(void **state)
{
	struct evbuffer *b = evbuffer_new();
	struct fd_frame f;
	size_t want;
	char text[32];
	int i;

	for (i = 0; i < 100; i++) {
		int n = snprintf(text, sizeof(text), "message %d", i);

		assert_int_equal(fd_frame_encode(b, FD_FRAME_MESSAGE, text, (size_t)n), 0);
	}
	for (i = 0; i < 100; i++) {
		snprintf(text, sizeof(text), "message %d", i);
		assert_int_equal(fd_frame_decode(b, 9999, body, &f, &want), 1);
		assert_string_equal(f.body, text);
	}
	assert_int_equal(fd_frame_decode(b, 9999, body, &f, &want), 0);
	evbuffer_free(b);
}

static void expect_error(const char *bytes, size_t max, int err, const char *code)
{
	struct fd_frame f;
	size_t want;

	assert_int_equal(decode_str(bytes, strlen(bytes), max, &f, &want), -err);
	assert_string_equal(fd_frame_error_code(-err), code);
	assert_non_null(fd_frame_strerror(-err));
}

static void test_errors(void **state)
{
	expect_error("00a8|1|nickname", 9999, FD_FRAME_ERR_LENGTH_DIGITS, "bad-frame");
	expect_error(" 008|1|nickname", 9999, FD_FRAME_ERR_LENGTH_DIGITS, "bad-frame");
	expect_error("0008x1|nickname", 9999, FD_FRAME_ERR_SEPARATOR, "bad-frame");
	expect_error("0008|1xnickname", 9999, FD_FRAME_ERR_SEPARATOR, "bad-frame");
	expect_error("0008|x|nickname", 9999, FD_FRAME_ERR_TYPE_DIGIT, "bad-frame");
	expect_error("0006|1|", 9999, FD_FRAME_ERR_TOO_SHORT, "bad-frame");
	expect_error("0000|1|", 9999, FD_FRAME_ERR_TOO_SHORT, "bad-frame");
	/* Too long is known from the header alone: the body never has to arrive. */
	expect_error("0101|2|", 100, FD_FRAME_ERR_TOO_LONG, "frame-too-long");
	expect_error("9999|2|", 9998, FD_FRAME_ERR_TOO_LONG, "frame-too-long");
	expect_error("0008|0|x", 9999, FD_FRAME_ERR_UNKNOWN_TYPE, "unknown-type");
	expect_error("0008|9|x", 9999, FD_FRAME_ERR_UNKNOWN_TYPE, "unknown-type");
}

static void test_bad_utf8(void **state)
{
	static const char *const bad[] = {
		"0008|2|\x80",             /* lone continuation byte */
		"0009|2|\xc0\xaf",         /* overlong '/' */
		"0010|2|\xe0\x80\xaf",     /* overlong, three bytes */
		"0010|2|\xed\xa0\x80",     /* UTF-16 surrogate */
		"0011|2|\xf4\x90\x80\x80", /* above U+10FFFF */
		"0009|2|a\xc3",            /* truncated sequence */
		"0008|2|\xff",
	};
	struct fd_frame f;
	size_t want;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t len = (size_t)((bad[i][0] - '0') * 1000 + (bad[i][1] - '0') * 100 +
				      (bad[i][2] - '0') * 10 + (bad[i][3] - '0'));

		assert_int_equal(decode_str(bad[i], len, 9999, &f, &want), -FD_FRAME_ERR_BAD_UTF8);
	}
	/* NUL is valid UTF-8 but not valid text here. */
	assert_int_equal(decode_str("0009|2|a\0", 9, 9999, &f, &want), -FD_FRAME_ERR_BAD_UTF8);
	assert_string_equal(fd_frame_error_code(-FD_FRAME_ERR_BAD_UTF8), "bad-utf8");
	/* The largest valid code point and a 4-byte emoji pass. */
	assert_int_equal(decode_str("0015|2|\xf4\x8f\xbf\xbf\xf0\x9f\x98\x80", 15, 9999, &f, &want),
			 1);
}

static void test_header_error_drains_nothing(void **state)
{
	struct evbuffer *b = evbuffer_new();
	struct fd_frame f;
	size_t want;

	evbuffer_add(b, "00a8|1|nickname", 15);
	assert_true(fd_frame_decode(b, 9999, body, &f, &want) < 0);
	assert_int_equal(evbuffer_get_length(b), 15);
	evbuffer_free(b);
}

/* Type 5 (protocol 7.2) goes only from a server to a client: only a client's decoder takes it. */
static void test_tagged_only_from_a_server(void **state)
{
	static const char tagged[] = "0031|5|7 1700000000000 * bob hi";
	static const char *const reserved[] = { "0008|0|x", "0008|9|x" };
	struct evbuffer *b = evbuffer_new();
	struct fd_frame f;
	size_t want;

	assert_int_equal(decode_str(tagged, strlen(tagged), 9999, &f, &want),
			 -FD_FRAME_ERR_UNKNOWN_TYPE);
	evbuffer_add(b, tagged, strlen(tagged));
	assert_int_equal(fd_frame_decode_from_server(b, 9999, body, &f, &want), 1);
	assert_int_equal(f.type, FD_FRAME_TAGGED);
	assert_string_equal(f.body, "7 1700000000000 * bob hi");
	/* The other reserved types stay errors for a client too. */
	for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
		evbuffer_add(b, reserved[i], 8);
		assert_int_equal(fd_frame_decode_from_server(b, 9999, body, &f, &want),
				 -FD_FRAME_ERR_UNKNOWN_TYPE);
		evbuffer_drain(b, 8);
	}
	assert_false(fd_frame_type_known(FD_FRAME_TAGGED));
	evbuffer_free(b);
}

/*
 * Type 6 (files) is known both ways, and its body is bytes: not UTF-8, NUL included. Whether a
 * server takes it from a client is the conn's call (granted "files"), not the decoder's.
 */
static void test_data_frame_is_bytes(void **state)
{
	static const char data[] = "0018|6|t1 \x00\xff\xc0\xaf\xed\xa0\x80\n";
	struct evbuffer *b = evbuffer_new(), *out = evbuffer_new();
	struct fd_frame f;
	size_t want;

	assert_true(fd_frame_type_known(FD_FRAME_DATA));
	assert_int_equal(decode_str(data, sizeof(data) - 1, 9999, &f, &want), 1);
	assert_int_equal(f.type, FD_FRAME_DATA);
	assert_int_equal(f.len, 11);
	assert_memory_equal(f.body, "t1 \x00\xff\xc0\xaf\xed\xa0\x80\n", 11);
	evbuffer_add(b, data, sizeof(data) - 1);
	assert_int_equal(fd_frame_decode_from_server(b, 9999, body, &f, &want), 1);
	assert_int_equal(f.type, FD_FRAME_DATA);
	assert_int_equal(f.len, 11);
	/* And it encodes as any other. */
	assert_int_equal(
	    fd_frame_encode(out, FD_FRAME_DATA, "t1 \x00\xff\xc0\xaf\xed\xa0\x80\n", 11), 0);
	assert_int_equal(evbuffer_get_length(out), sizeof(data) - 1);
	assert_memory_equal(evbuffer_pullup(out, -1), data, sizeof(data) - 1);
	/* Its length is still checked on the header. */
	evbuffer_add(b, "0101|6|", 7);
	assert_int_equal(fd_frame_decode(b, 100, body, &f, &want), -FD_FRAME_ERR_TOO_LONG);
	evbuffer_free(b);
	evbuffer_free(out);
}

static void test_encode_header(void **state)
{
	char hdr[FD_FRAME_HEADER_LEN];

	assert_int_equal(fd_frame_format_header(hdr, FD_FRAME_NICKNAME, 8), 0);
	assert_memory_equal(hdr, "0015|1|", 7);
	assert_int_equal(fd_frame_format_header(hdr, FD_FRAME_NOTICE, 9992), 0);
	assert_memory_equal(hdr, "9999|3|", 7);
	assert_int_equal(fd_frame_format_header(hdr, FD_FRAME_NOTICE, 9993), -EMSGSIZE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nickname_frame),
		cmocka_unit_test(test_empty_body),
		cmocka_unit_test(test_body_with_separators),
		cmocka_unit_test(test_max_frame),
		cmocka_unit_test(test_byte_at_a_time),
		cmocka_unit_test(test_utf8_split_across_reads),
		cmocka_unit_test(test_watermark_wants),
		cmocka_unit_test(test_hundred_frames_in_one_buffer),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_bad_utf8),
		cmocka_unit_test(test_header_error_drains_nothing),
		cmocka_unit_test(test_tagged_only_from_a_server),
		cmocka_unit_test(test_data_frame_is_bytes),
		cmocka_unit_test(test_encode_header),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
