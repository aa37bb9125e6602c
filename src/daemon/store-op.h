/* SPDX-License-Identifier: ISC */
/*
 * store-op.h - what the store's queue holds (store.c): one op per write or read, and the
 * message ops kept for reuse.
 *
 * Ownership: an op owns copies of its strings. A message's op (OP_ADD) keeps its sender and
 * text in one buffer of its own (@strs) and, once its batch committed, goes with it to the
 * spares (op_done()) for the next message (op_spared()): a message costs the queue no
 * allocation (callgrind-relay.sh: 3 per message before, calloc, strdup and malloc).
 */
#ifndef FRONTDESK_STORE_OP_H
#define FRONTDESK_STORE_OP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include "store-sqlite.h"
#include "store.h"

enum op_kind {
	OP_ADD,
	OP_RELEASE,
	OP_DROP,
	OP_CONV_BEGIN,
	OP_CONV_AGENT,
	OP_CONV_TRANSFER,
	OP_CONV_END,
	OP_HISTORY,
	OP_OFFLINE_NEXT,
	OP_OFFLINE_DONE,
	OP_SESSION_PUT,
	OP_SESSION_DEL,
	OP_STOPPED,
	OP_RESERVE_ID,
	OP_BAN_PUT,
	OP_BAN_DEL,
	OP_TOPIC,
	OP_PURGE,
};

struct op {
	enum op_kind kind;
	struct store_msg m;  /* OP_ADD; conv, id and from for the others (OP_CONV_TRANSFER: text
				the agent it went to, NULL for the line) */
	uint64_t seq;        /* OP_ADD: the row's seq */
	uint64_t before;     /* OP_HISTORY; OP_RELEASE: the row's seq */
	uint64_t upto;       /* OP_HISTORY */
	unsigned n;          /* OP_HISTORY */
	bool by_name;        /* OP_HISTORY: conversations of customer m.from other than m.conv */
	bool by_agent;       /* OP_HISTORY: the open conversations of agent m.from */
	bool after;          /* OP_HISTORY: the oldest above @before (store_missed()) */
	enum store_end why;  /* OP_CONV_END */
	bool for_next_agent; /* OP_CONV_END */
	char *reason;        /* OP_CONV_TRANSFER: why */
	char *strs;          /* OP_ADD: m.from then m.text, @cap bytes; NULL: separate copies */
	size_t cap;
	uint8_t role, caps;      /* OP_SESSION_PUT (place in @upto, from_id in @before); m.text is
				    the token's hash for it and for DEL */
	store_count_cb count_cb; /* OP_PURGE: m.from the sender, m.text the operator */
	store_msgs_cb cb;        /* reads */
	void *arg;
	struct msgset result; /* reads, filled in the transaction */
	STAILQ_ENTRY(op) entry;
};

STAILQ_HEAD(op_list, op);

/* Done message ops, their buffers kept: at most SPARE_MAX (store-op.c). */
struct op_spares {
	struct op_list list;
	unsigned n;
};

/* op_free() - @op and its strings are freed. */
void op_free(struct op *op);
/* op_done() - @op is done with: a message's is kept in @sp for the next, any other freed. */
void op_done(struct op_spares *sp, struct op *op);
/* op_spared() - an OP_ADD op, zeroed, with @strs of at least @need bytes. NULL: no memory. */
struct op *op_spared(struct op_spares *sp, size_t need);
/* op_spares_free() - the kept ops are freed. */
void op_spares_free(struct op_spares *sp);

#endif
