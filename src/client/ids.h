/* SPDX-License-Identifier: ISC */
/*
 * ids.h - message IDs on the client's side (protocol 7.2): the tagged message, and which IDs
 * were seen already.
 *
 * A server that grants "ids" sends every message as a type 5 frame "ID TIME CONV FROM TEXT"
 * and names the epoch of its IDs ("epoch E", right after "caps"). The client keeps the highest
 * ID it has seen in that epoch, across reconnections (that is when a message comes twice: the
 * server gives a returning peer what it may have missed), and drops a message whose ID is not
 * above it. A history answer, between "history-start" and "history-end", goes back in time on
 * purpose: shown whatever its IDs, and it never lowers the highest. A new epoch means the IDs
 * start again: the ones seen are forgotten.
 */
#ifndef FRONTDESK_CLIENT_IDS_H
#define FRONTDESK_CLIENT_IDS_H

#include <stdbool.h>
#include <stddef.h>

/* Longest epoch token remembered; a longer one is taken as new each time (see ids_epoch()). */
#define IDS_EPOCH_MAX 128

/* One tagged message, split in place in the frame's body. */
struct ids_message {
	unsigned long long id;
	long long time_ms; /* when the server accepted it, Unix milliseconds */
	const char *conv;  /* "*" the room, "@NICK" a private message, "cN" a desk conversation */
	const char *from;  /* the sender, one token */
	const char *text;  /* verbatim: may be empty, may hold spaces and newlines */
};

/* What the client knows about the IDs of its server; zeroed is "nothing yet". */
struct ids {
	char epoch[IDS_EPOCH_MAX];  /* "" before the first, or after one too long to keep */
	unsigned long long highest; /* the highest ID seen in this epoch, if @seen */
	bool seen;                  /* any ID seen in this epoch (0 may be one) */
	bool in_history;            /* between "history-start" and "history-end" */
};

/*
 * ids_parse() - split the body of a type 5 frame ("ID TIME CONV FROM TEXT") in place.
 *
 * Return: 0, or -EPROTO when it is not one (@ret untouched).
 */
int ids_parse(char *body, struct ids_message *ret);

/* ids_epoch() - the server named its epoch: a different one forgets the IDs seen. */
void ids_epoch(struct ids *ids, const char *epoch);

/* ids_history() - a history answer starts (@on) or ends; a lost connection ends it too. */
void ids_history(struct ids *ids, bool on);

/*
 * ids_fresh() - whether the message with @id is new and is to be shown; it then counts as
 * seen. Inside a history answer every message is shown.
 */
bool ids_fresh(struct ids *ids, unsigned long long id);

/*
 * ids_plain() - @m as a type 2 frame would have carried it: "FROM: TEXT" in the room and in a
 * private message (written into @buf of @len bytes), TEXT alone at the desk (@m->text itself).
 */
const char *ids_plain(const struct ids_message *m, char *buf, size_t len);

#endif
