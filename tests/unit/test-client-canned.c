/* SPDX-License-Identifier: ISC */
/* test-client-canned.c - the canned replies an agent's client collects and completes (canned.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "canned.h"

static struct canned c;

static void test_answer(void **state)
{
	size_t st = 0;

	canned_clear(&c);
	assert_true(canned_notice(&c, "canned-reply hello Hello, how can I help?"));
	assert_true(canned_notice(&c, "canned-reply help -- See the help page"));
	assert_true(canned_notice(&c, "canned-reply bye"));
	assert_false(canned_notice(&c, "canned-replyx a b"));
	assert_false(canned_notice(&c, "queue 3"));
	assert_true(canned_notice(&c, "canned-end 3"));
	assert_int_equal(c.n, 3);
	assert_string_equal(canned_find(&c, "hello")->text, "Hello, how can I help?");
	assert_string_equal(canned_find(&c, "help")->text, "See the help page");
	assert_string_equal(canned_find(&c, "bye")->text, "");
	assert_null(canned_find(&c, "nope"));

	assert_string_equal(canned_complete(&c, "he", &st), "hello");
	assert_string_equal(canned_complete(&c, "he", &st), "help");
	assert_null(canned_complete(&c, "he", &st));
	st = 0;
	assert_string_equal(canned_complete(&c, "", &st), "hello");
}

/* A new answer replaces the list; an empty one empties it. */
static void test_new_answer_replaces(void **state)
{
	canned_clear(&c);
	canned_notice(&c, "canned-reply a one");
	canned_notice(&c, "canned-end 1");
	canned_notice(&c, "canned-reply b two");
	canned_notice(&c, "canned-end 1");
	assert_int_equal(c.n, 1);
	assert_string_equal(c.reply[0].name, "b");
	canned_notice(&c, "canned-end 0");
	assert_int_equal(c.n, 0);
}

static void test_bounded(void **state)
{
	char body[128];

	canned_clear(&c);
	for (int i = 0; i < CANNED_MAX + 10; i++) {
		snprintf(body, sizeof(body), "canned-reply r%d text %d", i, i);
		canned_notice(&c, body);
	}
	canned_notice(&c, "canned-end 138");
	assert_int_equal(c.n, CANNED_MAX);
	memset(body, 'n', sizeof(body) - 1);
	body[sizeof(body) - 1] = '\0';
	memcpy(body, "canned-reply ", 13);
	canned_notice(&c, body); /* a name too long to keep is no name: ignored */
	canned_notice(&c, "canned-end 1");
	assert_int_equal(c.n, 0);
}

/* "canned-more K": some were left out; a later answer forgets it. */
static void test_more_left_out_of_the_list(void **state)
{
	canned_clear(&c);
	canned_notice(&c, "canned-reply a one");
	assert_true(canned_notice(&c, "canned-more 7"));
	canned_notice(&c, "canned-end 8");
	assert_int_equal(c.n, 1);
	assert_int_equal(c.more, 7);
	canned_notice(&c, "canned-reply b two");
	canned_notice(&c, "canned-end 1");
	assert_int_equal(c.more, 0);
	assert_string_equal(canned_find(&c, "b")->text, "two");
	assert_null(canned_find(&c, "a"));
}

/* A text is kept whole, however long: it is shown as the agent's own line when sent. */
static void test_long_text_kept_whole(void **state)
{
	static char body[9800 + 32];
	size_t len;

	canned_clear(&c);
	len = (size_t)snprintf(body, sizeof(body), "canned-reply long ");
	memset(body + len, 'x', 9792);
	body[len + 9792] = '\0';
	canned_notice(&c, body);
	canned_notice(&c, "canned-end 1");
	assert_int_equal(strlen(canned_find(&c, "long")->text), 9792);
	canned_clear(&c);
	assert_int_equal(c.n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_answer),
		cmocka_unit_test(test_new_answer_replaces),
		cmocka_unit_test(test_bounded),
		cmocka_unit_test(test_more_left_out_of_the_list),
		cmocka_unit_test(test_long_text_kept_whole),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
