/* SPDX-License-Identifier: ISC */
/*
 * term-priv.h - the interactive client's insides, shared by term.c (libedit on the loop, the
 * prompt, the row above it), term-cmd.c (the commands) and term-win.c (an agent's windows, one
 * per conversation: protocol 7.5).
 */
#ifndef FRONTDESK_CLIENT_TERM_PRIV_H
#define FRONTDESK_CLIENT_TERM_PRIV_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "client.h"
#include "session.h"
#include "windows.h"

enum show_kind {
	SHOW_PEER,    /* a message from someone else */
	SHOW_SELF,    /* our own message */
	SHOW_NOTICE,  /* an event, in words */
	SHOW_ERROR,   /* something went wrong */
	SHOW_PRIVATE, /* a private message, either way (group mode) */
};

enum term_mode {
	TERM_CHAT,
	TERM_ASK, /* the line answers "Reconnect? [Y/n]" */
};

struct term {
	struct event_base *base;
	const struct client_options *opts;
	struct session *session;
	struct event *stdin_ev;
	struct event *sigint_ev, *sigterm_ev, *sighup_ev, *sigwinch_ev;
	struct event *retry_timer;
	enum term_mode mode;
	bool editing;    /* the libedit handler is installed */
	bool in_handler; /* inside on_line(): libedit is not drawing the line */
	bool leaving;    /* the user quit: the next close ends the program */
	bool ever_open;
	bool resuming;  /* since the drop, the one try at once to resume has been made */
	time_t lost_at; /* when that drop was (a restarting server's session waits a while) */
	/* Rows drawn above the prompt (the windows' status line, or a room's topic): 0 or 1. */
	int status_rows;
	char *stash; /* a line Enter did not send (not our turn): goes back into the editor */
	char prompt[160 + WINDOW_NAME_MAX];
	unsigned backoff;
	int exit_code;
	struct windows *wins; /* an agent granted "agent": one window per conversation */
	size_t complete_at;   /* Tab completion: where the next match is looked for */
	/*
	 * A history answer goes where its messages go (term-win.c): "history-start" waits in
	 * @hist_start until the first message shows the window (@hist_win, -1 until then); with
	 * none, the window a "customer NAME" just opened (@opened_win, -1: none) or the one in
	 * view.
	 */
	char hist_start[128];
	bool hist_pending;
	int hist_win, opened_win;
};

/*
 * term_show_in() - one line for @win (NULL: the current window, or the screen when there are
 * no windows), stamped @when. @who is the speaker of a message, NULL for notices and errors.
 * A line for a window not in view is kept there and counted as unread.
 */
void term_show_in(struct term *t, struct window *win, enum show_kind kind, const char *who,
		  time_t when, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* term_quit() - the user is done: say goodbye to the server, exit when it has closed. */
void term_quit(struct term *t);

/* term_command() - a line typed as "/name [arg]" (without the slash); @line may be cut. */
void term_command(struct term *t, char *line);

/* term_print_status() - @line (cut to one row) on the row above the prompt, reversed. */
void term_print_status(struct term *t, char *line);

/* term_current() - the running client, for libedit's callbacks without a user pointer. */
struct term *term_current(void);

/* term_update_prompt() - redraw the prompt (and the status line) when what they say changed. */
void term_update_prompt(struct term *t);

/* term_screen_rows() / term_screen_cols() - the terminal's size as libedit knows it. */
int term_screen_rows(void);
int term_screen_cols(void);

/* term_erase() - take the prompt (and the status line) off the screen, to print or redraw. */
void term_erase(struct term *t);
/* term_draw() - the prompt anew, the status line above it, drawn unless inside on_line(). */
void term_draw(struct term *t);

/* The windows (term-win.c); all of them do nothing, or return false, without windows. */

/* termwin_check() - the server granted "agent": from now on, one window per conversation. */
void termwin_check(struct term *t);
void termwin_free(struct term *t);
/* termwin_status() - print the status line, on the row above the prompt. */
void termwin_status(struct term *t);
/* termwin_prompt() - the prompt of the current window into @buf. */
bool termwin_prompt(struct term *t, char *buf, size_t len);
/* termwin_say() - a typed line: to the current window's customer, "NAME: " added. */
bool termwin_say(struct term *t, const char *text);
bool termwin_message(struct term *t, const struct session_message *m);
bool termwin_notice(struct term *t, const struct notice *n, const char *words);
/* termwin_typed() - the agent typed a command: what answers it belongs where it is. */
void termwin_typed(struct term *t);
/* termwin_customer() - the current window's customer, or NULL (the desk, or no windows). */
const char *termwin_customer(struct term *t);
/* termwin_completion() - Tab completes "/canned NAME" (agents). */
void termwin_completion(void);

/* Commands that know about windows: "/win N", "/transfer [AGENT]", "/canned [NAME]", ... */
int termwin_cmd_win(struct term *t, const char *line);
int termwin_cmd_customer(struct term *t, const char *line);
int termwin_cmd_canned(struct term *t, const char *line);

#endif
