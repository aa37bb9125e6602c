/* SPDX-License-Identifier: ISC */
/* store-op.c - the store queue's ops: freed, or kept for the next message (see store-op.h). */
#include "store-op.h"

#include <stdlib.h>

/*
 * Done message ops kept for reuse: at most this many, and only with a buffer this small (a
 * rare long message's is freed), so a burst leaves at most about 600 KB behind.
 */
#define SPARE_MAX     512
#define SPARE_MAX_CAP 1024
#define SPARE_MIN_CAP 256 /* a new buffer's least size: a chat message's sender and text fit */

void op_free(struct op *op)
{
	if (op->strs) {
		free(op->strs);
	} else {
		free((char *)op->m.from);
		free((char *)op->m.text);
	}
	free(op->reason);
	msgset_free(&op->result);
	free(op);
}

void op_done(struct op_spares *sp, struct op *op)
{
	if (!op->strs || op->cap > SPARE_MAX_CAP || sp->n >= SPARE_MAX) {
		op_free(op);
		return;
	}
	STAILQ_INSERT_HEAD(&sp->list, op, entry); /* the last one used: warm in the cache */
	sp->n++;
}

struct op *op_spared(struct op_spares *sp, size_t need)
{
	struct op *op = STAILQ_FIRST(&sp->list);
	char *strs = NULL;
	size_t cap = 0;

	if (op) {
		STAILQ_REMOVE_HEAD(&sp->list, entry);
		sp->n--;
		strs = op->strs;
		cap = op->cap;
		*op = (struct op){ .kind = OP_ADD };
	} else if (!(op = calloc(1, sizeof(*op)))) {
		return NULL;
	}
	if (cap < need) {
		cap = need < SPARE_MIN_CAP ? SPARE_MIN_CAP : need;
		free(strs);
		if (!(strs = malloc(cap))) {
			free(op);
			return NULL;
		}
	}
	op->strs = strs;
	op->cap = cap;
	return op;
}

void op_spares_free(struct op_spares *sp)
{
	struct op *op;

	while ((op = STAILQ_FIRST(&sp->list))) {
		STAILQ_REMOVE_HEAD(&sp->list, entry);
		op_free(op);
	}
	sp->n = 0;
}
