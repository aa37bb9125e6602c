/* SPDX-License-Identifier: ISC */
/*
 * script.c - script mode: lines from stdin become messages, messages go to stdout one per
 * line, notices to stderr in words.
 *
 * Like the original customer client, it keeps to strict turns itself: a line is sent only
 * when session_may_send() says the server would relay it now, so lines wait in s->input (read
 * from stdin, not yet sent) until the reply comes. It ends when stdin is done, every line is
 * sent and the last one was answered; --timeout bounds each wait for the server.
 *
 * stdin may be a pipe or socket (watched by the event loop) or a regular file or /dev/null,
 * which epoll cannot watch; those are read to the end at once.
 *
 * A dropped connection that the server lets us resume (resume.h) is resumed at once, and
 * tried again after 1, 2, 4 ... seconds while within RESUME_WINDOW of the drop, so a piped
 * conversation survives a network failure: the lines not yet sent wait in s->input, those
 * sent are not sent again, the turn is where it was. A refused resume ends the run as a
 * lost connection always did: a new join would be a new conversation the script did not
 * start.
 *
 * An agent granted "agent" (several conversations, protocol 7.5) writes lines "NAME: text" and
 * reads messages the same way; the session does not hold them for turns then (each customer
 * has its own, and the desk holds what comes early), and the run waits at the end until every
 * customer written to has answered.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "client.h"
#include "clock.h"
#include "session.h"
#include "utf8.h"

/* Stop reading stdin while this much of it waits to be sent. */
#define INPUT_HIGH_WATER (256 * 1024)
/* Seconds after a drop within which resuming is tried again. */
#define RESUME_WINDOW 60
/* Seconds to wait for the server's first word before a quit with nothing to say (an old
 * server says nothing until spoken to). */
#define FIRST_WORD_WAIT 3

struct script {
	struct event_base *base;
	const struct client_options *opts;
	struct session *session;
	struct event *stdin_ev;
	struct event *timer;
	struct event *retry; /* the next try to resume */
	struct event *mute;  /* the server has not spoken yet: quit anyway once it fires */
	bool waited;         /* ... it fired: quit without its first word */
	struct evbuffer *input;
	bool stdin_eof;
	bool quitting;
	bool stdout_tty; /* messages are shown to a person, not handed to a program */
	int exit_code;
	bool not_sent; /* a /send failed: a normal end says so with EXIT_NOT_SENT */
	unsigned long lineno;
	double lost_at;   /* when the connection dropped (fd_clock_seconds()); 0: connected */
	unsigned backoff; /* seconds before the next try to resume */
};

static void pump(struct script *sc);

static void finish(struct script *sc, int code)
{
	sc->exit_code = code;
	event_base_loopbreak(sc->base);
}

/* (Re)start the wait for the server: --timeout seconds without news ends the run. */
static void arm_timer(struct script *sc)
{
	struct timeval tv = { .tv_sec = sc->opts->timeout };

	if (sc->opts->timeout)
		evtimer_add(sc->timer, &tv);
}

static void on_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct script *sc = arg;

	fprintf(stderr, "frontdesk: no answer from %s within %u seconds\n",
		session_target_name(sc->session), sc->opts->timeout);
	finish(sc, EXIT_FAILURE_);
}

/* Read what stdin has; returns false at end of input or on an error. */
static bool read_stdin(struct script *sc)
{
	int n = evbuffer_read(sc->input, STDIN_FILENO, 65536);

	if (n > 0)
		return true;
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return true;
	if (n < 0)
		fprintf(stderr, "frontdesk: reading standard input: %s\n", strerror(errno));
	sc->stdin_eof = true;
	if (sc->stdin_ev)
		event_del(sc->stdin_ev);
	return false;
}

static void on_stdin(evutil_socket_t fd, short what, void *arg)
{
	struct script *sc = arg;

	read_stdin(sc);
	if (evbuffer_get_length(sc->input) > INPUT_HIGH_WATER)
		event_del(sc->stdin_ev);
	pump(sc);
}

/* The next whole line of input (the last one may lack its newline at end of input). */
static char *next_line(struct script *sc)
{
	size_t len;
	char *line = evbuffer_readln(sc->input, &len, EVBUFFER_EOL_LF);

	if (!line && sc->stdin_eof && evbuffer_get_length(sc->input) > 0) {
		len = evbuffer_get_length(sc->input);
		line = malloc(len + 1);
		if (line) {
			evbuffer_remove(sc->input, line, len);
			line[len] = '\0';
		}
	}
	if (line && len > 0 && line[len - 1] == '\r')
		line[len - 1] = '\0';
	return line;
}

/*
 * Nothing more to say: quit. Not before the server has said anything, though: a refusal at the
 * door (a banned address) crossed by our quit may be lost with the connection, and the run
 * would end without saying why, as if all went well.
 */
static void quit_when_heard(struct script *sc)
{
	struct timeval tv = { .tv_sec = FIRST_WORD_WAIT };

	if (!session_heard(sc->session) && !sc->waited) {
		if (!evtimer_pending(sc->mute, NULL))
			evtimer_add(sc->mute, &tv);
		return;
	}
	evtimer_del(sc->mute);
	sc->quitting = true;
	session_quit(sc->session);
}

static void on_mute(evutil_socket_t fd, short what, void *arg)
{
	struct script *sc = arg;

	sc->waited = true;
	pump(sc);
}

/*
 * The line that asks the server something instead of saying it: exactly "/time" or "/info"
 * (issue 16), as the command without its slash. NULL: a message, as every other line is.
 */
static const char *script_command(const char *line)
{
	return strcmp(line, "/time") == 0 || strcmp(line, "/info") == 0 ? line + 1 : NULL;
}

/*
 * "/send PATH" (an agent with several conversations: "NAME: /send PATH") or "/get N": a file
 * (issue 19). Return: 1 when @line was neither, else as session_command(); a refusal is said
 * here, and the run goes on.
 */
static int file_command(struct script *sc, const char *line)
{
	struct session *s = sc->session;
	const char *sep = strstr(line, ": /send ");
	char to[SESSION_NICK_MAX], err[1024];
	int r;

	if ((strncmp(line, "/send ", 6) == 0 || (session_multi(s) && sep)) &&
	    !session_files_settled(s)) {
		return -EINPROGRESS; /* the server has yet to say whether it takes files */
	} else if (strncmp(line, "/get ", 5) == 0) {
		r = session_get_file(s, (unsigned)strtoul(line + 5, NULL, 10), err, sizeof(err));
	} else if (session_multi(s) && sep && (size_t)(sep - line) < sizeof(to)) {
		snprintf(to, sizeof(to), "%.*s", (int)(sep - line), line);
		r = session_send_file(s, sep + 8, to, err, sizeof(err));
	} else if (strncmp(line, "/send ", 6) == 0) {
		r = session_send_file(s, line + 6, NULL, err, sizeof(err));
	} else {
		return 1;
	}
	if (r < 0 && r != -ENOTCONN)
		fprintf(stderr, "frontdesk: line %lu: %s; not sent\n", sc->lineno, err);
	/* A /get that cannot start is said, not counted: the run was not asked to receive. */
	if (r < 0 && r != -ENOTCONN && strncmp(line, "/get ", 5) != 0)
		sc->not_sent = true;
	return r == -ENOTCONN ? r : 0;
}

/* Send lines while the turn rule allows; quit once everything is said and answered. */
static void pump(struct script *sc)
{
	struct session *s = sc->session;
	char *line;

	if (sc->quitting || session_state(s) != SESSION_OPEN)
		return;
	/* Stop while the server takes our output slower than stdin gives it: memory stays bounded.
	 */
	/* A file on its way keeps its place: the lines after it wait until it is sent. */
	while (session_may_send(s) && !session_output_full(s) && !session_files_sending(s) &&
	       (line = next_line(sc))) {
		int r;

		sc->lineno++;
		if (!*line) {
			free(line);
			continue;
		}
		/* The answer is a notice: nothing waits for it, in turns or at the end. */
		if (script_command(line))
			r = session_command(s, script_command(line));
		else if ((r = file_command(sc, line)) == 1)
			r = session_say(s, line);
		if (r == -EINPROGRESS) { /* back in its place, for when the server has said */
			evbuffer_prepend(sc->input, "\n", 1);
			evbuffer_prepend(sc->input, line, strlen(line));
			sc->lineno--;
			free(line);
			break;
		}
		free(line);
		if (r == -EMSGSIZE || r == -EILSEQ) {
			fprintf(stderr, "frontdesk: line %lu %s; not sent\n", sc->lineno,
				r == -EMSGSIZE ? "is too long" : "is not UTF-8 text");
			continue;
		}
		if (r < 0)
			return;
		arm_timer(sc);
	}
	if (sc->stdin_ev && !sc->stdin_eof && evbuffer_get_length(sc->input) < INPUT_HIGH_WATER / 2)
		event_add(sc->stdin_ev, NULL);
	if (sc->stdin_eof && evbuffer_get_length(sc->input) == 0 && !session_awaiting_reply(s) &&
	    !session_files_busy(s))
		quit_when_heard(sc);
}

static void on_opened(void *ui, bool resumed)
{
	struct script *sc = ui;

	sc->lost_at = 0;
	arm_timer(sc);
	pump(sc);
}

/* One line of what the server sent on @f, made harmless for a terminal (utf8.h). */
static void print_shown(FILE *f, const char *prefix, const char *text)
{
	char shown[FD_FRAME_BODY_BUFSIZE];

	snprintf(shown, sizeof(shown), "%s", text);
	utf8_make_printable(shown, strlen(shown));
	fprintf(f, "%s%s\n", prefix, shown);
}

/*
 * The body as a type 2 frame carries it, tagged or not: scripts read the same lines. A private
 * message is marked "[private] " before it ("[private to NICK] TEXT" for our own), which no
 * room message can start with: those start with the sender's nickname and ": ".
 */
static void on_message(void *ui, const struct session_message *m)
{
	struct script *sc = ui;
	char line[FD_FRAME_BODY_BUFSIZE]; /* message text is at most 9,792 bytes: room to mark */
	const char *body = m->body;

	if (session_private(m) && m->from && strcmp(m->from, session_nick(sc->session)) == 0)
		snprintf(line, sizeof(line), "[private to %s] %s", m->conv + 1, m->text);
	else if (session_private(m))
		snprintf(line, sizeof(line), "[private] %s", m->body);
	body = session_private(m) ? line : body;
	/* Piped output is the data as it came; a terminal gets it made harmless. */
	if (sc->stdout_tty)
		print_shown(stdout, "", body);
	else
		printf("%s\n", body);
	fflush(stdout);
	arm_timer(sc);
	pump(sc);
}

static void on_notice(void *ui, const struct notice *n, const char *words)
{
	struct script *sc = ui;

	if (words && !notice_is(n, "pong", 0))
		print_shown(stderr, "* ", words);
	arm_timer(sc);
	pump(sc);
}

/*
 * The connection dropped, or a try to resume could not connect: try (again) while within
 * RESUME_WINDOW of the drop. Return: false when it is over (not resumable, or too late).
 */
static bool resume_later(struct script *sc, const char *why)
{
	double now = fd_clock_seconds();
	struct timeval tv = { 0, 0 };

	if (!session_resumable(sc->session))
		return false;
	if (!sc->lost_at) {
		sc->lost_at = now;
		sc->backoff = 0;
		print_shown(stderr, "* ", why);
		fprintf(stderr, "* Resuming the conversation\n");
	} else {
		sc->backoff = sc->backoff ? sc->backoff * 2 : 1;
		if (now + sc->backoff > sc->lost_at + RESUME_WINDOW)
			return false;
	}
	tv.tv_sec = sc->backoff;
	evtimer_add(sc->retry, &tv);
	return true;
}

static void on_closed(void *ui, int err, const char *why)
{
	struct script *sc = ui;

	if (err < 0 && resume_later(sc, why))
		return;
	/* @why may quote the server: its error text, the bye, a certificate's name. */
	if (err < 0) {
		print_shown(stderr, "frontdesk: ", why);
		finish(sc, EXIT_FAILURE_);
		return;
	}
	if (*why)
		print_shown(stderr, "* ", why);
	finish(sc, sc->not_sent ? EXIT_NOT_SENT : EXIT_OK);
}

static void on_drained(void *ui)
{
	pump(ui);
}

/* A file's result (or one listed) is output, on stdout; its progress and errors, on stderr. */
static void on_file(void *ui, const struct session_file_note *note)
{
	struct script *sc = ui;
	bool out = note->kind == SESSION_FILE_RESULT || note->kind == SESSION_FILE_LISTED;

	if (note->upload && note->kind == SESSION_FILE_ERROR)
		sc->not_sent = true;

	print_shown(out ? stdout : stderr, "* ", note->words);
	fflush(out ? stdout : stderr);
	arm_timer(sc);
	pump(sc);
}

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
	struct script *sc = arg;

	if (session_connect(sc->session) < 0)
		on_closed(sc, -ECONNREFUSED, session_error(sc->session));
}

static const struct session_ops script_ops = {
	.drained = on_drained,
	.file = on_file,
	.opened = on_opened,
	.message = on_message,
	.notice = on_notice,
	.closed = on_closed,
};

/* Watch stdin from the loop when it is a pipe or socket; otherwise read it all now. */
static int setup_stdin(struct script *sc)
{
	struct stat st;

	if (fstat(STDIN_FILENO, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode))) {
		evutil_make_socket_nonblocking(STDIN_FILENO);
		sc->stdin_ev =
		    event_new(sc->base, STDIN_FILENO, EV_READ | EV_PERSIST, on_stdin, sc);
		if (!sc->stdin_ev || event_add(sc->stdin_ev, NULL) < 0)
			return -ENOMEM;
		return 0;
	}
	while (read_stdin(sc))
		;
	return 0;
}

int script_run(struct event_base *base, const struct client_options *opts)
{
	struct script sc = { .base = base,
			     .opts = opts,
			     .exit_code = EXIT_FAILURE_,
			     .stdout_tty = isatty(STDOUT_FILENO) };
	struct session_config cfg = opts->session;
	int r;

	/* A refused resume ends the run: joining afresh would start a conversation anew. */
	cfg.resume_only = true;
	sc.input = evbuffer_new();
	sc.timer = evtimer_new(base, on_timeout, &sc);
	sc.retry = evtimer_new(base, on_retry, &sc);
	sc.mute = evtimer_new(base, on_mute, &sc);
	if (!sc.input || !sc.timer || !sc.retry || !sc.mute || setup_stdin(&sc) < 0 ||
	    session_new(base, &cfg, &script_ops, &sc, &sc.session) < 0) {
		fprintf(stderr, "frontdesk: out of memory\n");
		goto out;
	}
	r = session_connect(sc.session);
	if (r < 0) {
		fprintf(stderr, "frontdesk: %s\n", session_error(sc.session));
		goto out;
	}
	event_base_dispatch(base);
out:
	explicit_bzero(cfg.key, sizeof(cfg.key));
	session_free(sc.session);
	if (sc.stdin_ev)
		event_free(sc.stdin_ev);
	if (sc.timer)
		event_free(sc.timer);
	if (sc.retry)
		event_free(sc.retry);
	if (sc.mute)
		event_free(sc.mute);
	if (sc.input)
		evbuffer_free(sc.input);
	return sc.exit_code;
}
