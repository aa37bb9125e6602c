/* SPDX-License-Identifier: ISC */
/* canned.c - the canned replies an agent's client was told about (see canned.h). */
#include "canned.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The text of a reply that could not be copied (no memory): shown as nothing, never freed. */
static char unknown[] = "";

/* The word at @p, up to a space; its length. */
static size_t word_len(const char *p)
{
	return strcspn(p, " ");
}

/* "canned-reply NAME TEXT": a reply; the first of an answer starts the list afresh. */
static void take_reply(struct canned *c, const char *args)
{
	size_t len;
	struct canned_reply *r;

	while (*args == ' ')
		args++;
	len = word_len(args);
	if (len == 0 || len >= CANNED_NAME_MAX)
		return; /* no name we could complete with */
	if (!c->collecting) {
		canned_clear(c);
		c->collecting = true;
	}
	if (c->n == CANNED_MAX)
		return;
	r = &c->reply[c->n++];
	snprintf(r->name, sizeof(r->name), "%.*s", (int)len, args);
	args += len;
	while (*args == ' ')
		args++;
	/* Whether the desk puts the text after "--" (as free text) or not, it is the same text. */
	if (strncmp(args, "--", 2) == 0 && (args[2] == ' ' || args[2] == '\0'))
		args += args[2] ? 3 : 2;
	/* Without memory the name still completes; the text is then not known here. */
	r->text = strdup(args);
	if (!r->text)
		r->text = unknown;
}

void canned_clear(struct canned *c)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->reply[i].text != unknown)
			free(c->reply[i].text);
	c->n = 0;
	c->more = 0;
}

bool canned_notice(struct canned *c, const char *body)
{
	if (strncmp(body, "canned-reply ", 13) == 0) {
		take_reply(c, body + 13);
		return true;
	}
	if (strncmp(body, "canned-more ", 12) == 0) {
		/* Left out of a bounded answer: they exist, and are sent by name all the same. */
		if (!c->collecting) {
			canned_clear(c);
			c->collecting = true;
		}
		c->more = strtoul(body + 12, NULL, 10);
		return true;
	}
	if (strncmp(body, "canned-end", 10) == 0 && (body[10] == ' ' || body[10] == '\0')) {
		if (!c->collecting)
			canned_clear(c); /* "canned-end 0": there are none (any more) */
		c->collecting = false;
		return true;
	}
	return false;
}

const struct canned_reply *canned_find(const struct canned *c, const char *name)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->reply[i].name, name) == 0)
			return &c->reply[i];
	return NULL;
}

const char *canned_complete(const struct canned *c, const char *prefix, size_t *state)
{
	size_t len = strlen(prefix);

	while (*state < c->n) {
		const char *name = c->reply[(*state)++].name;

		if (strncmp(name, prefix, len) == 0)
			return name;
	}
	return NULL;
}
