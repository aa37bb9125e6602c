/* SPDX-License-Identifier: ISC */
/* test-canned.c - the canned_file parser: replies, comments, bounds, every error with its line. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <frontdesk/frame.h>

#include "canned.h"

static int parse(const char *text, struct canned **t, char **errors)
{
	*t = NULL;
	return canned_parse(text, strlen(text), "canned.txt", t, errors);
}

/* @t holds @name with exactly @want as its text. */
static void assert_reply(const struct canned *t, const char *name, const char *want)
{
	size_t len = 0;
	const char *text = canned_find(t, name, strlen(name), &len);

	assert_non_null(text);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(text, want, len);
	assert_int_equal(text[len], '\0');
}

static void test_replies_comments_and_blanks(void **state)
{
	struct canned *t;
	char *errors;

	assert_int_equal(parse("# the desk's replies\n"
			       "\n"
			       "greet Hello! How can I help?\n"
			       "   \t\n"
			       "  # an indented comment\n"
			       "hours\tWe are open 9-17 # not a comment\r\n"
			       "bye   Thank you, goodbye.   \n"
			       "grüße Schöne Grüße\n", /* names are ASCII */
			       &t, &errors),
			 -EINVAL);
	assert_string_equal(errors, "canned.txt:8: expected 'NAME text', NAME 1 to 32 letters, "
				    "digits, '-', '_' or '.', starting with a letter or digit\n");
	free(errors);

	assert_int_equal(parse("# the desk's replies\n"
			       "\n"
			       "greet Hello! How can I help?\n"
			       "   \t\n"
			       "  # an indented comment\n"
			       "hours\tWe are open 9-17 # not a comment\r\n"
			       "bye   Thank you, goodbye.   \n"
			       "x.y-z_1 Schöne Grüße 👋",
			       &t, &errors),
			 0);
	assert_int_equal(canned_count(t), 4);
	assert_reply(t, "greet", "Hello! How can I help?");
	assert_reply(t, "hours", "We are open 9-17 # not a comment");
	assert_reply(t, "bye", "Thank you, goodbye.");
	assert_reply(t, "x.y-z_1", "Schöne Grüße 👋");
	{
		size_t len;

		assert_null(canned_find(t, "Greet", 5, &len)); /* names are case-sensitive */
		assert_null(canned_find(t, "gree", 4, &len));
		assert_null(canned_find(t, "greetings", 9, &len));
	}
	canned_free(t);
}

static void test_empty_file(void **state)
{
	struct canned *t;
	char *errors;

	assert_int_equal(parse("", &t, &errors), 0);
	assert_int_equal(canned_count(t), 0);
	canned_free(t);
	assert_int_equal(parse("# nothing yet\n\n", &t, &errors), 0);
	assert_int_equal(canned_count(t), 0);
	canned_free(t);
	assert_int_equal(canned_count(NULL), 0);
	canned_free(NULL);
}

static void test_every_error_with_its_line(void **state)
{
	struct canned *t = (struct canned *)1;
	char *errors;

	assert_int_equal(parse("greet Hello\n"
			       "greet Hello again\n"
			       "lonely\n"
			       "blank-text    \n"
			       "greet: Hello\n"
			       "-dash Hello\n"
			       "a-name-that-is-much-longer-than-32 Hello\n"
			       "bad \xff\xfe\n"
			       "ok Fine\n",
			       &t, &errors),
			 -EINVAL);
	assert_ptr_equal(t, NULL); /* set by parse() before, untouched by the failure */
	assert_string_equal(
	    errors, "canned.txt:2: greet is already defined on line 1\n"
		    "canned.txt:3: lonely has no text\n"
		    "canned.txt:4: blank-text has no text\n"
		    "canned.txt:5: expected 'NAME text', NAME 1 to 32 letters, digits, '-', '_' or "
		    "'.', starting with a letter or digit\n"
		    "canned.txt:6: expected 'NAME text', NAME 1 to 32 letters, digits, '-', '_' or "
		    "'.', starting with a letter or digit\n"
		    "canned.txt:7: expected 'NAME text', NAME 1 to 32 letters, digits, '-', '_' or "
		    "'.', starting with a letter or digit\n"
		    "canned.txt:8: the text of bad is not UTF-8 (or holds a NUL byte)\n");
	free(errors);
}

static void test_nul_byte(void **state)
{
	static const char text[] = "greet Hel\0lo\n";
	struct canned *t = NULL;
	char *errors;

	assert_int_equal(canned_parse(text, sizeof(text) - 1, "canned.txt", &t, &errors), -EINVAL);
	assert_string_equal(errors,
			    "canned.txt:1: the text of greet is not UTF-8 (or holds a NUL byte)\n");
	free(errors);
}

/* A text may be as long as a message, and no longer. */
static void test_text_limit(void **state)
{
	size_t len = 6 + FD_MESSAGE_MAX_TEXT + 1;
	char *text = malloc(len + 1);
	struct canned *t;
	char *errors;
	char want[128];

	memcpy(text, "long ", 5);
	memset(text + 5, 'x', len - 5);
	text[5 + FD_MESSAGE_MAX_TEXT] = '\0';
	assert_int_equal(parse(text, &t, &errors), 0);
	assert_int_equal(canned_count(t), 1);
	canned_free(t);

	text[5 + FD_MESSAGE_MAX_TEXT] = 'x';
	text[5 + FD_MESSAGE_MAX_TEXT + 1] = '\0';
	assert_int_equal(parse(text, &t, &errors), -EINVAL);
	snprintf(want, sizeof(want),
		 "canned.txt:1: the text of long is %d bytes; a message is at most %d\n",
		 FD_MESSAGE_MAX_TEXT + 1, FD_MESSAGE_MAX_TEXT);
	assert_string_equal(errors, want);
	free(errors);
	free(text);
}

static void test_at_most_1000_replies(void **state)
{
	char *text = malloc(1002 * 16);
	struct canned *t;
	char *errors;
	size_t at = 0;

	for (int i = 0; i < 1000; i++)
		at += (size_t)sprintf(text + at, "r%d text %d\n", i, i);
	assert_int_equal(parse(text, &t, &errors), 0);
	assert_int_equal(canned_count(t), 1000);
	assert_reply(t, "r999", "text 999");
	canned_free(t);

	sprintf(text + at, "r1000 one too many\nr1001 two too many\n");
	assert_int_equal(parse(text, &t, &errors), -EINVAL);
	assert_string_equal(errors, "canned.txt:1001: more than 1000 replies\n");
	free(errors);
	free(text);
}

/* A file of garbage gives the first 20 errors and a count of the rest, not a flood. */
static void test_errors_are_bounded(void **state)
{
	char text[64 * 30] = "";
	struct canned *t;
	char *errors;
	unsigned lines = 0;

	for (int i = 0; i < 30; i++)
		strcat(text, "??\n");
	assert_int_equal(parse(text, &t, &errors), -EINVAL);
	for (const char *p = errors; (p = strchr(p, '\n')); p++)
		lines++;
	assert_int_equal(lines, 21);
	assert_non_null(strstr(errors, "canned.txt:20: expected"));
	assert_null(strstr(errors, "canned.txt:21:"));
	assert_non_null(strstr(errors, "\ncanned.txt: 10 more errors not shown\n"));
	free(errors);
}

static char path[64];

static void write_file(const char *text, size_t len)
{
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "/tmp/test-canned-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_int_equal(fwrite(text, 1, len, f), len);
	fclose(f);
}

static void test_load(void **state)
{
	char *big = calloc(1, CANNED_MAX_BYTES + 2);
	struct canned *t = NULL;
	char *errors;
	char want[128];

	write_file("greet Hello\n", 12);
	assert_int_equal(canned_load(path, &t, &errors), 0);
	assert_reply(t, "greet", "Hello");
	canned_free(t);
	unlink(path);

	/* 1 MiB exactly is fine (comments), one byte more is not. */
	memset(big, '#', CANNED_MAX_BYTES);
	write_file(big, CANNED_MAX_BYTES);
	assert_int_equal(canned_load(path, &t, &errors), 0);
	canned_free(t);
	unlink(path);
	write_file(big, CANNED_MAX_BYTES + 1);
	assert_int_equal(canned_load(path, &t, &errors), -EFBIG);
	snprintf(want, sizeof(want), "%s: larger than 1048576 bytes (1 MiB)\n", path);
	assert_string_equal(errors, want);
	free(errors);
	unlink(path);
	free(big);

	assert_int_equal(canned_load("/nonexistent/canned.txt", &t, &errors), -ENOENT);
	assert_string_equal(errors,
			    "/nonexistent/canned.txt: cannot read: No such file or directory\n");
	free(errors);
	assert_int_equal(canned_load("/tmp", &t, &errors), -EINVAL);
	assert_string_equal(errors, "/tmp: not a regular file\n");
	free(errors);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replies_comments_and_blanks),
		cmocka_unit_test(test_empty_file),
		cmocka_unit_test(test_every_error_with_its_line),
		cmocka_unit_test(test_nul_byte),
		cmocka_unit_test(test_text_limit),
		cmocka_unit_test(test_at_most_1000_replies),
		cmocka_unit_test(test_errors_are_bounded),
		cmocka_unit_test(test_load),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
