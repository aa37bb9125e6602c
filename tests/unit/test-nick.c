/* SPDX-License-Identifier: ISC */
/* test-nick.c - the nickname rule: characters not bytes, '-', spaces, controls, format chars. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "nick.h"

static bool valid(const char *nick)
{
	return fd_nick_valid(nick, strlen(nick));
}

/* @n copies of the UTF-8 character @ch, then @tail. */
static const char *repeat(char *buf, size_t size, const char *ch, int n, const char *tail)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int i = 0; i < n; i++)
		used += (size_t)snprintf(buf + used, size - used, "%s", ch);
	snprintf(buf + used, size - used, "%s", tail);
	return buf;
}

static void test_ordinary_names(void **state)
{
	assert_true(valid("bob"));
	assert_true(valid("x"));
	assert_true(valid("mary-ann"));
	assert_true(valid("a--b"));
	assert_true(valid("b-"));
	assert_true(valid("Zoë"));
	assert_true(valid("渡辺"));
	assert_true(valid("😀"));
	assert_false(valid(""));
	assert_false(fd_nick_valid("bob", 0));
}

static void test_dashes_lead_nowhere(void **state)
{
	/* "--" is a notice's free-text marker; "-x" reads as an option. */
	assert_false(valid("--"));
	assert_false(valid("-"));
	assert_false(valid("-bob"));
	assert_false(valid("--bob"));
}

static void test_limit_counts_characters(void **state)
{
	char buf[FD_NICK_MAX_BYTES + 32];

	assert_true(valid(repeat(buf, sizeof(buf), "x", 32, "")));
	assert_false(valid(repeat(buf, sizeof(buf), "x", 33, "")));
	/* 32 two-byte characters: 64 bytes, accepted; one more is refused. */
	assert_true(valid(repeat(buf, sizeof(buf), "é", 32, "")));
	assert_int_equal(strlen(buf), 64);
	assert_false(valid(repeat(buf, sizeof(buf), "é", 33, "")));
	assert_false(valid(repeat(buf, sizeof(buf), "é", 32, "x")));
	/* Three and four bytes a character: 96 and 128 bytes. */
	assert_true(valid(repeat(buf, sizeof(buf), "渡", 32, "")));
	assert_false(valid(repeat(buf, sizeof(buf), "渡", 33, "")));
	assert_true(valid(repeat(buf, sizeof(buf), "😀", 32, "")));
	assert_int_equal(strlen(buf), FD_NICK_MAX_BYTES);
	assert_false(valid(repeat(buf, sizeof(buf), "😀", 33, "")));
}

static void test_separators_refused(void **state)
{
	static const char *const bad[] = {
		"two words", "a:b",         "a,b",           "tab\there",   "new\nline",
		"cr\rx",     "del\x7f",     "esc\x1b[2J",    "nbsp\u00a0x", "ogham\u1680x",
		"en\u2002x", "hair\u200ax", "narrow\u202fx", "math\u205fx", "ideo\u3000x",
		"ls\u2028x", "ps\u2029x",   "\u3164",        "x\u115f",     "x\u1160",
		"x\uffa0",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (valid(bad[i]))
			fail_msg("accepted %s", bad[i]);
	}
}

static void test_c1_controls_refused(void **state)
{
	char buf[16];

	for (unsigned cp = 0x80; cp <= 0x9f; cp++) {
		snprintf(buf, sizeof(buf), "a%c%cb", 0xc2, cp);
		if (valid(buf))
			fail_msg("accepted U+%04X", cp);
	}
	assert_true(valid("a\u00a1b")); /* the first character after them */
}

/* Every bidi control and format (Cf) character, by its first and last code point. */
static void test_format_chars_refused(void **state)
{
	static const char *const bad[] = {
		"\u202a",     "\u202b",     "\u202c",     "\u202d",
		"\u202e",                                           /* embeddings, overrides */
		"\u2066",     "\u2067",     "\u2068",     "\u2069", /* isolates */
		"\u200e",     "\u200f",     "\u061c",               /* marks */
		"\u200b",     "\u200c",     "\u200d",     "\u2060",
		"\u2064",     "\ufeff", /* zero-width */
		"\u00ad",     "\u180e",     "\u0600",     "\u0605",
		"\u06dd",     "\u070f",     "\u0890",     "\u0891",
		"\u08e2",     "\u206a",     "\u206f",     "\ufff9",
		"\ufffb",     "\U000110bd", "\U000110cd", "\U00013430",
		"\U0001343f", "\U0001bca0", "\U0001bca3", "\U0001d173",
		"\U0001d17a", "\U000e0001", "\U000e0020", "\U000e007f",
	};
	char buf[32];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(buf, sizeof(buf), "ab%scd", bad[i]);
		if (valid(buf))
			fail_msg("accepted the format character in %s", buf);
		if (valid(bad[i]))
			fail_msg("accepted a name of just that character (entry %zu)", i);
	}
	/* Their neighbours are ordinary characters. */
	assert_true(valid("a\u2027b"));
	assert_true(valid("a\u2070b"));
	assert_true(valid("a\ufffcb"));
}

static void test_invalid_utf8_refused(void **state)
{
	static const char *const bad[] = {
		"\x80",         "a\xc3",        "\xc3\x28",         "\xc0\xaf",
		"\xe0\x80\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xff",
		"\xf0\x9f\x98",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (valid(bad[i]))
			fail_msg("accepted invalid UTF-8 (entry %zu)", i);
	}
	/* A NUL inside the length is a C0 control. */
	assert_false(fd_nick_valid("a\0b", 3));
	/* Longer than any 32 characters can be: refused before decoding. */
	assert_false(fd_nick_valid("x", FD_NICK_MAX_BYTES + 1));
}

static void test_cut_keeps_whole_characters(void **state)
{
	assert_int_equal(fd_nick_cut("bob", 2), 2);
	assert_int_equal(fd_nick_cut("bob", 3), 3);
	assert_int_equal(fd_nick_cut("bob", 10), 3);
	assert_int_equal(fd_nick_cut("bob", 0), 0);
	assert_int_equal(fd_nick_cut("éé", 1), 2);
	assert_int_equal(fd_nick_cut("a渡😀b", 3), 1 + 3 + 4);
	assert_int_equal(fd_nick_cut("a渡😀b", 2), 1 + 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ordinary_names),
		cmocka_unit_test(test_dashes_lead_nowhere),
		cmocka_unit_test(test_limit_counts_characters),
		cmocka_unit_test(test_separators_refused),
		cmocka_unit_test(test_c1_controls_refused),
		cmocka_unit_test(test_format_chars_refused),
		cmocka_unit_test(test_invalid_utf8_refused),
		cmocka_unit_test(test_cut_keeps_whole_characters),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
