/* SPDX-License-Identifier: ISC */
/*
 * term-win.c - an agent's windows on the terminal, one per conversation (protocol 7.5), in the
 * spirit of irssi.
 *
 * Only an agent that the server granted "agent" gets them (t->wins, made on the first event
 * after the grant); everyone else sees the one-conversation client, unchanged: every function
 * here does nothing, or returns false, without windows.
 *
 * The screen keeps term.c's layout: lines scroll above the prompt. With windows, a status line
 * sits between them ("[0:desk] [*1:bob] [2:carol(3)!]", see windows.h), and only the current
 * window's lines are printed; the others' are kept (windows.c) and counted as unread. Switching
 * clears the screen and prints the new window's last lines.
 *
 * Where a line goes: a message, and a notice that names one of our customers, to that
 * customer's window; errors and the answers to commands to the window in view (where the
 * agent typed); the rest (the queue, the welcome) to the desk, window 0. A history answer's
 * markers ("history-start", "history-end") go where its messages go: after a transfer that is
 * the new customer's window, not the desk. An ended window goes when the agent switches away,
 * and what was answered in it would go with it: the desk keeps a copy (term.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <editline/readline.h>

#include "term-priv.h"
#include "utf8.h"

/* Notices that answer a command the agent typed: shown where it typed it. */
static const char *const answers[] = { "error",  "waiting", "waiting-more", "agent",
				       "agents", "away",    "back" };

static void switch_to(struct term *t, unsigned num);

/* Ctrl-N and Ctrl-P: the next and the previous window, as in irssi. */
static int key_step(int count, int key)
{
	struct term *t = term_current();

	if (t && t->wins)
		switch_to(t, windows_step(t->wins, key == CTRL('N') ? 1 : -1));
	return 0;
}

void termwin_check(struct term *t)
{
	struct windows *w;
	bool was_in_handler;

	if (t->wins || !session_multi(t->session))
		return;
	w = calloc(1, sizeof(*w));
	if (!w || windows_init(w) < 0) {
		free(w);
		return; /* the one-conversation screen goes on: still usable, lines not sorted */
	}
	term_erase(t); /* the screen as it was, before the status line takes its row */
	t->wins = w;
	t->hist_win = -1;
	t->opened_win = -1;
	rl_add_defun("frontdesk-next-window", key_step, CTRL('N'));
	rl_add_defun("frontdesk-previous-window", key_step, CTRL('P'));
	/* The input is off the screen already: print in place, as from inside on_line(). */
	was_in_handler = t->in_handler;
	t->in_handler = true;
	term_show_in(t, NULL, SHOW_NOTICE, NULL, time(NULL),
		     "Several conversations at once: one window each; /win N switches "
		     "(Ctrl-N, Ctrl-P too)");
	t->in_handler = was_in_handler;
	term_draw(t);
}

void termwin_free(struct term *t)
{
	if (!t->wins)
		return;
	windows_deinit(t->wins);
	free(t->wins);
	t->wins = NULL;
}

/* The "!" of a window: its customer waits for our answer. */
static void sync_turns(struct term *t)
{
	for (size_t i = 1; i < WINDOWS_MAX; i++) {
		struct window *win = &t->wins->win[i];
		const struct session_conv *c =
		    win->used ? session_conv(t->session, win->name) : NULL;

		win->turn = c && !win->closed && c->my_turn && !c->awaiting;
	}
}

void termwin_status(struct term *t)
{
	char line[WINDOWS_MAX * (WINDOW_NAME_MAX + 24)];

	if (!t->wins)
		return;
	sync_turns(t);
	windows_status(t->wins, line, sizeof(line));
	term_print_status(t, line);
}

bool termwin_prompt(struct term *t, char *buf, size_t len)
{
	const struct window *win;
	const struct session_conv *c;
	const char *nick = session_nick(t->session);

	if (!t->wins)
		return false;
	win = t->wins->current;
	c = session_conv(t->session, win->name);
	if (win->num == 0)
		snprintf(buf, len, "[desk] %s> ", nick);
	else if (win->closed)
		snprintf(buf, len, "[%s: ended] %s> ", win->name, nick);
	else if (c && session_strict(t->session) && !c->my_turn && c->awaiting)
		snprintf(buf, len, "[%s] (waiting for %s to reply) %s> ", win->name, win->name,
			 nick);
	else if (c && session_strict(t->session) && !c->my_turn)
		snprintf(buf, len, "[%s] (%s's turn) %s> ", win->name, win->name, nick);
	else
		snprintf(buf, len, "[%s] %s> ", win->name, nick);
	utf8_make_printable(buf, strlen(buf));
	return true;
}

const char *termwin_customer(struct term *t)
{
	const struct window *win = t->wins ? t->wins->current : NULL;

	return win && win->num != 0 && !win->closed ? win->name : NULL;
}

/* Typed in the desk window: only "NAME: text" goes, as it is, to NAME. */
static void say_from_desk(struct term *t, const char *text)
{
	const char *sep = strstr(text, ": ");
	char name[WINDOW_NAME_MAX];
	struct window *win;
	int r;

	if (!sep || (size_t)(sep - text) >= sizeof(name)) {
		t->stash = strdup(text);
		term_show_in(t, NULL, SHOW_ERROR, NULL, time(NULL),
			     "This is the desk: /win N to talk to a customer, or write NAME: text");
		return;
	}
	snprintf(name, sizeof(name), "%.*s", (int)(sep - text), text);
	r = session_say(t->session, text);
	if (r < 0) {
		t->stash = strdup(text);
		term_show_in(t, NULL, SHOW_ERROR, NULL, time(NULL), "Cannot send that: %s",
			     strerror(-r));
		return;
	}
	add_history(text);
	win = windows_find(t->wins, name);
	term_show_in(t, win, SHOW_SELF, session_nick(t->session), time(NULL), "%s", sep + 2);
}

bool termwin_say(struct term *t, const char *text)
{
	const char *name = termwin_customer(t);
	const struct session_conv *c;
	int r;

	if (!t->wins)
		return false;
	if (t->wins->current->num == 0) {
		say_from_desk(t, text);
		return true;
	}
	c = name ? session_conv(t->session, name) : NULL;
	if (!name || (c && session_strict(t->session) && !c->my_turn)) {
		/* Not now: the text stays in the line, as it does in one conversation. */
		t->stash = strdup(text);
		if (!name)
			term_show_in(t, NULL, SHOW_ERROR, NULL, time(NULL),
				     "This conversation is over; /win N to switch");
		else
			fputs("\a", stdout);
		return true;
	}
	r = session_say_to(t->session, name, text);
	if (r < 0) {
		t->stash = strdup(text);
		term_show_in(t, NULL, SHOW_ERROR, NULL, time(NULL), "Cannot send that: %s",
			     r == -EMSGSIZE ? "too long"
			     : r == -EILSEQ ? "not UTF-8 text"
					    : strerror(-r));
		return true;
	}
	add_history(text);
	term_show_in(t, NULL, SHOW_SELF, session_nick(t->session), time(NULL), "%s", text);
	return true;
}

/* A message goes to its conversation's window: by its ID (tagged), else by its customer. */
bool termwin_message(struct term *t, const struct session_message *m)
{
	struct window *win = NULL;
	bool mine;
	time_t when = m->time_ms > 0 ? (time_t)(m->time_ms / 1000) : time(NULL);

	if (!t->wins)
		return false;
	if (m->conv)
		win = windows_find_conv(t->wins, m->conv);
	if (!win && m->from)
		win = windows_find(t->wins, m->from);
	if (!win)
		win = windows_desk(t->wins);
	mine = m->from && strcmp(m->from, session_nick(t->session)) == 0;
	t->opened_win = -1;
	if (m->history && t->hist_pending) {
		/* The first message of a history answer: its start goes with it. */
		term_show_in(t, win, SHOW_NOTICE, NULL, time(NULL), "%s", t->hist_start);
		t->hist_pending = false;
		t->hist_win = (int)win->num;
	}
	term_show_in(t, win, mine ? SHOW_SELF : SHOW_PEER, m->from, when, "%s",
		     m->from ? m->text : m->body);
	term_update_prompt(t);
	return true;
}

/* "customer-left NAME", "transferred NAME [AGENT]", "answer-timeout NAME": the end of one. */
static bool ends_conv(const struct notice *n)
{
	return notice_is(n, "customer-left", 1) || notice_is(n, "transferred", 1) ||
	       notice_is(n, "answer-timeout", 1);
}

/* The window a notice belongs in (see the top of the file). */
static struct window *window_of(struct term *t, const struct notice *n)
{
	struct window *win;

	if (notice_is(n, "customer", 1)) {
		win = windows_open(t->wins, n->args[0], n->nargs > 1 ? n->args[1] : NULL);
		return win ? win : windows_desk(t->wins);
	}
	if (n->nargs > 0 && (win = windows_find(t->wins, n->args[0])))
		return win;
	for (size_t i = 0; i < sizeof(answers) / sizeof(answers[0]); i++)
		if (strcmp(n->keyword, answers[i]) == 0)
			return t->wins->current;
	return windows_desk(t->wins);
}

/* A window by number, if it is still there; else the desk. */
static struct window *window_or_desk(struct term *t, int num)
{
	struct window *win = num >= 0 ? windows_num(t->wins, (unsigned)num) : NULL;

	return win ? win : windows_desk(t->wins);
}

/*
 * "history-start N" waits for its first message to show where it belongs (termwin_message());
 * "history-end" follows it there. An answer with no messages goes to the window a "customer
 * NAME" just opened (a conversation passed on with nothing said yet), else to the one in view.
 */
static void history_marker(struct term *t, const struct notice *n, const char *words)
{
	struct window *win;

	if (strcmp(n->keyword, "history-start") == 0) {
		snprintf(t->hist_start, sizeof(t->hist_start), "%s", words);
		t->hist_pending = true;
		t->hist_win = -1;
		return;
	}
	if (t->hist_pending) {
		win = t->opened_win >= 0 ? window_or_desk(t, t->opened_win) : t->wins->current;
		term_show_in(t, win, SHOW_NOTICE, NULL, time(NULL), "%s", t->hist_start);
		t->hist_pending = false;
	} else {
		win = t->hist_win >= 0 ? window_or_desk(t, t->hist_win) : t->wins->current;
	}
	if (words) /* NULL: the end of an empty answer, said by its start */
		term_show_in(t, win, SHOW_NOTICE, NULL, time(NULL), "%s", words);
	t->hist_win = -1;
	t->opened_win = -1;
}

void termwin_typed(struct term *t)
{
	t->opened_win = -1;
}

bool termwin_notice(struct term *t, const struct notice *n, const char *words)
{
	struct window *win;
	char said[512];

	if (!t->wins)
		return false;
	if ((words && notice_is(n, "history-start", 1)) ||
	    ((words || t->hist_pending) && notice_is(n, "history-end", 0))) {
		history_marker(t, n, words);
		return true;
	}
	/* The prompt and the status line show the turn; pong answers a ping nobody typed. */
	if (!words || notice_is(n, "turn", 0) || notice_is(n, "pong", 0) ||
	    notice_is(n, "bye", 0)) {
		term_update_prompt(t);
		return true;
	}
	win = window_of(t, n);
	if (notice_is(n, "transferred", 2))
		snprintf(said, sizeof(said), "%s was transferred to %s", n->args[0], n->args[1]);
	else if (notice_is(n, "transferred", 1))
		snprintf(said, sizeof(said), "%s went back to the line", n->args[0]);
	else
		snprintf(said, sizeof(said), "%s", words);
	term_show_in(t, win, notice_is(n, "error", 0) ? SHOW_ERROR : SHOW_NOTICE, NULL, time(NULL),
		     "%s", said);
	if (notice_is(n, "customer", 1))
		t->opened_win = win != windows_desk(t->wins) ? (int)win->num : -1;
	if (ends_conv(n) && win != windows_desk(t->wins))
		windows_close(t->wins, win);
	term_update_prompt(t);
	return true;
}

/* Clear the screen and show the current window's last lines, the newest just above the
 * status line. */
static void redraw_window(struct term *t)
{
	const struct window *win = t->wins->current;
	size_t rows = (size_t)(term_screen_rows() > 3 ? term_screen_rows() - 2 : 1);
	size_t first = win->count > rows ? win->count - rows : 0;

	printf("\033[H\033[2J");
	for (size_t i = win->count - first; i < rows; i++)
		putchar('\n');
	for (size_t i = first; i < win->count; i++)
		printf("%s\n", window_line(win, i));
	term_draw(t);
}

static void switch_to(struct term *t, unsigned num)
{
	if (windows_switch(t->wins, num) < 0) {
		term_show_in(t, NULL, SHOW_ERROR, NULL, time(NULL), "There is no window %u", num);
		return;
	}
	redraw_window(t);
}

/* "/win N" */
int termwin_cmd_win(struct term *t, const char *line)
{
	const char *arg = line + strlen("win ");
	char *end;
	unsigned long num = strtoul(arg, &end, 10);

	if (!t->wins) {
		term_show_in(t, NULL, SHOW_ERROR, NULL, time(NULL),
			     "No windows: this desk gives you one conversation at a time");
		return 0;
	}
	if (*arg < '0' || *arg > '9' || *end || num >= WINDOWS_MAX) {
		term_show_in(t, NULL, SHOW_ERROR, NULL, time(NULL), "Usage: /win N");
		return 0;
	}
	switch_to(t, (unsigned)num);
	return 0;
}

/* The customer a command is about: the current window's, or the one conversation's. */
static const char *customer_here(struct term *t)
{
	const char *peer = session_peer(t->session);

	if (t->wins)
		return termwin_customer(t);
	return *peer ? peer : NULL;
}

/*
 * "/next [NAME]", "/kick [NAME]", "/transfer [AGENT]": the customer defaults to the one in
 * view. With one conversation, /next and /kick go as typed, as they always did.
 */
int termwin_cmd_customer(struct term *t, const char *line)
{
	char body[FD_FRAME_BODY_BUFSIZE];
	const char *sp = strchr(line, ' ');
	const char *arg = sp ? sp + 1 : "";
	const char *name = customer_here(t);
	size_t verb = sp ? (size_t)(sp - line) : strlen(line);
	bool transfer = strncmp(line, "transfer", verb) == 0;

	if (!t->wins && !transfer) {
		if (strcmp(line, "kick") == 0) {
			term_show_in(t, NULL, SHOW_ERROR, NULL, time(NULL), "Usage: /kick NAME");
			return 0;
		}
		return session_command(t->session, line);
	}
	if (!transfer && *arg)
		return session_command(t->session, line);
	if (!name) {
		term_show_in(t, NULL, SHOW_ERROR, NULL, time(NULL),
			     "No customer here: /win N to a conversation first%s",
			     transfer ? "" : ", or name one");
		return 0;
	}
	snprintf(body, sizeof(body), "%.*s %s%s%s", (int)verb, line, name, *arg ? " " : "", arg);
	return session_command(t->session, body);
}

/* "/canned" alone: the replies the desk listed. */
static void list_canned(struct term *t, const struct canned *c)
{
	if (c->n == 0 && c->more == 0)
		term_show_in(t, NULL, SHOW_NOTICE, NULL, time(NULL), "No canned replies");
	for (size_t i = 0; i < c->n; i++)
		term_show_in(t, NULL, SHOW_NOTICE, NULL, time(NULL), "%s: %s", c->reply[i].name,
			     c->reply[i].text);
	if (c->more)
		term_show_in(t, NULL, SHOW_NOTICE, NULL, time(NULL),
			     "... and %lu more, not listed (they are sent by name all the same)",
			     c->more);
}

/*
 * "/canned NAME": that reply to the customer in view; "/canned" alone lists them. The desk
 * sends it as if typed, and tells us nothing more: the text is shown here as ours, from the
 * list, and the turn passes as after a typed line.
 */
int termwin_cmd_canned(struct term *t, const char *line)
{
	const struct canned *c = session_canned(t->session);
	const char *key = line[strlen("canned")] ? line + strlen("canned ") : "";
	const char *name = customer_here(t), *text;
	int r;

	if (!*key) {
		list_canned(t, c);
		return 0;
	}
	if (!name) {
		term_show_in(t, NULL, SHOW_ERROR, NULL, time(NULL),
			     "No customer here: /win N to a conversation first");
		return 0;
	}
	r = session_send_canned(t->session, key, name, &text);
	if (r < 0)
		return r;
	if (text)
		term_show_in(t, NULL, SHOW_SELF, session_nick(t->session), time(NULL), "%s", text);
	term_update_prompt(t);
	return 0;
}

/* Tab after "/canned ": the names of the canned replies, one per call (libedit's way). */
static char *canned_names(const char *text, int state)
{
	struct term *t = term_current();
	const char *name;

	if (!t)
		return NULL;
	if (!state)
		t->complete_at = 0;
	name = canned_complete(session_canned(t->session), text, &t->complete_at);
	return name ? strdup(name) : NULL;
}

/* Only "/canned NAME" completes; elsewhere Tab does nothing (no file names in a chat). */
static char **complete(const char *text, int start, int end)
{
	rl_attempted_completion_over = 1;
	if (start == (int)strlen("/canned ") && strncmp(rl_line_buffer, "/canned ", 8) == 0)
		return rl_completion_matches(text, canned_names);
	return NULL;
}

void termwin_completion(void)
{
	rl_attempted_completion_function = complete;
}
