/* SPDX-License-Identifier: ISC */
/* test-ids.c - the client's tagged messages and the IDs it has seen (protocol 7.2, ids.h). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ids.h"

static int parse(const char *body, struct ids_message *m)
{
	static char buf[256];

	snprintf(buf, sizeof(buf), "%s", body);
	return ids_parse(buf, m);
}

static void test_parse(void **state)
{
	struct ids_message m;

	assert_int_equal(parse("42 1700000000123 * ann hello there", &m), 0);
	assert_true(m.id == 42);
	assert_true(m.time_ms == 1700000000123LL);
	assert_string_equal(m.conv, "*");
	assert_string_equal(m.from, "ann");
	assert_string_equal(m.text, "hello there");
	/* The text is verbatim: leading spaces, newlines, and empty. */
	assert_int_equal(parse("1 0 c3 bob   two\nlines ", &m), 0);
	assert_string_equal(m.conv, "c3");
	assert_string_equal(m.text, "  two\nlines ");
	assert_int_equal(parse("2 0 @bob 127.0.0.1:4000 ", &m), 0);
	assert_string_equal(m.from, "127.0.0.1:4000");
	assert_string_equal(m.text, "");
	assert_int_equal(parse("3 0 * ann", &m), 0);
	assert_string_equal(m.text, "");
	assert_int_equal(parse("18446744073709551615 9223372036854775807 * a x", &m), 0);
	assert_true(m.id == UINT64_MAX);
}

static void test_parse_errors(void **state)
{
	static const char *const bad[] = {
		"",
		"42",
		"42 1700000000123 *",
		"42 1700000000123 * ",      /* no FROM */
		"x 1700000000123 * ann hi", /* the ID is not a number */
		"-1 1700000000123 * ann hi",
		"+1 1700000000123 * ann hi",
		"1 17e3 * ann hi",
		"1  1700000000123 * ann hi", /* two spaces: an empty word */
		" 1 1700000000123 * ann hi",
		"18446744073709551616 0 * ann hi", /* one past the largest ID */
		"1 9223372036854775808 * ann hi",  /* a time that does not fit */
	};
	struct ids_message m;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(parse(bad[i], &m), -EPROTO);
}

static void test_duplicates_dropped(void **state)
{
	struct ids ids = { 0 };

	ids_epoch(&ids, "e1");
	assert_true(ids_fresh(&ids, 5));
	assert_true(ids_fresh(&ids, 6));
	assert_false(ids_fresh(&ids, 6));
	assert_false(ids_fresh(&ids, 2));
	assert_true(ids_fresh(&ids, 9));
	/* The same epoch again (a reconnection): what was seen stays seen. */
	ids_epoch(&ids, "e1");
	assert_false(ids_fresh(&ids, 9));
	/* A new one: the IDs start again. */
	ids_epoch(&ids, "e2");
	assert_true(ids_fresh(&ids, 1));
	assert_false(ids_fresh(&ids, 1));
}

static void test_zero_is_an_id(void **state)
{
	struct ids ids = { 0 };

	assert_true(ids_fresh(&ids, 0));
	assert_false(ids_fresh(&ids, 0));
}

static void test_history_goes_back(void **state)
{
	struct ids ids = { 0 };

	assert_true(ids_fresh(&ids, 50));
	ids_history(&ids, true);
	assert_true(ids_fresh(&ids, 10));
	assert_true(ids_fresh(&ids, 50));
	ids_history(&ids, false);
	/* History did not lower the highest: 11 was never seen live, but is older than 50. */
	assert_false(ids_fresh(&ids, 11));
	assert_true(ids_fresh(&ids, 51));
	/* History newer than anything seen raises it (a member joining a room). */
	ids_history(&ids, true);
	assert_true(ids_fresh(&ids, 60));
	ids_history(&ids, false);
	assert_false(ids_fresh(&ids, 60));
}

static void test_long_epoch_is_always_new(void **state)
{
	struct ids ids = { 0 };
	char epoch[IDS_EPOCH_MAX + 1];

	memset(epoch, 'e', sizeof(epoch) - 1);
	epoch[sizeof(epoch) - 1] = '\0';
	ids_epoch(&ids, epoch);
	assert_true(ids_fresh(&ids, 7));
	ids_epoch(&ids, epoch);
	assert_true(ids_fresh(&ids, 7));
}

static void test_plain(void **state)
{
	struct ids_message m;
	char buf[64];

	assert_int_equal(parse("1 0 * ann hi there", &m), 0);
	assert_string_equal(ids_plain(&m, buf, sizeof(buf)), "ann: hi there");
	assert_int_equal(parse("1 0 @ann ann psst", &m), 0);
	assert_string_equal(ids_plain(&m, buf, sizeof(buf)), "ann: psst");
	assert_int_equal(parse("1 0 c4 mary how can I help?", &m), 0);
	assert_string_equal(ids_plain(&m, buf, sizeof(buf)), "how can I help?");
	assert_int_equal(parse("1 0 * ann ", &m), 0);
	assert_string_equal(ids_plain(&m, buf, sizeof(buf)), "ann: ");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_duplicates_dropped),
		cmocka_unit_test(test_zero_is_an_id),
		cmocka_unit_test(test_history_goes_back),
		cmocka_unit_test(test_long_epoch_is_always_new),
		cmocka_unit_test(test_plain),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
