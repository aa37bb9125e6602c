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

	memset(&c, 0, sizeof(c));
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
	memset(&c, 0, sizeof(c));
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

	memset(&c, 0, sizeof(c));
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_answer),
		cmocka_unit_test(test_new_answer_replaces),
		cmocka_unit_test(test_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
