/* SPDX-License-Identifier: ISC */
/*
 * test-sizeof.c - what one connection costs, against its budget.
 *
 * Issue 8 sets at most 2 KiB of daemon RSS per idle group member (contrib/bench, scenario b);
 * issue 20 measured 1,869 bytes and where they go (malloc chunks, 8-byte header included):
 * libevent's bufferevent 640, its two evbuffers 144 each and its output callback 48, the fd's
 * evmap entry 40, struct conn 592, the conn's timer 144, struct member 112. The timer is now
 * freed once the handshake is done (no idle deadline in a room), the address and the name
 * asked for are allocated at their length: 1,597 bytes. What is left is mostly libevent's
 * (about 1,020 bytes); our own structs take the budgets below. A field added to struct conn
 * or struct member must fit the budget, or the budget and the README's benchmark figures
 * must be revisited together. Buffers that an idle member does not need (held messages, the
 * flood timer) are made on first use.
 *
 * The nickname takes 129 bytes (32 characters of up to 4 bytes, issue 11).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "conn.h"
#include "files-priv.h"
#include "room.h"
#include "server.h"

/*
 * 576, then 584: a pointer to the conn's file transfers (issue 19), made only when it has one.
 * Then 400 (issue 20): the peer's address allocated with the conn at its length (an idle
 * member's "127.0.0.1:54321" takes 16 bytes, not 64) and the name asked for at its own.
 */
#define CONN_BUDGET   400 /* bytes of struct conn, without its address */
#define MEMBER_BUDGET 96  /* bytes of room.c's struct member */
/* libevent's struct event: a conn's timer, held only while it has a deadline (not when idle). */
#define EVENT_BUDGET 160
/*
 * A file transfer (files.h): its struct, under 1 KiB with the SHA-256 context OpenSSL
 * allocates for an upload; a conn's four (two uploads, two downloads), with their timer's
 * pointer, made at its first file command only.
 */
#define FILE_XFER_BUDGET  576
#define CONN_FILES_BUDGET 2368

static void test_conn_fits_budget(void **state)
{
	assert_in_range(sizeof(struct conn), 1, CONN_BUDGET);
}

static void test_member_fits_budget(void **state)
{
	assert_in_range(room_member_size(), 1, MEMBER_BUDGET);
}

static void test_file_transfers_fit_budget(void **state)
{
	assert_in_range(sizeof(struct file_xfer), 1, FILE_XFER_BUDGET);
	assert_in_range(sizeof(struct conn_files), 1, CONN_FILES_BUDGET);
}

static void test_event_fits_budget(void **state)
{
	assert_in_range(event_get_struct_event_size(), 1, EVENT_BUDGET);
}

/* A server with a base and a config, and a bufferevent pair for a conn (pair[0] its own). */
struct fixture {
	struct server *s;
	struct bufferevent *pair[2];
};

static int fixture_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->s = calloc(1, sizeof(*f->s));
	assert_non_null(f->s);
	f->s->base = event_base_new();
	assert_non_null(f->s->base);
	config_init(&f->s->config);
	assert_int_equal(bufferevent_pair_new(f->s->base, 0, f->pair), 0);
	*state = f;
	return 0;
}

/* pair[0] went with the conn (conn_free()). */
static int fixture_teardown(void **state)
{
	struct fixture *f = *state;

	bufferevent_free(f->pair[1]);
	event_base_free(f->s->base);
	free(f->s);
	free(f);
	return 0;
}

/*
 * A new conn allocates its timer (the handshake deadline) and nothing else of its own: no held
 * buffer, no hang-up watch.
 */
static void test_idle_conn_allocates_little(void **state)
{
	struct fixture *f = *state;
	struct conn *c;

	c = conn_new(f->s, f->pair[0], ROLE_MEMBER, "test", NULL);
	assert_non_null(c);
	assert_non_null(c->timer);
	assert_string_equal(c->peer, "test");
	assert_string_equal(c->asked, ""); /* allocated once a name is asked for */
	assert_null(c->held);
	assert_null(c->hangup);
	assert_null(c->files);
	assert_int_equal(c->caps, 0); /* no capability, so no read timeout: never pinged */
	assert_false(conn_has_held(c));
	conn_free(c);
}

/*
 * Once a deadline is disarmed the conn holds no timer: handshake_attach() disarms the handshake's,
 * so an idle member (no idle deadline in group mode) keeps no event of its own. The next deadline
 * (a close, the desk's idle timeout) makes one again.
 */
static void test_idle_conn_holds_no_timer(void **state)
{
	struct fixture *f = *state;
	struct conn *c;

	c = conn_new(f->s, f->pair[0], ROLE_MEMBER, "test", NULL);
	assert_non_null(c);
	assert_true(evtimer_pending(c->timer, NULL));
	conn_set_timer(c, 0);
	assert_null(c->timer);
	conn_set_timer(c, 0); /* disarming none is harmless */
	assert_null(c->timer);
	conn_set_timer(c, 5);
	assert_non_null(c->timer);
	assert_true(evtimer_pending(c->timer, NULL));
	conn_free(c);
}

/* The address and the name asked for are as long as they are, within the old bounds. */
static void test_conn_strings_fit_their_length(void **state)
{
	struct fixture *f = *state;
	char long_peer[100], long_name[300];
	struct conn *c;

	memset(long_peer, 'p', sizeof(long_peer) - 1);
	long_peer[sizeof(long_peer) - 1] = '\0';
	c = conn_new(f->s, f->pair[0], ROLE_MEMBER, long_peer, NULL);
	assert_non_null(c);
	assert_int_equal(strlen(c->peer), CONN_PEER_MAX);
	assert_int_equal(conn_set_asked(c, "m12", 3), 0);
	assert_string_equal(c->asked, "m12");
	memset(long_name, 'n', sizeof(long_name));
	assert_int_equal(conn_set_asked(c, long_name, sizeof(long_name)), 0);
	assert_int_equal(strlen(c->asked), NICK_BUFSIZE - 1);
	conn_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conn_fits_budget),
		cmocka_unit_test(test_member_fits_budget),
		cmocka_unit_test(test_event_fits_budget),
		cmocka_unit_test(test_file_transfers_fit_budget),
		cmocka_unit_test_setup_teardown(test_idle_conn_allocates_little, fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(test_idle_conn_holds_no_timer, fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(test_conn_strings_fit_their_length, fixture_setup,
						fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
