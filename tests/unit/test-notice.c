/* SPDX-License-Identifier: ISC */
/* test-notice.c - notice bodies: splitting into keyword/args/text, and the words for each. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "notice.h"

/* Parse a copy of @body and describe it; return whether it was known. */
static bool describe(const char *body, char *out, size_t len)
{
	char copy[256];
	struct notice n;

	snprintf(copy, sizeof(copy), "%s", body);
	assert_int_equal(notice_parse(copy, &n), 0);
	return notice_describe(&n, out, len);
}

static void test_parse_keyword_only(void **state)
{
	char body[] = "turn";
	struct notice n;

	assert_int_equal(notice_parse(body, &n), 0);
	assert_string_equal(n.keyword, "turn");
	assert_int_equal(n.nargs, 0);
	assert_null(n.text);
}

static void test_parse_args_and_text(void **state)
{
	char body[] = "error not-your-turn -- held until mary replies -- twice";
	struct notice n;

	assert_int_equal(notice_parse(body, &n), 0);
	assert_string_equal(n.keyword, "error");
	assert_int_equal(n.nargs, 1);
	assert_string_equal(n.args[0], "not-your-turn");
	assert_string_equal(n.text, "held until mary replies -- twice");
}

static void test_parse_spaces_and_dashes(void **state)
{
	char body[] = "  waiting  2 bob--x 17 --";
	struct notice n;

	assert_int_equal(notice_parse(body, &n), 0);
	assert_string_equal(n.keyword, "waiting");
	assert_int_equal(n.nargs, 3);
	assert_string_equal(n.args[1], "bob--x");
	assert_string_equal(n.args[2], "17");
	assert_string_equal(n.text, "");
}

static void test_parse_errors(void **state)
{
	char empty[] = "", blank[] = "   ", only_text[] = "-- hi";
	char many[] = "k 1 2 3 4 5 6 7 8 9";
	struct notice n = { .keyword = "untouched" };

	assert_int_equal(notice_parse(empty, &n), -EINVAL);
	assert_int_equal(notice_parse(blank, &n), -EINVAL);
	assert_int_equal(notice_parse(only_text, &n), -EINVAL);
	assert_int_equal(notice_parse(many, &n), -E2BIG);
	assert_string_equal(n.keyword, "untouched");
}

static void test_words(void **state)
{
	static const struct {
		const char *body, *words;
	} cases[] = {
		{ "queued 3", "You are number 3 in line" },
		{ "queued 1", "You are next in line" },
		{ "serving Mary", "You are now talking to Mary" },
		{ "customer bob", "You are now talking to bob" },
		{ "customer bob c7", "You are now talking to bob" },
		{ "serving Mary c7", "You are now talking to Mary" },
		{ "history-start 0", "No earlier messages" },
		{ "history-start 1", "1 earlier message:" },
		{ "history-start 20", "20 earlier messages:" },
		{ "history-end", "End of the earlier messages" },
		{ "agent-offline", "The agent is offline; your messages will be delivered" },
		{ "agent-online mary", "The agent mary is online" },
		{ "customer-left bob", "bob left the conversation" },
		{ "customer-away bob", "bob's connection dropped; waiting for bob to come back" },
		{ "customer-back bob", "bob is back" },
		{ "gap", "Some messages from while you were away are no longer kept" },
		{ "queue 0", "Nobody is waiting" },
		{ "waiting-more 70", "... and 70 more" },
		{ "queue 1", "1 customer is waiting" },
		{ "queue 12", "12 customers are waiting" },
		{ "waiting 2 bob 75", "2. bob, waiting 1 min 15 s" },
		/* A preview the desk cut at 64 characters ends in U+2026; "--" inside is text. */
		{ "waiting 1 dave 5 -- my parcel -- it did not arrive, and I wait\xe2\x80\xa6",
		  "1. dave, waiting 5 s: my parcel -- it did not arrive, and I wait\xe2\x80\xa6" },
		{ "error agent-busy -- 3 agents are already at the desk (max_agents)",
		  "No room for another agent: 3 agents are already at the desk (max_agents)" },
		{ "error agent-busy -- mary is already the agent; one agent at a time",
		  "No room for another agent: mary is already the agent; one agent at a time" },
		{ "turn", "It is your turn" },
		{ "turns strict", "Strict turns: after you write, wait for the reply" },
		{ "bye -- mary ended the conversation",
		  "The conversation is over: mary ended the conversation" },
		{ "welcome group bob", "Welcome to the room, bob" },
		{ "renamed bob bob2", "bob is now known as bob2" },
		{ "member ann", "ann is here" },
		{ "members 2", "2 members in the room" },
		{ "members 1", "1 member in the room" },
		{ "error not-your-turn -- held until mary replies",
		  "Not your turn yet: held until mary replies" },
		{ "error strange-thing", "Error strange-thing" },
		{ "error shutting-down -- the server is shutting down",
		  "The server is shutting down" },
		{ "pong 42", "pong 42" },
	};
	char out[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_true(describe(cases[i].body, out, sizeof(out)));
		assert_string_equal(out, cases[i].words);
	}
}

static void test_unknown_is_shown_raw(void **state)
{
	char out[256];

	assert_false(describe("sparkle 1 2 -- shiny", out, sizeof(out)));
	assert_string_equal(out, "sparkle 1 2 -- shiny");
	/* Known keyword, wrong arguments: raw too. */
	assert_false(describe("queued many", out, sizeof(out)));
	assert_string_equal(out, "queued many");
	assert_false(describe("serving", out, sizeof(out)));
	assert_string_equal(out, "serving");
}

static void test_truncation(void **state)
{
	char out[8];

	assert_true(describe("serving Mary", out, sizeof(out)));
	assert_string_equal(out, "You are");
	assert_false(describe("sparkle 1 2 3 4 5 6", out, sizeof(out)));
	assert_string_equal(out, "sparkle");
}

/* Messages an agent is given again after its predecessor vanished (desk.c), and a takeover. */
static void test_replay_and_replaced(void **state)
{
	char out[256];

	assert_true(describe("replay 1", out, sizeof(out)));
	assert_string_equal(out, "1 earlier message again; you may have seen it already");
	assert_true(describe("replay 3", out, sizeof(out)));
	assert_string_equal(out, "3 earlier messages again; you may have seen them already");
	assert_true(describe("replay-end", out, sizeof(out)));
	assert_string_equal(out, "End of the earlier messages");
	assert_false(describe("replay lots", out, sizeof(out)));
	assert_true(
	    describe("error replaced -- a new connection as mary took over", out, sizeof(out)));
	assert_string_equal(out, "Replaced: a new connection as mary took over");
}

/* The info service's answers (issue 16): "time" as given, "info" in words. */
static void test_time_and_info(void **state)
{
	static const struct {
		const char *body, *words;
	} cases[] = {
		{ "time 2026-11-30T04:31:07+05:30",
		  "The server's time: 2026-11-30T04:31:07+05:30" },
		{ "info version=0.2.0 mode=group uptime=3600 members=42",
		  "Server frontdesk 0.2.0, group mode, up 1 h 0 min, 42 members" },
		{ "info version=0.2.0 mode=group uptime=59 members=1",
		  "Server frontdesk 0.2.0, group mode, up 59 s, 1 member" },
		{ "info version=0.2.0 mode=single-agent uptime=125 waiting=3 agents=1",
		  "Server frontdesk 0.2.0, single-agent mode, up 2 min 5 s, 3 waiting, 1 agent at "
		  "the desk" },
		{ "info version=0.2.0 mode=single-agent uptime=183600 waiting=0 agents=2",
		  "Server frontdesk 0.2.0, single-agent mode, up 2 d 3 h, 0 waiting, 2 agents at "
		  "the desk" },
		/* A newer server's keys are left out; the ones known still make the sentence. */
		{ "info version=0.3.0 mode=group uptime=0 region=eu members=2",
		  "Server frontdesk 0.3.0, group mode, up 0 s, 2 members" },
	};
	char out[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_true(describe(cases[i].body, out, sizeof(out)));
		assert_string_equal(out, cases[i].words);
	}
	/* Without version, mode or a number for the uptime: as it came. */
	assert_false(describe("info mode=group uptime=3", out, sizeof(out)));
	assert_string_equal(out, "info mode=group uptime=3");
	assert_false(describe("info version=1 mode=group uptime=soon", out, sizeof(out)));
	assert_false(describe("info version= mode=group uptime=3", out, sizeof(out)));
	assert_false(describe("time", out, sizeof(out)));
	assert_string_equal(out, "time");
	/* Cut short, still a string, whichever part the end falls in. */
	assert_true(
	    describe("info version=0.2.0 mode=single-agent uptime=1 waiting=3 agents=1", out, 40));
	assert_string_equal(out, "Server frontdesk 0.2.0, single-agent mo");
	assert_true(
	    describe("info version=0.2.0 mode=single-agent uptime=1 waiting=3 agents=1", out, 55));
	assert_string_equal(out, "Server frontdesk 0.2.0, single-agent mode, up 1 s, 3 w");
}

/* A room's moderation (issue 15): the notices every member hears, and the answers to "bans". */
static void test_moderation_words(void **state)
{
	static const struct {
		const char *body, *words;
	} cases[] = {
		{ "kicked bob ann", "bob was kicked by ann" },
		{ "kicked bob ann -- spam, spam", "bob was kicked by ann: spam, spam" },
		{ "banned nick:bob ann", "ann banned the nickname bob" },
		{ "banned nick:bob ann 10m -- flooding",
		  "ann banned the nickname bob for 10m: flooding" },
		{ "banned addr:192.0.2.7 ann 2h", "ann banned the address 192.0.2.7 for 2h" },
		{ "banned addr:2001:db8::/48 ann", "ann banned the addresses 2001:db8::/48" },
		{ "unbanned nick:bob ann", "ann lifted the ban on the nickname bob" },
		{ "ban nick:bob ann - -- flooding",
		  "Ban on the nickname bob by ann, until lifted: flooding" },
		{ "ban addr:10.0.0.0/8 ann 1700000000",
		  "Ban on the addresses 10.0.0.0/8 by ann, until 2023-11-14 22:13" },
		{ "bans 0", "No bans" },
		{ "bans 1", "1 ban" },
		{ "bans 3", "3 bans" },
		{ "muted bob ann", "ann muted bob" },
		{ "muted bob ann 10m", "ann muted bob for 10m" },
		{ "unmuted bob ann", "ann unmuted bob" },
		{ "topic ann -- Release day: be kind", "Topic: Release day: be kind (set by ann)" },
		{ "topic ann --", "ann cleared the topic" },
		{ "topic-none", "No topic is set" },
		{ "purged bob 12 ann", "ann removed 12 messages of bob from the room's history" },
		{ "purged bob 1 ann", "ann removed 1 message of bob from the room's history" },
		{ "operator ann", "ann is now an operator" },
		{ "oper", "You are now an operator" },
		{ "private bob -- psst -- a secret", "[private] bob: psst -- a secret" },
		{ "member @alice", "alice is here (operator)" },
		{ "member alice", "alice is here" },
		{ "who-more 2", "There are more members: /who 2 shows the next page" },
	};
	char out[256];

	/* UNTIL is shown in local time: pin it. */
	setenv("TZ", "UTC", 1);
	tzset();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_true(describe(cases[i].body, out, sizeof(out)));
		assert_string_equal(out, cases[i].words);
	}
	/* Malformed: shown as they came. */
	assert_false(describe("purged bob many ann", out, sizeof(out)));
	assert_string_equal(out, "purged bob many ann");
	assert_false(describe("ban nick:bob ann soon", out, sizeof(out)));
	assert_false(describe("who-more next", out, sizeof(out)));
}

/* The errors of a room in words; a kick says who did it, at the desk as it always did. */
static void test_moderation_errors(void **state)
{
	static const struct {
		const char *body, *words;
	} cases[] = {
		{ "error not-operator", "Only an operator may do that" },
		{ "error not-operator -- wrong answer",
		  "Only an operator may do that: wrong answer" },
		{ "error muted", "You are muted" },
		{ "error muted -- nothing you send is relayed",
		  "You are muted: nothing you send is relayed" },
		{ "error muted -- an operator muted you: nothing you say is sent",
		  "An operator muted you: nothing you say is sent" },
		{ "error banned -- by ann: flooding", "You are banned: by ann: flooding" },
		{ "error no-such-nick -- zed", "No such member: zed" },
		{ "error kicked -- by ann: spam", "You were kicked by ann: spam" },
		{ "error kicked -- by ann", "You were kicked by ann" },
		{ "error kicked -- mary ended your connection",
		  "You were removed: mary ended your connection" },
	};
	char out[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_true(describe(cases[i].body, out, sizeof(out)));
		assert_string_equal(out, cases[i].words);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replay_and_replaced),
		cmocka_unit_test(test_parse_keyword_only),
		cmocka_unit_test(test_parse_args_and_text),
		cmocka_unit_test(test_parse_spaces_and_dashes),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_words),
		cmocka_unit_test(test_unknown_is_shown_raw),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_moderation_words),
		cmocka_unit_test(test_moderation_errors),
		cmocka_unit_test(test_time_and_info),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
