/* SPDX-License-Identifier: ISC */
/*
 * canned.h - canned replies: short texts an agent sends by name ("canned greet"), read from
 * canned_file.
 *
 * The file is "NAME text..." lines; '#' comments and blank lines are ignored. A table is a
 * plain value built in one go from the whole file and never changed: start-up loads it (a bad
 * file refuses to start), SIGHUP loads a new one and swaps it in only when the whole file is
 * right (reload.c), so a reply is never half of an old file and half of a new one. The server
 * owns the running table (struct server's @canned; NULL: no canned_file).
 */
#ifndef FRONTDESK_CANNED_H
#define FRONTDESK_CANNED_H

#include <stddef.h>

struct conn;
struct server;
struct canned;

/* The bounds of a file: a table is held in memory whole, and listed to agents in one answer. */
#define CANNED_MAX_BYTES   (1024 * 1024)
#define CANNED_MAX_REPLIES 1000
/* A name is 1 to 32 ASCII letters, digits, '-', '_' or '.', starting with a letter or digit. */
#define CANNED_NAME_MAX 32

/*
 * canned_parse() - the table in @text[0..len) (the file's bytes; @path names it in messages).
 *
 * Return: 0 with *@ret set (canned_free() it); or -EINVAL with *@ret_errors set to one
 * "PATH:LINE: message\n" per problem (at most the first 20, then a line saying how many more;
 * free() it), or -ENOMEM. *@ret is untouched on failure.
 */
int canned_parse(const char *text, size_t len, const char *path, struct canned **ret,
		 char **ret_errors);

/*
 * canned_load() - canned_parse() of the regular file @path, of at most CANNED_MAX_BYTES.
 * Return as canned_parse(), or another negative errno when it cannot be read (*@ret_errors
 * says why, as "PATH: message\n").
 */
int canned_load(const char *path, struct canned **ret, char **ret_errors);

void canned_free(struct canned *t);

/* canned_count() - how many replies @t holds (0 for NULL). */
size_t canned_count(const struct canned *t);

/* canned_find() - the text of the reply named @name[0..len) and its length, or NULL. */
const char *canned_find(const struct canned *t, const char *name, size_t len, size_t *ret_len);

/*
 * cmd_canned() - the agent's command "canned [NAME [CUSTOMER]]": no argument lists the
 * replies; NAME sends one as if the agent had typed it, through the mode's message hook, so
 * every rule of the desk applies; CUSTOMER names the conversation of an agent that holds
 * several.
 */
void cmd_canned(struct conn *c, const char *arg);

/*
 * canned_changed() - the replies were read again (SIGHUP): agents granted a capability are told
 * "canned-changed", so that a client that lists or completes them asks again.
 */
void canned_changed(struct server *s);

#endif
