/* SPDX-License-Identifier: ISC */
/*
 * canned.c - canned replies: the file's parser and the agent's "canned" command (canned.h).
 *
 * A table owns one copy of the file's bytes; its lines are cut in place with NULs, and each
 * reply points at its name and text in that copy: one allocation for the bytes, one for the
 * table, nothing to free per reply.
 */
#include "canned.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <frontdesk/frame.h>

#include "conn.h"
#include "log.h"
#include "nick.h"
#include "server.h"
#include "utf8.h"

/* Errors reported for one file: a file of garbage must not flood the log on every reload. */
#define MAX_ERRORS 20

struct canned_reply {
	const char *name; /* NUL-terminated, in the table's @bytes */
	const char *text; /* NUL-terminated, @len bytes */
	size_t len;
	unsigned line; /* where it was defined, to name it when a name comes twice */
};

struct canned {
	char *bytes; /* the file's bytes, each line's name and text cut out with NULs */
	size_t n;
	struct canned_reply v[]; /* in the file's order */
};

struct parse {
	const char *path;
	struct canned *t;
	size_t cap; /* entries @t has room for */
	bool too_many;
	char *errors;
	size_t errors_len;
	unsigned nerrors;
};

/* Append "PATH[:LINE]: @msg" to @p's errors. */
static void append_error(struct parse *p, unsigned line, const char *msg)
{
	char where[32] = "";
	char *grown;
	int n;

	if (line)
		snprintf(where, sizeof(where), ":%u", line);
	n = snprintf(NULL, 0, "%s%s: %s\n", p->path, where, msg);
	grown = realloc(p->errors, p->errors_len + (size_t)n + 1);
	if (!grown)
		return;
	p->errors = grown;
	snprintf(p->errors + p->errors_len, (size_t)n + 1, "%s%s: %s\n", p->path, where, msg);
	p->errors_len += (size_t)n;
}

static void add_error(struct parse *p, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void add_error(struct parse *p, unsigned line, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (p->nerrors++ >= MAX_ERRORS)
		return; /* counted: parse_failed() says how many were left out */
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	append_error(p, line, msg);
}

static bool is_blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

/* ASCII only: a name is typed as a command's argument, and must not look like another. */
static bool is_name_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '-' || ch == '_' || ch == '.';
}

/* The length of the name at the start of @s[0..len) (0: none), which is valid if it ends there. */
static size_t name_span(const char *s, size_t len)
{
	size_t n = 0;

	while (n < len && is_name_char(s[n]))
		n++;
	return n;
}

static bool valid_name(const char *s, size_t len)
{
	return len >= 1 && len <= CANNED_NAME_MAX && name_span(s, len) == len && s[0] != '-' &&
	       s[0] != '.';
}

/* A linear search: a file holds at most CANNED_MAX_REPLIES, and agents type one at a time. */
static const struct canned_reply *find(const struct canned *t, const char *name, size_t len)
{
	for (size_t i = 0; t && i < t->n; i++)
		if (strlen(t->v[i].name) == len && memcmp(t->v[i].name, name, len) == 0)
			return &t->v[i];
	return NULL;
}

const char *canned_find(const struct canned *t, const char *name, size_t len, size_t *ret_len)
{
	const struct canned_reply *r = find(t, name, len);

	if (!r)
		return NULL;
	*ret_len = r->len;
	return r->text;
}

/* The reply NAME TEXT on line @line: checked, then added unless it is the 1001st. */
static void add_reply(struct parse *p, unsigned line, char *name, size_t namelen, char *text,
		      size_t len)
{
	const struct canned_reply *dup = find(p->t, name, namelen);

	if (dup) {
		add_error(p, line, "%.*s is already defined on line %u", (int)namelen, name,
			  dup->line);
	} else if (len == 0) {
		add_error(p, line, "%.*s has no text", (int)namelen, name);
	} else if (len > FD_MESSAGE_MAX_TEXT) {
		add_error(p, line, "the text of %.*s is %zu bytes; a message is at most %d",
			  (int)namelen, name, len, FD_MESSAGE_MAX_TEXT);
	} else if (!utf8_valid(text, len)) {
		add_error(p, line, "the text of %.*s is not UTF-8 (or holds a NUL byte)",
			  (int)namelen, name);
	} else if (p->t->n == p->cap) {
		if (!p->too_many)
			add_error(p, line, "more than %d replies", CANNED_MAX_REPLIES);
		p->too_many = true;
	} else {
		name[namelen] = '\0'; /* the blank after it */
		text[len] = '\0';
		p->t->v[p->t->n++] = (struct canned_reply){ name, text, len, line };
	}
}

/* One line, without its '\n': a comment, a blank line, or "NAME text". */
static void parse_line(struct parse *p, unsigned line, char *s, size_t len)
{
	size_t namelen, skip;

	while (len && (is_blank(s[len - 1]) || s[len - 1] == '\r'))
		len--; /* CRLF files, and blanks nobody can see */
	while (len && is_blank(*s))
		s++, len--;
	if (len == 0 || *s == '#')
		return;
	namelen = name_span(s, len);
	if ((namelen < len && !is_blank(s[namelen])) || !valid_name(s, namelen)) {
		add_error(p, line,
			  "expected 'NAME text', NAME 1 to %d letters, digits, '-', '_' or '.', "
			  "starting with a letter or digit",
			  CANNED_NAME_MAX);
		return;
	}
	for (skip = namelen; skip < len && is_blank(s[skip]); skip++)
		;
	add_reply(p, line, s, namelen, s + skip, len - skip);
}

/* Entries a table of @bytes[0..len) can need: one a line, at most CANNED_MAX_REPLIES. */
static size_t lines_in(const char *bytes, size_t len)
{
	size_t n = 1;

	for (const char *nl = bytes; (nl = memchr(nl, '\n', len - (size_t)(nl - bytes))); nl++)
		if (++n > CANNED_MAX_REPLIES)
			return CANNED_MAX_REPLIES;
	return n;
}

/* The errors of @p as the caller gets them, with a last line for those left out. */
static int parse_failed(struct parse *p, char **ret_errors)
{
	char msg[64];

	if (p->nerrors > MAX_ERRORS) {
		snprintf(msg, sizeof(msg), "%u more errors not shown", p->nerrors - MAX_ERRORS);
		append_error(p, 0, msg);
	}
	canned_free(p->t);
	*ret_errors = p->errors;
	return p->errors ? -EINVAL : -ENOMEM;
}

int canned_parse(const char *text, size_t len, const char *path, struct canned **ret,
		 char **ret_errors)
{
	struct parse p = { .path = path };
	char *bytes = malloc(len + 1);
	unsigned line = 0;

	*ret_errors = NULL;
	p.cap = bytes ? lines_in(text, len) : 0;
	p.t = bytes ? calloc(1, sizeof(*p.t) + p.cap * sizeof(p.t->v[0])) : NULL;
	if (!p.t) {
		free(bytes);
		return -ENOMEM;
	}
	p.t->bytes = memcpy(bytes, text, len);
	bytes[len] = '\0';
	for (size_t at = 0; at < len;) {
		char *nl = memchr(bytes + at, '\n', len - at);
		size_t end = nl ? (size_t)(nl - bytes) : len;

		parse_line(&p, ++line, bytes + at, end - at);
		at = end + 1;
	}
	if (p.nerrors)
		return parse_failed(&p, ret_errors);
	*ret = p.t;
	return 0;
}

/* Read all of regular file @fd, at most CANNED_MAX_BYTES, into *@ret_bytes (free() it). */
static int read_whole(int fd, char **ret_bytes, size_t *ret_len)
{
	char *bytes;
	size_t len = 0;
	struct stat st;
	ssize_t n;

	if (fstat(fd, &st) < 0)
		return -errno;
	/* A FIFO (or a device) would block the daemon's one thread on every reload. */
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	if (!(bytes = malloc(CANNED_MAX_BYTES + 1)))
		return -ENOMEM;
	/* Up to one byte more than allowed: a file that grew after fstat() is caught too. */
	while (len <= CANNED_MAX_BYTES &&
	       (n = read(fd, bytes + len, CANNED_MAX_BYTES + 1 - len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(bytes);
			return -errno;
		}
		len += (size_t)n;
	}
	if (len > CANNED_MAX_BYTES) {
		free(bytes);
		return -EFBIG;
	}
	*ret_bytes = bytes;
	*ret_len = len;
	return 0;
}

int canned_load(const char *path, struct canned **ret, char **ret_errors)
{
	char *bytes = NULL;
	size_t len = 0;
	int fd, r;

	*ret_errors = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	r = fd < 0 ? -errno : read_whole(fd, &bytes, &len);
	if (fd >= 0)
		close(fd);
	if (r == 0) {
		r = canned_parse(bytes, len, path, ret, ret_errors);
		free(bytes);
		return r;
	}
	if (r == -EFBIG)
		len = (size_t)asprintf(ret_errors, "%s: larger than %d bytes (1 MiB)\n", path,
				       CANNED_MAX_BYTES);
	else if (r == -EINVAL)
		len = (size_t)asprintf(ret_errors, "%s: not a regular file\n", path);
	else
		len = (size_t)asprintf(ret_errors, "%s: cannot read: %s\n", path, strerror(-r));
	if (len == (size_t)-1)
		*ret_errors = NULL;
	return r;
}

void canned_free(struct canned *t)
{
	if (!t)
		return;
	free(t->bytes);
	free(t);
}

size_t canned_count(const struct canned *t)
{
	return t ? t->n : 0;
}

/*
 * "canned-reply NAME TEXT" for each reply in the file's order while the answer fits in half of
 * soft_output_bytes (it goes out at once, so it must stay well inside the output bound, as
 * "queue" and "history" do), "canned-more K" for the K left out past it (still sent by name),
 * then "canned-end N", N the replies there are.
 */
static void list(struct conn *c, const struct canned *t)
{
	size_t budget = c->server->config.soft_output_bytes / 2, used = 0, i;

	for (i = 0; i < t->n; i++) {
		const struct canned_reply *r = &t->v[i];
		size_t cost =
		    FD_FRAME_HEADER_LEN + sizeof("canned-reply  ") + strlen(r->name) + r->len;

		if (used + cost > budget)
			break;
		used += cost;
		conn_notice(c, "canned-reply %s %s", r->name, r->text);
	}
	if (i < t->n)
		conn_notice(c, "canned-more %zu", t->n - i);
	conn_notice(c, "canned-end %zu", t->n);
}

/* Whether @c's messages start with "NAME: " (protocol 7.5): an agent granted "agent". */
static bool speaks_prefix(const struct conn *c)
{
	return c->caps & CAP_AGENT;
}

/*
 * The reply @text as a message from @c, exactly as if it had been typed: the mode's hook
 * applies every rule (turns, held, the store, nobody served), for @customer's conversation.
 */
static void send_reply(struct conn *c, const char *name, size_t namelen, const char *text,
		       size_t len, const char *customer)
{
	/* Not the server's decode buffer: the command's own arguments are still in it. */
	char body[FD_FRAME_BODY_BUFSIZE], logged[800];
	struct fd_frame f = { .type = FD_FRAME_MESSAGE, .body = body };

	if (customer)
		f.len = (size_t)snprintf(body, sizeof(body), "%s: ", customer);
	memcpy(body + f.len, text, len);
	f.len += len;
	body[f.len] = '\0';
	if (c->server->config.log_messages)
		log_info("%s (%s): canned %.*s: %s", c->peer, c->nick, (int)namelen, name,
			 log_escape(f.body, f.len, logged, sizeof(logged)));
	else
		log_debug("%s (%s): canned %.*s", c->peer, c->nick, (int)namelen, name);
	c->server->mode->message(c, &f);
}

void canned_changed(struct server *s)
{
	struct conn *c;

	TAILQ_FOREACH (c, &s->conns, entry)
		if (c->role == ROLE_AGENT && c->caps && conn_attached(c))
			conn_notice(c, "canned-changed");
}

void cmd_canned(struct conn *c, const char *arg)
{
	const struct canned *t = c->server->canned;
	char args[FD_FRAME_BODY_BUFSIZE];
	size_t namelen, len;
	const char *customer, *text;

	/* Trailing blanks (a completed word) are no argument of their own. */
	len = strlen(arg);
	while (len > 0 && arg[len - 1] == ' ')
		len--;
	memcpy(args, arg, len);
	args[len] = '\0';
	arg = args;
	namelen = strcspn(arg, " ");
	customer = arg[namelen] ? arg + namelen + 1 : NULL;

	if (!t) {
		conn_error(c, "no-such-reply", "no canned_file is set");
		return;
	}
	if (!*arg) {
		list(c, t);
		return;
	}
	/* Checked first, so the error below may quote the name: a short word of ASCII. */
	if (!valid_name(arg, namelen) || (customer && !fd_nick_valid(customer, strlen(customer)))) {
		conn_error(c, "bad-command", "canned [NAME [CUSTOMER]]");
		return;
	}
	if (customer && !speaks_prefix(c)) {
		conn_error(c, "bad-command",
			   "canned NAME CUSTOMER is for an agent with several conversations; "
			   "send canned NAME");
		return;
	}
	if (!customer && speaks_prefix(c)) {
		conn_error(c, "bad-command", "canned NAME CUSTOMER: say which conversation");
		return;
	}
	if (!(text = canned_find(t, arg, namelen, &len))) {
		conn_error(c, "no-such-reply", "no canned reply is called %.*s; canned lists them",
			   (int)namelen, arg);
		return;
	}
	send_reply(c, arg, namelen, text, len, customer);
}
