/* SPDX-License-Identifier: ISC */
/*
 * command.c - the commands every peer has, and the dispatch of all commands (see command.h).
 *
 * A table row says who may run a command and whether it takes an argument, so a handler
 * runs only with the input it expects: the checks live here once, not in every handler.
 */
#include "command.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "alive.h"
#include "build-config.h"
#include "canned.h"
#include "clock.h"
#include "conn.h"
#include "history.h"
#include "files.h"
#include "log.h"
#include "msglog.h"
#include "server.h"
#include "session.h"
#include "store.h"
#include "typing.h"

static void cmd_hello(struct conn *c, const char *arg)
{
	if (strcmp(arg, "notices") != 0) {
		conn_error(c, "bad-command", "hello takes 'notices'");
		return;
	}
	c->notices = true;
	c->server->mode->hello(c);
}

/* ping [TOKEN]: answered in order with "pong [TOKEN]"; a barrier for clients and tests. */
static void cmd_ping(struct conn *c, const char *arg)
{
	conn_notice(c, *arg ? "pong %s" : "pong", arg);
}

/* What "caps" can grant (protocol 7.1), in the order the answer lists them. */
static const struct {
	const char *word;
	enum conn_cap bit;
} capabilities[] = {
	{ "ids", CAP_IDS },       /* 7.2 */
	{ "ping", CAP_PING },     /* 7.6 */
	{ "resume", CAP_RESUME }, /* 7.3 */
	{ "agent", CAP_AGENT },   /* 7.5 */
	{ "typing", CAP_TYPING }, /* ours: typing.h */
	{ "files", CAP_FILES },   /* ours: files.h */
};

#define NCAPABILITIES (sizeof(capabilities) / sizeof(capabilities[0]))

unsigned command_caps_parse(const char *arg, unsigned offered)
{
	unsigned asked = 0;

	for (const char *w = arg; *w;) {
		size_t len = strcspn(w, " ");

		for (size_t i = 0; i < NCAPABILITIES; i++)
			if (strlen(capabilities[i].word) == len &&
			    memcmp(capabilities[i].word, w, len) == 0)
				asked |= capabilities[i].bit;
		w += len + strspn(w + len, " ");
	}
	return asked & offered;
}

void command_send_caps(struct conn *c)
{
	char answer[128] = "caps";

	for (size_t i = 0; i < NCAPABILITIES; i++)
		if (c->caps & capabilities[i].bit)
			snprintf(answer + strlen(answer), sizeof(answer) - strlen(answer), " %s",
				 capabilities[i].word);
	conn_notice(c, "%s", answer);
	/* IDs belong to an epoch: a client must know which before it sees the first one. */
	if (c->caps & CAP_IDS)
		conn_notice(c, "epoch %s", msglog_epoch(c->server));
	if (c->caps & CAP_FILES)
		files_notice(c);
}

/*
 * What this server grants @c: no pings while peer_timeout is off; resume and typing to framed
 * peers (a line member has no way to show one); "agent" to agents where an agent may hold
 * several conversations.
 */
static unsigned offered(const struct conn *c)
{
	unsigned caps = CAP_IDS;

	if (c->role == ROLE_AGENT && (c->server->team || c->server->cdesk) &&
	    c->server->config.max_chats_per_agent > 1)
		caps |= CAP_AGENT;

	if (c->server->config.peer_timeout)
		caps |= CAP_PING;
	if (session_grace(c->server, c->role) && c->proto == PROTO_FRAMED)
		caps |= CAP_RESUME;
	if (c->proto == PROTO_FRAMED)
		caps |= CAP_TYPING;
	if (files_granted(c))
		caps |= CAP_FILES;
	return caps;
}

/*
 * caps [WORD...]: grant the words this server supports and say which ("caps ping"); unknown
 * words are simply not granted. A later "caps" replaces the set. Without "hello notices" first
 * the client could not read the answer, so nothing is granted.
 */
static void cmd_caps(struct conn *c, const char *arg)
{
	unsigned granted, added;

	if (!c->notices) {
		log_debug("%s (%s): caps before hello notices; nothing granted", c->peer, c->nick);
		return;
	}
	granted = command_caps_parse(arg, offered(c));
	if (granted & CAP_PING)
		alive_start(c);
	else if (c->caps & CAP_PING)
		alive_stop(c);
	if (!(granted & CAP_FILES))
		files_conn_ended(c); /* transfers open need the capability they began under */
	added = granted & ~(unsigned)c->caps;
	c->caps = (uint8_t)granted;
	command_send_caps(c);
	if (granted & CAP_RESUME)
		session_grant(c); /* a new token for every "caps resume" */
	else if (c->session)
		session_end(c);
	if (added && c->server->mode->caps)
		c->server->mode->caps(c, added);
}

/* The longest answer to "time" or "info": a few short words. */
#define ANSWER_MAX 256

static void answer(struct conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * A notice @c asked for ("time", "info"): sent even to a framed client that never sent "hello
 * notices", for asking is opting in; what a seed client did not ask for it still never sees
 * (protocol 3). Line clients get every notice, as a "* " line.
 */
static void answer(struct conn *c, const char *fmt, ...)
{
	char wire[FD_FRAME_HEADER_LEN + ANSWER_MAX];
	char *body = wire + FD_FRAME_HEADER_LEN;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(body, ANSWER_MAX, fmt, ap);
	va_end(ap);
	if (n < 0 || n >= ANSWER_MAX)
		return;
	if (c->notices || c->proto != PROTO_FRAMED) {
		conn_notice(c, "%s", body);
		return;
	}
	if (fd_frame_format_header(wire, FD_FRAME_NOTICE, (size_t)n) == 0)
		conn_send_encoded(c, wire, FD_FRAME_HEADER_LEN + (size_t)n);
}

/* time: the server's clock, "time 2026-11-30T04:31:07+00:00" (local time, with its offset). */
static void cmd_time(struct conn *c, const char *arg)
{
	char now[FD_CLOCK_ISO8601_BUFSIZE];

	/* Only a clock set beyond any year a struct tm holds has no local time. */
	if (fd_clock_iso8601(time(NULL), now, sizeof(now)) < 0)
		log_warnx("%s (%s): time: the system clock cannot be shown", c->peer, c->nick);
	else
		answer(c, "time %s", now);
}

/*
 * info: "info version=V mode=M uptime=S" and the mode's counts ("members=N"; "waiting=N
 * agents=N"). Nothing that tells more about the machine (host, system, paths) or about people.
 */
static void cmd_info(struct conn *c, const char *arg)
{
	struct server *s = c->server;
	char counts[ANSWER_MAX / 2] = "";
	long long uptime = (long long)(fd_clock_seconds() - s->started_mono);

	if (s->mode->info)
		s->mode->info(s, counts, sizeof(counts));
	answer(c, "info version=%s mode=%s uptime=%lld%s%s", FRONTDESK_VERSION,
	       config_mode_name(s->config.mode), uptime > 0 ? uptime : 0, counts[0] ? " " : "",
	       counts);
}

/* pong TOKEN: the answer to our "ping TOKEN"; reading it was the point (conn.c, alive.c). */
static void cmd_pong(struct conn *c, const char *arg)
{
	log_debug("%s (%s): pong %s", c->peer, c->nick, arg);
}

static void cmd_quit(struct conn *c, const char *arg)
{
	conn_close(c, "quit");
}

#define ALL_ROLES ((1u << ROLE_CUSTOMER) | (1u << ROLE_AGENT) | (1u << ROLE_MEMBER))

static const struct command common_commands[] = {
	{ "hello", ALL_ROLES, ARG_REQUIRED, cmd_hello },
	{ "quit", ALL_ROLES, ARG_NONE, cmd_quit },
	{ "ping", ALL_ROLES, ARG_OPTIONAL, cmd_ping },
	{ "pong", ALL_ROLES, ARG_REQUIRED, cmd_pong },
	{ "caps", ALL_ROLES, ARG_OPTIONAL, cmd_caps },
	{ "history", ALL_ROLES, ARG_OPTIONAL, cmd_history },
	{ "time", ALL_ROLES, ARG_NONE, cmd_time },
	{ "info", ALL_ROLES, ARG_NONE, cmd_info },
	/* Only for a client granted "typing": to others it is unknown (typing.c says so). */
	{ "typing", ALL_ROLES, ARG_OPTIONAL, cmd_typing },
	/* Here, not in the desk's table: only the desk has agents, and it need not know. */
	{ "canned", 1u << ROLE_AGENT, ARG_OPTIONAL, cmd_canned },
	/* Only for a client granted "files": to others they are unknown (files.h). */
	{ "file-offer", ALL_ROLES, ARG_OPTIONAL, files_cmd_offer },
	{ "file-end", ALL_ROLES, ARG_OPTIONAL, files_cmd_end },
	{ "file-cancel", ALL_ROLES, ARG_OPTIONAL, files_cmd_cancel },
	{ "file-get", ALL_ROLES, ARG_OPTIONAL, files_cmd_get },
	{ NULL, 0, ARG_NONE, NULL },
};

static const struct command *find_command(const struct command *table, const char *name, size_t len)
{
	for (; table && table->name; table++)
		if (strlen(table->name) == len && memcmp(table->name, name, len) == 0)
			return table;
	return NULL;
}

void command_unknown(struct conn *c, const char *name)
{
	conn_error(c, "unknown-command", "'%s' is not a command here", name);
}

void command_run(struct conn *c, const struct fd_frame *f)
{
	const char *sp = memchr(f->body, ' ', f->len);
	size_t namelen = sp ? (size_t)(sp - f->body) : f->len;
	const char *arg = sp ? sp + 1 : "";
	const struct command *cmd;

	cmd = find_command(common_commands, f->body, namelen);
	if (!cmd)
		cmd = find_command(c->server->mode->commands, f->body, namelen);
	if (!cmd || !(cmd->roles & (1u << c->role))) {
		conn_error(c, "unknown-command", "'%.*s' is not a command here", (int)namelen,
			   f->body);
		return;
	}
	if (cmd->arg == ARG_REQUIRED && !*arg) {
		conn_error(c, "bad-command", "%s needs an argument", cmd->name);
		return;
	}
	if (cmd->arg == ARG_NONE && *arg) {
		conn_error(c, "bad-command", "%s takes no argument", cmd->name);
		return;
	}
	cmd->run(c, arg);
}
