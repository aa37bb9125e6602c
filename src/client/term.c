/* SPDX-License-Identifier: ISC */
/*
 * term.c - the interactive client: libedit on the libevent loop, one thread.
 *
 * The keyboard is an event on stdin whose callback feeds libedit one character at a time
 * (rl_callback_read_char); a whole line comes back through on_line(). Incoming messages are
 * printed above the line being edited: erase the prompt and input from the screen, print,
 * and let libedit draw them again (rl_forced_update_display), so what the user is typing is
 * never mangled and the cursor stays where it was.
 *
 * libedit's callback interface takes no user pointer, so the one running client is reached
 * through the file-scope `current` below: the only mutable global in the client, forced by
 * that API, set in term_run() and cleared before it returns.
 *
 * A row may sit above the prompt (status_rows): an agent's windows (term-win.c), or a room's
 * topic. It is erased and drawn with the prompt, and counted as it was drawn, since the topic
 * may come or go between the two. The commands typed as "/name" are term-cmd.c's.
 *
 * After each line libedit leaves "unbuffered" mode (its next el_gets() would block for a whole
 * line), so on_line() always installs the handler again; that also draws the new prompt.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>

#include <editline/readline.h>
#include <event2/event.h>

#include "client.h"
#include "session.h"
#include "term-priv.h"
#include "utf8.h"

/* Longest wait between automatic reconnection attempts, in seconds. */
#define BACKOFF_MAX 30
/*
 * Seconds after a server's restart within which its session is still worth resuming: the
 * daemon's resume_grace by default (README, Resume); the client cannot know the server's.
 */
#define RESTART_WINDOW 120

/* The running client, for libedit's pointer-less callback (see the note at the top). */
static struct term *current;

static void on_line(char *line);

/* Display columns of @len bytes of UTF-8 (wide characters count two). */
static int text_width(const char *s, size_t len)
{
	mbstate_t st;
	size_t i = 0;
	int w = 0;

	memset(&st, 0, sizeof(st));
	while (i < len) {
		wchar_t wc;
		size_t n = mbrtowc(&wc, s + i, len - i, &st);
		int cw;

		if (n == (size_t)-1 || n == (size_t)-2) {
			memset(&st, 0, sizeof(st));
			w++;
			i++;
			continue;
		}
		if (n == 0)
			n = 1;
		cw = wcwidth(wc);
		w += cw > 0 ? cw : 0;
		i += n;
	}
	return w;
}

struct term *term_current(void)
{
	return current;
}

int term_screen_cols(void)
{
	int rows = 0, cols = 0;

	rl_get_screen_size(&rows, &cols);
	return cols > 0 ? cols : 80;
}

int term_screen_rows(void)
{
	int rows = 0, cols = 0;

	rl_get_screen_size(&rows, &cols);
	return rows > 0 ? rows : 24;
}

/* Rows of the screen from the prompt's first row to the one holding column @width. */
static int rows_before(int width)
{
	return width / term_screen_cols();
}

/*
 * Move to where the prompt starts (with windows, the status line above it) and clear from there
 * down: the input is off the screen.
 */
static void erase_input(void)
{
	int col = text_width(current->prompt, strlen(current->prompt));
	int row;

	if (rl_line_buffer && rl_point > 0)
		col += text_width(rl_line_buffer, (size_t)rl_point);
	row = rows_before(col) + current->status_rows;
	if (row > 0)
		printf("\r\033[%dA\033[J", row);
	else
		printf("\r\033[J");
	current->status_rows = 0;
}

void term_print_status(struct term *t, char *line)
{
	int cols = term_screen_cols() - 1, width = 0;
	size_t i = 0;

	utf8_make_printable(line, strlen(line)); /* the names, the topic came from the server */
	/* One row, never wrapped: cut at the last character that fits (UTF-8 boundaries). */
	while (line[i] && width < cols) {
		i++;
		while ((line[i] & 0xc0) == 0x80)
			i++;
		width++;
	}
	line[i] = '\0';
	printf("\r\033[K%s%s%s\n", t->opts->colour ? "\033[7m" : "", line,
	       t->opts->colour ? "\033[0m" : "");
	t->status_rows = 1;
}

/*
 * The row above the prompt: an agent's windows, or a room's topic while there is one. A room
 * without a topic, and the desk, keep the screen as it always was.
 */
static void draw_status(struct term *t)
{
	char line[640]; /* "Topic: " and the topic as the session keeps it (512 bytes) */
	const char *topic = session_topic(t->session);

	if (t->wins) {
		termwin_status(t);
	} else if (*topic && session_group(t->session)) {
		snprintf(line, sizeof(line), "Topic: %s", topic);
		term_print_status(t, line);
	}
}

static const char *colour_of(enum show_kind kind)
{
	switch (kind) {
	case SHOW_PEER:
		return "\033[1;36m";
	case SHOW_SELF:
		return "\033[1;32m";
	case SHOW_NOTICE:
		return "\033[33m";
	case SHOW_ERROR:
		return "\033[1;31m";
	case SHOW_PRIVATE:
		return "\033[1;35m";
	}
	return "";
}

/* "[HH:MM] " into @buf, with the date when @when is not today: history may be old. */
static size_t format_stamp(const struct term *t, time_t when, char *buf, size_t len)
{
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm, today;
	bool same_day;
	int n;

	localtime_r(&now, &today);
	if (!localtime_r(&when, &tm))
		tm = today;
	same_day = tm.tm_year == today.tm_year && tm.tm_yday == today.tm_yday;
	strftime(stamp, sizeof(stamp), same_day ? "%H:%M" : "%Y-%m-%d %H:%M", &tm);
	n = snprintf(buf, len, t->opts->colour ? "\033[2m[%s]\033[0m " : "[%s] ", stamp);
	return n > 0 && (size_t)n < len ? (size_t)n : 0;
}

/* One line as shown: stamp, speaker or "* ", the text made harmless, colours. */
static void format_line(struct term *t, enum show_kind kind, const char *who, time_t when,
			const char *fmt, va_list ap, char *line, size_t len)
{
	bool colour = t->opts->colour;
	char text[FD_FRAME_BODY_BUFSIZE + 64];
	size_t used = 0;
	int n;

	line[0] = '\0';
	if (t->opts->stamps)
		used = format_stamp(t, when, line, len);
	if (who) {
		char name[SESSION_NICK_MAX];

		/* Names come from the server as much as the text does: shown the same way. */
		snprintf(name, sizeof(name), "%s", who);
		utf8_make_printable(name, strlen(name));
		snprintf(line + used, len - used, "%s%s:%s ", colour ? colour_of(kind) : "", name,
			 colour ? "\033[0m" : "");
	} else if (kind == SHOW_ERROR || kind == SHOW_NOTICE) {
		snprintf(line + used, len - used, "%s* ", colour ? colour_of(kind) : "");
	} else if (kind == SHOW_PRIVATE) {
		snprintf(line + used, len - used, "%s", colour ? colour_of(kind) : "");
	}
	/* What peers wrote is shown, never obeyed: no escape sequences, no line breaks. */
	n = vsnprintf(text, sizeof(text), fmt, ap);
	if (n > 0)
		utf8_make_printable(text, strlen(text));
	used = strlen(line);
	snprintf(line + used, len - used, "%s%s", n > 0 ? text : "",
		 colour && !who ? "\033[0m" : "");
}

/* Print @line above the prompt, which libedit draws again under it. */
static void print_line(struct term *t, const char *line)
{
	if (t->editing && !t->in_handler)
		erase_input();
	printf("%s\n", line);
	if (t->editing && !t->in_handler)
		draw_status(t);
	fflush(stdout);
	if (t->editing && !t->in_handler)
		rl_forced_update_display();
}

static void vshow_at(struct term *t, struct window *win, enum show_kind kind, const char *who,
		     time_t when, const char *fmt, va_list ap)
{
	char line[FD_FRAME_BODY_BUFSIZE + 256];

	format_line(t, kind, who, when, fmt, ap, line, sizeof(line));
	if (!t->wins) {
		print_line(t, line);
		return;
	}
	/*
	 * With windows, every line is kept in its window; the one in view is shown too. The
	 * desk's routine notices (how many wait) are kept but not counted as unread.
	 */
	if (!win)
		win = t->wins->current;
	windows_add(t->wins, win, line, win != windows_desk(t->wins) || kind != SHOW_NOTICE);
	/* An ended window goes when left: what was said or answered in it stays at the desk. */
	if (win == t->wins->current && win->closed && (kind == SHOW_NOTICE || kind == SHOW_ERROR))
		windows_add(t->wins, windows_desk(t->wins), line, false);
	if (win == t->wins->current)
		print_line(t, line);
	else
		term_update_prompt(t); /* the status line: its unread count */
}

void term_show_in(struct term *t, struct window *win, enum show_kind kind, const char *who,
		  time_t when, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vshow_at(t, win, kind, who, when, fmt, ap);
	va_end(ap);
}

static void show_at(struct term *t, enum show_kind kind, const char *who, time_t when,
		    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void show_at(struct term *t, enum show_kind kind, const char *who, time_t when,
		    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vshow_at(t, NULL, kind, who, when, fmt, ap);
	va_end(ap);
}

/* show() - show_at() now: what happens here, not a message the server dated. */
static void show(struct term *t, enum show_kind kind, const char *who, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void show(struct term *t, enum show_kind kind, const char *who, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vshow_at(t, NULL, kind, who, time(NULL), fmt, ap);
	va_end(ap);
}

/* The prompt says whose turn it is: while it is not ours, Enter does not send. */
static void make_prompt(struct term *t, char *buf, size_t len)
{
	struct session *s = t->session;
	const char *nick = session_nick(s), *peer = session_peer(s);

	if (t->mode == TERM_ASK)
		snprintf(buf, len, "Reconnect? [Y/n] ");
	else if (session_state(s) == SESSION_OPEN && termwin_prompt(t, buf, len))
		return;
	else if (session_state(s) != SESSION_OPEN)
		snprintf(buf, len, "(not connected) %s> ", nick);
	else if (session_may_send(s))
		snprintf(buf, len, "%s%s> ", session_operator(s) ? "@" : "", nick);
	else if (t->opts->session.agent && !*peer)
		snprintf(buf, len, "(no customer yet) %s> ", nick);
	else if (session_awaiting_reply(s) && *peer)
		snprintf(buf, len, "(waiting for %s to reply) %s> ", peer, nick);
	else if (session_awaiting_reply(s))
		snprintf(buf, len, "(waiting for a reply) %s> ", nick);
	else
		snprintf(buf, len, "(%s's turn) %s> ", *peer ? peer : "their", nick);
	/* Both names came from the server (welcome, serving, customer). */
	utf8_make_printable(buf, strlen(buf));
}

/* Redraw the prompt when the state behind it changed (with windows, the status line too). */
void term_update_prompt(struct term *t)
{
	char prompt[sizeof(t->prompt)];

	make_prompt(t, prompt, sizeof(prompt));
	if (strcmp(prompt, t->prompt) == 0 && !t->wins)
		return;
	if (t->editing && !t->in_handler)
		erase_input();
	snprintf(t->prompt, sizeof(t->prompt), "%s", prompt);
	rl_set_prompt(t->prompt);
	if (t->editing && !t->in_handler) {
		draw_status(t);
		fflush(stdout);
		rl_forced_update_display();
	}
}

void term_erase(struct term *t)
{
	if (t->editing && !t->in_handler)
		erase_input();
}

void term_draw(struct term *t)
{
	make_prompt(t, t->prompt, sizeof(t->prompt));
	rl_set_prompt(t->prompt);
	if (t->editing && !t->in_handler) {
		draw_status(t);
		fflush(stdout);
		rl_forced_update_display();
	}
}

static void start_editing(struct term *t)
{
	make_prompt(t, t->prompt, sizeof(t->prompt));
	rl_callback_handler_install(t->prompt, on_line);
	t->editing = true;
}

static void stop_editing(struct term *t)
{
	if (!t->editing)
		return;
	erase_input();
	fflush(stdout);
	rl_callback_handler_remove();
	t->editing = false;
}

static void leave(struct term *t, int code)
{
	t->exit_code = code;
	t->leaving = true;
	event_base_loopbreak(t->base);
}

/* The user is done: say goodbye to the server, exit when it has closed. */
void term_quit(struct term *t)
{
	t->leaving = true;
	t->exit_code = EXIT_OK;
	if (session_state(t->session) == SESSION_OPEN)
		session_quit(t->session);
	else
		leave(t, t->mode == TERM_ASK ? EXIT_FAILURE_ : EXIT_OK);
}

static void lost(struct term *t, int err, const char *why);

/*
 * Connect (again); a failure that is known at once (a Unix socket not there, or refused) is
 * handled like a lost connection, never as -EPERM: lost() reads that as refused for good.
 */
static void connect_now(struct term *t)
{
	int r;

	t->mode = TERM_CHAT;
	r = session_connect(t->session);
	if (r < 0)
		lost(t, r == -EPERM ? -EACCES : r, session_error(t->session));
	term_update_prompt(t);
}

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
	connect_now(arg);
}

/*
 * A server that granted "resume" keeps the conversation for a while after a drop: try to get
 * it back at once, without asking (asking is for a connection that is over). Later tries, if
 * this one cannot connect, resume too: session_connect() does while the token is held.
 */
static bool resume_now(struct term *t)
{
	static const struct timeval now = { 0, 0 };

	if (t->resuming || !session_resumable(t->session))
		return false;
	t->resuming = true;
	t->lost_at = time(NULL);
	show(t, SHOW_NOTICE, NULL, "Resuming the conversation (Ctrl-D to give up)");
	evtimer_add(t->retry_timer, &now);
	term_update_prompt(t);
	return true;
}

/*
 * The server said "shutting-down": it is restarting, and keeps our session for us. The try at
 * once most likely finds it still down; try again after a growing pause while the session may
 * still wait, rather than ask and join afresh (renamed: the session holds our name).
 */
static bool resume_after_restart(struct term *t)
{
	struct timeval tv = { 0, 0 };

	if (!t->resuming || !session_resumable(t->session) || !session_restarting(t->session) ||
	    time(NULL) - t->lost_at > RESTART_WINDOW)
		return false;
	t->backoff = t->backoff ? t->backoff * 2 : 1;
	if (t->backoff > BACKOFF_MAX)
		t->backoff = BACKOFF_MAX;
	show(t, SHOW_NOTICE, NULL, "Resuming in %u s (Ctrl-D to give up)", t->backoff);
	tv.tv_sec = t->backoff;
	evtimer_add(t->retry_timer, &tv);
	term_update_prompt(t);
	return true;
}

/*
 * The connection is gone (or never came). Without --reconnect, a first failure ends the
 * program; a later one asks (unless it can be resumed at once); with it, try again after a
 * growing pause.
 */
static void lost(struct term *t, int err, const char *why)
{
	struct timeval tv;

	if (t->leaving) {
		leave(t, t->exit_code);
		return;
	}
	if (err == 0) {
		if (*why)
			show(t, SHOW_NOTICE, NULL, "%s", why);
		leave(t, EXIT_OK);
		return;
	}
	if (err == -EPERM) {
		/* Refused for good (agent-not-allowed): another try would only be refused again. */
		show(t, SHOW_ERROR, NULL, "%s", why);
		leave(t, EXIT_FAILURE_);
		return;
	}
	if (!t->opts->reconnect && !t->ever_open) {
		char shown[FD_FRAME_BODY_BUFSIZE];

		stop_editing(t);
		/* @why may quote the server (a TLS failure names its certificate). */
		snprintf(shown, sizeof(shown), "%s", why);
		utf8_make_printable(shown, strlen(shown));
		fprintf(stderr, "frontdesk: %s\n", shown);
		leave(t, EXIT_FAILURE_);
		return;
	}
	show(t, SHOW_ERROR, NULL, "%s", why);
	if (resume_now(t) || resume_after_restart(t))
		return;
	if (t->opts->reconnect) {
		t->backoff = t->backoff ? t->backoff * 2 : 1;
		if (t->backoff > BACKOFF_MAX)
			t->backoff = BACKOFF_MAX;
		show(t, SHOW_NOTICE, NULL, "Reconnecting in %u s (Ctrl-D to give up)", t->backoff);
		tv.tv_sec = t->backoff;
		tv.tv_usec = 0;
		evtimer_add(t->retry_timer, &tv);
	} else {
		t->mode = TERM_ASK;
	}
	term_update_prompt(t);
}

/* Connected; resumed, the notices that follow say where we stand ("Reconnected; ..."). */
static void on_opened(void *ui, bool resumed)
{
	struct term *t = ui;

	t->ever_open = true;
	t->backoff = 0;
	t->resuming = false;
	if (!resumed)
		show(t, SHOW_NOTICE, NULL, "Connected to %s as %s", session_target_name(t->session),
		     session_nick(t->session));
	term_update_prompt(t);
}

/* A private message, marked apart: "[private] bob: text", ours "[private to bob] text". */
static void show_private(struct term *t, const struct session_message *m, time_t when)
{
	if (m->from && strcmp(m->from, session_nick(t->session)) == 0)
		show_at(t, SHOW_PRIVATE, NULL, when, "[private to %s] %s", m->conv + 1, m->text);
	else
		show_at(t, SHOW_PRIVATE, NULL, when, "[private] %s: %s", m->from ? m->from : "?",
			m->text);
	term_update_prompt(t);
}

/*
 * A message: a tagged one names its sender; otherwise in group mode the body is "NICK: TEXT"
 * and at the desk it is the peer's. Our own comes back to us in a room (and in history).
 */
static void on_message(void *ui, const struct session_message *m)
{
	struct term *t = ui;
	const char *peer = session_peer(t->session), *text = m->text, *sep;
	char who[SESSION_NICK_MAX] = "";
	bool mine;
	/* The server's time of a tagged message: history, or one held in line, is not "now". */
	time_t when = m->time_ms > 0 ? (time_t)(m->time_ms / 1000) : time(NULL);

	termwin_check(t);
	if (termwin_message(t, m))
		return;
	if (session_private(m)) {
		show_private(t, m, when);
		return;
	}
	if (m->from) {
		snprintf(who, sizeof(who), "%s", m->from);
	} else if (!session_group(t->session)) {
		snprintf(who, sizeof(who), "%s", *peer ? peer : "them");
	} else if ((sep = strstr(text, ": ")) && sep > text &&
		   (size_t)(sep - text) < SESSION_NICK_MAX) {
		snprintf(who, sizeof(who), "%.*s", (int)(sep - text), text);
		text = sep + 2;
	}
	mine = (m->from || session_group(t->session)) && strcmp(who, session_nick(t->session)) == 0;
	show_at(t, mine ? SHOW_SELF : SHOW_PEER, *who ? who : NULL, when, "%s", text);
	term_update_prompt(t);
}

static void on_notice(void *ui, const struct notice *n, const char *words)
{
	struct term *t = ui;

	termwin_check(t);
	if (termwin_notice(t, n, words))
		return;
	/* The prompt shows the turn; pong answers a ping nobody typed. */
	if (words && !notice_is(n, "turn", 0) && !notice_is(n, "pong", 0) &&
	    !notice_is(n, "bye", 0))
		show(t, notice_is(n, "error", 0) ? SHOW_ERROR : SHOW_NOTICE, NULL, "%s", words);
	term_update_prompt(t);
}

static void on_closed(void *ui, int err, const char *why)
{
	lost(ui, err, why);
}

/* A line about a file: in its customer's window when an agent has one for it. */
static void on_file(void *ui, const struct session_file_note *note)
{
	struct term *t = ui;
	struct window *win = note->who && t->wins ? windows_find(t->wins, note->who) : NULL;

	term_show_in(t, win, note->kind == SESSION_FILE_ERROR ? SHOW_ERROR : SHOW_NOTICE, NULL,
		     time(NULL), "%s", note->words);
}

static const struct session_ops term_ops = {
	.opened = on_opened,
	.message = on_message,
	.notice = on_notice,
	.closed = on_closed,
	.file = on_file,
};

/* A line to send as a message, if the turn rule allows; otherwise it goes back to the editor. */
static void say(struct term *t, const char *text)
{
	struct session *s = t->session;
	int r;

	if (session_state(s) == SESSION_OPEN && termwin_say(t, text))
		return;
	if (session_state(s) != SESSION_OPEN || !session_may_send(s)) {
		t->stash = strdup(text);
		if (session_state(s) != SESSION_OPEN)
			show(t, SHOW_ERROR, NULL, "Not connected; your text is kept");
		else
			fputs("\a", stdout);
		return;
	}
	r = session_say(s, text);
	if (r < 0) {
		t->stash = strdup(text);
		show(t, SHOW_ERROR, NULL, "Cannot send that: %s",
		     r == -EMSGSIZE ? "too long"
		     : r == -EILSEQ ? "not UTF-8 text"
				    : strerror(-r));
		return;
	}
	add_history(text);
	/* In group mode the room sends our message back to us, in its place in the order. */
	if (!session_group(s))
		show(t, SHOW_SELF, session_nick(s), "%s", text);
}

static void answer_reconnect(struct term *t, const char *line)
{
	while (*line == ' ')
		line++;
	if (!*line || *line == 'y' || *line == 'Y')
		connect_now(t);
	else if (*line == 'n' || *line == 'N')
		leave(t, EXIT_FAILURE_);
}

/* libedit hands over a finished line (NULL for Ctrl-D on an empty line). */
static void on_line(char *line)
{
	struct term *t = current;
	int width = text_width(t->prompt, strlen(t->prompt));

	if (line)
		width += text_width(line, strlen(line));
	/* libedit moved below the input; take the echo off the screen, we print our own. */
	printf("\r\033[%dA\033[J", rows_before(width) + 1 + t->status_rows);
	t->status_rows = 0;
	t->in_handler = true;
	if (!line)
		term_quit(t);
	else if (t->mode == TERM_ASK)
		answer_reconnect(t, line);
	else if (line[0] == '/' && line[1] != '/')
		term_command(t, line + 1);
	else if (line[0])
		say(t, line[0] == '/' ? line + 1 : line);
	free(line);
	t->in_handler = false;
	fflush(stdout);
	if (t->leaving && session_state(t->session) != SESSION_QUITTING) {
		stop_editing(t);
		return;
	}
	make_prompt(t, t->prompt, sizeof(t->prompt));
	draw_status(t);
	rl_callback_handler_install(t->prompt, on_line);
	if (t->stash) {
		rl_insert_text(t->stash);
		free(t->stash);
		t->stash = NULL;
		erase_input();
		draw_status(t);
		fflush(stdout);
		rl_forced_update_display();
	}
}

static void on_stdin(evutil_socket_t fd, short what, void *arg)
{
	rl_callback_read_char();
}

/* Ctrl-C, SIGTERM, SIGHUP: leave as cleanly as Ctrl-D; SIGWINCH: tell libedit the new size. */
static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct term *t = arg;

	if (sig == SIGWINCH) {
		rl_resize_terminal();
		return;
	}
	if (t->leaving) {
		leave(t, t->exit_code);
		return;
	}
	term_quit(t);
}

static int setup_events(struct term *t)
{
	t->stdin_ev = event_new(t->base, STDIN_FILENO, EV_READ | EV_PERSIST, on_stdin, t);
	t->retry_timer = evtimer_new(t->base, on_retry, t);
	t->sigint_ev = evsignal_new(t->base, SIGINT, on_signal, t);
	t->sigterm_ev = evsignal_new(t->base, SIGTERM, on_signal, t);
	t->sighup_ev = evsignal_new(t->base, SIGHUP, on_signal, t);
	t->sigwinch_ev = evsignal_new(t->base, SIGWINCH, on_signal, t);
	if (!t->stdin_ev || !t->retry_timer || !t->sigint_ev || !t->sigterm_ev || !t->sighup_ev ||
	    !t->sigwinch_ev)
		return -ENOMEM;
	event_add(t->stdin_ev, NULL);
	event_add(t->sigint_ev, NULL);
	event_add(t->sigterm_ev, NULL);
	event_add(t->sighup_ev, NULL);
	event_add(t->sigwinch_ev, NULL);
	return 0;
}

static void free_event(struct event *ev)
{
	if (ev)
		event_free(ev);
}

int term_run(struct event_base *base, const struct client_options *opts)
{
	struct term t = { .base = base, .opts = opts, .exit_code = EXIT_FAILURE_ };

	if (session_new(base, &opts->session, &term_ops, &t, &t.session) < 0 ||
	    setup_events(&t) < 0) {
		fprintf(stderr, "frontdesk: out of memory\n");
		goto out;
	}
	current = &t;
	/* Signals are ours (on the loop), not libedit's. */
	rl_catch_signals = 0;
	rl_readline_name = "frontdesk";
	if (opts->session.agent)
		termwin_completion();
	start_editing(&t);
	connect_now(&t);
	if (!t.leaving)
		event_base_dispatch(base);
	stop_editing(&t);
out:
	session_free(t.session);
	free_event(t.stdin_ev);
	free_event(t.retry_timer);
	free_event(t.sigint_ev);
	free_event(t.sigterm_ev);
	free_event(t.sighup_ev);
	free_event(t.sigwinch_ev);
	free(t.stash);
	termwin_free(&t);
	current = NULL;
	return t.exit_code;
}
