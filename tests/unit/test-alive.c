/* SPDX-License-Identifier: ISC */
/*
 * test-alive.c - the socket options peer_timeout turns into (alive.h). The integration tests
 * see the keepalive timer from outside (/proc/net/tcp) and a vanished peer being noticed;
 * TCP_USER_TIMEOUT and the exact probe figures can only be read back with getsockopt().
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "alive.h"

static int option(int fd, int level, int name)
{
	int v = -1;
	socklen_t len = sizeof(v);

	assert_int_equal(getsockopt(fd, level, name, &v, &len), 0);
	return v;
}

/* peer_timeout P: probes after P/2, 3 of them in the rest of P; unacknowledged data for P. */
static void check(unsigned peer_timeout, int idle, int intvl, int user_ms)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(alive_tune_socket(fd, peer_timeout), 0);
	assert_int_equal(option(fd, SOL_SOCKET, SO_KEEPALIVE), 1);
	assert_int_equal(option(fd, IPPROTO_TCP, TCP_KEEPIDLE), idle);
	assert_int_equal(option(fd, IPPROTO_TCP, TCP_KEEPINTVL), intvl);
	assert_int_equal(option(fd, IPPROTO_TCP, TCP_KEEPCNT), ALIVE_KEEPCNT);
	assert_int_equal(option(fd, IPPROTO_TCP, TCP_USER_TIMEOUT), user_ms);
	close(fd);
}

static void test_default(void **state)
{
	check(60, 30, 10, 60000);
}

static void test_short_and_long(void **state)
{
	check(2, 1, 1, 2000);
	check(3600, 1800, 600, 3600000);
}

static void test_off_leaves_the_socket_alone(void **state)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(alive_tune_socket(fd, 0), 0);
	assert_int_equal(option(fd, SOL_SOCKET, SO_KEEPALIVE), 0);
	assert_int_equal(option(fd, IPPROTO_TCP, TCP_USER_TIMEOUT), 0);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default),
		cmocka_unit_test(test_short_and_long),
		cmocka_unit_test(test_off_leaves_the_socket_alone),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
