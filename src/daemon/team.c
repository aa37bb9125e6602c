/* SPDX-License-Identifier: ISC */
/*
 * team.c - the desk with several agents: up to max_agents agents, each holding up to
 * max_chats_per_agent conversations (several only for a client granted "agent", protocol 7.5),
 * and one line of customers, first come first served.
 *
 * Each customer has a struct chat from its arrival to its leaving; an agent, a struct agent.
 * Messages are held first and relayed second, as at the one-agent desk (desk.c): a customer's
 * at its conn, an agent's replies at the chat they are for, so that a reply waiting for its
 * turn holds up no other conversation. chat_pump() relays what the turn rule allows, one chat
 * at a time. A message is stored when held and gets its ID when relayed (record.h).
 *
 * Who serves whom is team-assign.c; resumes and takeovers team-away.c; the agents' commands
 * team-cmd.c. As at the desk, a conn leaves only through team_detach() (from the sweep, or
 * from a command through server_detach()), never inside a walk of the line or of an agent's
 * chats that could still use it.
 */
#include "team.h"
#include "team-priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "clock.h"
#include "deliver.h"
#include "held.h"
#include "log.h"
#include "record.h"
#include "session.h"
#include "store.h"

void chat_tell_agent(struct chat *ch)
{
	char tag[24];

	conn_notice(ch->agent->conn, "customer %s%s", ch->customer->nick,
		    deliver_conv_tag(ch->agent->conn, ch->customer->conv, tag));
}

void chat_tell_serving(struct chat *ch)
{
	char tag[24];

	conn_notice(ch->customer, "serving %s%s", ch->agent->conn->nick,
		    deliver_conv_tag(ch->customer, ch->customer->conv, tag));
}

/* "turn" to @ch's agent; one with several chats is told which ("turn NAME"). */
void tell_agent_turn(struct chat *ch)
{
	struct conn *ag = ch->agent->conn;

	if (ag->caps & CAP_AGENT)
		conn_notice(ag, "turn %s", ch->customer->nick);
	else
		conn_notice(ag, "turn");
}

/* "turn" to whichever side it is. */
void tell_turn(struct chat *ch)
{
	if (!team_strict(ch->team) || !ch->agent || !agent_here(ch->agent) ||
	    !conn_live(ch->customer))
		return;
	if (ch->turn == CHAT_TURN_CUSTOMER)
		conn_notice(ch->customer, "turn");
	else
		tell_agent_turn(ch);
}

/* The served customer's idle deadline runs only while its agent is here (as at the desk). */
void chat_arm_idle(struct chat *ch)
{
	struct conn *cu = ch->customer;

	if (conn_live(cu) && !cu->kept && ch->agent)
		conn_set_timer(
		    cu, agent_here(ch->agent) ? ch->team->server->config.customer_idle_timeout : 0);
}

/* Whether every chat of @a holds at most max_held_bytes of its replies: reading may go on. */
static bool replies_fit(const struct agent *a)
{
	const struct chat *ch;

	TAILQ_FOREACH (ch, &a->chats, entry)
		if (ch->replies &&
		    evbuffer_get_length(ch->replies) > a->team->server->config.max_held_bytes)
			return false;
	return true;
}

static bool take_reply(struct chat *ch, struct fd_frame *f)
{
	if (!held_take(ch->replies, ch->team->server->held_body, f))
		return false;
	if (replies_fit(ch->agent))
		conn_resume(ch->agent->conn, PAUSE_HELD);
	return true;
}

/*
 * Whether the oldest of @held (a side of @ch) may go now, @side's turn: in strict turns only
 * on its turn, but a file message at any time (decided: an attachment to the conversation, it
 * neither needs the turn nor passes it).
 */
static bool may_go(const struct chat *ch, struct evbuffer *held, enum chat_turn side)
{
	return !team_strict(ch->team) || ch->turn == side || held_file_first(held);
}

/* Move held messages across as far as the turn rule allows. */
void chat_pump(struct chat *ch)
{
	struct conn *cu = ch->customer, *ag;
	struct store_msg m;
	struct fd_frame f;
	bool moved;

	do {
		moved = false;
		if (!ch->agent || !agent_here(ch->agent) || !conn_live(cu))
			return;
		ag = ch->agent->conn;
		if (may_go(ch, cu->held, CHAT_TURN_CUSTOMER) && !conn_output_busy(ag) &&
		    conn_take_held(cu, ch->team->server->held_body, &f)) {
			uint64_t ticket = record_release(cu, cu->conv, &f, &m);

			/* Several chats: the agent must see whose it is ("NAME: TEXT"). */
			if (deliver_msg(ag, ticket, &m, ag->caps & CAP_AGENT) < 0)
				return;
			if (f.type != FD_FRAME_DATA) { /* a file passes no turn, asks no answer */
				ch->turn = CHAT_TURN_AGENT;
				tell_turn(ch);
				arm_answer(ch);
			}
			moved = true;
		}
		if (!ch->agent || !agent_here(ch->agent) || !conn_live(cu))
			return;
		if (may_go(ch, ch->replies, CHAT_TURN_AGENT) && take_reply(ch, &f)) {
			uint64_t ticket = record_release(ag, cu->conv, &f, &m);

			deliver_msg(cu, ticket, &m, false);
			if (f.type != FD_FRAME_DATA) {
				ch->turn = CHAT_TURN_CUSTOMER;
				tell_turn(ch);
			}
			moved = true;
		}
	} while (moved);
}

/* The agent's replies held in @ch will never be delivered: the transcript says so. */
void drop_replies(struct chat *ch, const char *why)
{
	struct conn *ag = ch->agent ? ch->agent->conn : NULL;

	if (!ch->replies || evbuffer_get_length(ch->replies) == 0 || !ag)
		return;
	store_drop_held(ch->team->server->store, ch->customer->conv, ag->nick);
	evbuffer_drain(ch->replies, evbuffer_get_length(ch->replies));
	if (replies_fit(ch->agent))
		conn_resume(ag, PAUSE_HELD);
	if (agent_here(ch->agent))
		conn_error(ag, "no-customer", "%s %s before your held reply could be delivered",
			   ch->customer->nick, why);
}

/* Hold agent @ag's reply @f to @ch: it goes when the turn allows. */
static int hold_reply(struct chat *ch, struct conn *ag, const struct fd_frame *f)
{
	struct store_msg m;

	record_store(ag, ch->customer->conv, f, &m);
	if ((!ch->replies && !(ch->replies = evbuffer_new())) || record_put(ch->replies, &m) < 0) {
		conn_fail(ag, "out-of-memory", "the server could not keep your message");
		return -ENOMEM;
	}
	if (evbuffer_get_length(ch->replies) > ag->server->config.max_held_bytes)
		conn_pause(ag, PAUSE_HELD);
	/* The agent answered: it owes nothing now (a held reply is an answer too; not a file). */
	if (f->type != FD_FRAME_DATA)
		event_del(ch->answer);
	return 0;
}

/*
 * The chat an agent's message is for: its only one, or, for an agent granted "agent", the one
 * its "NAME: " prefix names (*@text, *@len: the message without it). NULL: told why.
 */
static struct chat *addressed(struct agent *a, const struct fd_frame *f, const char **text,
			      size_t *len)
{
	struct fd_frame cut = *f;
	struct chat *ch;
	size_t name_len;

	*text = f->body;
	*len = f->len;
	if (!(a->conn->caps & CAP_AGENT)) {
		if (!(ch = TAILQ_FIRST(&a->chats)))
			conn_error(a->conn, "no-customer",
				   "nobody is being served; message not sent");
		return ch;
	}
	if (!(name_len = team_address(a->conn, &cut)))
		return NULL;
	if (!(ch = find_chat(a, f->body, name_len))) {
		conn_error(a->conn, "no-customer", "%.*s is not one of your customers; not sent",
			   (int)name_len, f->body);
		return NULL;
	}
	*text = cut.body;
	*len = cut.len;
	return ch;
}

size_t team_address(struct conn *ag, struct fd_frame *f)
{
	const char *colon = memchr(f->body, ':', f->len);
	size_t name_len = colon ? (size_t)(colon - f->body) : 0;

	if (!colon || name_len + 1 >= f->len || colon[1] != ' ') {
		conn_error(ag, "no-customer",
			   "start a message with its customer's name: NAME: text; not sent");
		return 0;
	}
	f->len -= name_len + 2;
	f->body += name_len + 2;
	return name_len;
}

static void agent_message(struct agent *a, const struct fd_frame *f)
{
	struct fd_frame reply = *f;
	struct chat *ch = addressed(a, f, (const char **)&reply.body, &reply.len);

	if (!ch || hold_reply(ch, a->conn, &reply) < 0)
		return;
	chat_arm_idle(ch);
	if (team_strict(a->team) && ch->turn == CHAT_TURN_CUSTOMER && conn_live(ch->customer) &&
	    f->type != FD_FRAME_DATA)
		conn_error(a->conn, "not-your-turn", "held until %s replies", ch->customer->nick);
	chat_pump(ch);
}

static void team_message(struct conn *c, const struct fd_frame *f)
{
	struct chat *ch = chat_of(c);
	struct store_msg m;

	if (c->role == ROLE_AGENT) {
		agent_message(agent_of(c), f);
		return;
	}
	record_store(c, c->conv, f, &m);
	if (record_hold(c, &m) < 0 || !ch->agent)
		return; /* waiting: it goes to whoever serves it */
	chat_arm_idle(ch);
	if (team_strict(ch->team) && ch->turn == CHAT_TURN_AGENT && agent_here(ch->agent) &&
	    f->type != FD_FRAME_DATA)
		conn_error(c, "not-your-turn", "held until %s replies", ch->agent->conn->nick);
	chat_pump(ch);
}

static struct agent *agent_new(struct team *t, struct conn *c)
{
	struct agent *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->team = t;
	a->conn = c;
	a->serial = ++t->serials;
	a->idle_since = fd_clock_seconds();
	TAILQ_INIT(&a->chats);
	TAILQ_INSERT_TAIL(&t->agents, a, entry);
	t->nagents++;
	c->mode_data = a;
	return a;
}

void agent_free(struct agent *a)
{
	struct offline *o = &a->team->offline;

	if (a->team->offline_to == a)
		a->team->offline_to = NULL; /* the rest goes to the next agent */
	/* What a customer who left still had for it goes to the next agent too. */
	if (a->handover && evbuffer_get_length(a->handover) > 0) {
		evbuffer_add_buffer(o->buf, a->handover);
		if (a->handover_ticket > o->ticket)
			o->ticket = a->handover_ticket;
		team_assign_soon(a->team);
	}
	if (a->handover)
		evbuffer_free(a->handover);
	TAILQ_REMOVE(&a->team->agents, a, entry);
	a->team->nagents--;
	if (a->conn->mode_data == a)
		a->conn->mode_data = NULL;
	free(a);
}

/* Agents here: for "agent-online" and "agent-offline" to the line as the desk says them. */
unsigned agents_here(const struct team *t)
{
	unsigned n = 0;
	const struct agent *a;

	TAILQ_FOREACH (a, &t->agents, entry)
		n += agent_here(a);
	return n;
}

void tell_line(struct team *t, const char *what, const char *name)
{
	struct conn *q;

	TAILQ_FOREACH (q, &t->line.q, link)
		conn_notice(q, "%s%s%s", what, name ? " " : "", name ? name : "");
}

static void attach_agent(struct team *t, struct conn *c)
{
	struct agent *a;

	TAILQ_FOREACH (a, &t->agents, entry)
		if (strcmp(a->conn->asked, c->asked) == 0 && conn_same_owner(c, a->conn)) {
			take_over(a, c);
			return;
		}
	if (t->nagents >= t->server->config.max_agents) {
		conn_fail(c, "agent-busy", "%u agents are already at the desk (max_agents)",
			  t->nagents);
		return;
	}
	if (!agent_new(t, c)) {
		conn_fail(c, "out-of-memory", "the server could not take another agent");
		return;
	}
	conn_set_state(c, CONN_ACTIVE);
	if (agents_here(t) == 1)
		tell_line(t, "agent-online", c->nick);
	/* On the next turn: the agent's hello (and its "caps agent") is answered first. */
	team_assign_soon(t);
}

static void attach_customer(struct team *t, struct conn *c)
{
	struct chat *ch = chat_new(t, c);

	if (!ch) {
		conn_fail(c, "out-of-memory", "the server could not take another customer");
		return;
	}
	if (t->line.n >= t->server->config.max_queue) {
		waiting_refuse_full(c, t->line.n);
		return;
	}
	c->conv = record_conv_begin(c);
	waiting_append(&t->line, c);
	team_assign(t); /* served at once if an agent has room: told at its hello */
	if (!c->queued_link)
		return;
	conn_set_state(c, CONN_QUEUED);
	log_info("%s (%s) waits in line at position %u", c->nick, c->peer, t->line.n);
	tell_agents_queue(t);
}

static void team_attach(struct conn *c)
{
	if (c->role == ROLE_AGENT)
		attach_agent(c->server->team, c);
	else
		attach_customer(c->server->team, c);
}

void team_tell_customer(struct chat *ch)
{
	struct conn *c = ch->customer;

	if (!ch->agent) {
		waiting_tell_one(&ch->team->line, c, team_eta, ch->team);
		if (!agents_here(ch->team))
			conn_notice(c, "agent-offline");
	} else if (agent_here(ch->agent)) {
		chat_tell_serving(ch);
		if (team_strict(ch->team) && ch->turn == CHAT_TURN_CUSTOMER)
			conn_notice(c, "turn");
	} else {
		conn_notice(c, "agent-offline");
	}
}

static void team_hello(struct conn *c)
{
	struct team *t = c->server->team;

	conn_notice(c, "welcome single-agent %s", c->nick);
	conn_notice(c, "turns %s", team_strict(t) ? "strict" : "free");
	if (c->role == ROLE_AGENT)
		team_tell_agent(agent_of(c));
	else
		team_tell_customer(chat_of(c));
}

/* The customers of agent @a (lost, kept for its resume) learn that nobody answers now. */
static void agent_lost(struct agent *a)
{
	struct chat *ch;

	a->conn->kept = true;
	log_info("agent %s is away; its %u conversation(s) are kept for its resume", a->conn->nick,
		 a->nchats);
	TAILQ_FOREACH (ch, &a->chats, entry) {
		event_del(ch->answer);
		chat_arm_idle(ch);
		if (conn_live(ch->customer))
			conn_notice(ch->customer, "agent-offline");
	}
	if (!agents_here(a->team))
		tell_line(a->team, "agent-offline", NULL);
}

static void team_detach(struct conn *c)
{
	struct team *t = c->server->team;
	struct agent *a = agent_of(c);
	struct chat *ch = chat_of(c);

	if (a) {
		if (session_waits(c)) {
			agent_lost(a);
			return;
		}
		log_info("agent %s left", c->nick);
		give_back_all(a, "agent-lost");
		agent_free(a);
		if (!agents_here(t))
			tell_line(t, "agent-offline", NULL);
		return;
	}
	if (!ch)
		return;
	/* Lost with a session that waits for a resume: its place or conversation is kept. */
	if (session_waits(c)) {
		c->kept = true;
		log_info("%s is away; its %s is kept for a resume", c->nick,
			 ch->agent ? "conversation" : "place in line");
		if (ch->agent && agent_here(ch->agent) && ch->agent->conn->caps)
			conn_notice(ch->agent->conn, "customer-away %s", c->nick);
		return;
	}
	team_customer_leaves(t, c);
}

/* Relay what each of @a's chats can (nothing in a relay unlinks a chat: leaving is swept). */
void agent_pump(struct agent *a)
{
	struct chat *ch;

	if (a->handover && agent_here(a))
		deliver_record_send(a->conn, a->handover, a->handover_ticket, true);
	TAILQ_FOREACH (ch, &a->chats, entry)
		chat_pump(ch);
}

/* The agent took in what was sent: relay more to it. */
static void team_drained(struct conn *c)
{
	struct agent *a = agent_of(c);

	if (!a)
		return;
	if (a == a->team->offline_to)
		team_give_offline(a->team);
	agent_pump(a);
}

/* "caps agent": the agent may hold more conversations now. */
static void team_caps(struct conn *c, unsigned added)
{
	if (added & CAP_AGENT)
		team_assign_soon(c->server->team);
}

/* A reload changed live keys: the turn rule may have changed, and answer_timeout. */
static void team_reconfigured(struct server *s)
{
	struct agent *a;
	struct chat *ch;

	TAILQ_FOREACH (a, &s->team->agents, entry) {
		TAILQ_FOREACH (ch, &a->chats, entry)
			tell_turn(ch);
		agent_pump(a);
	}
}

/* history: a customer's own conversation; an agent's, when it has exactly one. */
static int64_t team_history_conv(struct conn *c)
{
	struct agent *a = agent_of(c);
	struct chat *ch = a ? TAILQ_FIRST(&a->chats) : chat_of(c);

	if (a && a->nchats != 1)
		return -1;
	return ch && ch->customer->conv ? (int64_t)ch->customer->conv : -1;
}

/* For `systemctl status`: "3 agents, 5 served, 2 waiting". */
static void team_status(struct server *s, char *buf, size_t len)
{
	struct team *t = s->team;
	unsigned served = 0;
	struct agent *a;

	TAILQ_FOREACH (a, &t->agents, entry)
		served += a->nchats;
	snprintf(buf, len, "%u agent%s, %u served, %u waiting", agents_here(t),
		 agents_here(t) == 1 ? "" : "s", served, t->line.n);
}

/* For the metrics: the line, and each agent with its load. */
static void team_inspect(struct server *s, const struct inspector *in)
{
	struct team *t = s->team;
	struct agent *a;

	waiting_inspect(&t->line, in);
	TAILQ_FOREACH (a, &t->agents, entry) {
		unsigned max = agent_capacity(a);
		enum agent_status st = a->conn->kept      ? AGENT_DETACHED
				       : a->away          ? AGENT_AWAY
				       : a->nchats >= max ? AGENT_BUSY
							  : AGENT_AVAILABLE;

		in->agent(in->arg, a->conn->nick, st, a->nchats, max);
	}
}

/* For "info": the line, and the agents here who take new conversations (not away). */
static void team_info(struct server *s, char *buf, size_t len)
{
	unsigned on_duty = 0;
	struct agent *a;

	TAILQ_FOREACH (a, &s->team->agents, entry)
		on_duty += agent_here(a) && !a->away;
	snprintf(buf, len, "waiting=%u agents=%u", s->team->line.n, on_duty);
}

const struct mode_ops team_ops = {
	.attach = team_attach,
	.hello = team_hello,
	.message = team_message,
	.detach = team_detach,
	.status = team_status,
	.inspect = team_inspect,
	.info = team_info,
	.drained = team_drained,
	.reconfigured = team_reconfigured,
	.nick_in_use = team_nick_in_use,
	.caps = team_caps,
	.history_conv = team_history_conv,
	.resumed = team_resumed,
	.may_resume = team_may_resume,
	.away_over = team_away_over,
	.restore = team_restore,
	.typing = team_typing,
	.commands = team_commands,
};

/* Serve the line, then relay what waited (a newcomer or a resumed agent, told its state). */
static void on_assign(evutil_socket_t fd, short what, void *arg)
{
	struct team *t = arg;
	struct agent *a;

	team_assign(t);
	team_give_offline(t);
	TAILQ_FOREACH (a, &t->agents, entry)
		agent_pump(a);
}

static void on_positions(evutil_socket_t fd, short what, void *arg)
{
	team_positions_due(arg);
}

/* A conversation kept for the next agent was read from the store: give it. */
static void on_offline_fetched(void *arg)
{
	team_assign_soon(arg);
}

void team_assign_soon(struct team *t)
{
	event_active(t->assign, EV_READ, 0);
}

int team_new(struct server *s, struct team **ret)
{
	struct team *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	t->server = s;
	waiting_init(&t->line);
	TAILQ_INIT(&t->agents);
	if (!(t->assign = event_new(s->base, -1, 0, on_assign, t)) ||
	    !(t->positions = evtimer_new(s->base, on_positions, t)) ||
	    offline_init(&t->offline, s, on_offline_fetched, t) < 0) {
		team_free(t);
		return -ENOMEM;
	}
	log_info("desk: up to %u agents, %u conversation(s) each", s->config.max_agents,
		 s->config.max_chats_per_agent);
	*ret = t;
	return 0;
}

void team_free(struct team *t)
{
	if (!t)
		return;
	if (t->assign)
		event_free(t->assign);
	if (t->positions)
		event_free(t->positions);
	offline_free(&t->offline);
	free(t);
}
