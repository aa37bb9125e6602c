/* SPDX-License-Identifier: ISC */
/*
 * ids.c - tagged messages and the IDs seen (see ids.h).
 *
 * The parser is strict about the four words before the text, because they decide what is
 * dropped: a message whose ID cannot be read is a broken server, not something to guess at.
 * The text itself is taken as it comes.
 */
#include "ids.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

/* Cut the word at *@p (up to the next space), step past its one space; NULL if empty. */
static char *word(char **p)
{
	char *start = *p, *sp = strchr(start, ' ');

	if (sp == start || !*start)
		return NULL;
	if (sp) {
		*sp = '\0';
		*p = sp + 1;
	} else {
		*p = start + strlen(start);
	}
	return start;
}

/* Digits only, and at most @max: no sign, no space, no overflow. */
static bool decimal(const char *s, unsigned long long max, unsigned long long *ret)
{
	unsigned long long v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		unsigned d = (unsigned)(*s - '0');

		if (d > 9 || v > (max - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*ret = v;
	return true;
}

int ids_parse(char *body, struct ids_message *ret)
{
	char *p = body, *id, *time, *conv, *from;
	unsigned long long id_v, time_v;

	id = word(&p);
	time = id ? word(&p) : NULL;
	conv = time ? word(&p) : NULL;
	from = conv ? word(&p) : NULL;
	if (!from)
		return -EPROTO;
	if (!decimal(id, ULLONG_MAX, &id_v) || !decimal(time, LLONG_MAX, &time_v))
		return -EPROTO;
	/* "FROM" at the very end, without the space before an empty text, is taken as one. */
	ret->id = id_v;
	ret->time_ms = (long long)time_v;
	ret->conv = conv;
	ret->from = from;
	ret->text = p;
	return 0;
}

void ids_epoch(struct ids *ids, const char *epoch)
{
	if (strlen(epoch) >= sizeof(ids->epoch)) {
		/* Cannot be compared whole: better show a message twice than drop a new one. */
		ids->epoch[0] = '\0';
		ids->seen = false;
		return;
	}
	if (strcmp(ids->epoch, epoch) == 0)
		return;
	snprintf(ids->epoch, sizeof(ids->epoch), "%s", epoch);
	ids->seen = false;
}

void ids_history(struct ids *ids, bool on)
{
	ids->in_history = on;
}

bool ids_fresh(struct ids *ids, unsigned long long id)
{
	bool fresh = !ids->seen || id > ids->highest;

	if (fresh) {
		ids->highest = id;
		ids->seen = true;
	}
	return fresh || ids->in_history;
}

const char *ids_plain(const struct ids_message *m, char *buf, size_t len)
{
	if (m->conv[0] != '*' && m->conv[0] != '@')
		return m->text;
	snprintf(buf, len, "%s: %s", m->from, m->text);
	return buf;
}
