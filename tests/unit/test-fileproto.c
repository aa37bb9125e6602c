/* SPDX-License-Identifier: ISC */
/* test-fileproto.c - the files wire's parsers (fileproto.h): every field and the name rule. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fileproto.h"

#define SHA  "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08"
#define SHAL "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

static int offer(const char *s, struct file_offer *o)
{
	return file_offer_parse(s, strlen(s), o);
}

static void test_offer_fields(void **state)
{
	struct file_offer o;

	assert_int_equal(offer("up-1 48213 " SHA " Image/PNG * my invoice.png", &o), 0);
	assert_string_equal(o.tag, "up-1");
	assert_int_equal(o.size, 48213);
	assert_string_equal(o.sha, SHAL);
	assert_string_equal(o.type, "image/png");
	assert_string_equal(o.to, "*");
	assert_string_equal(o.name, "my invoice.png"); /* the rest of the line, spaces and all */
	assert_int_equal(offer("T_9 0 " SHAL " text/plain bob x", &o), 0);
	assert_int_equal(o.size, 0);
	assert_string_equal(o.to, "bob");
	assert_int_equal(offer("t 18446744073709551615 " SHAL " a/b * n", &o), 0);
	assert_int_equal(o.size, UINT64_MAX);
}

static void test_offer_malformed(void **state)
{
	static const char *const bad[] = {
		"",
		"t",
		"t 12",
		"t 12 " SHAL,
		"t 12 " SHAL " a/b",
		"t 12 " SHAL " a/b *",   /* no NAME */
		"t -1 " SHAL " a/b * n", /* a sign */
		"t 1x " SHAL " a/b * n",
		"t 18446744073709551616 " SHAL " a/b * n", /* above 2^64 - 1 */
		"t 12 " SHAL "0 a/b * n",                  /* 65 digits */
		"t 12 g" SHAL " a/b * n",
		"t 12  " SHAL " a/b * n", /* two spaces */
	};
	struct file_offer o;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(offer(bad[i], &o), -EINVAL);
		/* The TAG was good: the refusal names it. */
		if (i > 0)
			assert_string_equal(o.tag, "t");
	}
	assert_int_equal(offer("t/1 1 " SHAL " a/b * n", &o), -EINVAL);
	assert_string_equal(o.tag, "");
	assert_int_equal(offer("abcdefghijklmnopq 1 " SHAL " a/b * n", &o), -EINVAL); /* 17 */
	assert_string_equal(o.tag, "");
	assert_int_equal(offer("abcdefghijklmnop 1 " SHAL " a/b * n", &o), 0); /* 16 */
}

static void test_media_type(void **state)
{
	static const char *const other[] = {
		"text",       "text/",  "/plain", "text/plain/x", "text/pl ain", "text/plain;a=b",
		"tëxt/plain", "a\"b/c", "",
	};
	char out[FILE_TYPE_BUFSIZE], longest[FILE_TYPE_MAX + 2];

	file_type_normalise("Application/VND.ms-Excel+XML", 28, out);
	assert_string_equal(out, "application/vnd.ms-excel+xml");
	file_type_normalise("a!#$&^_.+-/b", 12, out);
	assert_string_equal(out, "a!#$&^_.+-/b");
	for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
		file_type_normalise(other[i], strlen(other[i]), out);
		assert_string_equal(out, FILE_TYPE_DEFAULT);
	}
	memset(longest, 'a', sizeof(longest));
	longest[1] = '/';
	file_type_normalise(longest, FILE_TYPE_MAX, out);
	assert_int_equal(strlen(out), FILE_TYPE_MAX);
	file_type_normalise(longest, FILE_TYPE_MAX + 1, out);
	assert_string_equal(out, FILE_TYPE_DEFAULT);
}

static const char *clean(const char *s, size_t len)
{
	static char out[FILE_NAME_BUFSIZE];
	size_t n = file_name_sanitise(s, len, out);

	assert_int_equal(n, strlen(out));
	return out;
}

#define CLEAN(s) clean(s, sizeof(s) - 1)

static void test_name_sanitiser(void **state)
{
	char longname[300];

	assert_string_equal(CLEAN("invoice.pdf"), "invoice.pdf");
	assert_string_equal(CLEAN("../../etc/passwd"), "passwd");
	assert_string_equal(CLEAN("C:\\Users\\bob\\shot.png"), "shot.png");
	assert_string_equal(CLEAN(".."), "file");
	assert_string_equal(CLEAN("dir/.."), "file");
	assert_string_equal(CLEAN("dir/"), "file");
	assert_string_equal(CLEAN(""), "file");
	assert_string_equal(CLEAN(".bashrc"), "bashrc");
	assert_string_equal(CLEAN("...a.b."), "a.b.");
	assert_string_equal(CLEAN("a\0b\x01\x1f\x7f"
				  "c\n.txt"),
			    "abc.txt");
	assert_string_equal(CLEAN("\x01.hidden"), "hidden"); /* a dot after a removed byte leads */
	assert_string_equal(CLEAN("r\xc3\xa9sum\xc3\xa9 final.pdf"),
			    "r\xc3\xa9sum\xc3\xa9 final.pdf");
	/* What a terminal obeys or hides: a right-to-left override would show this as
	 * "invoiceexe.pdf"; a C1 control; a zero-width space; a byte that is not UTF-8. */
	assert_string_equal(CLEAN("invoice\xe2\x80\xae"
				  "fdp.exe"),
			    "invoicefdp.exe");
	assert_string_equal(CLEAN("a\xc2\x85"
				  "b\xe2\x80\x8b"
				  "c\xff.txt"),
			    "abc.txt");
	assert_string_equal(CLEAN("   "), "file");                 /* a name of blanks */
	assert_string_equal(CLEAN(" . notes.txt  "), "notes.txt"); /* leading dots, blanks */
	/* 128 bytes at most, never half a character. */
	memset(longname, 'x', sizeof(longname));
	assert_int_equal(strlen(clean(longname, sizeof(longname))), FILE_NAME_MAX);
	for (size_t i = 127; i + 1 < sizeof(longname); i += 2)
		memcpy(longname + i, "\xc3\xa9", 2); /* 127 'x', then two-byte characters */
	assert_int_equal(strlen(clean(longname, 300)), 127);
	memcpy(longname + 126, "\xe2\x82\xac", 3); /* a three-byte one across the cut */
	assert_int_equal(strlen(clean(longname, 129)), 126);
}

static void test_data_split(void **state)
{
	char tag[FILE_TAG_BUFSIZE];
	const char *bytes;
	size_t n;

	assert_int_equal(file_data_split("t1 \0\xff", 5, tag, &bytes, &n), 0);
	assert_string_equal(tag, "t1");
	assert_int_equal(n, 2);
	assert_memory_equal(bytes, "\0\xff", 2);
	assert_int_equal(file_data_split("t1 ", 3, tag, &bytes, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(file_data_split("abcdefghijklmnop x", 18, tag, &bytes, &n), 0);
	assert_int_equal(file_data_split("abcdefghijklmnopq x", 19, tag, &bytes, &n), -EINVAL);
	assert_int_equal(file_data_split("t1", 2, tag, &bytes, &n), -EINVAL);
	assert_int_equal(file_data_split(" x", 2, tag, &bytes, &n), -EINVAL);
	assert_int_equal(file_data_split("t.1 x", 5, tag, &bytes, &n), -EINVAL);
	assert_int_equal(file_data_split("", 0, tag, &bytes, &n), -EINVAL);
}

static void test_tag_sha(void **state)
{
	char tag[FILE_TAG_BUFSIZE], sha[FILE_SHA_BUFSIZE];

	assert_int_equal(file_tag_sha_parse("g1 " SHA, 67, tag, sha), 0);
	assert_string_equal(tag, "g1");
	assert_string_equal(sha, SHAL);
	assert_int_equal(file_tag_sha_parse("g1", 2, tag, NULL), 0);
	assert_int_equal(file_tag_sha_parse("g1 ", 3, tag, NULL), -EINVAL);
	assert_int_equal(file_tag_sha_parse("g1 x", 4, tag, NULL), -EINVAL);
	assert_string_equal(tag, "g1");
	assert_int_equal(file_tag_sha_parse("g1", 2, tag, sha), -EINVAL);
	assert_int_equal(file_tag_sha_parse("g1 " SHA " x", 69, tag, sha), -EINVAL);
	assert_int_equal(file_tag_sha_parse("g1 " SHA " ", 68, tag, sha), -EINVAL);
	assert_int_equal(file_tag_sha_parse("", 0, tag, sha), -EINVAL);
	assert_string_equal(tag, "");
}

static void test_chunk(void **state)
{
	assert_int_equal(file_chunk(9999), 8192);
	assert_int_equal(file_chunk(1000), 1000 - 24);
	assert_int_equal(file_chunk(64), 40);
	assert_int_equal(file_chunk(8192 + 24), 8192);
}

/* As the disk takes a file: whole 4 KiB blocks, one at least, and one for its .type. */
static void test_quota_cost(void **state)
{
	assert_int_equal(file_quota_cost(0), 2 * 4096);
	assert_int_equal(file_quota_cost(1), 2 * 4096);
	assert_int_equal(file_quota_cost(4096), 2 * 4096);
	assert_int_equal(file_quota_cost(4097), 3 * 4096);
	assert_int_equal(file_quota_cost(10485760), 2561 * 4096);
	assert_true(file_quota_cost(UINT64_MAX) == UINT64_MAX);
	assert_true(file_quota_cost(UINT64_MAX - 4096 * 2) == UINT64_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_offer_fields), cmocka_unit_test(test_offer_malformed),
		cmocka_unit_test(test_media_type),   cmocka_unit_test(test_name_sanitiser),
		cmocka_unit_test(test_data_split),   cmocka_unit_test(test_tag_sha),
		cmocka_unit_test(test_chunk),        cmocka_unit_test(test_quota_cost),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
