/* SPDX-License-Identifier: ISC */
/*
 * notice.h - parse a notice body ("KEYWORD [ARGS...] [-- free text]") and say it in words.
 *
 * Shared by the client and the daemon's console so both render a notice the same way. No
 * terminal, colour or libedit here: the caller decides how the words are shown.
 */
#ifndef FRONTDESK_NOTICE_H
#define FRONTDESK_NOTICE_H

#include <stdbool.h>
#include <stddef.h>

#define NOTICE_MAX_ARGS 8

/*
 * struct notice - a parsed notice; every pointer points into the parsed body.
 * @keyword: the first word ("queued", "error", ...).
 * @args:    the space-separated words after it, up to the free text.
 * @nargs:   how many of @args are set.
 * @text:    the free text after " -- ", or NULL when there is none.
 */
struct notice {
	const char *keyword;
	const char *args[NOTICE_MAX_ARGS];
	size_t nargs;
	const char *text;
};

/*
 * notice_parse() - split @body in place into a struct notice.
 *
 * Runs of spaces separate words. "--" as a word starts the free text (the rest of the body,
 * verbatim; a lone trailing "--" means empty text). Return: 0, or -EINVAL for a body without a
 * keyword, or -E2BIG for more than NOTICE_MAX_ARGS arguments. @ret is untouched on failure.
 */
int notice_parse(char *body, struct notice *ret);

/*
 * notice_describe() - the notice as a sentence for people ("You are number 3 in line").
 *
 * Writes a NUL-terminated sentence into @buf (truncated to @len). An unknown keyword, or a known
 * one with the wrong arguments, is shown as it came. Return: true when the notice was known.
 */
bool notice_describe(const struct notice *n, char *buf, size_t len);

/* notice_is() - whether @n has keyword @keyword and at least @nargs arguments. */
bool notice_is(const struct notice *n, const char *keyword, size_t nargs);

#endif
