/* SPDX-License-Identifier: ISC */
/*
 * windows.h - an agent's windows, one per conversation, in the spirit of irssi (protocol 7.5):
 * pure data, no terminal. term-win.c draws them.
 *
 * Window 0 is the desk: notices that belong to no customer. Every other window is one
 * customer's conversation and keeps its number while it is open; a new one takes the lowest
 * free number, so the numbers an agent has learnt (/win 2) stay true. A window keeps its
 * last WINDOW_LINES lines, at most WINDOW_BYTES of them (the oldest go first), and counts the
 * lines added while it was not the current one (its unread count, cleared on switching to it);
 * the caller says which lines count: routine status (how many wait) is not worth a look.
 *
 * A conversation that ends (the customer left, was transferred, timed out) leaves its window
 * marked closed, so that its last words can still be read; the window goes when the agent
 * switches away from it. When every window is taken, the lowest-numbered closed one that is not
 * current gives way to a new conversation.
 */
#ifndef FRONTDESK_CLIENT_WINDOWS_H
#define FRONTDESK_CLIENT_WINDOWS_H

#include <stdbool.h>
#include <stddef.h>

#define WINDOWS_MAX      101  /* the desk and up to 100 conversations (max_chats_per_agent) */
#define WINDOW_LINES     1000 /* lines of scrollback a window keeps... */
#define WINDOW_BYTES     (256 * 1024) /* ...and bytes */
#define WINDOW_NAME_MAX  132          /* a nickname: 32 characters of up to 4 bytes, and the NUL */
#define WINDOW_CONV_MAX  24           /* a conversation's ID ("c17"), as the server gives it */
#define WINDOW_DESK_NAME "desk"

struct window {
	bool used;
	unsigned num;               /* its number: /win N */
	char name[WINDOW_NAME_MAX]; /* the customer; WINDOW_DESK_NAME for window 0 */
	char conv[WINDOW_CONV_MAX]; /* "cN" when the server named it (ids), else "" */
	unsigned unread;            /* lines added while another window was current */
	bool turn;                  /* the customer waits for our answer (strict turns) */
	bool closed;                /* the conversation ended; the window goes when left */
	char **lines;               /* a ring of WINDOW_LINES, oldest at @first */
	size_t first, count, bytes;
};

struct windows {
	struct window win[WINDOWS_MAX]; /* win[0] is the desk */
	struct window *current;
};

/* windows_init() - the desk alone, current. Return: 0 or -ENOMEM. */
int windows_init(struct windows *w);
void windows_deinit(struct windows *w);

/*
 * windows_open() - the window for a conversation with @name (@conv may be "" or NULL): the one
 * it has (reopened, with its lines, if it was closed), or a new one. Return: NULL when all are
 * taken by open conversations, or for memory.
 */
struct window *windows_open(struct windows *w, const char *name, const char *conv);

/* windows_find() - the window of customer @name (open or closed), or NULL. */
struct window *windows_find(struct windows *w, const char *name);
/* windows_find_conv() - the window of conversation @conv ("cN"), or NULL. */
struct window *windows_find_conv(struct windows *w, const char *conv);
/* windows_num() - window number @num, or NULL. */
struct window *windows_num(struct windows *w, unsigned num);
struct window *windows_desk(struct windows *w);

/*
 * windows_add() - append @line to @win (a copy), oldest lines dropped past the bounds; its
 * unread count grows if @counted, unless it is current. Return: 0 or -ENOMEM (the line is lost).
 */
int windows_add(struct windows *w, struct window *win, const char *line, bool counted);

/* window_line() - line @i of @win, 0 the oldest kept. */
const char *window_line(const struct window *win, size_t i);

/* windows_close() - the conversation in @win ended: marked closed, it goes when left. */
void windows_close(struct windows *w, struct window *win);

/*
 * windows_switch() - make window @num current: its unread count is cleared; the window left,
 * if closed, goes. Return: 0, or -ENOENT when there is no such window.
 */
int windows_switch(struct windows *w, unsigned num);

/* windows_step() - the number of the next (@step 1) or previous (-1) window, wrapping. */
unsigned windows_step(const struct windows *w, int step);

/*
 * windows_status() - the status line into @buf: "[0:desk] [*1:bob] [2:carol(3)!] [3:dave~]",
 * "*" the current window, "(N)" unread lines, "!" a customer waiting for an answer, "~" an
 * ended conversation. Truncated to @len.
 */
void windows_status(const struct windows *w, char *buf, size_t len);

#endif
