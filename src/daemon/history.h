/* SPDX-License-Identifier: ISC */
/*
 * history.h - earlier messages for a peer (protocol 7.4): the "history [N] [before ID]"
 * command and the history a member is shown on joining a room.
 *
 * The answer is read from the store on a later loop turn. Meanwhile the peer's output is held
 * behind it (deliver_hold()), so live messages that arrive in between follow the answer
 * instead of breaking into it; the read is bounded by the last ID the peer had not already
 * been sent live, so nothing comes twice.
 */
#ifndef FRONTDESK_HISTORY_H
#define FRONTDESK_HISTORY_H

#include <stdbool.h>
#include <stdint.h>

struct conn;

/* Most messages one answer gives; a client pages back with "before ID". */
#define HISTORY_MAX 100

/*
 * history_send() - up to @n messages of conversation @conv with IDs below @before (0: none)
 * and at most @upto, between "history-start COUNT" and "history-end". @on_join: a line member
 * hears nothing at all when there is none (an nc user in a quiet room sees no new lines).
 */
void history_send(struct conn *c, uint64_t conv, unsigned n, uint64_t before, uint64_t upto,
		  bool on_join);

/*
 * history_send_unanswered() - what the customer of desk conversation @conv wrote since an agent
 * last wrote to it, as plain messages: an agent that takes it over without "ids" (it would not
 * read a history) still gets the question it must answer.
 */
void history_send_unanswered(struct conn *c, uint64_t conv);

/*
 * history_parse() - the command's argument: "", "N", "before ID" or "N before ID", each number
 * a positive decimal that fits (N above HISTORY_MAX is capped; N defaults to 20, ID to 0; an
 * ID is at most INT64_MAX).
 * Return 0 or -EINVAL.
 */
int history_parse(const char *arg, unsigned *ret_n, uint64_t *ret_before);

/* cmd_history() - the command; the mode says which conversation is the peer's. */
void cmd_history(struct conn *c, const char *arg);
/* cmd_earlier() - "earlier NAME [N] [before ID]": an agent reads a customer's earlier
 * conversations, found by its name alone. */
void cmd_earlier(struct conn *c, const char *arg);
/* history_earlier() - the same, but for conversation @except (0: none) in place of its own. */
void history_earlier(struct conn *c, const char *arg, uint64_t except);

#endif
