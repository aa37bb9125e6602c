/* SPDX-License-Identifier: ISC */
/*
 * status-text.c - /status for a person (status-text.h):
 *
 *   frontdeskd 0.2.0 on desk1, single-agent desk, up 1h 02m (since 2026-11-30 04:26)   ready
 *   connections  5 (customer framed 3, agent framed 2)   unsent 0 B
 *   line         2 waiting, longest 1m 35s
 *     1. waiting 1m 35s
 *     2. waiting 12s (away)
 *   agents       alice  busy       2/2 chats
 *                bob    available  0/2 chats
 *   store        sqlite /var/lib/frontdesk/frontdesk.db, writable, last ID 1234
 *   cluster      off, or node a, Redis 127.0.0.1:6379, up, epoch 3f2a...
 *   since start  120 connections, 500 messages, 900 deliveries, 30 conversations, ...
 *
 * A group room has "members 42" where the desk has its line and agents.
 */
#include "status-text.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "print.h"
#include "when.h"

#define LABEL_COLS    13 /* "since start" and two spaces */
#define MAX_NAME_COLS 24 /* an agent's name column at most */
#define STATUS_COLS   9  /* "available" */
#define DURATION_LEN  24
#define BYTES_LEN     24

static void label(FILE *f, const char *name)
{
	fprintf(f, "%-*s", LABEL_COLS, name);
}

/* A string of the document, made printable; @none when it has none. */
static void put(FILE *f, const char *s, const char *none)
{
	s = s ? s : none;
	print_safe(f, s, strlen(s));
}

/* "12s", "1m 35s", "1h 02m", "3d 04h". */
static const char *duration(int64_t s, char buf[DURATION_LEN])
{
	if (s < 0)
		s = 0;
	if (s < 60)
		snprintf(buf, DURATION_LEN, "%" PRId64 "s", s);
	else if (s < 3600)
		snprintf(buf, DURATION_LEN, "%" PRId64 "m %02" PRId64 "s", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, DURATION_LEN, "%" PRId64 "h %02" PRId64 "m", s / 3600, s / 60 % 60);
	else
		snprintf(buf, DURATION_LEN, "%" PRId64 "d %02" PRId64 "h", s / 86400,
			 s / 3600 % 24);
	return buf;
}

/* "512 B", "3.2 KiB", "1.0 MiB", "2.5 GiB". */
static const char *bytes(int64_t n, char buf[BYTES_LEN])
{
	static const char *const units[] = { "KiB", "MiB", "GiB" };
	double v = (double)n;
	size_t u = 0;

	if (n < 1024) {
		snprintf(buf, BYTES_LEN, "%" PRId64 " B", n);
		return buf;
	}
	for (v /= 1024; v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0]); v /= 1024)
		u++;
	snprintf(buf, BYTES_LEN, "%.1f %s", v, units[u]);
	return buf;
}

/*
 * "2026-11-30T04:26:24+00:00" (the daemon's local time and its offset) as this side's local
 * time, "2026-11-30 04:26"; false when it is not that.
 */
static bool started_local(const char *iso, char buf[WHEN_TEXT_LEN])
{
	struct tm tm = { 0 };
	int hh = 0, mm = 0, n = 0, off;
	char sign;
	time_t t;

	if (!iso || sscanf(iso, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
			   &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6)
		return false;
	iso += n;
	if (*iso == '.') /* fractions of a second, if any */
		iso += 1 + strspn(iso + 1, "0123456789");
	if (*iso == 'Z' && !iso[1])
		off = 0;
	else if (sscanf(iso, "%c%2d:%2d%n", &sign, &hh, &mm, &n) == 3 && !iso[n] &&
		 (sign == '+' || sign == '-'))
		off = (sign == '-' ? -1 : 1) * (hh * 3600 + mm * 60);
	else
		return false;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	t = timegm(&tm) - off;
	when_text((int64_t)t * 1000, buf);
	buf[16] = '\0'; /* no seconds */
	return true;
}

/* frontdeskd VERSION on NODE, MODE, up UPTIME (since START)   ready | not ready: WHY */
static void print_head(FILE *f, const struct jvalue *doc)
{
	const char *mode = jread_string(doc, "mode"), *node = jread_string(doc, "node");
	char dur[DURATION_LEN], since[WHEN_TEXT_LEN];
	bool ready = false;
	int64_t up;

	fputs("frontdeskd ", f);
	put(f, jread_string(doc, "version"), "?");
	if (node) {
		fputs(" on ", f);
		put(f, node, NULL);
	}
	if (mode && strcmp(mode, "single-agent") == 0)
		fputs(", single-agent desk", f);
	else if (mode && strcmp(mode, "group") == 0)
		fputs(", group room", f);
	else {
		fputs(", mode ", f);
		put(f, mode, "?");
	}
	if (jread_int(doc, "uptime_seconds", &up))
		fprintf(f, ", up %s", duration(up, dur));
	if (started_local(jread_string(doc, "started"), since))
		fprintf(f, " (since %s)", since);
	jread_bool(doc, "ready", &ready);
	if (ready) {
		fputs("   ready\n", f);
		return;
	}
	fputs("   not ready: ", f);
	put(f, jread_string(doc, "not_ready"), "(no reason given)");
	putc('\n', f);
}

/* connections  N (ROLE PROTOCOL N, ...)   unsent SIZE */
static void print_connections(FILE *f, const struct jvalue *doc)
{
	const struct jvalue *list = jread_member(doc, "connections");
	char size[BYTES_LEN];
	int64_t total = 0, n;
	size_t shown = 0;

	for (const struct jvalue *c = jread_is(list, JARRAY) ? list->first : NULL; c; c = c->next)
		if (jread_int(c, "count", &n))
			total += n;
	label(f, "connections");
	fprintf(f, "%" PRId64, total);
	for (const struct jvalue *c = jread_is(list, JARRAY) ? list->first : NULL; c; c = c->next) {
		if (!jread_int(c, "count", &n) || n == 0)
			continue;
		fputs(shown++ ? ", " : " (", f);
		put(f, jread_string(c, "role"), "?");
		putc(' ', f);
		put(f, jread_string(c, "protocol"), "?");
		fprintf(f, " %" PRId64, n);
	}
	if (shown)
		putc(')', f);
	if (jread_int(doc, "output_bytes", &n))
		fprintf(f, "   unsent %s", bytes(n, size));
	putc('\n', f);
}

/* The desk's line: how many wait and for how long, then each, first first. */
static void print_line(FILE *f, const struct jvalue *line)
{
	const struct jvalue *waiting = jread_member(line, "waiting");
	char dur[DURATION_LEN];
	int64_t length = 0, wait, pos, listed = 0;
	bool away;

	jread_int(line, "length", &length);
	label(f, "line");
	fprintf(f, "%" PRId64 " waiting", length);
	if (length > 0 && jread_int(line, "longest_wait_seconds", &wait))
		fprintf(f, ", longest %s", duration(wait, dur));
	putc('\n', f);
	for (const struct jvalue *w = jread_is(waiting, JARRAY) ? waiting->first : NULL; w;
	     w = w->next) {
		if (!jread_int(w, "position", &pos) || !jread_int(w, "wait_seconds", &wait))
			continue;
		away = false;
		jread_bool(w, "away", &away);
		fprintf(f, "%3" PRId64 ". waiting %s%s\n", pos, duration(wait, dur),
			away ? " (away)" : "");
		listed++;
	}
	if (listed && length > listed)
		fprintf(f, "     and %" PRId64 " more\n", length - listed);
}

/* The desk's agents: a row each, names in a column. */
static void print_agents(FILE *f, const struct jvalue *agents)
{
	size_t width = 0, rows = 0;
	int64_t chats, capacity;

	for (const struct jvalue *a = agents->first; a; a = a->next)
		if (jread_string(a, "name") && print_cols(jread_string(a, "name")) > width)
			width = print_cols(jread_string(a, "name"));
	width = width > MAX_NAME_COLS ? MAX_NAME_COLS : width;
	label(f, "agents");
	if (!agents->first)
		fputs("none attached\n", f);
	for (const struct jvalue *a = agents->first; a; a = a->next) {
		if (rows++)
			label(f, "");
		print_padded(f, jread_string(a, "name") ? jread_string(a, "name") : "?", width);
		fputs("  ", f);
		print_padded(f, jread_string(a, "status") ? jread_string(a, "status") : "?",
			     STATUS_COLS);
		if (jread_int(a, "chats", &chats) && jread_int(a, "capacity", &capacity))
			fprintf(f, "  %" PRId64 "/%" PRId64 " chats", chats, capacity);
		putc('\n', f);
	}
}

/* store        BACKEND [PATH], writable, last ID N */
static void print_store(FILE *f, const struct jvalue *store)
{
	const char *backend = jread_string(store, "backend"), *path = jread_string(store, "path");
	bool writable;
	int64_t id;

	label(f, "store");
	put(f, backend, "?");
	if (backend && strcmp(backend, "off") == 0) {
		putc('\n', f);
		return;
	}
	if (path) {
		putc(' ', f);
		put(f, path, NULL);
	}
	if (jread_bool(store, "writable", &writable))
		fputs(writable ? ", writable" : ", NOT WRITABLE", f);
	if (jread_int(store, "last_id", &id))
		fprintf(f, ", last ID %" PRId64, id);
	putc('\n', f);
}

/* since start  N connections, N messages, ... (conversations at the desk only) */
static void print_counters(FILE *f, const struct jvalue *doc, bool desk)
{
	static const struct {
		const char *key, *one, *many;
	} counts[] = {
		{ "messages", "message", "messages" },
		{ "deliveries", "delivery", "deliveries" },
		{ "conversations", "conversation", "conversations" },
		{ "refused", "refused", "refused" },
		{ "dropped", "dropped", "dropped" },
	};
	const struct jvalue *counters = jread_member(doc, "counters");
	const char *sep = "";
	int64_t n;

	label(f, "since start");
	if (jread_int(doc, "connections_total", &n)) {
		fprintf(f, "%" PRId64 " connection%s", n, n == 1 ? "" : "s");
		sep = ", ";
	}
	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		if ((!desk && strcmp(counts[i].key, "conversations") == 0) ||
		    !jread_int(counters, counts[i].key, &n))
			continue;
		fprintf(f, "%s%" PRId64 " %s", sep, n, n == 1 ? counts[i].one : counts[i].many);
		sep = ", ";
	}
	putc('\n', f);
}

/* "node a, Redis 127.0.0.1:6379, up, epoch E", or "off"; "DOWN, 512 bytes held" while not up. */
static void print_cluster(FILE *f, const struct jvalue *v)
{
	const char *node, *redis, *epoch;
	int64_t port = 0, held = 0;
	bool up = false;

	label(f, "cluster");
	if (!v || !jread_is(v, JOBJECT)) {
		fputs("off\n", f);
		return;
	}
	node = jread_string(v, "node");
	redis = jread_string(v, "redis");
	epoch = jread_string(v, "epoch");
	jread_int(v, "port", &port);
	jread_int(v, "held_bytes", &held);
	jread_bool(v, "up", &up);
	fprintf(f, "node %s, Redis %s:%" PRId64 ", %s", node ? node : "?", redis ? redis : "?",
		port, up ? "up" : "DOWN");
	if (held || !up)
		fprintf(f, ", %" PRId64 " bytes held", held);
	fprintf(f, ", epoch %s\n", epoch && *epoch ? epoch : "(not known yet)");
}

void status_text(FILE *f, const struct jvalue *doc)
{
	const char *mode = jread_string(doc, "mode");
	bool desk = !mode || strcmp(mode, "group") != 0;
	const struct jvalue *v;
	int64_t members;

	print_head(f, doc);
	print_connections(f, doc);
	if (jread_is(v = jread_member(doc, "line"), JOBJECT))
		print_line(f, v);
	if (desk && jread_is(v = jread_member(doc, "agents"), JARRAY))
		print_agents(f, v);
	if (jread_int(doc, "members", &members)) {
		label(f, "members");
		fprintf(f, "%" PRId64 "\n", members);
	}
	if (jread_is(v = jread_member(doc, "store"), JOBJECT))
		print_store(f, v);
	print_cluster(f, jread_member(doc, "cluster"));
	print_counters(f, doc, desk);
}
