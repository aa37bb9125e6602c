/* SPDX-License-Identifier: ISC */
/*
 * print.h - conversations, messages and transfers on stdout: as text for people, or as JSON.
 *
 * Text is made safe for a terminal: everything that came from a chat peer (names, message
 * text) has its control and invisible characters turned into spaces (utf8_make_printable()),
 * so a message cannot move the cursor or fake a line; a message's own line breaks are kept,
 * its further lines indented under its first. JSON carries the text exactly, escaped.
 *
 * Lists are written row by row as the query steps: a printer counts the items it has written,
 * which JSON needs for its commas and text for saying that a list is empty.
 */
#ifndef FRONTDESK_CTL_PRINT_H
#define FRONTDESK_CTL_PRINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "rows.h"

struct printer {
	FILE *f;
	bool json;
	size_t n; /* items of the current list written so far */
};

void print_init(struct printer *p, FILE *f, bool json);

/*
 * print_safe() - @s[0..len), text from a peer or from the daemon, made printable, on @f.
 * Return: the characters (code points) written, to pad columns by.
 */
size_t print_safe(FILE *f, const char *s, size_t len);
/* print_cols() - the characters print_safe() would write of @s (NUL-terminated). */
size_t print_cols(const char *s);
/* print_padded() - @s (NUL-terminated) made printable, then spaces up to @cols characters. */
void print_padded(FILE *f, const char *s, size_t cols);

/* A list of conversations or of messages: JSON's array; @none is what text says when empty. */
void print_list_begin(struct printer *p);
void print_list_end(struct printer *p, const char *none);

/* print_conv() - one conversation as an item of a list (text: a table row). */
void print_conv(struct printer *p, const struct ctl_conv *c);
/* print_msg() - one message as an item of a list. */
void print_msg(struct printer *p, const struct ctl_msg *m);

/*
 * A transcript: the conversation, then its messages as a list, then the end. Its transfers
 * (print_transfer()) go among the messages in text, each where it happened in time, and do
 * not count as messages; in JSON they are a list of their own after the messages, begun by
 * print_transcript_transfers() (nothing in text).
 */
void print_transcript_begin(struct printer *p, const struct ctl_conv *c);
void print_transcript_transfers(struct printer *p);
void print_transfer(struct printer *p, const struct ctl_transfer *t);
void print_transcript_end(struct printer *p);

#endif
