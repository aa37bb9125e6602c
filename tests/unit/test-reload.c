/* SPDX-License-Identifier: ISC */
/* test-reload.c - which keys a reload applies, which it keeps, and what it reports. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "log.h"
#include "reload.h"

static void merge(const struct config *run, struct config *next, char *restart, char *live)
{
	reload_merge(run, next, restart, 128, live, 256);
}

static void test_nothing_changed(void **state)
{
	struct config run, next;
	char restart[128], live[256];

	config_init(&run);
	config_init(&next);
	merge(&run, &next, restart, live);
	assert_string_equal(restart, "");
	assert_string_equal(live, "");
}

static void test_live_keys_are_applied(void **state)
{
	struct config run, next;
	char restart[128], live[256];

	config_init(&run);
	config_init(&next);
	next.turns = TURNS_FREE;
	next.max_queue = 3;
	next.log_messages = 1;
	next.customer_idle_timeout = 60;
	next.max_startups.full = 500;
	merge(&run, &next, restart, live);
	assert_string_equal(restart, "");
	assert_string_equal(live,
			    "turns, log_messages, max_queue, max_startups, customer_idle_timeout");
	assert_int_equal(next.turns, TURNS_FREE);
	assert_int_equal(next.max_queue, 3);
}

static void test_restart_keys_keep_running_values(void **state)
{
	struct config run, next;
	char restart[128], live[256];

	config_init(&run);
	config_init(&next);
	next.mode = MODE_GROUP;
	snprintf(next.listen.v[0].host, sizeof(next.listen.v[0].host), "::1");
	next.line_listen.n = 1;
	snprintf(next.agent_socket, sizeof(next.agent_socket), "/tmp/other.sock");
	next.agent_listen.n = 1;
	snprintf(next.key_file, sizeof(next.key_file), "/etc/frontdesk/customer.key");
	next.max_clients = 5;
	merge(&run, &next, restart, live);
	assert_string_equal(restart,
			    "mode, listen, line_listen, agent_socket, agent_listen, key_file");
	assert_string_equal(live, "max_clients");
	assert_int_equal(next.mode, MODE_SINGLE_AGENT);
	assert_string_equal(next.listen.v[0].host, "127.0.0.1");
	assert_int_equal(next.line_listen.n, 0);
	assert_string_equal(next.agent_socket, run.agent_socket);
	assert_int_equal(next.agent_listen.n, 0);
	assert_string_equal(next.key_file, "");
	assert_int_equal(next.max_clients, 5);
}

static void test_same_endpoints_in_new_buffers(void **state)
{
	struct config run, next;
	char restart[128], live[256];

	config_init(&run);
	config_init(&next);
	/* Bytes after the terminating NUL differ; the addresses do not. */
	memset(next.listen.v[0].host, 'x', sizeof(next.listen.v[0].host));
	snprintf(next.listen.v[0].host, sizeof(next.listen.v[0].host), "127.0.0.1");
	merge(&run, &next, restart, live);
	assert_string_equal(restart, "");
}

static void test_log_escape(void **state)
{
	char buf[64];

	assert_string_equal(log_escape("a\nb\\c\td\x1b\x7f", 9, buf, sizeof(buf)),
			    "a\\nb\\\\c\\td\\x1b\\x7f");
	assert_string_equal(log_escape("caf\xc3\xa9 ok", 8, buf, sizeof(buf)), "caf\xc3\xa9 ok");
	/* Cut with dots, never inside a UTF-8 sequence. */
	assert_string_equal(log_escape("ab\xc3\xa9\xc3\xa9", 6, buf, 8), "ab...");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nothing_changed),
		cmocka_unit_test(test_live_keys_are_applied),
		cmocka_unit_test(test_restart_keys_keep_running_values),
		cmocka_unit_test(test_same_endpoints_in_new_buffers),
		cmocka_unit_test(test_log_escape),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
