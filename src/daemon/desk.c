/* SPDX-License-Identifier: ISC */
/*
 * desk.c - single-agent mode: one agent, one active customer, everyone else in line.
 *
 * State: at most one agent conn, at most one active customer, and a FIFO of queued customers
 * (conn->link). Every chat message is first appended to its sender's held buffer; desk_pump()
 * then relays what the rules allow: in strict turns one message per side per turn, in free
 * turns everything, and nothing while the other side is missing. Holding first and relaying
 * second keeps one code path for "queued", "agent offline" and "not your turn", and keeps
 * order: a sender's messages leave in the order they came. Each customer's conversation is a
 * transcript in the store (store.h): a message is stored when held and gets its ID when relayed.
 *
 * A conn leaves the desk only through desk_detach(): from the server's sweep, or (next, kick, an
 * agent's takeover) from a command of the agent through server_detach(), which runs it at once
 * on a conn already closed; never inside a loop over the queue, and nothing is freed there, so
 * serving the next customer never runs on freed memory or in the middle of a walk of the line.
 */
#include "desk.h"
#include "desk-priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "clock.h"
#include "deliver.h"
#include "held.h"
#include "history.h"
#include "log.h"
#include "record.h"
#include "server.h"
#include "session.h"
#include "store.h"
#include "typing.h"

/*
 * The active customer's idle deadline runs only while an agent is attached: with nobody to
 * answer, silence is not the customer's fault, and the line keeps its places (overnight too).
 */
void arm_idle(struct desk *d)
{
	if (d->active && !d->active->kept && conn_live(d->active))
		conn_set_timer(d->active,
			       agent_here(d) ? d->server->config.customer_idle_timeout : 0);
}

static void tell_agent_queue(struct desk *d)
{
	if (agent_here(d))
		conn_notice(d->agent, "queue %u", d->line.n);
}

/* Tell queued customers their place, starting at position @from (1-based). */
static void tell_positions(struct desk *d, unsigned from)
{
	waiting_tell(&d->line, from, NULL, NULL);
}

static void tell_turn(struct desk *d)
{
	if (!strict(d) || !d->active || !agent_here(d))
		return;
	conn_notice(d->turn == TURN_CUSTOMER ? d->active : d->agent, "turn");
}

/*
 * Whether @c's oldest held message may go now, @side's turn: in strict turns only on its turn,
 * but a file message at any time (decided: an attachment to the conversation, it neither
 * needs the turn nor passes it; a line, a screenshot and a PDF wait for no reply between them).
 */
static bool may_go(struct desk *d, struct conn *c, enum turn side)
{
	return !strict(d) || d->turn == side || held_file_first(c->held);
}

/* Move held messages across as far as the turn rules allow. */
void desk_pump(struct desk *d)
{
	struct server *s = d->server;
	struct store_msg m;
	struct fd_frame f;
	uint64_t ticket;
	bool moved;

	if (agent_here(d))
		replay_offline(d);
	/* Earlier conversations go first, whole; the drained hook brings us back for the rest. */
	if (offline_pending(&d->offline) || (agent_here(d) && d->offline.more))
		return;
	if (d->resend_unanswered && d->active && agent_here(d) && d->nunanswered > 0)
		replay_unanswered(d);
	d->resend_unanswered = false;
	do {
		moved = false;
		if (!d->active || !conn_live(d->active) || !agent_here(d))
			return;
		if (may_go(d, d->active, TURN_CUSTOMER) && !conn_output_busy(d->agent) &&
		    conn_take_held(d->active, s->held_body, &f)) {
			ticket = record_release(d->active, d->active->conv, &f, &m);
			/* Kept as unanswered: an agent dropped now (slow consumer) gets it again.
			 */
			keep_unanswered(d, &m);
			if (deliver_msg(d->agent, ticket, &m, false) < 0)
				return;
			/* Kept in free turns too, so a switch to strict turns knows whose turn it
			 * is. A file passes no turn. */
			if (f.type != FD_FRAME_DATA) {
				d->turn = TURN_AGENT;
				tell_turn(d);
			}
			moved = true;
		}
		if (!agent_here(d) || !d->active || !conn_live(d->active))
			return;
		if (may_go(d, d->agent, TURN_AGENT) && conn_take_held(d->agent, s->held_body, &f)) {
			ticket = record_release(d->agent, d->active->conv, &f, &m);
			deliver_msg(d->active, ticket, &m, false);
			if (f.type != FD_FRAME_DATA) { /* a file answers nothing, passes no turn */
				d->turn = TURN_CUSTOMER;
				forget_unanswered(d);
				tell_turn(d);
			}
			moved = true;
		}
	} while (moved);
}

static void on_pump(evutil_socket_t fd, short what, void *arg)
{
	desk_pump(arg);
}

/* A conversation kept for the next agent was read from the store: give it. */
static void pump_fetched(void *arg)
{
	desk_pump(arg);
}

/*
 * Relay on the next loop turn: after an attach, the newcomer's "hello notices" (usually in
 * the same read) is answered first, so an agent learns who the customer is before reading
 * what the customer wrote.
 */
void desk_pump_soon(struct desk *d)
{
	event_active(d->pump, EV_READ, 0);
}

void tell_customer_state(struct desk *d, struct conn *c)
{
	if (c->state == CONN_QUEUED) {
		conn_notice(c, "queued %u", waiting_position(&d->line, c));
		if (!agent_here(d))
			conn_notice(c, "agent-offline");
	} else if (agent_here(d)) {
		tell_serving(d, c);
		if (strict(d) && d->turn == TURN_CUSTOMER)
			conn_notice(c, "turn");
	} else {
		conn_notice(c, "agent-offline");
	}
}

static void serve(struct desk *d, struct conn *c)
{
	d->active = c;
	d->turn = TURN_CUSTOMER;
	forget_unanswered(d);
	d->resend_unanswered = false;
	waiting_served(c);
	conn_set_state(c, CONN_ACTIVE);
	arm_idle(d);
	log_info("serving %s (%s), %u waiting", c->nick, c->peer, d->line.n);
	if (agent_here(d))
		store_conv_agent(d->server->store, c->conv, d->agent->nick);
	/* Behind a replay, the agent is told who is served when the replay ends. */
	if (agent_here(d) && evbuffer_get_length(d->offline.buf) == 0 && !d->offline.more)
		tell_customer(d, d->agent);
	else
		d->tell_later = true;
	desk_pump_soon(d);
}

/*
 * The head of the line becomes active, skipping anyone already on the way out. Someone away
 * (kept for a resume, session.h) keeps its place: while an agent waits to serve, the next one
 * is served instead; with no agent, nobody passes it (after a restart everyone is away a
 * moment, and the line keeps its order whoever reconnects first).
 */
void serve_next(struct desk *d)
{
	struct conn *c, *next;

	if (d->server->stopping)
		return;
	for (c = TAILQ_FIRST(&d->line.q); c; c = next) {
		next = TAILQ_NEXT(c, link);
		if (c->kept && !agent_here(d))
			break;
		if (c->kept)
			continue;
		waiting_remove(&d->line, c);
		if (conn_live(c)) {
			serve(d, c);
			tell_customer_state(d, c);
			tell_positions(d, 1);
			break;
		}
	}
	tell_agent_queue(d); /* the line got shorter */
}

/*
 * The agent came back while its old connection still looks attached (a laptop that slept, a
 * network that changed): same name, same credentials. The new connection takes over at once
 * and the old one is closed with "error replaced". No liveness check first: the person
 * reconnecting knows the old connection is of no use, and waiting up to peer_timeout for it
 * to fail a ping would keep the desk unanswered meanwhile. Customers see nothing: their agent
 * did not change. The old conn's held replies pass to the new one, and what the customer
 * wrote since the agent last answered is given again (the old one may never have read it).
 */
static void take_over(struct desk *d, struct conn *c)
{
	struct conn *old = d->agent;
	struct fd_frame f;

	d->agent = c;
	conn_set_state(c, CONN_ACTIVE);
	memcpy(c->nick, old->nick, sizeof(c->nick)); /* not "mary2": the name customers know */
	while (conn_take_held(old, d->server->held_body, &f) && conn_hold(c, &f) == 0)
		;
	log_info("agent %s (%s) takes over from its old connection", c->nick, c->peer);
	conn_fail(old, "replaced", "a new connection as %s took over", old->nick);
	server_detach(old); /* releases the name now; the desk has nothing left to undo */
	d->resend_unanswered = d->active && d->nunanswered > 0;
	desk_pump_soon(d);
}

void attach_agent(struct desk *d, struct conn *c)
{
	struct conn *q;

	if (agent_here(d) && strcmp(c->asked, d->agent->asked) == 0 &&
	    conn_same_owner(c, d->agent)) {
		take_over(d, c);
		return;
	}
	if (agent_here(d)) {
		conn_fail(c, "agent-busy", "%s is already the agent; one agent at a time",
			  d->agent->nick);
		return;
	}
	d->agent = c;
	conn_set_state(c, CONN_ACTIVE);
	arm_idle(d);
	if (d->active) {
		store_conv_agent(d->server->store, d->active->conv, c->nick);
		conn_notice(d->active, "agent-online %s", c->nick);
		tell_serving(d, d->active);
	}
	TAILQ_FOREACH (q, &d->line.q, link)
		conn_notice(q, "agent-online %s", c->nick);
	/* What the previous agent never answered goes to this one (after its hello). */
	d->resend_unanswered = d->active && d->nunanswered > 0;
	if (d->active && strict(d) && d->turn == TURN_CUSTOMER)
		conn_notice(d->active, "turn");
	if (!d->active && d->line.n)
		serve_next(d); /* someone away held the line up while no agent was here */
	desk_pump_soon(d);
}

static void attach_customer(struct desk *d, struct conn *c)
{
	/* Those waiting are away if nobody is served: passed only when an agent is here. */
	if (!d->active && (!d->line.n || agent_here(d))) {
		c->conv = record_conv_begin(c);
		serve(d, c);
		return;
	}
	if (d->line.n >= d->server->config.max_queue) {
		waiting_refuse_full(c, d->line.n);
		return;
	}
	c->conv = record_conv_begin(c);
	waiting_append(&d->line, c);
	conn_set_state(c, CONN_QUEUED);
	log_info("%s (%s) waits in line at position %u", c->nick, c->peer, d->line.n);
	tell_agent_queue(d);
}

void desk_attach(struct conn *c)
{
	struct desk *d = c->server->desk;

	if (c->role == ROLE_AGENT) {
		drop_agent_held(d); /* a lost agent's replies are not this one's to send */
		attach_agent(d, c);
	} else {
		attach_customer(d, c);
	}
}

/*
 * The active customer's connection was lost and its conversation waits for its resume. A
 * wave-2 notice: only to an agent granted a capability (the opt-in rule, protocol 7.1).
 */
static void tell_away(struct desk *d, struct conn *c)
{
	if (agent_here(d) && d->agent->caps)
		conn_notice(d->agent, "customer-away %s", c->nick);
}

/* Where the agent stands: whom it serves (away, maybe), the line, whether it is its turn. */
void tell_agent_state(struct desk *d, struct conn *c)
{
	if (d->active)
		tell_customer(d, c);
	if (d->active && d->active->kept)
		tell_away(d, d->active);
	conn_notice(c, "queue %u", d->line.n);
	if (d->active && strict(d) && d->turn == TURN_AGENT)
		conn_notice(c, "turn");
}

/* Clients enforce strict turns at the prompt, so they need to know which rule applies. */
void tell_turns(struct desk *d, struct conn *c)
{
	conn_notice(c, "turns %s", strict(d) ? "strict" : "free");
}

static void desk_hello(struct conn *c)
{
	struct desk *d = c->server->desk;

	conn_notice(c, "welcome single-agent %s", c->nick);
	tell_turns(d, c);
	if (c->role != ROLE_AGENT)
		tell_customer_state(d, c);
	else
		tell_agent_state(d, c);
}

static void desk_message(struct conn *c, const struct fd_frame *f)
{
	struct desk *d = c->server->desk;
	struct store_msg m;
	bool my_turn;

	if (c->role == ROLE_AGENT) {
		/*
		 * A customer who is away gets it when it is back (held meanwhile), also one just
		 * lost, whose place is kept once the sweep has detached it.
		 */
		if (!d->active ||
		    (!conn_live(d->active) && !d->active->kept && !session_waits(d->active))) {
			conn_error(c, "no-customer", "nobody is being served; message not sent");
			return;
		}
		my_turn = !strict(d) || d->turn == TURN_AGENT;
	} else {
		my_turn = c != d->active || !strict(d) || d->turn == TURN_CUSTOMER;
	}
	record_store(c, c->role == ROLE_AGENT ? d->active->conv : c->conv, f, &m);
	if (record_hold(c, &m) < 0)
		return;
	if (c == d->active || c == d->agent)
		arm_idle(d);
	if (!my_turn && agent_here(d) && f->type != FD_FRAME_DATA)
		conn_error(c, "not-your-turn", "held until %s replies",
			   c == d->agent ? d->active->nick : d->agent->nick);
	desk_pump(d);
}

const char *desk_customer(struct server *s, const char *name)
{
	struct conn *cu = s->desk ? s->desk->active : NULL;

	/* As desk_message() takes an agent's message: also for a customer away or just lost. */
	if (!cu || (!conn_live(cu) && !cu->kept && !session_waits(cu)))
		return NULL;
	return !*name || strcmp(name, cu->nick) == 0 ? cu->nick : NULL;
}

struct conn *desk_file_peer(struct conn *c)
{
	struct desk *d = c->server->desk;

	if (c->role == ROLE_AGENT)
		return d->agent == c ? d->active : NULL;
	return d->active == c ? d->agent : NULL;
}

static void desk_detach(struct conn *c)
{
	struct desk *d = c->server->desk;
	struct conn *q;

	if (c == d->agent) {
		/* Its replies not yet delivered: kept for its resume, else never delivered. */
		if (conn_has_held(c) && d->active && session_waits(c))
			keep_agent_held(d, c);
		else if (conn_has_held(c) && d->active)
			store_drop_held(d->server->store, d->active->conv, c->nick);
		d->agent = NULL;
		arm_idle(d); /* stopped: nobody is there to answer */
		log_info("agent %s left", c->nick);
		if (d->active && conn_live(d->active))
			conn_notice(d->active, "agent-offline");
		TAILQ_FOREACH (q, &d->line.q, link)
			conn_notice(q, "agent-offline");
		return;
	}
	/* Lost with a session that waits for a resume: its place is kept (away, below). */
	if ((c == d->active || c->queued_link) && session_waits(c)) {
		c->kept = true;
		log_info("%s is away; its %s is kept for a resume", c->nick,
			 c == d->active ? "conversation" : "place in line");
		if (c == d->active)
			tell_away(d, c);
		return;
	}
	customer_leaves(d, c);
}

/* Customer @c leaves the desk for good: from the line, or its conversation ends. */
void customer_leaves(struct desk *d, struct conn *c)
{
	if (c == d->active) {
		drop_agent_held(d); /* a lost agent's replies to it */
		/*
		 * Messages the customer sent before leaving were accepted: they go to the agent as
		 * it reads (paced like any replay), or to the next agent; an agent that leaves
		 * during the hand-over leaves the rest to the next one.
		 */
		keep_offline(d, c, agent_here(d));
		desk_pump_soon(d);
		/* Replies the agent wrote to this customer must not reach the next one. */
		if (agent_here(d) && conn_has_held(d->agent)) {
			store_drop_held(d->server->store, c->conv, d->agent->nick);
			conn_drop_held(d->agent);
			conn_error(d->agent, "no-customer",
				   "%s left before your held reply could be delivered", c->nick);
		}
		log_info("%s (%s) is no longer served", c->nick, c->peer);
		d->active = NULL;
		serve_next(d);
		return;
	}
	if (c->queued_link) {
		unsigned pos = waiting_position(&d->line, c);

		waiting_remove(&d->line, c);
		/* Its session outlives this run: its conversation stays open, held messages too. */
		if (session_survives(c)) {
			log_info("%s (%s) keeps its place in line across the restart", c->nick,
				 c->peer);
			return;
		}
		/*
		 * Gave up waiting: what it held stays in its transcript, undelivered. Waiting when
		 * the daemon stopped: it goes to the next agent, as after a crash.
		 */
		if (!d->server->stopping && !c->conv_ended)
			store_drop_held(d->server->store, c->conv, c->nick);
		/* Back from a restart with its conversation over (it was served): nothing to end.
		 */
		if (!c->conv_ended)
			store_conv_end(d->server->store, c->conv,
				       d->server->stopping ? END_SHUTDOWN : c->end_why,
				       fd_clock_unix_ms(), d->server->stopping && conn_has_held(c));
		if (d->server->stopping && conn_has_held(c))
			d->offline.more = true;
		log_info("%s (%s) left the line", c->nick, c->peer);
		tell_positions(d, pos);
		tell_agent_queue(d);
		/* An away head that held the line up (no agent) is gone: the next one is served. */
		if (!d->active && !d->server->stopping)
			serve_next(d);
	}
}

/* next: end the active conversation; the head of the line is served. */
static void cmd_next(struct conn *c, const char *arg)
{
	struct desk *d = c->server->desk;

	if (!d->active) {
		conn_error(c, "no-customer", "nobody is being served");
		return;
	}
	if (d->active->kept) {
		end_away(d->active, END_NEXT);
		return;
	}
	conn_notice(d->active, "bye -- %s ended the conversation", c->nick);
	conn_close(d->active, "ended by the agent");
	/* Serve the next one before the agent's following command (maybe another next) runs. */
	d->active->end_why = END_NEXT;
	server_detach(d->active);
}

/*
 * queue: the line (waiting_list()). Bounded, so the answer fits every allowed max_output_bytes
 * (16 KiB at least) however long the line: a long line must not get the agent dropped as a slow
 * consumer for asking.
 */
static void cmd_queue(struct conn *c, const char *arg)
{
	waiting_list(&c->server->desk->line, c, false);
}

/* kick NAME: end that customer's connection, whether served, waiting or away. */
static void cmd_kick(struct conn *c, const char *arg)
{
	struct conn *t = server_find_nick(c->server, arg);

	if (!t && (t = find_away(c->server->desk, arg))) {
		end_away(t, END_KICK);
		return;
	}
	if (!t || t->role != ROLE_CUSTOMER) {
		conn_error(c, "no-customer", "no customer is called %s", arg);
		return;
	}
	conn_fail(t, "kicked", "%s ended your connection", c->nick);
	t->end_why = END_KICK;
	server_detach(t);
}

/* For `systemctl status`: "serving bob, 2 waiting", "no customer, 0 waiting, no agent". */
static void desk_status(struct server *s, char *buf, size_t len)
{
	struct desk *d = s->desk;
	const char *agent = agent_here(d) ? "" : ", no agent";

	if (d->active)
		snprintf(buf, len, "serving %s, %u waiting%s", d->active->nick, d->line.n, agent);
	else
		snprintf(buf, len, "no customer, %u waiting%s", d->line.n, agent);
}

/* For the metrics: the line, and the agent if there is one (here or kept for its resume). */
static void desk_inspect(struct server *s, const struct inspector *in)
{
	struct desk *d = s->desk;
	enum agent_status st = d->active ? AGENT_BUSY : AGENT_AVAILABLE;

	waiting_inspect(&d->line, in);
	if (d->agent && !agent_here(d) && d->agent->kept)
		st = AGENT_DETACHED;
	else if (!agent_here(d))
		return;
	in->agent(in->arg, d->agent->nick, st, d->active ? 1 : 0, 1);
}

/* For "info": the line, and the agent if it is here (the one desk has no "away"). */
static void desk_info(struct server *s, char *buf, size_t len)
{
	struct desk *d = s->desk;

	snprintf(buf, len, "waiting=%u agents=%u", d->line.n, agent_here(d) ? 1u : 0u);
}

static const struct command desk_commands[] = {
	{ "next", 1u << ROLE_AGENT, ARG_NONE, cmd_next },
	{ "queue", 1u << ROLE_AGENT, ARG_NONE, cmd_queue },
	{ "kick", 1u << ROLE_AGENT, ARG_REQUIRED, cmd_kick },
	{ "earlier", 1u << ROLE_AGENT, ARG_REQUIRED, cmd_earlier },
	{ NULL, 0, ARG_NONE, NULL },
};

/* The agent took in what was sent: relay (and replay) more. */
static void desk_drained(struct conn *c)
{
	if (c == c->server->desk->agent)
		desk_pump(c->server->desk);
}

/* A reload changed live keys: the turn rule may have changed either way. */
static void desk_reconfigured(struct server *s)
{
	struct desk *d = s->desk;

	if (strict(d) && !d->was_strict) {
		/*
		 * Free to strict: the turn is the side that did not speak last (kept up in free
		 * turns too). What the customer wrote since the agent last wrote stays on record
		 * (unanswered is kept in free turns too): it is the question now.
		 */
		d->resend_unanswered = false;
		tell_turn(d);
	}
	d->was_strict = strict(d);
	/* Switched to free turns: what waited for a turn may go now. */
	desk_pump_soon(d);
}

/*
 * typing: between the customer served and the agent, both here; nobody hears of a customer
 * typing in line. In strict turns too: it says someone is writing, it takes no turn.
 */
static void desk_typing(struct conn *c, const char *name)
{
	struct desk *d = c->server->desk;

	if (!d->active || !conn_live(d->active) || !agent_here(d))
		return;
	if (c == d->active)
		typing_tell(d->agent, c->nick);
	else if (c == d->agent && (!*name || strcmp(name, d->active->nick) == 0) &&
		 typing_due(&d->typing_at))
		typing_tell(d->active, c->nick);
}

/* history: a customer's own conversation; the agent's, the one it serves. */
static int64_t desk_history_conv(struct conn *c)
{
	struct desk *d = c->server->desk;
	struct conn *customer = c->role == ROLE_AGENT ? d->active : c;

	return customer && customer->conv ? (int64_t)customer->conv : -1;
}

const struct mode_ops desk_ops = {
	.history_conv = desk_history_conv,
	.reconfigured = desk_reconfigured,
	.drained = desk_drained,
	.attach = desk_attach,
	.hello = desk_hello,
	.message = desk_message,
	.detach = desk_detach,
	.may_resume = desk_may_resume,
	.resumed = desk_resumed,
	.away_over = desk_away_over,
	.restore = desk_restore,
	.status = desk_status,
	.inspect = desk_inspect,
	.info = desk_info,
	.typing = desk_typing,
	.commands = desk_commands,
};

int desk_new(struct server *s, struct desk **ret)
{
	struct desk *d = calloc(1, sizeof(*d));

	if (!d)
		return -ENOMEM;
	d->server = s;
	d->was_strict = strict(d);
	waiting_init(&d->line);
	d->unanswered = evbuffer_new();
	d->pump = event_new(s->base, -1, 0, on_pump, d);
	if (offline_init(&d->offline, s, pump_fetched, d) < 0 || !d->unanswered || !d->pump) {
		desk_free(d);
		return -ENOMEM;
	}
	*ret = d;
	return 0;
}

void desk_free(struct desk *d)
{
	if (!d)
		return;
	if (d->unanswered)
		evbuffer_free(d->unanswered);
	offline_free(&d->offline);
	if (d->pump)
		event_free(d->pump);
	if (d->agent_held)
		evbuffer_free(d->agent_held);
	free(d);
}
