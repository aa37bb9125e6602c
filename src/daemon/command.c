/* SPDX-License-Identifier: ISC */
/*
 * command.c - the commands every peer has, and the dispatch of all commands (see command.h).
 *
 * A table row says who may run a command and whether it takes an argument, so a handler
 * runs only with the input it expects: the checks live here once, not in every handler.
 */
#include "command.h"

#include <string.h>

#include "conn.h"
#include "server.h"

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

static void cmd_quit(struct conn *c, const char *arg)
{
	conn_close(c, "quit");
}

#define ALL_ROLES ((1u << ROLE_CUSTOMER) | (1u << ROLE_AGENT) | (1u << ROLE_MEMBER))

static const struct command common_commands[] = {
	{ "hello", ALL_ROLES, ARG_REQUIRED, cmd_hello },
	{ "quit", ALL_ROLES, ARG_NONE, cmd_quit },
	{ "ping", ALL_ROLES, ARG_OPTIONAL, cmd_ping },
	{ NULL, 0, ARG_NONE, NULL },
};

static const struct command *find_command(const struct command *table, const char *name, size_t len)
{
	for (; table && table->name; table++)
		if (strlen(table->name) == len && memcmp(table->name, name, len) == 0)
			return table;
	return NULL;
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
