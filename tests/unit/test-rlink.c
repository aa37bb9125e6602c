/* SPDX-License-Identifier: ISC */
/*
 * test-rlink.c - the Redis link against a real redis-server (rlink.h): replies, their order,
 * AUTH, a stopped server (the timeout), a restarted one (reconnection), subscriptions, a
 * server that is not there yet, and rlink_free() with calls waiting.
 *
 * Each test starts its own redis-server on a free loopback port; the teardown (which cmocka
 * runs after a failed assertion too) and an atexit handler kill it.
 */
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>
#include <hiredis/hiredis.h>

#include "clock.h"
#include "rlink.h"

extern char **environ;

struct fixture {
	struct event_base *base;
	struct event *tick;
	pid_t redis;
	int port;
	char dir[64];
	const char *password;
	int ups, downs;
	char why[256];
};

static pid_t spawned = -1; /* for the atexit handler */

static void kill_spawned(void)
{
	if (spawned > 0) {
		kill(spawned, SIGCONT);
		kill(spawned, SIGKILL);
		waitpid(spawned, NULL, 0);
		spawned = -1;
	}
}

static int free_port(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001) };
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	close(fd);
	return ntohs(sin.sin_port);
}

/* Start redis-server on f->port and wait until it accepts connections. */
static void redis_start(struct fixture *f)
{
	char port[16];
	const char *argv[] = {
		"redis-server", "--port",      port,   "--bind",
		"127.0.0.1",    "--save",      "",     "--appendonly",
		"no",           "--dir",       f->dir, "--logfile",
		"redis.log",    "--daemonize", "no",   f->password ? "--requirepass" : NULL,
		f->password,    NULL
	};
	uint64_t until = fd_clock_usec() + 5000000;

	snprintf(port, sizeof(port), "%d", f->port);
	assert_int_equal(
	    posix_spawnp(&f->redis, "redis-server", NULL, NULL, (char **)argv, environ), 0);
	spawned = f->redis;
	for (;;) {
		redisContext *c = redisConnect("127.0.0.1", f->port);
		bool ok = c && !c->err;

		redisFree(c);
		if (ok)
			return;
		assert_true(fd_clock_usec() < until);
		usleep(20000);
	}
}

static void redis_stop(struct fixture *f)
{
	if (f->redis > 0) {
		kill(f->redis, SIGCONT);
		kill(f->redis, SIGKILL);
		waitpid(f->redis, NULL, 0);
	}
	f->redis = -1;
	spawned = -1;
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct timeval tv = { .tv_usec = 10000 };

	f->base = event_base_new();
	/* A tick makes each EVLOOP_ONCE return soon, so run_until() sees its deadline. */
	f->tick = event_new(f->base, -1, EV_PERSIST, on_tick, NULL);
	event_add(f->tick, &tv);
	f->redis = -1;
	f->port = free_port();
	snprintf(f->dir, sizeof(f->dir), "/tmp/test-rlink.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	redis_stop(f);
	event_free(f->tick);
	event_base_free(f->base);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", f->dir);
	free(f);
	return 0;
}

/* Run the loop until *@flag reaches @want or @seconds pass; return whether it did. */
static bool run_until(struct fixture *f, const int *flag, int want, double seconds)
{
	uint64_t until = fd_clock_usec() + (uint64_t)(seconds * 1e6);

	while (*flag < want && fd_clock_usec() < until)
		event_base_loop(f->base, EVLOOP_ONCE);
	return *flag >= want;
}

static void on_up(void *arg)
{
	((struct fixture *)arg)->ups++;
}

static void on_down(void *arg, const char *why)
{
	struct fixture *f = arg;

	f->downs++;
	snprintf(f->why, sizeof(f->why), "%s", why);
}

static struct rlink *link_new(struct fixture *f, const char *password, double timeout)
{
	struct rlink_options o = { .name = "test",
				   .ip = "127.0.0.1",
				   .port = f->port,
				   .password = password,
				   .timeout = timeout };
	struct rlink *l = NULL;

	assert_int_equal(rlink_new(f->base, &o, on_up, on_down, f, &l), 0);
	return l;
}

/* What a call got: the replies' copies, and how many came (NULL counts in nulls). */
struct result {
	int n, nulls;
	int type;
	long long integer;
	char str[64];
	size_t len;
	long long seq[200];
};

static void on_result(void *arg, struct redisReply *r)
{
	struct result *res = arg;

	if (!r) {
		res->nulls++;
		res->n++;
		return;
	}
	res->type = r->type;
	res->integer = r->integer;
	if (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS ||
	    r->type == REDIS_REPLY_ERROR) {
		res->len = r->len < sizeof(res->str) ? r->len : sizeof(res->str);
		memcpy(res->str, r->str, res->len);
	}
	if ((size_t)res->n < sizeof(res->seq) / sizeof(res->seq[0]))
		res->seq[res->n] = r->integer;
	res->n++;
}

static void call(struct rlink *l, struct result *res, int argc, const char **argv,
		 const size_t *lens)
{
	assert_int_equal(rlink_call(l, on_result, res, argc, argv, lens), 0);
}

static void test_set_get_binary(void **state)
{
	struct fixture *f = *state;
	const char *set[] = { "SET", "k", "a\0b" }, *get[] = { "GET", "k" };
	size_t set_lens[] = { 3, 1, 3 }, get_lens[] = { 3, 1 };
	struct result r1 = { 0 }, r2 = { 0 };
	struct rlink *l;

	redis_start(f);
	l = link_new(f, NULL, 0);
	assert_false(rlink_is_up(l));
	assert_int_equal(rlink_call(l, on_result, &r1, 2, get, get_lens), -ENOTCONN);
	assert_true(run_until(f, &f->ups, 1, 3));
	assert_true(rlink_is_up(l));
	call(l, &r1, 3, set, set_lens);
	call(l, &r2, 2, get, get_lens);
	assert_true(run_until(f, &r2.n, 1, 3));
	assert_int_equal(r1.type, REDIS_REPLY_STATUS);
	assert_int_equal(r2.type, REDIS_REPLY_STRING);
	assert_int_equal(r2.len, 3);
	assert_memory_equal(r2.str, "a\0b", 3);
	rlink_free(l);
	assert_int_equal(f->downs, 0);
}

static void test_many_in_order(void **state)
{
	struct fixture *f = *state;
	const char *incr[] = { "INCR", "n" };
	struct result r = { 0 };
	struct rlink *l;

	redis_start(f);
	l = link_new(f, NULL, 0);
	assert_true(run_until(f, &f->ups, 1, 3));
	for (int i = 0; i < 200; i++)
		call(l, &r, 2, incr, NULL);
	assert_true(run_until(f, &r.n, 200, 5));
	for (int i = 0; i < 200; i++)
		assert_int_equal(r.seq[i], i + 1);
	rlink_free(l);
}

static void test_password(void **state)
{
	struct fixture *f = *state;
	struct rlink *good, *bad;

	f->password = "s3cret";
	redis_start(f);
	good = link_new(f, "s3cret", 0);
	assert_true(run_until(f, &f->ups, 1, 3));
	rlink_free(good);
	bad = link_new(f, "wrong", 0);
	/* Refused, and tried again after the backoff: refused again. */
	assert_true(run_until(f, &f->downs, 2, 3));
	assert_int_equal(f->ups, 1);
	assert_non_null(strstr(f->why, "AUTH refused"));
	assert_false(rlink_is_up(bad));
	rlink_free(bad);
}

static void test_stopped_server_times_out(void **state)
{
	struct fixture *f = *state;
	const char *ping[] = { "PING" };
	struct result r = { 0 }, r2 = { 0 };
	struct rlink *l;
	uint64_t t0;

	redis_start(f);
	l = link_new(f, NULL, 0.5);
	assert_true(run_until(f, &f->ups, 1, 3));
	kill(f->redis, SIGSTOP);
	t0 = fd_clock_usec();
	call(l, &r, 1, ping, NULL);
	assert_true(run_until(f, &r.n, 1, 2));
	assert_int_equal(r.nulls, 1);
	assert_true(fd_clock_usec() - t0 >= 400000);
	assert_int_equal(f->downs, 1);
	assert_non_null(strstr(f->why, "no reply"));
	kill(f->redis, SIGCONT);
	assert_true(run_until(f, &f->ups, 2, 8));
	call(l, &r2, 1, ping, NULL);
	assert_true(run_until(f, &r2.n, 1, 2));
	assert_int_equal(r2.nulls, 0);
	assert_string_equal(r2.str, "PONG");
	rlink_free(l);
}

static void test_restarted_server(void **state)
{
	struct fixture *f = *state;
	struct rlink *l;

	redis_start(f);
	l = link_new(f, NULL, 0);
	assert_true(run_until(f, &f->ups, 1, 3));
	redis_stop(f);
	assert_true(run_until(f, &f->downs, 1, 3));
	assert_false(rlink_is_up(l));
	redis_start(f);
	assert_true(run_until(f, &f->ups, 2, 8));
	rlink_free(l);
}

static void test_subscribe(void **state)
{
	struct fixture *f = *state;
	const char *pub[] = { "PUBLISH", "ch", "hi" };
	struct result pushes = { 0 }, r = { 0 };
	struct rlink *sub, *cmd;

	redis_start(f);
	sub = link_new(f, NULL, 0);
	cmd = link_new(f, NULL, 0);
	assert_true(run_until(f, &f->ups, 2, 3));
	assert_int_equal(rlink_subscribe(sub, "ch", on_result, &pushes), 0);
	assert_true(run_until(f, &pushes.n, 1, 3)); /* the confirmation */
	call(cmd, &r, 3, pub, NULL);
	assert_true(run_until(f, &pushes.n, 2, 3));
	assert_int_equal(pushes.type, REDIS_REPLY_ARRAY);
	assert_int_equal(r.integer, 1);
	redis_stop(f);
	assert_true(run_until(f, &f->downs, 2, 3));
	assert_int_equal(pushes.n, 3);
	assert_int_equal(pushes.nulls, 1);
	redis_start(f);
	assert_true(run_until(f, &f->ups, 4, 8));
	assert_int_equal(pushes.nulls, 1);
	rlink_free(sub);
	rlink_free(cmd);
}

static void test_nothing_listening_yet(void **state)
{
	struct fixture *f = *state;
	struct rlink *l = link_new(f, NULL, 0);

	assert_true(run_until(f, &f->downs, 3, 3));
	assert_int_equal(f->ups, 0);
	redis_start(f);
	assert_true(run_until(f, &f->ups, 1, 8));
	rlink_free(l);
}

static void test_free_with_calls_waiting(void **state)
{
	struct fixture *f = *state;
	const char *ping[] = { "PING" };
	struct result r = { 0 };
	struct rlink *l;

	redis_start(f);
	l = link_new(f, NULL, 0);
	assert_true(run_until(f, &f->ups, 1, 3));
	kill(f->redis, SIGSTOP);
	for (int i = 0; i < 3; i++)
		call(l, &r, 1, ping, NULL);
	event_base_loop(f->base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	rlink_free(l);
	assert_int_equal(r.n, 3);
	assert_int_equal(r.nulls, 3);
	assert_int_equal(f->downs, 0);
	kill(f->redis, SIGCONT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_set_get_binary, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_password, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stopped_server_times_out, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restarted_server, setup, teardown),
		cmocka_unit_test_setup_teardown(test_subscribe, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nothing_listening_yet, setup, teardown),
		cmocka_unit_test_setup_teardown(test_free_with_calls_waiting, setup, teardown),
	};

	/* redis-server is a test-only package (contrib/deps.sh): without it, skip (meson: 77). */
	if (system("command -v redis-server >/dev/null 2>&1") != 0) {
		fprintf(stderr, "redis-server not found: skipped\n");
		return 77;
	}
	atexit(kill_spawned);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
