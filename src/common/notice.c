/* SPDX-License-Identifier: ISC */
/*
 * notice.c - notice bodies: parsing and wording (see notice.h).
 *
 * Wording is one table row per keyword: the argument counts it accepts and a function that
 * writes the sentence. A row whose arguments do not fit falls back to the raw body, so a newer
 * server's notice is still shown, just not in words.
 */
#include "notice.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

int notice_parse(char *body, struct notice *ret)
{
	struct notice n = { 0 };
	char *p = body;

	for (;;) {
		char *word;

		while (*p == ' ')
			p++;
		if (!*p)
			break;
		word = p;
		while (*p && *p != ' ')
			p++;
		if (strncmp(word, "--", 2) == 0 && p == word + 2) {
			n.text = *p ? p + 1 : p;
			break;
		}
		if (*p)
			*p++ = '\0';
		if (!n.keyword) {
			n.keyword = word;
		} else {
			if (n.nargs == NOTICE_MAX_ARGS)
				return -E2BIG;
			n.args[n.nargs++] = word;
		}
	}
	if (!n.keyword)
		return -EINVAL;
	*ret = n;
	return 0;
}

bool notice_is(const struct notice *n, const char *keyword, size_t nargs)
{
	return strcmp(n->keyword, keyword) == 0 && n->nargs >= nargs;
}

/* A non-negative decimal argument, or -1. */
static long number(const char *s)
{
	char *end;
	long v;

	if (!s || *s < '0' || *s > '9')
		return -1;
	v = strtol(s, &end, 10);
	return *end ? -1 : v;
}

static const char *text_or(const struct notice *n, const char *fallback)
{
	return n->text && *n->text ? n->text : fallback;
}

static bool say_welcome(const struct notice *n, char *b, size_t len)
{
	if (strcmp(n->args[0], "group") == 0)
		snprintf(b, len, "Welcome to the room, %s", n->args[1]);
	else
		snprintf(b, len, "Welcome, %s; you are connected to the desk", n->args[1]);
	return true;
}

static bool say_turns(const struct notice *n, char *b, size_t len)
{
	if (strcmp(n->args[0], "strict") == 0)
		snprintf(b, len, "Strict turns: after you write, wait for the reply");
	else if (strcmp(n->args[0], "free") == 0)
		snprintf(b, len, "Free turns: write whenever you like");
	else
		return false;
	return true;
}

/* Append " (about N min)" to the sentence in @b. */
static void say_eta(char *b, size_t len, long secs)
{
	size_t used = strlen(b);

	if (secs < 60)
		snprintf(b + used, len - used, " (about %ld s)", secs);
	else
		snprintf(b + used, len - used, " (about %ld min)", (secs + 30) / 60);
}

static bool say_queued(const struct notice *n, char *b, size_t len)
{
	long pos = number(n->args[0]);

	if (pos < 1)
		return false;
	if (pos == 1)
		snprintf(b, len, "You are next in line");
	else
		snprintf(b, len, "You are number %ld in line", pos);
	/* "queued N ETA" to clients granted a capability: the desk's estimate, in seconds. */
	if (n->nargs > 1 && number(n->args[1]) >= 0)
		say_eta(b, len, number(n->args[1]));
	return true;
}

static bool say_serving(const struct notice *n, char *b, size_t len)
{
	snprintf(b, len, "You are now talking to %s", n->args[0]);
	return true;
}

static bool say_agent_offline(const struct notice *n, char *b, size_t len)
{
	snprintf(b, len, "The agent is offline; your messages will be delivered");
	return true;
}

static bool say_agent_online(const struct notice *n, char *b, size_t len)
{
	snprintf(b, len, "The agent %s is online", n->args[0]);
	return true;
}

static bool say_customer_left(const struct notice *n, char *b, size_t len)
{
	snprintf(b, len, "%s left the conversation", n->args[0]);
	return true;
}

/* The agent's customer lost its connection and may resume it (protocol 7.3), or did. */
static bool say_customer_away(const struct notice *n, char *b, size_t len)
{
	snprintf(b, len, "%s's connection dropped; waiting for %s to come back", n->args[0],
		 n->args[0]);
	return true;
}

static bool say_customer_back(const struct notice *n, char *b, size_t len)
{
	snprintf(b, len, "%s is back", n->args[0]);
	return true;
}

/* Before what a resumed session missed: the store no longer holds all of it. */
static bool say_gap(const struct notice *n, char *b, size_t len)
{
	snprintf(b, len, "Some messages from while you were away are no longer kept");
	return true;
}

static bool say_queue(const struct notice *n, char *b, size_t len)
{
	long count = number(n->args[0]);

	if (count < 0)
		return false;
	if (count == 0)
		snprintf(b, len, "Nobody is waiting");
	else if (count == 1)
		snprintf(b, len, "1 customer is waiting");
	else
		snprintf(b, len, "%ld customers are waiting", count);
	return true;
}

/* "waiting POS NAME SECONDS -- PREVIEW": the customer's first words, to agents granted caps. */
static bool say_waiting_preview(const struct notice *n, char *b, size_t len, long pos, long secs)
{
	size_t used;

	snprintf(b, len, "%ld. %s, waiting %ld s:", pos, n->args[1], secs);
	for (size_t i = 3; i < n->nargs; i++) {
		used = strlen(b);
		snprintf(b + used, len - used, " %s", n->args[i]);
	}
	used = strlen(b);
	if (n->text)
		snprintf(b + used, len - used, " %s", n->text);
	return true;
}

static bool say_waiting(const struct notice *n, char *b, size_t len)
{
	long pos = number(n->args[0]), secs = number(n->args[2]);

	if (pos < 1 || secs < 0)
		return false;
	if (n->nargs > 3 || n->text)
		return say_waiting_preview(n, b, len, pos, secs);
	if (secs < 60)
		snprintf(b, len, "%ld. %s, waiting %ld s", pos, n->args[1], secs);
	else if (secs < 3600)
		snprintf(b, len, "%ld. %s, waiting %ld min %ld s", pos, n->args[1], secs / 60,
			 secs % 60);
	else
		snprintf(b, len, "%ld. %s, waiting %ld h %ld min", pos, n->args[1], secs / 3600,
			 secs / 60 % 60);
	return true;
}

static bool say_waiting_more(const struct notice *n, char *b, size_t len)
{
	long more = number(n->args[0]);

	if (more < 1)
		return false;
	snprintf(b, len, "... and %ld more", more);
	return true;
}

static bool say_turn(const struct notice *n, char *b, size_t len)
{
	snprintf(b, len, "It is your turn");
	return true;
}

static bool say_bye(const struct notice *n, char *b, size_t len)
{
	snprintf(b, len, "The conversation is over: %s", text_or(n, "goodbye"));
	return true;
}

static bool say_pong(const struct notice *n, char *b, size_t len)
{
	snprintf(b, len, "pong%s%s", n->nargs ? " " : "", n->nargs ? n->args[0] : "");
	return true;
}

/* "time 2026-11-30T04:31:07+00:00": the server's clock, as it gave it. */
static bool say_time(const struct notice *n, char *b, size_t len)
{
	snprintf(b, len, "The server's time: %s", n->args[0]);
	return true;
}

/* The value in "KEY=VALUE" @arg if its key is @key, else NULL. */
static const char *value_of(const char *arg, const char *key)
{
	size_t klen = strlen(key);

	return strncmp(arg, key, klen) == 0 && arg[klen] == '=' ? arg + klen + 1 : NULL;
}

/* Append ", up 3 min 4 s" (or h and min, or days and h) to the sentence in @b. */
static void say_uptime(char *b, size_t len, long secs)
{
	size_t used = strlen(b);

	if (secs < 60)
		snprintf(b + used, len - used, ", up %ld s", secs);
	else if (secs < 3600)
		snprintf(b + used, len - used, ", up %ld min %ld s", secs / 60, secs % 60);
	else if (secs < 86400)
		snprintf(b + used, len - used, ", up %ld h %ld min", secs / 3600, secs / 60 % 60);
	else
		snprintf(b + used, len - used, ", up %ld d %ld h", secs / 86400, secs / 3600 % 24);
}

/*
 * "info version=V mode=M uptime=S" and the mode's counts (members=N; waiting=N agents=N):
 * "Server frontdesk 0.2.0, group mode, up 1 h 0 min, 42 members". Keys it does not know are
 * a newer server's: left out.
 */
static bool say_info(const struct notice *n, char *b, size_t len)
{
	const char *version = NULL, *mode = NULL, *v;
	long uptime = -1, members = -1, waiting = -1, agents = -1;
	size_t used;

	for (size_t i = 0; i < n->nargs; i++) {
		const char *arg = n->args[i];

		if ((v = value_of(arg, "version")))
			version = v;
		else if ((v = value_of(arg, "mode")))
			mode = v;
		else if ((v = value_of(arg, "uptime")))
			uptime = number(v);
		else if ((v = value_of(arg, "members")))
			members = number(v);
		else if ((v = value_of(arg, "waiting")))
			waiting = number(v);
		else if ((v = value_of(arg, "agents")))
			agents = number(v);
	}
	if (!version || !*version || !mode || !*mode || uptime < 0)
		return false;
	snprintf(b, len, "Server frontdesk %s, %s mode", version, mode);
	say_uptime(b, len, uptime);
	used = strlen(b);
	if (members >= 0)
		used += (size_t)snprintf(b + used, len - used, ", %ld member%s", members,
					 members == 1 ? "" : "s");
	if (waiting >= 0 && used < len)
		used += (size_t)snprintf(b + used, len - used, ", %ld waiting", waiting);
	if (agents >= 0 && used < len)
		snprintf(b + used, len - used, ", %ld agent%s at the desk", agents,
			 agents == 1 ? "" : "s");
	return true;
}

/* Messages given again after an agent vanished (desk.c): "replay N" ... "replay-end". */
static bool say_replay(const struct notice *n, char *b, size_t len)
{
	long count = number(n->args[0]);

	if (count < 1)
		return false;
	snprintf(b, len, "%ld earlier message%s again; you may have seen %s already", count,
		 count == 1 ? "" : "s", count == 1 ? "it" : "them");
	return true;
}

static bool say_replay_end(const struct notice *n, char *b, size_t len)
{
	snprintf(b, len, "End of the earlier messages");
	return true;
}

/* A history answer (protocol 7.4): "history-start COUNT", the messages, "history-end". */
static bool say_history_start(const struct notice *n, char *b, size_t len)
{
	long count = number(n->args[0]);

	if (count < 0)
		return false;
	if (count == 0)
		snprintf(b, len, "No earlier messages");
	else
		snprintf(b, len, "%ld earlier message%s:", count, count == 1 ? "" : "s");
	return true;
}

static bool say_joined(const struct notice *n, char *b, size_t len)
{
	snprintf(b, len, "%s joined", n->args[0]);
	return true;
}

static bool say_left(const struct notice *n, char *b, size_t len)
{
	snprintf(b, len, "%s left", n->args[0]);
	return true;
}

static bool say_renamed(const struct notice *n, char *b, size_t len)
{
	snprintf(b, len, "%s is now known as %s", n->args[0], n->args[1]);
	return true;
}

/* The answer to "who": one "member NICK" each, then "members N". */
static bool say_member(const struct notice *n, char *b, size_t len)
{
	/* Clients granted a capability see operators as "@NICK" (no nickname starts with '@'). */
	if (n->args[0][0] == '@' && n->args[0][1])
		snprintf(b, len, "%s is here (operator)", n->args[0] + 1);
	else
		snprintf(b, len, "%s is here", n->args[0]);
	return true;
}

/* "who-more [PAGE]": the answer was one page of a bigger room (the client may word it better). */
static bool say_who_more(const struct notice *n, char *b, size_t len)
{
	long page = n->nargs ? number(n->args[0]) : -1;

	if (n->nargs && page < 1)
		return false;
	if (page > 0)
		snprintf(b, len, "There are more members: /who %ld shows the next page", page);
	else
		snprintf(b, len, "There are more members: /who PAGE shows the next pages");
	return true;
}

static bool say_members(const struct notice *n, char *b, size_t len)
{
	long count = number(n->args[0]);

	if (count < 0)
		return false;
	snprintf(b, len, count == 1 ? "%ld member in the room" : "%ld members in the room", count);
	return true;
}

/* Protocol 7.5: "transferred AGENT" (to a customer: another agent takes over) or "transferred"
 * (back to the line). An agent's "transferred NAME [AGENT]" is worded by its client. */
static bool say_transferred(const struct notice *n, char *b, size_t len)
{
	if (n->nargs)
		snprintf(b, len, "You are being transferred to %s", n->args[0]);
	else
		snprintf(b, len, "You are being transferred; back in line for the next agent");
	return true;
}

static bool say_answer_timeout(const struct notice *n, char *b, size_t len)
{
	snprintf(b, len, "%s waited too long for an answer and was passed on", n->args[0]);
	return true;
}

/* The answer to "agents": "agent NAME STATUS OPEN MAX IDLE_SECONDS" lines, then "agents N". */
static bool say_agent(const struct notice *n, char *b, size_t len)
{
	long idle = number(n->args[4]);

	if (idle < 0)
		return false;
	snprintf(b, len, "%s: %s, %s of %s conversations, idle %ld s", n->args[0], n->args[1],
		 n->args[2], n->args[3], idle);
	return true;
}

static bool say_agents(const struct notice *n, char *b, size_t len)
{
	long count = number(n->args[0]);

	if (count < 0)
		return false;
	snprintf(b, len, count == 1 ? "%ld agent at the desk" : "%ld agents at the desk", count);
	return true;
}

static bool say_away(const struct notice *n, char *b, size_t len)
{
	long open = number(n->args[0]);

	if (open < 0)
		return false;
	snprintf(b, len, "You are away: no new conversations; %ld still open", open);
	return true;
}

static bool say_back(const struct notice *n, char *b, size_t len)
{
	snprintf(b, len, "You are back: new conversations come to you");
	return true;
}

/* A ban's target, "nick:NAME" or "addr:ADDRESS[/PREFIX]", in words into @b. */
static void say_ban_target(const char *target, char *b, size_t len)
{
	if (strncmp(target, "nick:", 5) == 0)
		snprintf(b, len, "the nickname %s", target + 5);
	else if (strncmp(target, "addr:", 5) == 0)
		snprintf(b, len, "the address%s %s", strchr(target, '/') ? "es" : "", target + 5);
	else
		snprintf(b, len, "%s", target);
}

/* Append ": TEXT" (a moderator's reason) to the sentence in @b, when there is one. */
static void say_reason(const struct notice *n, char *b, size_t len)
{
	size_t used = strlen(b);

	if (n->text && *n->text)
		snprintf(b + used, len - used, ": %s", n->text);
}

/* Moderation in a room (issue 15): "kicked NICK OP [-- reason]". */
static bool say_kicked(const struct notice *n, char *b, size_t len)
{
	snprintf(b, len, "%s was kicked by %s", n->args[0], n->args[1]);
	say_reason(n, b, len);
	return true;
}

/* "banned KIND:VALUE OP [DURATION] [-- reason]"; no duration: until someone lifts it. */
static bool say_banned(const struct notice *n, char *b, size_t len)
{
	char what[128];

	say_ban_target(n->args[0], what, sizeof(what));
	if (n->nargs > 2)
		snprintf(b, len, "%s banned %s for %s", n->args[1], what, n->args[2]);
	else
		snprintf(b, len, "%s banned %s", n->args[1], what);
	say_reason(n, b, len);
	return true;
}

static bool say_unbanned(const struct notice *n, char *b, size_t len)
{
	char what[128];

	say_ban_target(n->args[0], what, sizeof(what));
	snprintf(b, len, "%s lifted the ban on %s", n->args[1], what);
	return true;
}

/* The answer to "bans": "ban KIND:VALUE BY UNTIL [-- reason]" lines (UNTIL: Unix s, or "-"). */
static bool say_ban(const struct notice *n, char *b, size_t len)
{
	char what[128], until[48] = "until lifted";
	long secs = number(n->args[2]);
	time_t when = (time_t)secs;
	struct tm tm;

	if (secs < 0 && strcmp(n->args[2], "-") != 0)
		return false;
	if (secs >= 0 && localtime_r(&when, &tm))
		strftime(until, sizeof(until), "until %Y-%m-%d %H:%M", &tm);
	say_ban_target(n->args[0], what, sizeof(what));
	snprintf(b, len, "Ban on %s by %s, %s", what, n->args[1], until);
	say_reason(n, b, len);
	return true;
}

static bool say_bans(const struct notice *n, char *b, size_t len)
{
	long count = number(n->args[0]);

	if (count < 0)
		return false;
	if (count == 0)
		snprintf(b, len, "No bans");
	else
		snprintf(b, len, count == 1 ? "%ld ban" : "%ld bans", count);
	return true;
}

/* "muted NICK OP [DURATION]" / "unmuted NICK OP". */
static bool say_muted(const struct notice *n, char *b, size_t len)
{
	if (n->nargs > 2)
		snprintf(b, len, "%s muted %s for %s", n->args[1], n->args[0], n->args[2]);
	else
		snprintf(b, len, "%s muted %s", n->args[1], n->args[0]);
	return true;
}

static bool say_unmuted(const struct notice *n, char *b, size_t len)
{
	snprintf(b, len, "%s unmuted %s", n->args[1], n->args[0]);
	return true;
}

/* "topic OP -- TEXT": on join, to "topic", and when an operator sets it. */
static bool say_topic(const struct notice *n, char *b, size_t len)
{
	if (!n->text || !*n->text)
		snprintf(b, len, "%s cleared the topic", n->args[0]);
	else
		snprintf(b, len, "Topic: %s (set by %s)", n->text, n->args[0]);
	return true;
}

static bool say_topic_none(const struct notice *n, char *b, size_t len)
{
	snprintf(b, len, "No topic is set");
	return true;
}

/* "purged NICK N OP": N messages of NICK's are gone from the room's history. */
static bool say_purged(const struct notice *n, char *b, size_t len)
{
	long count = number(n->args[1]);

	if (count < 0)
		return false;
	snprintf(b, len, "%s removed %ld message%s of %s from the room's history", n->args[2],
		 count, count == 1 ? "" : "s", n->args[0]);
	return true;
}

static bool say_operator(const struct notice *n, char *b, size_t len)
{
	snprintf(b, len, "%s is now an operator", n->args[0]);
	return true;
}

static bool say_oper(const struct notice *n, char *b, size_t len)
{
	snprintf(b, len, "You are now an operator");
	return true;
}

/* Shown only when the client holds no key to answer it with. */
static bool say_oper_challenge(const struct notice *n, char *b, size_t len)
{
	snprintf(b, len,
		 "The server asks for the operator key: start frontdesk with --oper-key "
		 "FILE");
	return true;
}

/* "private SENDER -- TEXT": a private message to a framed client without "ids". */
static bool say_private(const struct notice *n, char *b, size_t len)
{
	snprintf(b, len, "[private] %s: %s", n->args[0], n->text ? n->text : "");
	return true;
}

/* Error codes people meet in normal use, in words; the rest show their code. */
static const struct {
	const char *code;
	const char *words;
} error_words[] = {
	{ "not-your-turn", "Not your turn yet" },
	{ "no-customer", "Nobody is being served" },
	{ "queue-full", "The line is full" },
	{ "nick-taken", "That nickname is taken" },
	{ "bad-nick", "Bad nickname" },
	{ "server-full", "The server is full" },
	{ "timeout", "Timed out" },
	{ "shutting-down", "The server is shutting down" },
	{ "auth-failed", "Authentication failed" },
	{ "unknown-command", "Unknown command" },
	{ "bad-command", "Bad command" },
	{ "kicked", "You were removed" },
	{ "agent-busy", "No room for another agent" },
	{ "replaced", "Replaced" },
	{ "not-operator", "Only an operator may do that" },
	{ "banned", "You are banned" },
	{ "muted", "You are muted" },
	{ "no-such-nick", "No such member" },
};

static bool say_error(const struct notice *n, char *b, size_t len)
{
	const char *words = NULL;

	for (size_t i = 0; i < sizeof(error_words) / sizeof(error_words[0]); i++)
		if (strcmp(n->args[0], error_words[i].code) == 0)
			words = error_words[i].words;
	/* A room's kick says who did it ("by OP[: reason]"): a sentence, not "removed: by". */
	if (strcmp(n->args[0], "kicked") == 0 && n->text && strncmp(n->text, "by ", 3) == 0)
		snprintf(b, len, "You were kicked %s", n->text);
	/* "an operator muted you: ..." says it already: "You are muted" before it twice over. */
	else if (strcmp(n->args[0], "muted") == 0 && n->text && strstr(n->text, "muted"))
		snprintf(b, len, "%c%s", toupper((unsigned char)n->text[0]), n->text + 1);
	else if (words && n->text && strcasecmp(words, n->text) == 0)
		snprintf(b, len, "%s", words);
	else if (words)
		snprintf(b, len, "%s%s%s", words, n->text && *n->text ? ": " : "",
			 n->text ? n->text : "");
	else
		snprintf(b, len, "Error %s%s%s", n->args[0], n->text && *n->text ? ": " : "",
			 n->text ? n->text : "");
	return true;
}

static const struct {
	const char *keyword;
	size_t min_args, max_args;
	bool (*say)(const struct notice *n, char *buf, size_t len);
} wording[] = {
	{ "welcome", 2, 2, say_welcome },
	{ "turns", 1, 1, say_turns },
	{ "queued", 1, 2, say_queued },
	/* With "ids" granted, a second argument names the conversation (cN). */
	{ "serving", 1, 2, say_serving },
	{ "agent-offline", 0, 0, say_agent_offline },
	{ "agent-online", 1, 1, say_agent_online },
	{ "customer", 1, 2, say_serving },
	{ "customer-left", 1, 1, say_customer_left },
	{ "customer-away", 1, 1, say_customer_away },
	{ "customer-back", 1, 1, say_customer_back },
	{ "gap", 0, 0, say_gap },
	{ "queue", 1, 1, say_queue },
	{ "waiting", 3, NOTICE_MAX_ARGS, say_waiting },
	{ "waiting-more", 1, 1, say_waiting_more },
	{ "turn", 0, 0, say_turn },
	{ "bye", 0, 0, say_bye },
	{ "pong", 0, 1, say_pong },
	{ "time", 1, 1, say_time },
	{ "info", 3, NOTICE_MAX_ARGS, say_info },
	{ "replay", 1, 1, say_replay },
	{ "replay-end", 0, 0, say_replay_end },
	{ "history-start", 1, 1, say_history_start },
	{ "history-end", 0, 0, say_replay_end },
	{ "joined", 1, 1, say_joined },
	{ "left", 1, 1, say_left },
	{ "renamed", 2, 2, say_renamed },
	{ "member", 1, 1, say_member },
	{ "members", 1, 1, say_members },
	{ "who-more", 0, 1, say_who_more },
	{ "error", 1, 1, say_error },
	{ "transferred", 0, 1, say_transferred },
	{ "answer-timeout", 1, 1, say_answer_timeout },
	{ "agent", 5, 5, say_agent },
	{ "agents", 1, 1, say_agents },
	{ "away", 1, 1, say_away },
	{ "back", 0, 0, say_back },
	{ "kicked", 2, 2, say_kicked },
	{ "banned", 2, 3, say_banned },
	{ "unbanned", 2, 2, say_unbanned },
	{ "ban", 3, 3, say_ban },
	{ "bans", 1, 1, say_bans },
	{ "muted", 2, 3, say_muted },
	{ "unmuted", 2, 2, say_unmuted },
	{ "topic", 1, 1, say_topic },
	{ "topic-none", 0, 0, say_topic_none },
	{ "purged", 3, 3, say_purged },
	{ "operator", 1, 1, say_operator },
	{ "oper", 0, 0, say_oper },
	{ "oper-challenge", 1, 1, say_oper_challenge },
	{ "private", 1, 1, say_private },
};

/* The notice as it came: keyword, arguments, " -- text". */
static void say_raw(const struct notice *n, char *b, size_t len)
{
	size_t used = 0;
	int r;

	r = snprintf(b, len, "%s", n->keyword);
	for (size_t i = 0; r >= 0 && i < n->nargs; i++) {
		used += (size_t)r;
		if (used >= len)
			return;
		r = snprintf(b + used, len - used, " %s", n->args[i]);
	}
	if (r >= 0 && n->text && (used += (size_t)r) < len)
		snprintf(b + used, len - used, " -- %s", n->text);
}

bool notice_describe(const struct notice *n, char *buf, size_t len)
{
	if (len == 0)
		return false;
	for (size_t i = 0; i < sizeof(wording) / sizeof(wording[0]); i++) {
		if (strcmp(n->keyword, wording[i].keyword) != 0)
			continue;
		if (n->nargs >= wording[i].min_args && n->nargs <= wording[i].max_args &&
		    wording[i].say(n, buf, len))
			return true;
		break;
	}
	say_raw(n, buf, len);
	return false;
}
