/* SPDX-License-Identifier: ISC */
/*
 * team-assign.c - who serves whom at the desk with several agents (see team-priv.h).
 *
 * One line, first come first served: the first customer waiting goes to the available agent
 * (here, not away, with room) with the fewest open conversations, ties to the one that has
 * waited longest for a new one. A customer away (kept for its resume) keeps its place and is
 * passed meanwhile. A conversation given back (an agent lost for good, a transfer to the line,
 * an answer timeout) goes back in the line before everyone who came after it, with everything
 * the customer held, keeping its turn; its next agent is shown the conversation so far. One
 * passed on (a transfer to the line, an answer timeout) goes to another agent for a while.
 */
#include "team-priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "clock.h"
#include "deliver.h"
#include "history.h"
#include "log.h"
#include "record.h"
#include "session.h"
#include "store.h"

static void on_answer(evutil_socket_t fd, short what, void *arg);

struct chat *chat_new(struct team *t, struct conn *c)
{
	struct chat *ch = calloc(1, sizeof(*ch));

	if (!ch)
		return NULL;
	ch->team = t;
	ch->customer = c;
	if (!(ch->answer = evtimer_new(t->server->base, on_answer, ch))) {
		free(ch);
		return NULL;
	}
	c->mode_data = ch;
	return ch;
}

void chat_free(struct chat *ch)
{
	if (ch->customer->mode_data == ch)
		ch->customer->mode_data = NULL;
	if (ch->replies)
		evbuffer_free(ch->replies);
	event_free(ch->answer);
	free(ch);
}

/* Tell everyone from the first place that changed (see struct team). */
void team_positions_due(struct team *t)
{
	unsigned from = t->positions_from;

	t->positions_from = 0;
	t->positions_at = fd_clock_seconds();
	if (from)
		waiting_tell(&t->line, from, team_eta, t);
}

/* "queue N" to the agents when N changed (each was told the last N, a newcomer at its hello). */
void tell_agents_queue(struct team *t)
{
	struct agent *a;

	if (t->line.n == t->told_queue)
		return;
	t->told_queue = t->line.n;
	TAILQ_FOREACH (a, &t->agents, entry)
		if (agent_here(a))
			conn_notice(a->conn, "queue %u", t->line.n);
}

/*
 * The line changed from place @from (1-based) on: the agents are told its length now (if it
 * changed), those waiting their places on the next loop turn, or a second after they were last
 * told, whichever is later, so that several moves at once are told once.
 */
void tell_positions(struct team *t, unsigned from)
{
	double wait = t->positions_at + 1.0 - fd_clock_seconds();
	struct timeval tv = { 0, 0 };

	tell_agents_queue(t);
	if (!t->positions_from || from < t->positions_from)
		t->positions_from = from;
	if (evtimer_pending(t->positions, NULL))
		return;
	if (wait > 0) {
		tv.tv_sec = (time_t)wait;
		tv.tv_usec = (suseconds_t)((wait - (double)tv.tv_sec) * 1e6);
	}
	evtimer_add(t->positions, &tv);
}

/*
 * The wait at position @pos: the conversations of late (their mean length), over the places
 * the agents here have (each frees one every mean length, on average). 0 without a basis: no
 * conversation has ended yet, or nobody could serve.
 */
unsigned team_eta(void *arg, unsigned pos)
{
	struct team *t = arg;
	unsigned long long sum = 0, places = 0;
	const struct agent *a;
	unsigned n = t->nlengths < TEAM_LENGTHS ? t->nlengths : TEAM_LENGTHS;

	TAILQ_FOREACH (a, &t->agents, entry)
		if (agent_here(a) && !a->away)
			places += agent_capacity(a);
	if (n == 0 || places == 0)
		return 0;
	for (unsigned i = 0; i < n; i++)
		sum += t->lengths[i];
	sum = (sum * pos + n * places - 1) / (n * places);
	return sum ? (unsigned)sum : 1;
}

/* A served conversation ended after @secs: the estimate learns from it. */
static void note_length(struct team *t, double secs)
{
	t->lengths[t->nlengths++ % TEAM_LENGTHS] = secs < 1 ? 1 : (unsigned)secs;
}

void arm_answer(struct chat *ch)
{
	unsigned secs = ch->team->server->config.answer_timeout;
	struct timeval tv = { .tv_sec = secs };

	/* Only while the customer waits for an answer: the last word was its. */
	if (secs && ch->agent && agent_here(ch->agent) && ch->turn == CHAT_TURN_AGENT &&
	    !evtimer_pending(ch->answer, NULL))
		evtimer_add(ch->answer, &tv);
}

/* Whether an agent other than the one numbered @serial is here and not away. */
static bool another_agent(const struct team *t, uint64_t serial)
{
	const struct agent *a;

	TAILQ_FOREACH (a, &t->agents, entry)
		if (a->serial != serial && agent_here(a) && !a->away)
			return true;
	return false;
}

/*
 * The agent @ch was passed on by (a transfer to the line, an answer timeout), whom it should
 * not go back to: for AVOID_SECONDS, and only while another agent is here. 0: none.
 */
static uint64_t avoided(const struct chat *ch)
{
	if (!ch->avoid || fd_clock_seconds() > ch->avoid_until ||
	    !another_agent(ch->team, ch->avoid))
		return 0;
	return ch->avoid;
}

void avoid_agent(struct chat *ch, const struct agent *a)
{
	ch->avoid = a->serial;
	ch->avoid_until = fd_clock_seconds() + AVOID_SECONDS;
}

/*
 * The agent to serve next: fewest open chats, then waiting longest, not the one numbered
 * @avoid (avoided(): 0 if none). NULL: none has room.
 */
static struct agent *best_agent(struct team *t, uint64_t avoid)
{
	struct agent *a, *best = NULL;

	TAILQ_FOREACH (a, &t->agents, entry) {
		if (!agent_here(a) || a->away || a->nchats >= agent_capacity(a) ||
		    a->serial == avoid)
			continue;
		if (!best || a->nchats < best->nchats ||
		    (a->nchats == best->nchats && a->idle_since < best->idle_since))
			best = a;
	}
	return best;
}

/*
 * The conversation so far, for an agent that takes it over from another: as a history to one
 * granted "ids", else what the customer wrote since it was last answered, as it came. Not
 * while another read is out for the agent (one history at a time: it would break into it).
 */
static void show_so_far(struct chat *ch, struct conn *ag)
{
	if (ag->gate_hold)
		log_info(
		    "%s takes %s over while reading a history: not shown the conversation so far",
		    ag->nick, ch->customer->nick);
	else if (ag->caps & CAP_IDS)
		history_send(ag, ch->customer->conv, HISTORY_MAX, 0,
			     store_last_id(ag->server->store), false);
	else
		history_send_unanswered(ag, ch->customer->conv);
}

void serve(struct agent *a, struct chat *ch)
{
	struct team *t = ch->team;
	struct conn *cu = ch->customer, *ag = a->conn;
	bool told = cu->state == CONN_QUEUED; /* else still attaching: its hello tells it */

	if (cu->queued_link)
		waiting_remove(&t->line, cu);
	ch->agent = a;
	TAILQ_INSERT_TAIL(&a->chats, ch, entry);
	a->nchats++;
	a->idle_since = fd_clock_seconds();
	/* Passed on, it keeps its turn: a question asked is the new agent's to answer. */
	if (!ch->had_agent)
		ch->turn = CHAT_TURN_CUSTOMER;
	ch->avoid = 0;
	/* A wait ends once: a transfer or a pass back to the line is the same conversation. */
	if (!ch->served_at && conn_live(cu))
		waiting_served(cu);
	if (!ch->served_at)
		ch->served_at = fd_clock_seconds();
	if (conn_live(cu))
		conn_set_state(cu, CONN_ACTIVE);
	store_conv_agent(t->server->store, cu->conv, ag->nick);
	log_info("%s serves %s (%s), %u waiting", ag->nick, cu->nick, cu->peer, t->line.n);
	chat_tell_agent(ch);
	if (cu->kept && ag->caps)
		conn_notice(ag, "customer-away %s", cu->nick);
	if (ch->had_agent)
		show_so_far(ch, ag);
	if (told && ch->transferred)
		conn_notice(cu, "transferred %s", ag->nick);
	ch->transferred = false;
	ch->had_agent = true;
	if (told && conn_live(cu))
		team_tell_customer(ch);
	if (ch->turn == CHAT_TURN_AGENT)
		tell_turn(ch);
	if (conn_live(cu) && !cu->kept)
		conn_set_timer(cu, t->server->config.customer_idle_timeout);
	arm_answer(ch);
	chat_pump(ch);
}

/* The head of the line goes to agents with room, as long as there are both. */
void team_assign(struct team *t)
{
	struct conn *c, *next;
	unsigned before = t->line.n;
	struct agent *a;

	if (t->server->stopping)
		return;
	for (c = TAILQ_FIRST(&t->line.q); c; c = next) {
		next = TAILQ_NEXT(c, link);
		/* Away (kept for a resume) or on the way out: keeps its place, passed meanwhile. */
		if (c->kept || !conn_live(c) || !chat_of(c))
			continue;
		if ((a = best_agent(t, avoided(chat_of(c))))) {
			serve(a, chat_of(c));
			continue;
		}
		/* Nobody has room; or only the agent this one avoids, who may take the next. */
		if (!avoided(chat_of(c)) || !best_agent(t, 0))
			break;
	}
	if (t->line.n != before)
		tell_positions(t, 1); /* everyone behind moved up */
}

/*
 * Conversations no agent saw end go first to the agent with room that has the fewest
 * conversations (or, all full, to any here), one at a time, paced by its output.
 */
void team_give_offline(struct team *t)
{
	struct agent *a = t->offline_to;

	if (!offline_pending(&t->offline) && !t->offline.more) {
		t->offline_to = NULL;
		return;
	}
	if (!a || !agent_here(a))
		t->offline_to = a = best_agent(t, 0);
	TAILQ_FOREACH (a, &t->agents, entry)
		if (!t->offline_to && agent_here(a) && !a->away)
			t->offline_to = a;
	if ((a = t->offline_to))
		offline_give(&t->offline, a->conn);
}

/* @ch leaves its agent (it ends, or goes to another agent or the line). */
void unserve(struct chat *ch)
{
	struct agent *a = ch->agent;

	if (!a)
		return;
	event_del(ch->answer);
	TAILQ_REMOVE(&a->chats, ch, entry);
	a->nchats--;
	ch->agent = NULL;
	team_assign_soon(ch->team); /* a place is free */
}

/* @ch goes back to the line, before everyone who came after it. */
void give_back(struct chat *ch)
{
	struct conn *cu = ch->customer;

	drop_replies(ch, "was passed on");
	unserve(ch);
	waiting_insert(&ch->team->line, cu);
	if (conn_live(cu)) {
		conn_set_state(cu, CONN_QUEUED);
		conn_set_timer(cu, 0); /* no idle deadline while waiting */
	}
}

/*
 * Agent @a is gone for good: its customers go back to the line, each before everyone who came
 * after it (so, most often, to the head in the order they first came), with all they held.
 */
void give_back_all(struct agent *a, const char *why)
{
	unsigned n = a->nchats;
	struct chat *ch;

	if (!n)
		return;
	while ((ch = TAILQ_FIRST(&a->chats))) {
		store_conv_transfer(a->team->server->store, ch->customer->conv, a->conn->nick, NULL,
				    why, fd_clock_unix_ms());
		give_back(ch);
	}
	log_info("%s's %u conversation(s) go back to the line", a->conn->nick, n);
	tell_positions(a->team, 1);
}

/*
 * @ch was passed back to the line (a transfer to it, an answer timeout): served at once by
 * another agent with room (told "transferred AGENT"), or told so and its place.
 */
void passed_back(struct chat *ch)
{
	struct team *t = ch->team;

	ch->transferred = true;
	give_back(ch);
	tell_positions(t, 1);
	team_assign(t);
	if (ch->customer->queued_link && conn_live(ch->customer)) {
		conn_notice(ch->customer, "transferred");
		waiting_tell_one(&t->line, ch->customer, team_eta, t);
	}
	ch->transferred = false;
}

/* An answer is overdue: the conversation goes to another agent, first in line. */
static void on_answer(evutil_socket_t fd, short what, void *arg)
{
	struct chat *ch = arg;
	struct agent *a = ch->agent;

	/* Nobody else to give it to: moving it would only bring it back. */
	if (!a || !another_agent(ch->team, a->serial))
		return;
	log_info("%s did not answer %s within answer_timeout; it goes to another agent",
		 a->conn->nick, ch->customer->nick);
	conn_notice(a->conn, "answer-timeout %s", ch->customer->nick);
	store_conv_transfer(ch->team->server->store, ch->customer->conv, a->conn->nick, NULL,
			    "answer-timeout", fd_clock_unix_ms());
	avoid_agent(ch, a);
	passed_back(ch);
}

/*
 * Customer @c, served by @a, left: what it still held goes to @a, then "customer-left NAME",
 * paced by @a's output (a customer may leave a lot behind: given at once it could get the
 * agent dropped as a slow consumer, and with it every conversation it holds). False: out of
 * memory, nothing was taken.
 */
static bool hand_over(struct agent *a, struct conn *c)
{
	char note[NICK_BUFSIZE + 16];
	struct store_msg m;
	struct fd_frame f;

	if (!a->handover && !(a->handover = evbuffer_new()))
		return false; /* what @c held is kept for the next agent instead */
	while (conn_take_held(c, a->team->server->held_body, &f)) {
		a->handover_ticket = record_release(c, c->conv, &f, &m);
		deliver_record_msg(a->handover, &m);
	}
	snprintf(note, sizeof(note), "customer-left %s", c->nick);
	fd_frame_encode(a->handover, FD_FRAME_NOTICE, note, strlen(note));
	agent_pump(a);
	return true;
}

/*
 * Served customer @c's conversation ends: what it still held goes to its agent first. With
 * its agent away, no agent sees the end: returns whether the next agent is owed what @c said
 * that nobody answered (offline.h).
 */
static bool end_chat(struct team *t, struct chat *ch)
{
	struct conn *c = ch->customer;
	bool owed = false;

	if (!agent_here(ch->agent) || !hand_over(ch->agent, c))
		owed = conn_has_held(c) || ch->turn == CHAT_TURN_AGENT;
	drop_replies(ch, "left");
	unserve(ch);
	note_length(t, fd_clock_seconds() - ch->served_at);
	log_info("%s (%s) is no longer served", c->nick, c->peer);
	return owed;
}

/* Customer @c leaves the line: gave up waiting, or its place outlives this run. */
static bool leave_line(struct team *t, struct conn *c)
{
	unsigned pos = waiting_position(&t->line, c);
	bool survives = session_survives(c);

	waiting_remove(&t->line, c);
	log_info("%s (%s) %s", c->nick, c->peer,
		 survives ? "keeps its place in line across the restart" : "left the line");
	tell_positions(t, pos);
	return survives;
}

/* Customer @c leaves the desk for good: from the line, or its conversation ends. */
void team_customer_leaves(struct team *t, struct conn *c)
{
	struct chat *ch = chat_of(c);
	bool stopping = t->server->stopping, owed = false;

	/* A place that outlives this run keeps its conversation open, held messages too. */
	if (c->queued_link && leave_line(t, c)) {
		chat_free(ch);
		return;
	}
	if (ch && ch->agent) {
		owed = end_chat(t, ch);
	} else if (conn_has_held(c) && !c->conv_ended) {
		/* Waiting when the daemon stopped: the next agent gets it, as after a crash. */
		owed = stopping;
		/* Gave up waiting: what it held stays in its transcript, undelivered. */
		if (!owed)
			store_drop_held(t->server->store, c->conv, c->nick);
	}
	if (!c->conv_ended && c->conv)
		store_conv_end(t->server->store, c->conv, stopping ? END_SHUTDOWN : c->end_why,
			       fd_clock_unix_ms(), owed);
	if (owed) {
		log_info("what %s said that no agent answered is kept for the next agent", c->nick);
		t->offline.more = true;
		team_assign_soon(t);
	}
	if (ch)
		chat_free(ch);
}
