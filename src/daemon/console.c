/* SPDX-License-Identifier: ISC */
/*
 * console.c - `frontdeskd --console`: the daemon's own terminal is the agent, as in the
 * original design where the service centre types at the server's prompt.
 *
 * The console is an ordinary agent connection: a bufferevent pair joins it to the server, so
 * the desk cannot tell it from an agent on the Unix socket and every rule (turns, held
 * messages, commands) applies unchanged. This file only translates: typed lines become frames
 * (a line starting with '/' is a command), frames become printed lines. Both pair ends defer
 * their callbacks, so nothing here runs inside the server's own callbacks.
 *
 * End of input (Ctrl-D) or /quit stops the daemon, like closing the original service centre.
 */
#include "console.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "log.h"
#include "notice.h"
#include "server.h"
#include "utf8.h"

struct console {
	struct server *server;
	struct bufferevent *link;  /* our end of the pair; the server owns the other */
	struct bufferevent *input; /* the terminal */
	char customer[NICK_BUFSIZE];
	char body[FD_FRAME_BODY_BUFSIZE];
};

static void console_print(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* One line on the daemon's terminal; what customers wrote is shown, never obeyed. */
static void console_print(const char *fmt, ...)
{
	char line[FD_FRAME_BODY_BUFSIZE + 64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	utf8_make_printable(line, strlen(line));
	puts(line);
	fflush(stdout);
}

/* Notices in words, as the client shows them; a few also update what the console knows. */
static void show_notice(struct console *con, char *body)
{
	char words[FD_FRAME_BODY_BUFSIZE];
	struct notice n;

	if (notice_parse(body, &n) < 0)
		return;
	if (notice_is(&n, "customer", 1))
		snprintf(con->customer, sizeof(con->customer), "%s", n.args[0]);
	else if (notice_is(&n, "customer-left", 1))
		con->customer[0] = '\0';
	/* Bookkeeping and barrier replies are not news for a person. */
	if (notice_is(&n, "welcome", 0) || notice_is(&n, "turns", 0) || notice_is(&n, "pong", 0))
		return;
	notice_describe(&n, words, sizeof(words));
	console_print("* %s", words);
}

/* Frames from the server to the console agent. */
static void on_link_read(struct bufferevent *bev, void *arg)
{
	struct console *con = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct fd_frame f;
	size_t want;

	while (fd_frame_decode(in, FD_FRAME_MAX_LEN, con->body, &f, &want) == 1) {
		if (f.type == FD_FRAME_MESSAGE)
			console_print("%s: %s", con->customer[0] ? con->customer : "customer",
				      f.body);
		else if (f.type == FD_FRAME_NOTICE)
			show_notice(con, f.body);
	}
}

static void on_link_event(struct bufferevent *bev, short what, void *arg)
{
	struct console *con = arg;

	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		server_begin_shutdown(con->server, 0);
}

static void send_line(struct console *con, const char *line, size_t len)
{
	struct evbuffer *out = bufferevent_get_output(con->link);

	if (len == 0)
		return;
	if (len > FD_FRAME_MAX_BODY) {
		console_print("* That line is too long (at most %d bytes).", FD_FRAME_MAX_BODY);
		return;
	}
	if (line[0] == '/' && len > 1)
		fd_frame_encode(out, FD_FRAME_COMMAND, line + 1, len - 1);
	else
		fd_frame_encode(out, FD_FRAME_MESSAGE, line, len);
}

/* Typed lines. */
static void on_input_read(struct bufferevent *bev, void *arg)
{
	struct console *con = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t len;
	char *line;

	while ((line = evbuffer_readln(in, &len, EVBUFFER_EOL_CRLF))) {
		send_line(con, line, len);
		free(line);
	}
}

static void on_input_event(struct bufferevent *bev, short what, void *arg)
{
	struct console *con = arg;

	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
		console_print("* Console closed; stopping.");
		server_begin_shutdown(con->server, 0);
	}
}

int console_new(struct server *s, const char *nick, struct console **ret)
{
	struct bufferevent *pair[2];
	struct console *con = calloc(1, sizeof(*con));
	struct evbuffer *out;

	if (!con)
		return -ENOMEM;
	con->server = s;
	if (bufferevent_pair_new(s->base, BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS, pair) <
	    0) {
		free(con);
		return -ENOMEM;
	}
	con->link = pair[1];
	con->input = bufferevent_socket_new(s->base, STDIN_FILENO, BEV_OPT_DEFER_CALLBACKS);
	if (!con->input || !server_adopt(s, pair[0], ROLE_AGENT, "console", NULL)) {
		if (con->input)
			bufferevent_free(con->input);
		bufferevent_free(pair[1]);
		free(con);
		return -ENOMEM;
	}
	bufferevent_setcb(con->link, on_link_read, NULL, on_link_event, con);
	bufferevent_enable(con->link, EV_READ | EV_WRITE);
	bufferevent_setcb(con->input, on_input_read, NULL, on_input_event, con);
	bufferevent_enable(con->input, EV_READ);

	out = bufferevent_get_output(con->link);
	fd_frame_encode(out, FD_FRAME_NICKNAME, nick, strlen(nick));
	fd_frame_encode(out, FD_FRAME_COMMAND, "hello notices", 13);
	console_print("* You are the agent (%s). Type a reply and press Enter; /next, /queue, "
		      "/kick NAME; Ctrl-D stops the daemon.",
		      nick);
	*ret = con;
	return 0;
}

void console_free(struct console *con)
{
	if (!con)
		return;
	bufferevent_free(con->input);
	bufferevent_free(con->link);
	free(con);
}
