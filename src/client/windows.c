/* SPDX-License-Identifier: ISC */
/*
 * windows.c - an agent's windows and their scrollback (see windows.h).
 *
 * The windows are a fixed array, win[0] the desk; a window's number is not its index (numbers
 * stay while others come and go, indexes are reused). Lines are copies in a ring per window,
 * allocated when the window opens and freed when it goes.
 */
#include "windows.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void window_clear(struct window *win)
{
	for (size_t i = 0; win->lines && i < win->count; i++)
		free(win->lines[(win->first + i) % WINDOW_LINES]);
	free(win->lines);
	memset(win, 0, sizeof(*win));
}

static int window_setup(struct window *win, unsigned num, const char *name, const char *conv)
{
	win->lines = calloc(WINDOW_LINES, sizeof(*win->lines));
	if (!win->lines)
		return -ENOMEM;
	win->used = true;
	win->num = num;
	snprintf(win->name, sizeof(win->name), "%s", name);
	snprintf(win->conv, sizeof(win->conv), "%s", conv ? conv : "");
	return 0;
}

int windows_init(struct windows *w)
{
	memset(w, 0, sizeof(*w));
	if (window_setup(&w->win[0], 0, WINDOW_DESK_NAME, NULL) < 0)
		return -ENOMEM;
	w->current = &w->win[0];
	return 0;
}

void windows_deinit(struct windows *w)
{
	for (size_t i = 0; i < WINDOWS_MAX; i++)
		window_clear(&w->win[i]);
	w->current = NULL;
}

struct window *windows_find(struct windows *w, const char *name)
{
	for (size_t i = 1; i < WINDOWS_MAX; i++)
		if (w->win[i].used && strcmp(w->win[i].name, name) == 0)
			return &w->win[i];
	return NULL;
}

struct window *windows_find_conv(struct windows *w, const char *conv)
{
	for (size_t i = 1; conv && *conv && i < WINDOWS_MAX; i++)
		if (w->win[i].used && strcmp(w->win[i].conv, conv) == 0)
			return &w->win[i];
	return NULL;
}

static const struct window *find_num(const struct windows *w, unsigned num)
{
	for (size_t i = 0; i < WINDOWS_MAX; i++)
		if (w->win[i].used && w->win[i].num == num)
			return &w->win[i];
	return NULL;
}

struct window *windows_num(struct windows *w, unsigned num)
{
	return (struct window *)find_num(w, num);
}

struct window *windows_desk(struct windows *w)
{
	return &w->win[0];
}

/* A free slot; when there is none, the lowest-numbered closed window not in view gives way. */
static struct window *free_slot(struct windows *w)
{
	struct window *victim = NULL;

	for (size_t i = 1; i < WINDOWS_MAX; i++) {
		struct window *win = &w->win[i];

		if (!win->used)
			return win;
		if (win->closed && win != w->current && (!victim || win->num < victim->num))
			victim = win;
	}
	if (victim)
		window_clear(victim);
	return victim;
}

static unsigned lowest_free_number(struct windows *w)
{
	unsigned num = 1;

	while (windows_num(w, num))
		num++;
	return num;
}

struct window *windows_open(struct windows *w, const char *name, const char *conv)
{
	struct window *win = windows_find(w, name);

	if (win) {
		/* The same customer again (a new conversation, or a resume): its lines stay. */
		win->closed = false;
		if (conv && *conv)
			snprintf(win->conv, sizeof(win->conv), "%s", conv);
		return win;
	}
	win = free_slot(w);
	if (!win || window_setup(win, lowest_free_number(w), name, conv) < 0)
		return NULL;
	return win;
}

/* Drop the oldest line of @win. */
static void drop_oldest(struct window *win)
{
	char **slot = &win->lines[win->first];

	win->bytes -= strlen(*slot);
	free(*slot);
	*slot = NULL;
	win->first = (win->first + 1) % WINDOW_LINES;
	win->count--;
}

int windows_add(struct windows *w, struct window *win, const char *line, bool counted)
{
	size_t len = strlen(line);
	char *copy = strdup(line);

	if (!copy)
		return -ENOMEM;
	while (win->count > 0 && (win->count == WINDOW_LINES || win->bytes + len > WINDOW_BYTES))
		drop_oldest(win);
	win->lines[(win->first + win->count) % WINDOW_LINES] = copy;
	win->count++;
	win->bytes += len;
	if (counted && win != w->current)
		win->unread++;
	return 0;
}

const char *window_line(const struct window *win, size_t i)
{
	if (i >= win->count)
		return NULL;
	return win->lines[(win->first + i) % WINDOW_LINES];
}

void windows_close(struct windows *w, struct window *win)
{
	if (win != &w->win[0]) {
		win->closed = true;
		win->turn = false;
	}
}

int windows_switch(struct windows *w, unsigned num)
{
	struct window *to = windows_num(w, num), *from = w->current;

	if (!to)
		return -ENOENT;
	to->unread = 0;
	w->current = to;
	if (from != to && from->closed)
		window_clear(from);
	return 0;
}

unsigned windows_step(const struct windows *w, int step)
{
	unsigned cur = w->current->num, best = cur, lowest = cur, highest = cur;
	bool found = false;

	for (size_t i = 0; i < WINDOWS_MAX; i++) {
		unsigned n = w->win[i].num;

		if (!w->win[i].used)
			continue;
		lowest = n < lowest ? n : lowest;
		highest = n > highest ? n : highest;
		/* The nearest number past the current one in the direction of @step. */
		if ((step > 0 && n > cur && (!found || n < best)) ||
		    (step < 0 && n < cur && (!found || n > best))) {
			best = n;
			found = true;
		}
	}
	if (!found)
		return step > 0 ? lowest : highest;
	return best;
}

void windows_status(const struct windows *w, char *buf, size_t len)
{
	size_t used = 0;

	if (len == 0)
		return;
	buf[0] = '\0';
	/* In number order, whatever their slots; a number is never above WINDOWS_MAX - 1. */
	for (unsigned num = 0; num < WINDOWS_MAX; num++) {
		const struct window *win = find_num(w, num);
		char unread[24] = "";
		int r;

		if (!win)
			continue;
		if (win->unread)
			snprintf(unread, sizeof(unread), "(%u)", win->unread);
		r = snprintf(buf + used, len - used, "%s[%s%u:%s%s%s%s]", used ? " " : "",
			     win == w->current ? "*" : "", win->num, win->name, unread,
			     win->turn ? "!" : "", win->closed ? "~" : "");
		if (r < 0 || (size_t)r >= len - used)
			return;
		used += (size_t)r;
	}
}
