/* SPDX-License-Identifier: ISC */
/*
 * term-cmd.c - the interactive client's commands: "/name [arg]" looked up in one table, the
 * argument checked, then run.
 *
 * A row belongs to the desk, to a room (group mode) or to both: the same name may have a row
 * for each ("/kick" ends a customer's connection at the desk, takes a reason in a room), and
 * "/help" lists the rows of where we are, so a customer's list is the one it always was. Until
 * the server says "welcome group", we are at the desk.
 *
 * Most commands go as typed, without the slash. A room's moderation commands (issue 15) put a
 * reason after " -- ", so that it may hold any words.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "term-priv.h"

enum arg_rule {
	ARG_NONE,
	ARG_REQUIRED,
	ARG_OPTIONAL,
};

enum cmd_where {
	AT_ANY,
	AT_DESK,
	AT_ROOM,
};

struct term_command {
	const char *name;
	enum cmd_where where;
	enum arg_rule arg;
	const char *usage;
	int (*run)(struct term *t, const char *line);
};

static void tell(struct term *t, enum show_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void tell(struct term *t, enum show_kind kind, const char *fmt, ...)
{
	char text[FD_FRAME_BODY_BUFSIZE + 64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	term_show_in(t, NULL, kind, NULL, time(NULL), "%s", text);
}

/* Send the command as typed, without its slash. */
static int cmd_send(struct term *t, const char *line)
{
	return session_command(t->session, line);
}

static int cmd_quit(struct term *t, const char *line)
{
	term_quit(t);
	return 0;
}

/* The word of @line after its first @skip words, and where the rest starts (after blanks). */
static const char *word_after(const char *line, int skip, size_t *ret_len)
{
	for (int i = 0; i < skip && *line; i++) {
		line += strcspn(line, " ");
		line += strspn(line, " ");
	}
	*ret_len = strcspn(line, " ");
	return line;
}

/*
 * "10m", "2h", "7d", "600": how a room's durations look (a reason seldom starts so); "2w" too,
 * weeks, which the daemon's durations take as well.
 */
static bool is_duration(const char *word, size_t len)
{
	size_t digits = strspn(word, "0123456789");

	return digits > 0 &&
	       (digits == len || (digits + 1 == len && strchr("smhdw", word[digits])));
}

/*
 * "VERB TARGET [DURATION] [REASON]" as "VERB TARGET [DURATION] [-- REASON]": the reason may
 * hold any words, "--" among them.
 */
static int send_with_reason(struct term *t, const char *line, bool duration)
{
	char body[FD_FRAME_BODY_BUFSIZE];
	size_t len, head;
	const char *w = word_after(line, 2, &len), *reason = w;
	int n;

	if (duration && is_duration(w, len))
		reason = word_after(line, 3, &len);
	head = (size_t)(reason - line);
	while (head > 0 && line[head - 1] == ' ')
		head--;
	/* The wire's own "--" typed before the reason (README, Moderation) is not part of it. */
	if (strncmp(reason, "--", 2) == 0 && (reason[2] == ' ' || !reason[2]))
		reason += 2 + strspn(reason + 2, " ");
	if (*reason)
		n = snprintf(body, sizeof(body), "%.*s -- %s", (int)head, line, reason);
	else
		n = snprintf(body, sizeof(body), "%.*s", (int)head, line);
	if (n < 0 || (size_t)n >= sizeof(body))
		return -EMSGSIZE;
	return session_command(t->session, body);
}

/* kick NICK [REASON] in a room. */
static int cmd_kick(struct term *t, const char *line)
{
	return send_with_reason(t, line, false);
}

/* ban nick:NAME|addr:ADDRESS[/PREFIX] [DURATION] [REASON]: the kind said, never guessed. */
static int cmd_ban(struct term *t, const char *line)
{
	size_t len;
	const char *target = word_after(line, 1, &len);

	if (strncmp(target, "nick:", 5) != 0 && strncmp(target, "addr:", 5) != 0) {
		tell(t, SHOW_ERROR, "Say what to ban: nick:NAME or addr:ADDRESS[/PREFIX]");
		return 0;
	}
	return send_with_reason(t, line, true);
}

/*
 * msg NICK TEXT. A server that grants "ids" sends our own copy back, in its place among the
 * others; without it nothing comes back, so the copy is shown here.
 */
static int cmd_msg(struct term *t, const char *line)
{
	char nick[SESSION_NICK_MAX];
	size_t len;
	const char *who = word_after(line, 1, &len), *text = word_after(line, 2, &len);
	int r;

	if (!*text || strcspn(who, " ") >= sizeof(nick)) {
		tell(t, SHOW_ERROR, "Usage: /msg NICK TEXT");
		return 0;
	}
	snprintf(nick, sizeof(nick), "%.*s", (int)strcspn(who, " "), who);
	r = session_msg(t->session, nick, text);
	if (r == 0 && !session_private_echoed(t->session))
		tell(t, SHOW_PRIVATE, "[private to %s] %s", nick, text);
	return r;
}

static int cmd_oper(struct term *t, const char *line)
{
	return session_oper(t->session);
}

/* send PATH: a file, to the customer in view (an agent's window) or our conversation. */
static int cmd_file(struct term *t, const char *line)
{
	char err[1024];
	int r = session_send_file(t->session, line + 5, termwin_customer(t), err, sizeof(err));

	if (r < 0)
		tell(t, SHOW_ERROR, "%s", err);
	return 0;
}

/* get N: fetch a file listed earlier (history, a room, --no-download, a transfer cut short). */
static int cmd_get(struct term *t, const char *line)
{
	char err[512], *end;
	unsigned long num = strtoul(line + 4, &end, 10);
	int r = *end ? -ENOENT : session_get_file(t->session, (unsigned)num, err, sizeof(err));

	if (r < 0)
		tell(t, SHOW_ERROR, "%s",
		     *end ? "Usage: /get N (the number of a file listed)" : err);
	return 0;
}

static int cmd_help(struct term *t, const char *arg);

static const struct term_command commands[] = {
	{ "quit", AT_ANY, ARG_NONE, "/quit             leave (Ctrl-D too)", cmd_quit },
	{ "who", AT_DESK, ARG_NONE, "/who              who is here (group mode)", cmd_send },
	{ "who", AT_ROOM, ARG_OPTIONAL, "/who [PAGE]       who is here (a big room: page by page)",
	  cmd_send },
	{ "next", AT_DESK, ARG_OPTIONAL,
	  "/next [NAME]      agent: end this conversation, serve the next", termwin_cmd_customer },
	{ "queue", AT_DESK, ARG_NONE, "/queue            agent: who is waiting, and for how long",
	  cmd_send },
	{ "kick", AT_DESK, ARG_OPTIONAL, "/kick NAME        agent: end that customer's connection",
	  termwin_cmd_customer },
	{ "win", AT_DESK, ARG_REQUIRED,
	  "/win N            agent: switch to window N (also Ctrl-N, Ctrl-P)", termwin_cmd_win },
	{ "transfer", AT_DESK, ARG_OPTIONAL,
	  "/transfer [AGENT] agent: pass this customer to AGENT, or back to the line",
	  termwin_cmd_customer },
	{ "canned", AT_DESK, ARG_OPTIONAL,
	  "/canned [NAME]    agent: send canned reply NAME (Tab completes)", termwin_cmd_canned },
	{ "agents", AT_DESK, ARG_NONE, "/agents           agent: who else is at the desk",
	  cmd_send },
	{ "away", AT_DESK, ARG_NONE, "/away             agent: take no new conversations",
	  cmd_send },
	{ "back", AT_DESK, ARG_NONE, "/back             agent: take new conversations again",
	  cmd_send },
	{ "msg", AT_ROOM, ARG_REQUIRED, "/msg NICK TEXT    a private message to NICK alone",
	  cmd_msg },
	{ "topic", AT_ROOM, ARG_OPTIONAL, "/topic [TEXT]     show the topic; operator: set it",
	  cmd_send },
	{ "nick", AT_ANY, ARG_REQUIRED, "/nick NAME        change your nickname", cmd_send },
	{ "history", AT_ANY, ARG_OPTIONAL, "/history [N]      the N (default 20) earlier messages",
	  cmd_send },
	{ "oper", AT_ROOM, ARG_NONE, "/oper             become an operator (with --oper-key FILE)",
	  cmd_oper },
	{ "kick", AT_ROOM, ARG_REQUIRED, "/kick NICK [REASON]  operator: remove NICK from the room",
	  cmd_kick },
	{ "ban", AT_ROOM, ARG_REQUIRED,
	  "/ban nick:NAME|addr:ADDRESS[/PREFIX] [DURATION] [REASON]  operator: keep them out "
	  "(DURATION: 10m, 2h, 7d; none: until /unban)",
	  cmd_ban },
	{ "unban", AT_ROOM, ARG_REQUIRED,
	  "/unban nick:NAME|addr:ADDRESS[/PREFIX]  operator: lift a ban", cmd_send },
	{ "bans", AT_ROOM, ARG_NONE, "/bans             operator: list the bans", cmd_send },
	{ "mute", AT_ROOM, ARG_REQUIRED,
	  "/mute NICK [DURATION]  operator: NICK stays and reads, but is not heard", cmd_send },
	{ "unmute", AT_ROOM, ARG_REQUIRED, "/unmute NICK      operator: NICK is heard again",
	  cmd_send },
	{ "purge", AT_ROOM, ARG_REQUIRED,
	  "/purge NICK [DURATION]  operator: take NICK's messages of the last DURATION (1h) "
	  "out of the history",
	  cmd_send },
	{ "send", AT_ANY, ARG_REQUIRED, "/send PATH        send a file (to the customer in view)",
	  cmd_file },
	{ "get", AT_ANY, ARG_REQUIRED, "/get N            save file N of those listed", cmd_get },
	{ "time", AT_ANY, ARG_NONE, "/time             the server's clock", cmd_send },
	{ "info", AT_ANY, ARG_NONE,
	  "/info             the server's version, uptime and how many are here", cmd_send },
	{ "help", AT_ANY, ARG_NONE, "/help             this list", cmd_help },
};

/* Whether @c is a command where we are: a room once the server said so, else the desk. */
static bool here(const struct term *t, const struct term_command *c)
{
	if (c->where == AT_ANY)
		return true;
	return (c->where == AT_ROOM) == session_group(t->session);
}

static int cmd_help(struct term *t, const char *arg)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (here(t, &commands[i]))
			tell(t, SHOW_NOTICE, "%s", commands[i].usage);
	tell(t, SHOW_NOTICE, "//text            send a message that starts with '/'");
	return 0;
}

/* The command's row where we are, or NULL. */
static const struct term_command *lookup(const struct term *t, const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		const struct term_command *c = &commands[i];

		if (strlen(c->name) == len && strncmp(c->name, name, len) == 0 && here(t, c))
			return c;
	}
	return NULL;
}

/*
 * "/name [arg]": look it up in the table, check the argument, run it. Blanks at the end are
 * dropped (@line is ours to cut): Tab completion leaves one, and "canned greet " is not a name
 * the desk knows.
 */
void term_command(struct term *t, char *line)
{
	size_t end = strlen(line), namelen;
	const struct term_command *c;
	char body[FD_FRAME_BODY_BUFSIZE];
	const char *sp, *arg;
	int r;

	while (end > 0 && (line[end - 1] == ' ' || line[end - 1] == '\t'))
		line[--end] = '\0';
	sp = strchr(line, ' ');
	namelen = sp ? (size_t)(sp - line) : strlen(line);
	arg = sp ? sp + 1 : "";
	while (*arg == ' ')
		arg++;
	termwin_typed(t);
	c = lookup(t, line, namelen);
	if (!c) {
		tell(t, SHOW_ERROR, "Unknown command /%.*s; /help lists them", (int)namelen, line);
		return;
	}
	if ((c->arg == ARG_NONE && *arg) || (c->arg == ARG_REQUIRED && !*arg)) {
		tell(t, SHOW_ERROR, "Usage: %s", c->usage);
		return;
	}
	snprintf(body, sizeof(body), "%s%s%s", c->name, *arg ? " " : "", arg);
	r = c->run(t, body);
	if (r == -ENOTCONN)
		tell(t, SHOW_ERROR, "Not connected");
	else if (r < 0)
		tell(t, SHOW_ERROR, "Cannot send that: %s", strerror(-r));
}
