/* SPDX-License-Identifier: ISC */
/*
 * canned.h - the desk's canned replies as the agent's client knows them: pure data.
 *
 * An agent's client asks once per connection with the command "canned"; the desk answers with
 * one notice "canned-reply NAME TEXT" per reply and then "canned-end N". The names are what
 * "/canned NAME" completes with Tab; the texts are shown by "/canned" alone, and as the agent's
 * own line when one is sent, so each is kept whole (a copy, freed by canned_clear()). The list
 * is bounded (CANNED_MAX replies; the desk bounds the texts, a message's size each), and each
 * answer replaces the last one. The desk sends "canned-changed" when its file was read again:
 * the session then asks anew.
 */
#ifndef FRONTDESK_CLIENT_CANNED_H
#define FRONTDESK_CLIENT_CANNED_H

#include <stdbool.h>
#include <stddef.h>

#define CANNED_MAX      128
#define CANNED_NAME_MAX 65

struct canned_reply {
	char name[CANNED_NAME_MAX];
	char *text; /* never NULL once listed ("" when it could not be kept) */
};

struct canned {
	struct canned_reply reply[CANNED_MAX];
	size_t n;
	unsigned long more; /* "canned-more K": replies the desk left out of the list */
	bool collecting;    /* inside an answer: "canned-reply" lines seen, "canned-end" not yet */
};

/*
 * canned_notice() - take in the notice @body if it is part of an answer ("canned-reply NAME
 * TEXT", the TEXT possibly after "--"; "canned-more K"; "canned-end N"). Return: true when it
 * was.
 */
bool canned_notice(struct canned *c, const char *body);

/* canned_clear() - forget every reply (the list is empty again); a cleared list may be reused. */
void canned_clear(struct canned *c);

/* canned_find() - the reply named @name, or NULL. */
const struct canned_reply *canned_find(const struct canned *c, const char *name);

/*
 * canned_complete() - the names starting with @prefix, one per call: *@state is 0 on the first
 * call and is advanced. Return: the next one, or NULL when there are no more.
 */
const char *canned_complete(const struct canned *c, const char *prefix, size_t *state);

#endif
