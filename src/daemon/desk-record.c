/* SPDX-License-Identifier: ISC */
/*
 * desk-record.c - what the desk keeps for agents (see desk-priv.h).
 *
 * A customer's or agent's held message is a record "SEQ TIME TEXT" (type 5) in conn->held: its
 * row in the store, where it was stored when accepted, and its accept time; it gets its ID when
 * relayed (record.h). What the active customer wrote that no agent answered is kept as
 * records too, to be given again; a conversation that ended with no agent there is kept in the
 * store and given to the next agent one conversation at a time, paced by its output.
 */
#include "desk-priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "clock.h"
#include "deliver.h"
#include "held.h"
#include "log.h"
#include "record.h"

/*
 * How much of the customer's unanswered messages the desk keeps to give again: 64 KiB, or a
 * quarter of max_output_bytes if that is less, so that the replay, sent at once, cannot push
 * the agent past its output bound.
 */
#define UNANSWERED_MAX (64 * 1024)

void tell_customer(struct desk *d, struct conn *agent)
{
	char tag[24];

	conn_notice(agent, "customer %s%s", d->active->nick,
		    deliver_conv_tag(agent, d->active->conv, tag));
}

void tell_serving(struct desk *d, struct conn *c)
{
	char tag[24];

	conn_notice(c, "serving %s%s", d->agent->nick, deliver_conv_tag(c, c->conv, tag));
}

/* The lost agent @agent's held replies, kept for its resume (see struct desk). */
void keep_agent_held(struct desk *d, struct conn *agent)
{
	drop_agent_held(d);
	d->agent_held = conn_give_held(agent);
	d->agent_held_conv = d->active->conv;
	memcpy(d->agent_held_from, agent->nick, sizeof(d->agent_held_from));
}

/* @agent resumed the session of the agent that held them: its replies are its again. */
void give_agent_held(struct desk *d, struct conn *agent)
{
	if (!d->agent_held || !d->active || d->active->conv != d->agent_held_conv ||
	    strcmp(agent->nick, d->agent_held_from) != 0) {
		drop_agent_held(d);
		return;
	}
	conn_adopt_held(agent, d->agent_held);
	d->agent_held = NULL;
}

void drop_agent_held(struct desk *d)
{
	if (!d->agent_held)
		return;
	store_drop_held(d->server->store, d->agent_held_conv, d->agent_held_from);
	evbuffer_free(d->agent_held);
	d->agent_held = NULL;
}

/*
 * Customer @c's conversation ended. With @handover an agent is here and saw what was already
 * relayed: what @c still held is released to it now (paced by its output, after what is
 * already being given to it), between "customer NAME" and "customer-left NAME". Otherwise no
 * agent saw the end: if @c said anything no agent answered (held, or relayed to an agent that
 * never answered), the store keeps the conversation for the next agent, without a bound.
 */
void keep_offline(struct desk *d, struct conn *c, bool handover)
{
	struct evbuffer *rec = handover ? evbuffer_new() : NULL;
	char note[NICK_BUFSIZE + 32];
	struct store_msg m;
	struct fd_frame f;
	size_t n = 0;

	if (rec) {
		snprintf(note, sizeof(note), "customer %s", c->nick);
		fd_frame_encode(rec, FD_FRAME_NOTICE, note, strlen(note));
	}
	while (rec && conn_take_held(c, d->server->held_body, &f)) {
		d->offline.ticket = record_release(c, c->conv, &f, &m);
		deliver_record_msg(rec, &m);
		n++;
	}
	/* Not handed over: what it held is in the store already, for the next agent. */
	if (!handover)
		for (n = d->nunanswered; conn_take_held(c, d->server->held_body, &f);)
			n++;
	store_conv_end(d->server->store, c->conv, d->server->stopping ? END_SHUTDOWN : c->end_why,
		       fd_clock_unix_ms(), !handover && n);
	if (!handover) {
		if (n) {
			d->offline.more = true;
			log_info("%zu message(s) from %s kept for the next agent", n, c->nick);
		}
		return;
	}
	snprintf(note, sizeof(note), "customer-left %s", c->nick);
	if (n == 0 && evbuffer_get_length(d->offline.buf) == 0) {
		conn_notice(d->agent, "%s", note); /* nothing to hand over, nothing ahead of it */
		evbuffer_free(rec);
		return;
	}
	if (n == 0)
		evbuffer_drain(rec, evbuffer_get_length(rec)); /* the agent knows who it was */
	fd_frame_encode(rec, FD_FRAME_NOTICE, note, strlen(note));
	evbuffer_add_buffer(d->offline.buf, rec);
	evbuffer_free(rec);
}

/* Give the agent what was said while no agent was attached, as if it had been there. */
void replay_offline(struct desk *d)
{
	bool replayed = offline_give(&d->offline, d->agent);

	/* The replay ended with "customer-left": say again who is being served now. */
	d->tell_later |= replayed;
	if (d->tell_later && !offline_pending(&d->offline) && !d->offline.more && agent_here(d) &&
	    d->active && conn_live(d->active)) {
		d->tell_later = false;
		tell_customer(d, d->agent);
	}
}

void forget_unanswered(struct desk *d)
{
	evbuffer_drain(d->unanswered, evbuffer_get_length(d->unanswered));
	d->nunanswered = 0;
}

/* @f was relayed to the agent: keep it until the agent writes (the oldest go past the bound). */
void keep_unanswered(struct desk *d, const struct store_msg *m)
{
	size_t max = d->server->config.max_output_bytes / 4;
	size_t len;

	if (max > UNANSWERED_MAX)
		max = UNANSWERED_MAX;
	if (deliver_record_msg(d->unanswered, m) < 0)
		return;
	d->nunanswered++;
	while (d->nunanswered > 1 && evbuffer_get_length(d->unanswered) > max &&
	       held_peek(d->unanswered, &len)) {
		evbuffer_drain(d->unanswered, FD_FRAME_HEADER_LEN + len);
		d->nunanswered--;
	}
}

/* How many of the unanswered records @agent is given: a file message's only with "files". */
static unsigned unanswered_for(struct desk *d, const struct conn *agent)
{
	char hdr[FD_FRAME_HEADER_LEN];
	struct evbuffer_ptr at;
	unsigned n = 0;

	if (agent->caps & CAP_FILES)
		return d->nunanswered;
	evbuffer_ptr_set(d->unanswered, &at, 0, EVBUFFER_PTR_SET);
	/* Our own records: "LLLL|T|...", type 5, or 6 for a file message (deliver.h). */
	while (evbuffer_copyout_from(d->unanswered, &at, hdr, sizeof(hdr)) == sizeof(hdr)) {
		n += hdr[5] - '0' != FD_FRAME_DATA;
		if (evbuffer_ptr_set(d->unanswered, &at, (size_t)atoi(hdr), EVBUFFER_PTR_ADD) < 0)
			break;
	}
	return n;
}

/*
 * Give the agent again what the customer wrote since an agent last answered: the agent that
 * had it may have vanished before reading it. Agents granted a capability see it marked
 * ("replay N" ... "replay-end": possibly seen already); others get the messages as they came,
 * as the returning agent of strict turns always has. Kept until this agent answers.
 */
void replay_unanswered(struct desk *d)
{
	struct evbuffer *copy = evbuffer_new();

	if (!copy)
		return;
	evbuffer_add(copy, evbuffer_pullup(d->unanswered, -1), evbuffer_get_length(d->unanswered));
	if (d->agent->caps)
		conn_notice(d->agent, "replay %u", unanswered_for(d, d->agent));
	/* Released in earlier turns: they wait at most for the batch in flight. */
	deliver_record_send(d->agent, copy, store_pending(d->server->store), false);
	if (agent_here(d) && d->agent->caps)
		conn_notice(d->agent, "replay-end");
	evbuffer_free(copy);
}
