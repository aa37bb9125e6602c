/* SPDX-License-Identifier: ISC */
/*
 * jread.h - reading JSON: the little frontdeskctl needs to show the daemon's /status.
 *
 * jread_parse() turns one JSON text (RFC 8259) into a tree of struct jvalue, each node its own
 * allocation, all freed by jread_free() on the root. Strings are decoded (escapes, \u with
 * surrogate pairs) into NUL-terminated UTF-8; a string holding U+0000 is refused, as a C
 * string cannot carry it, and so is any byte that is not well-formed UTF-8. Numbers are
 * doubles. Nesting deeper than JREAD_MAX_DEPTH is refused, so that a hostile document cannot
 * run the parser out of stack; so is anything but white space after the value.
 *
 * The lookups take NULL or a node of the wrong type and answer "absent": a caller walks a
 * document it did not write without checking each step.
 */
#ifndef FRONTDESK_CTL_JREAD_H
#define FRONTDESK_CTL_JREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JREAD_MAX_DEPTH 32

enum jtype {
	JNULL,
	JBOOL,
	JNUMBER,
	JSTRING,
	JARRAY,
	JOBJECT,
};

struct jvalue {
	enum jtype type;
	bool b;               /* JBOOL */
	double num;           /* JNUMBER */
	char *str;            /* JSTRING: the decoded text */
	size_t len;           /* JSTRING: its bytes; JARRAY, JOBJECT: the items */
	char *key;            /* an object's member: its name; NULL otherwise */
	struct jvalue *first; /* JARRAY, JOBJECT: the items in order, linked by next */
	struct jvalue *next;
};

/* Where and why a text is not JSON: a byte offset and a static phrase ("expected ':'"). */
struct jread_error {
	size_t offset;
	const char *why;
};

/*
 * jread_parse() - @text[0..len) as one JSON value.
 *
 * Return: 0 with *@ret the tree (jread_free() it); -EINVAL when the text is not JSON, or
 * -ELOOP when it nests deeper than JREAD_MAX_DEPTH, both with @err filled; -ENOMEM.
 * *@ret is untouched on failure.
 */
int jread_parse(const char *text, size_t len, struct jvalue **ret, struct jread_error *err);

/* jread_free() - a tree from jread_parse(); NULL is fine. */
void jread_free(struct jvalue *v);

/* jread_member() - @obj's member @key (the first of that name), or NULL. */
const struct jvalue *jread_member(const struct jvalue *obj, const char *key);

/* jread_string() - @obj's member @key when it is a string, else NULL. */
const char *jread_string(const struct jvalue *obj, const char *key);

/* jread_int() - @obj's member @key when it is a whole number within +-2^53; else false. */
bool jread_int(const struct jvalue *obj, const char *key, int64_t *ret);

/* jread_bool() - @obj's member @key when it is true or false; else false. */
bool jread_bool(const struct jvalue *obj, const char *key, bool *ret);

/* jread_is() - whether @v is there and of @type. */
bool jread_is(const struct jvalue *v, enum jtype type);

#endif
