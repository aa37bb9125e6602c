/* SPDX-License-Identifier: ISC */
/* test-line.c - the line protocol: line ends, commands, limits, and the output form. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <event2/buffer.h>

#include "line.h"

static char body[FD_FRAME_BODY_BUFSIZE];

/* Decode the first line of @text (at most @max bytes a line). */
static int decode(const char *text, size_t max, bool at_eof, struct fd_frame *f, size_t *want)
{
	struct evbuffer *b = evbuffer_new();
	int r;

	evbuffer_add(b, text, strlen(text));
	r = line_decode(b, max, at_eof, body, f, want);
	evbuffer_free(b);
	return r;
}

static void test_message_lines(void **state)
{
	struct fd_frame f;
	size_t want;

	assert_int_equal(decode("hello room\n", 100, false, &f, &want), 1);
	assert_int_equal(f.type, FD_FRAME_MESSAGE);
	assert_string_equal(f.body, "hello room");
	assert_int_equal(f.len, 10);
	assert_int_equal(decode("telnet\r\n", 100, false, &f, &want), 1);
	assert_string_equal(f.body, "telnet");
	assert_int_equal(decode("\n\r\n\nafter empty lines\n", 100, false, &f, &want), 1);
	assert_string_equal(f.body, "after empty lines");
	assert_int_equal(decode("//not a command\n", 100, false, &f, &want), 1);
	assert_int_equal(f.type, FD_FRAME_MESSAGE);
	assert_string_equal(f.body, "/not a command");
}

static void test_commands(void **state)
{
	struct fd_frame f;
	size_t want;

	assert_int_equal(decode("/nick bob  \n", 100, false, &f, &want), 1);
	assert_int_equal(f.type, FD_FRAME_COMMAND);
	assert_string_equal(f.body, "nick bob");
	assert_int_equal(f.len, 8);
	assert_int_equal(decode("quit\r\n", 100, false, &f, &want), 1);
	assert_int_equal(f.type, FD_FRAME_COMMAND);
	assert_string_equal(f.body, "quit");
	assert_int_equal(decode("quite\n", 100, false, &f, &want), 1);
	assert_int_equal(f.type, FD_FRAME_MESSAGE);
	assert_int_equal(decode("/\n", 100, false, &f, &want), 1);
	assert_int_equal(f.type, FD_FRAME_COMMAND);
	assert_int_equal(f.len, 0);
}

static void test_partial_and_eof(void **state)
{
	struct fd_frame f;
	size_t want;

	assert_int_equal(decode("no end yet", 100, false, &f, &want), 0);
	assert_int_equal(want, 11);
	assert_int_equal(decode("last words", 100, true, &f, &want), 1);
	assert_string_equal(f.body, "last words");
	assert_int_equal(decode("", 100, true, &f, &want), 0);
}

static void test_limits(void **state)
{
	struct fd_frame f;
	size_t want;

	assert_int_equal(decode("12345\n", 5, false, &f, &want), 1);
	assert_int_equal(decode("12345\r\n", 5, false, &f, &want), 1);
	assert_int_equal(decode("123456\n", 5, false, &f, &want), -FD_FRAME_ERR_TOO_LONG);
	/* Refused before any end of line arrives. */
	assert_int_equal(decode("1234567", 5, false, &f, &want), -FD_FRAME_ERR_TOO_LONG);
	assert_int_equal(decode("123456", 5, false, &f, &want), 0);
	assert_int_equal(decode("caf\xc3\n", 100, false, &f, &want), -FD_FRAME_ERR_BAD_UTF8);
	assert_int_equal(decode("nul\0byte\n", 100, false, &f, &want), 0); /* strlen stops */
}

static void test_greeting(void **state)
{
	struct fd_frame f;
	size_t want;

	assert_int_equal(decode("I'm ready.\n", 100, false, &f, &want), 1);
	assert_true(line_is_greeting(&f));
	assert_int_equal(decode("I'm ready!\n", 100, false, &f, &want), 1);
	assert_false(line_is_greeting(&f));
}

static void test_encode(void **state)
{
	struct evbuffer *b = evbuffer_new();
	char out[64];
	size_t n;

	assert_int_equal(line_encode(b, FD_FRAME_MESSAGE, "bob: a\nb\r\x1b[2J", 13), 0);
	assert_int_equal(line_encode(b, FD_FRAME_NOTICE, "joined bob", 10), 0);
	assert_int_equal(line_encode(b, FD_FRAME_COMMAND, "x", 1), -EINVAL);
	n = evbuffer_remove(b, out, sizeof(out));
	assert_int_equal(n, 14 + 13);
	assert_memory_equal(out, "bob: a b  [2J\n* joined bob\n", n);
	evbuffer_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_message_lines),   cmocka_unit_test(test_commands),
		cmocka_unit_test(test_partial_and_eof), cmocka_unit_test(test_limits),
		cmocka_unit_test(test_greeting),        cmocka_unit_test(test_encode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
