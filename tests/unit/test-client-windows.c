/* SPDX-License-Identifier: ISC */
/* test-client-windows.c - an agent's windows: numbers, scrollback bounds, unread, closing
 * (windows.h). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "windows.h"

static void status_is(const struct windows *w, const char *want)
{
	char buf[512];

	windows_status(w, buf, sizeof(buf));
	assert_string_equal(buf, want);
}

static void test_desk_alone(void **state)
{
	struct windows w;

	assert_int_equal(windows_init(&w), 0);
	assert_ptr_equal(w.current, windows_desk(&w));
	assert_int_equal(w.current->num, 0);
	status_is(&w, "[*0:desk]");
	assert_int_equal(windows_switch(&w, 1), -ENOENT);
	windows_close(&w, windows_desk(&w)); /* the desk never closes */
	status_is(&w, "[*0:desk]");
	windows_deinit(&w);
}

static void test_open_unread_switch(void **state)
{
	struct windows w;
	struct window *bob, *carol;

	assert_int_equal(windows_init(&w), 0);
	bob = windows_open(&w, "bob", "c1");
	carol = windows_open(&w, "carol", "c2");
	assert_non_null(bob);
	assert_non_null(carol);
	assert_int_equal(bob->num, 1);
	assert_int_equal(carol->num, 2);
	assert_ptr_equal(windows_open(&w, "bob", NULL), bob); /* the same window again */
	assert_ptr_equal(windows_find(&w, "carol"), carol);
	assert_ptr_equal(windows_find_conv(&w, "c1"), bob);
	assert_null(windows_find_conv(&w, "c9"));
	assert_null(windows_find(&w, "desk")); /* the desk is nobody's conversation */

	/* Lines in windows not in view count as unread; the current one's do not. */
	assert_int_equal(windows_add(&w, carol, "carol: one", true), 0);
	assert_int_equal(windows_add(&w, carol, "carol: two", true), 0);
	assert_int_equal(windows_add(&w, windows_desk(&w), "* 1 customer is waiting", true), 0);
	carol->turn = true;
	status_is(&w, "[*0:desk] [1:bob] [2:carol(2)!]");

	assert_int_equal(windows_switch(&w, 2), 0);
	assert_ptr_equal(w.current, carol);
	assert_int_equal(carol->unread, 0);
	assert_string_equal(window_line(carol, 0), "carol: one");
	assert_string_equal(window_line(carol, 1), "carol: two");
	assert_null(window_line(carol, 2));
	status_is(&w, "[0:desk] [1:bob] [*2:carol!]");

	/* A line that does not count is kept all the same. */
	assert_int_equal(windows_add(&w, windows_desk(&w), "* 2 customers are waiting", false), 0);
	assert_int_equal(windows_add(&w, bob, "* bob's connection dropped", false), 0);
	status_is(&w, "[0:desk] [1:bob] [*2:carol!]");
	assert_string_equal(window_line(windows_desk(&w), 1), "* 2 customers are waiting");
	windows_deinit(&w);
}

static void test_closed_window_goes_when_left(void **state)
{
	struct windows w;
	struct window *bob, *carol, *dave;

	assert_int_equal(windows_init(&w), 0);
	bob = windows_open(&w, "bob", NULL);
	carol = windows_open(&w, "carol", NULL);
	assert_int_equal(windows_switch(&w, 1), 0);
	bob->turn = true;
	windows_close(&w, bob);
	assert_false(bob->turn);
	status_is(&w, "[0:desk] [*1:bob~] [2:carol]");
	/* Still readable while in view; gone once left. */
	assert_int_equal(windows_add(&w, bob, "* bob left the conversation", true), 0);
	assert_int_equal(windows_switch(&w, 2), 0);
	assert_null(windows_find(&w, "bob"));
	status_is(&w, "[0:desk] [*2:carol]");

	/* A new conversation takes the lowest free number; carol keeps hers. */
	dave = windows_open(&w, "dave", NULL);
	assert_int_equal(dave->num, 1);
	assert_int_equal(carol->num, 2);

	/* A closed window not in view waits to be read; the same customer again reopens it. */
	windows_close(&w, dave);
	status_is(&w, "[0:desk] [1:dave~] [*2:carol]");
	assert_int_equal(windows_add(&w, dave, "dave: before", true), 0);
	assert_ptr_equal(windows_open(&w, "dave", "c7"), dave);
	assert_false(dave->closed);
	assert_string_equal(dave->conv, "c7");
	assert_string_equal(window_line(dave, 0), "dave: before");
	windows_deinit(&w);
}

static void test_step_wraps(void **state)
{
	struct windows w;

	assert_int_equal(windows_init(&w), 0);
	windows_open(&w, "bob", NULL);
	windows_open(&w, "carol", NULL);
	assert_int_equal(windows_step(&w, 1), 1);
	assert_int_equal(windows_step(&w, -1), 2);
	assert_int_equal(windows_switch(&w, 2), 0);
	assert_int_equal(windows_step(&w, 1), 0);
	assert_int_equal(windows_step(&w, -1), 1);
	windows_deinit(&w);
}

/* The scrollback keeps the last WINDOW_LINES lines, and no more than WINDOW_BYTES. */
static void test_scrollback_bounds(void **state)
{
	static char big[WINDOW_BYTES / 4 + 1];
	struct windows w;
	struct window *bob;
	char line[32];

	assert_int_equal(windows_init(&w), 0);
	bob = windows_open(&w, "bob", NULL);
	for (int i = 0; i < WINDOW_LINES + 5; i++) {
		snprintf(line, sizeof(line), "line %d", i);
		assert_int_equal(windows_add(&w, bob, line, true), 0);
	}
	assert_int_equal(bob->count, WINDOW_LINES);
	assert_int_equal(bob->unread, WINDOW_LINES + 5); /* what was never seen, dropped or not */
	assert_string_equal(window_line(bob, 0), "line 5");
	snprintf(line, sizeof(line), "line %d", WINDOW_LINES + 4);
	assert_string_equal(window_line(bob, WINDOW_LINES - 1), line);

	memset(big, 'x', sizeof(big) - 1);
	for (int i = 0; i < 5; i++)
		assert_int_equal(windows_add(&w, bob, big, true), 0);
	assert_true(bob->bytes <= WINDOW_BYTES);
	assert_int_equal(bob->count, 4); /* four quarters fill it: the small lines went */
	assert_string_equal(window_line(bob, 3), big);
	windows_deinit(&w);
}

/* Every window taken: a closed one not in view gives way; open ones never do. */
static void test_full(void **state)
{
	struct windows w;
	char name[16];

	assert_int_equal(windows_init(&w), 0);
	for (int i = 1; i < WINDOWS_MAX; i++) {
		snprintf(name, sizeof(name), "c%d", i);
		assert_non_null(windows_open(&w, name, NULL));
	}
	assert_null(windows_open(&w, "late", NULL));
	windows_close(&w, windows_find(&w, "c5"));
	windows_close(&w, windows_find(&w, "c3"));
	assert_int_equal(windows_open(&w, "late", NULL)->num, 3);
	assert_null(windows_find(&w, "c3"));
	assert_non_null(windows_find(&w, "c5"));
	windows_deinit(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_desk_alone),
		cmocka_unit_test(test_open_unread_switch),
		cmocka_unit_test(test_closed_window_goes_when_left),
		cmocka_unit_test(test_step_wraps),
		cmocka_unit_test(test_scrollback_bounds),
		cmocka_unit_test(test_full),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
