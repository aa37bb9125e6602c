/* SPDX-License-Identifier: ISC */
/* test-utf8.c - validation, decoding, and what utf8_make_printable() leaves of peer text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "utf8.h"

/* @in made printable, in a static buffer. */
static const char *printable(const char *in)
{
	static char buf[256];

	snprintf(buf, sizeof(buf), "%s", in);
	utf8_make_printable(buf, strlen(buf));
	assert_int_equal(strlen(buf), strlen(in)); /* same length, in place */
	assert_true(utf8_valid(buf, strlen(buf)));
	return buf;
}

static void test_valid(void **state)
{
	assert_true(utf8_valid("", 0));
	assert_true(utf8_valid("plain", 5));
	assert_true(utf8_valid("Zoë 渡辺 😀", strlen("Zoë 渡辺 😀")));
	assert_false(utf8_valid("a\0b", 3));
	assert_false(utf8_valid("\xc0\xaf", 2));         /* overlong '/' */
	assert_false(utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
	assert_false(utf8_valid("\xf4\x90\x80\x80", 4)); /* above U+10FFFF */
	assert_false(utf8_valid("\xe2\x80", 2));         /* cut short */
	assert_false(utf8_valid("\x80", 1));
}

static void test_decode(void **state)
{
	uint32_t cp = 7;

	assert_int_equal(utf8_decode("A", 1, &cp), 1);
	assert_int_equal(cp, 'A');
	assert_int_equal(utf8_decode("é", 2, &cp), 2);
	assert_int_equal(cp, 0xe9);
	assert_int_equal(utf8_decode("\u202e", 3, &cp), 3);
	assert_int_equal(cp, 0x202e);
	assert_int_equal(utf8_decode("😀", 4, &cp), 4);
	assert_int_equal(cp, 0x1f600);
	cp = 7;
	assert_int_equal(utf8_decode("😀", 3, &cp), 0); /* cut by @len */
	assert_int_equal(utf8_decode("", 0, &cp), 0);
	assert_int_equal(utf8_decode("\xc1\xbf", 2, &cp), 0);
	assert_int_equal(cp, 7); /* untouched on failure */
}

static void test_is_control(void **state)
{
	static const uint32_t yes[] = {
		0x00,    0x1b,    0x1f,    0x7f,    0x80,    0x85,    0x9b,    0x9f,
		0xad,    0x600,   0x61c,   0x180e,  0x200b,  0x200e,  0x200f,  0x2028,
		0x2029,  0x202a,  0x202e,  0x2060,  0x2066,  0x2069,  0xfeff,  0xfffb,
		0x110bd, 0x1343f, 0x1bca3, 0x1d17a, 0xe0001, 0xe0020, 0xe007f,
	};
	static const uint32_t no[] = {
		' ', 'a', '~', 0xa0, 0xa1, 0xe9, 0x2027, 0x202f, 0x2070, 0xfffc, 0x1f600, 0xe0080,
	};

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		if (!utf8_is_control(yes[i]))
			fail_msg("U+%04X is not taken for a control", yes[i]);
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (utf8_is_control(no[i]))
			fail_msg("U+%04X is taken for a control", no[i]);
}

static void test_c0_del_c1_become_spaces(void **state)
{
	assert_string_equal(printable("plain text, Zoë 😀"), "plain text, Zoë 😀");
	assert_string_equal(printable("a\nb\rc\td\x1b[2Je\x7f"), "a b c d [2Je ");
	/* U+0085 (next line) and U+009B (CSI) are two bytes: two spaces. */
	assert_string_equal(printable("x\xc2\x85y\xc2\x9bz"), "x  y  z");
}

static void test_bidi_and_format_become_spaces(void **state)
{
	/* Each byte of the character becomes a space: U+202E is three bytes. */
	assert_string_equal(printable("evil\u202etxt.exe"), "evil   txt.exe");
	assert_string_equal(printable("\u2066a\u2069"), "   a   ");
	assert_string_equal(printable("\u200e\u200f\u061c"), "        ");
	assert_string_equal(printable("zero\u200bwidth\ufeff"), "zero   width   ");
	assert_string_equal(printable("soft\u00adhyphen"), "soft  hyphen");
	assert_string_equal(printable("line\u2028para\u2029"), "line   para   ");
	assert_string_equal(printable("tag\U000e0041"), "tag    ");
	/* Joiners stay: they build emoji and words, and reorder nothing. */
	assert_string_equal(printable("👩\u200d💻 \u0645\u200c\u06cc"),
			    "👩\u200d💻 \u0645\u200c\u06cc");
	/* Other spaces are text, not controls. */
	assert_string_equal(printable("a\u00a0b\u3000c"), "a\u00a0b\u3000c");
}

static void test_invalid_bytes_become_spaces(void **state)
{
	/* A cut sequence (a truncated buffer) and stray bytes: each byte alone becomes a space. */
	assert_string_equal(printable("ok\xe2\x80"), "ok  ");
	assert_string_equal(printable("\x80x\xff"), " x ");
	assert_string_equal(printable("\xc0\xaf"), "  ");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_decode),
		cmocka_unit_test(test_is_control),
		cmocka_unit_test(test_c0_del_c1_become_spaces),
		cmocka_unit_test(test_bidi_and_format_become_spaces),
		cmocka_unit_test(test_invalid_bytes_become_spaces),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
