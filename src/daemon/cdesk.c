/* SPDX-License-Identifier: ISC */
/*
 * cdesk.c - the desk across nodes (mode = single-agent with cluster = redis://...): one line
 * of customers and one team of agents, on any node.
 *
 * Redis decides (cluster-desk.c): the line is a sorted set by arrival, and each act (a customer
 * comes or leaves, an agent comes, goes, is away, passes a conversation on) is one script that
 * also serves the head of the line, atomically, to the agent with room that has the fewest
 * conversations, as on one node. What it did comes back as events on the channel, in the one
 * order every node reads (cdesk-bus.c), and so do the messages: a customer's message is
 * published once (with an ID, kept in its conversation's stream) and reaches its agent, on
 * whichever node, when it comes back; the agent's reply likewise.
 *
 * Each node keeps its side of each conversation (struct dchat): its customer, its agent, or
 * both. Messages are held first and published second, as on one node: a customer's at its
 * conn (while it waits, or while it is not its turn), an agent's reply at the conversation it
 * is for, so that a reply waiting for its turn holds up no other. The turn is kept at both
 * sides from the messages that come back, which both nodes see in the same order.
 */
#include "cdesk.h"
#include "cdesk-priv.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "clock.h"
#include "cluster.h"
#include "deliver.h"
#include "held.h"
#include "log.h"
#include "node.h"
#include "session.h"
#include "team.h"
#include "waiting.h"

struct dchat *dchat_find(struct cdesk *d, uint64_t n)
{
	struct dchat *ch;

	TAILQ_FOREACH (ch, &d->chats, entry)
		if (ch->n == n && n)
			return ch;
	return NULL;
}

static void on_answer(evutil_socket_t fd, short what, void *arg);

struct dchat *dchat_new(struct cdesk *d, uint64_t n, const char *cnick)
{
	struct dchat *ch = calloc(1, sizeof(*ch));

	if (!ch)
		return NULL;
	if (!(ch->answer = evtimer_new(d->server->base, on_answer, ch))) {
		free(ch);
		return NULL;
	}
	ch->desk = d;
	ch->n = n;
	snprintf(ch->cnick, sizeof(ch->cnick), "%s", cnick);
	TAILQ_INSERT_TAIL(&d->chats, ch, entry);
	return ch;
}

void dchat_maybe_free(struct dchat *ch)
{
	if (ch->customer || ch->agent)
		return;
	TAILQ_REMOVE(&ch->desk->chats, ch, entry);
	if (ch->replies)
		evbuffer_free(ch->replies);
	event_free(ch->answer);
	free(ch);
}

void cdesk_key(const struct cdesk *d, const struct conn *c, char buf[CDESK_KEY_BUFSIZE])
{
	snprintf(buf, CDESK_KEY_BUFSIZE, "%s%" PRIu64, d->key_head, c->id);
}

struct dchat *dchat_by_key(struct cdesk *d, const char *key)
{
	struct dchat *ch;

	TAILQ_FOREACH (ch, &d->chats, entry)
		if (ch->customer && strcmp(ch->key, key) == 0)
			return ch;
	return NULL;
}

struct conn *cdesk_conn_of(struct cdesk *d, const char *key)
{
	size_t len = strlen(d->key_head);
	struct conn *c;

	if (strncmp(key, d->key_head, len) != 0)
		return NULL;
	c = server_find_conn(d->server, strtoull(key + len, NULL, 10));
	return c && c->mode_data ? c : NULL;
}

/*
 * Publish what @from said in @ch (its turn is over: the other side's, in strict turns; a file
 * passes no turn, README "Strict turns").
 */
static int say(struct dchat *ch, struct conn *from, const struct fd_frame *f, bool by_agent)
{
	bool agent_turn = f->type == FD_FRAME_DATA ? ch->agent_turn : !by_agent;
	struct desk_said s = { .conv = ch->n,
			       .by_agent = by_agent,
			       .time_ms = fd_clock_unix_ms(),
			       .from = from->nick,
			       .to = by_agent ? ch->cnick : ch->anick,
			       .turn = agent_turn ? "a" : "c",
			       .file = f->type == FD_FRAME_DATA,
			       .text = f->body,
			       .len = f->len };

	from->server->stats.messages++;
	ch->agent_turn = agent_turn;
	if (cluster_desk_say(ch->desk->cl, &s) < 0) {
		conn_fail(from, "out-of-memory", "the server could not keep your message");
		return -ENOMEM;
	}
	return 0;
}

/*
 * The customer's held messages go as far as the turn rule allows. While it waits, all of them:
 * kept in its conversation in Redis, they survive its node and a resume on another, and
 * whoever serves it is shown them (cdesk-bus.c: show_so_far()).
 */
void cd_customer_pump(struct dchat *ch)
{
	struct conn *cu = ch->customer;
	struct fd_frame f;

	while (cu && conn_live(cu) && !cu->kept && ch->n &&
	       (!ch->anick[0] || !cdesk_strict(ch->desk) || !ch->agent_turn ||
		held_file_first(cu->held)) &&
	       conn_take_held(cu, ch->desk->server->held_body, &f))
		if (say(ch, cu, &f, false) < 0)
			return;
}

/* Whether each conversation of @a holds at most max_held_bytes of its replies. */
static bool replies_fit(const struct dagent *a)
{
	const struct dchat *ch;

	TAILQ_FOREACH (ch, &a->desk->chats, entry)
		if (ch->agent == a && ch->replies &&
		    evbuffer_get_length(ch->replies) > a->desk->server->config.max_held_bytes)
			return false;
	return true;
}

/* The agent's held replies in @ch go as far as the turn rule allows. */
void cd_reply_pump(struct dchat *ch)
{
	struct dagent *a = ch->agent;
	struct fd_frame f;

	while (dagent_here(a) && ch->replies &&
	       (!cdesk_strict(ch->desk) || ch->agent_turn || held_file_first(ch->replies)) &&
	       held_take(ch->replies, ch->desk->server->held_body, &f)) {
		if (say(ch, a->conn, &f, true) < 0)
			return;
		if (f.type != FD_FRAME_DATA)
			event_del(ch->answer); /* answered */
	}
	if (dagent_here(a) && replies_fit(a))
		conn_resume(a->conn, PAUSE_HELD);
}

/* "turn" to whichever side it is, if that side is here. */
void cd_tell_turn(struct dchat *ch)
{
	if (!cdesk_strict(ch->desk) || !ch->anick[0])
		return;
	if (!ch->agent_turn && ch->customer && conn_live(ch->customer) && !ch->customer->kept)
		conn_notice(ch->customer, "turn");
	else if (ch->agent_turn && dagent_here(ch->agent) && (ch->agent->conn->caps & CAP_AGENT))
		conn_notice(ch->agent->conn, "turn %s", ch->cnick); /* it has several: which one */
	else if (ch->agent_turn && dagent_here(ch->agent))
		conn_notice(ch->agent->conn, "turn");
}

void cd_arm_idle(struct dchat *ch)
{
	struct conn *c = ch->customer;

	if (c && conn_live(c) && !c->kept && ch->anick[0])
		conn_set_timer(c, ch->desk->server->config.customer_idle_timeout);
}

void cd_arm_answer(struct dchat *ch)
{
	unsigned secs = ch->desk->server->config.answer_timeout;
	struct timeval tv = { .tv_sec = secs };

	if (secs && dagent_here(ch->agent) && ch->agent_turn && !evtimer_pending(ch->answer, NULL))
		evtimer_add(ch->answer, &tv);
}

/* An answer is overdue: Redis gives the conversation to another agent, if one is on duty. */
static void on_answer(evutil_socket_t fd, short what, void *arg)
{
	struct dchat *ch = arg;
	struct dagent *a = ch->agent;

	if (!dagent_here(a))
		return;
	log_info("%s did not answer %s within answer_timeout: to another agent if one is on duty",
		 a->conn->nick, ch->cnick);
	cluster_desk_act(ch->desk->cl, "give %" PRIu64 " %s answer-timeout %u 1", ch->n,
			 a->conn->nick, CDESK_AVOID_MS);
}

void cd_unserve_here(struct dchat *ch, const char *why)
{
	struct dagent *a = ch->agent;

	if (!a)
		return;
	event_del(ch->answer);
	if (ch->replies && evbuffer_get_length(ch->replies) > 0) {
		evbuffer_drain(ch->replies, evbuffer_get_length(ch->replies));
		if (dagent_here(a))
			conn_error(a->conn, "no-customer",
				   "%s %s before your held reply could be delivered", ch->cnick,
				   why);
	}
	ch->agent = NULL;
	a->nchats--;
	if (dagent_here(a) && replies_fit(a))
		conn_resume(a->conn, PAUSE_HELD);
}

void cd_tell_customer(struct dchat *ch)
{
	struct conn *c = ch->customer;
	char tag[24];

	if (ch->anick[0]) {
		conn_notice(c, "serving %s%s", ch->anick, deliver_conv_tag(c, ch->n, tag));
		if (cdesk_strict(ch->desk) && !ch->agent_turn)
			conn_notice(c, "turn");
	} else if (ch->pos) {
		conn_notice(c, "queued %u", ch->pos);
	}
}

void cd_tell_agent(struct dagent *a)
{
	struct dchat *ch;
	char tag[24];

	TAILQ_FOREACH (ch, &a->desk->chats, entry)
		if (ch->agent == a) {
			conn_notice(a->conn, "customer %s%s", ch->cnick,
				    deliver_conv_tag(a->conn, ch->n, tag));
			if (cdesk_strict(a->desk) && ch->agent_turn)
				cd_tell_turn(ch);
		}
	conn_notice(a->conn, "queue %u", a->desk->line);
	a->desk->told_line = a->desk->line;
}

void cdesk_agent_act(struct dagent *a)
{
	struct cdesk *d = a->desk;

	if (!a->sent)
		return; /* its name is being claimed: it is told with what it has then */
	cluster_desk_act(d->cl, "agent %s %s %u %d %u", a->conn->nick, a->key, dagent_capacity(a),
			 a->away, d->server->config.max_agents);
}

static void attach_agent(struct cdesk *d, struct conn *c)
{
	struct dagent *a = calloc(1, sizeof(*a));

	if (!a) {
		conn_fail(c, "out-of-memory", "the server could not take another agent");
		return;
	}
	a->desk = d;
	a->conn = c;
	cdesk_key(d, c, a->key);
	TAILQ_INSERT_TAIL(&d->agents, a, entry);
	c->mode_data = a;
	conn_set_state(c, CONN_ACTIVE);
}

/* @ch's customer goes to the end of the line: its number comes back ("queued"). */
void cdesk_enqueue(struct dchat *ch)
{
	struct cdesk *d = ch->desk;

	if (cluster_desk_act(d->cl, "enqueue %s %s %u", ch->key, ch->cnick,
			     d->server->config.max_queue) < 0)
		conn_fail(ch->customer, "out-of-memory",
			  "the server could not take another customer");
}

static void attach_customer(struct cdesk *d, struct conn *c)
{
	struct dchat *ch = dchat_new(d, 0, c->nick);

	if (!ch) {
		conn_fail(c, "out-of-memory", "the server could not take another customer");
		return;
	}
	ch->customer = c;
	cdesk_key(d, c, ch->key);
	c->mode_data = ch;
	conn_set_state(c, CONN_QUEUED);
}

/*
 * The name of @id is this node's (@result 1), another node's (0: refused, before anyone is
 * served or told anything under it), or Redis did not answer (< 0: it goes on, and node.c
 * claims it again everywhere when Redis is back). Then the customer joins the line, or the
 * agent the desk.
 */
static void on_name(void *arg, uint64_t id, const char *nick, int result)
{
	struct server *s = arg;
	struct conn *c = server_find_conn(s, id);

	if (!c || !conn_live(c) || !c->mode_data || strcmp(c->nick, nick) != 0)
		return;
	if (result == 0) {
		conn_fail(c, "nick-in-use",
			  "%s is at the desk on another node; choose another name", nick);
	} else if (c->role == ROLE_AGENT) {
		dagent_of(c)->sent = true;
		cdesk_agent_act(dagent_of(c));
	} else {
		cdesk_enqueue(dchat_of(c));
	}
}

static void cdesk_attach(struct conn *c)
{
	struct cdesk *d = c->server->cdesk;

	if (c->role == ROLE_AGENT)
		attach_agent(d, c);
	else
		attach_customer(d, c);
	if (conn_live(c) && c->mode_data &&
	    cluster_claim(d->cl, c->nick, c->id, on_name, c->server) < 0)
		on_name(c->server, c->id, c->nick, -ENOTCONN); /* Redis away: claimed once back */
}

static void cdesk_hello(struct conn *c)
{
	conn_notice(c, "welcome single-agent %s", c->nick);
	conn_notice(c, "turns %s", cdesk_strict(c->server->cdesk) ? "strict" : "free");
	if (c->role == ROLE_AGENT)
		cd_tell_agent(dagent_of(c));
	else
		cd_tell_customer(dchat_of(c));
}

/*
 * The conversation an agent's message is for: its only one, or, for an agent granted "agent",
 * the one its "NAME: " prefix names (@f cut to the text). NULL: told why.
 */
static struct dchat *addressed(struct dagent *a, struct fd_frame *f)
{
	const char *name = f->body;
	struct dchat *ch;
	size_t name_len;

	if (!(a->conn->caps & CAP_AGENT)) {
		TAILQ_FOREACH (ch, &a->desk->chats, entry)
			if (ch->agent == a)
				return ch;
		conn_error(a->conn, "no-customer", "nobody is being served; message not sent");
		return NULL;
	}
	if (!(name_len = team_address(a->conn, f)))
		return NULL;
	if (!(ch = dagent_chat(a, name, name_len)))
		conn_error(a->conn, "no-customer", "%.*s is not one of your customers; not sent",
			   (int)name_len, name);
	return ch;
}

static void agent_message(struct dagent *a, const struct fd_frame *f)
{
	struct fd_frame reply = *f;
	struct dchat *ch = addressed(a, &reply);

	if (!ch)
		return;
	if ((!ch->replies && !(ch->replies = evbuffer_new())) ||
	    fd_frame_encode(ch->replies, reply.type, reply.body, reply.len) < 0) {
		conn_fail(a->conn, "out-of-memory", "the server could not keep your message");
		return;
	}
	if (evbuffer_get_length(ch->replies) > a->desk->server->config.max_held_bytes)
		conn_pause(a->conn, PAUSE_HELD);
	if (reply.type != FD_FRAME_DATA)
		event_del(ch->answer); /* a held reply is an answer too (a file is none) */
	if (cdesk_strict(a->desk) && !ch->agent_turn && reply.type != FD_FRAME_DATA)
		conn_error(a->conn, "not-your-turn", "held until %s replies", ch->cnick);
	cd_reply_pump(ch);
}

static void cdesk_message(struct conn *c, const struct fd_frame *f)
{
	struct dchat *ch = dchat_of(c);

	if (c->role == ROLE_AGENT) {
		agent_message(dagent_of(c), f);
		return;
	}
	if (conn_hold(c, f) < 0)
		return;
	cd_arm_idle(ch); /* it spoke: its deadline starts again (served only) */
	if (ch->anick[0] && cdesk_strict(ch->desk) && ch->agent_turn && f->type != FD_FRAME_DATA)
		conn_error(c, "not-your-turn", "held until %s replies", ch->anick);
	cd_customer_pump(ch);
}

/* Customer @c leaves for good: what it held goes to its agent first, then Redis ends it. */
static void customer_leaves(struct cdesk *d, struct conn *c, struct dchat *ch)
{
	struct fd_frame f;

	/* Not its turn, or the number not back yet: said all the same, nothing is lost. */
	while (ch->n && !ch->ended && conn_take_held(c, d->server->held_body, &f))
		say(ch, c, &f, false);
	/* Resumed on another node: the conversation goes on there ("move"), nothing to end. */
	if (!ch->ended && !ch->moved)
		cluster_desk_act(d->cl, "leave %s left", ch->key);
	log_info("%s (%s) left the desk", c->nick, c->peer);
	ch->customer = NULL;
	c->mode_data = NULL;
	dchat_maybe_free(ch);
}

static void agent_leaves(struct cdesk *d, struct dagent *a)
{
	struct dchat *ch, *next;

	if (a->sent)
		cluster_desk_act(d->cl, "agent-gone %s %s", a->conn->nick, a->key);
	if (a->ok) {
		log_info("agent %s left; its %u conversation(s) go back to the line", a->conn->nick,
			 a->nchats);
	}
	for (ch = TAILQ_FIRST(&d->chats); ch; ch = next) {
		next = TAILQ_NEXT(ch, entry);
		if (ch->agent == a) {
			cd_unserve_here(ch, "was passed on");
			dchat_maybe_free(ch);
		}
	}
	TAILQ_REMOVE(&d->agents, a, entry);
	a->conn->mode_data = NULL;
	free(a);
}

static void cdesk_detach(struct conn *c)
{
	struct cdesk *d = c->server->cdesk;
	struct dchat *ch = dchat_of(c);

	if (dagent_of(c)) {
		agent_leaves(d, dagent_of(c));
		return;
	}
	if (!ch)
		return;
	/* Cut, or here when the node stops: kept in Redis for a resume on any node. */
	if ((session_waits(c) || (c->server->stopping && c->session)) && !ch->ended) {
		c->kept = !c->server->stopping; /* kept here too while this node runs */
		cluster_desk_act(
		    d->cl, "kept %s %u", ch->key,
		    (session_grace(c->server, ROLE_CUSTOMER) + c->server->config.cluster_lease) *
			1000);
		log_info("%s is away; its place is kept for a resume", c->nick);
		if (c->kept)
			return;
		ch->customer = NULL;
		c->mode_data = NULL;
		dchat_maybe_free(ch);
		return;
	}
	customer_leaves(d, c, ch);
}

/* Kept customer @kept's resume did not come: it leaves for good. */
static void cdesk_away_over(struct conn *kept)
{
	struct dchat *ch = dchat_of(kept);

	if (!ch)
		return;
	/* The node stops: its place stays kept in Redis for a resume on any node (cdesk_detach()).
	 */
	if (kept->server->stopping) {
		ch->customer = NULL;
		kept->mode_data = NULL;
		dchat_maybe_free(ch);
		return;
	}
	customer_leaves(kept->server->cdesk, kept, ch);
}

/* The agent took in what was sent: nothing waits for its output here. */
static void cdesk_caps(struct conn *c, unsigned added)
{
	if ((added & CAP_AGENT) && dagent_of(c))
		cdesk_agent_act(dagent_of(c)); /* it may hold more conversations now */
}

static void cdesk_reconfigured(struct server *s)
{
	struct dchat *ch;

	TAILQ_FOREACH (ch, &s->cdesk->chats, entry) {
		cd_tell_turn(ch);
		cd_customer_pump(ch);
		cd_reply_pump(ch);
	}
}

static void cdesk_status(struct server *s, char *buf, size_t len)
{
	unsigned agents = 0, served = 0, waiting = 0;
	struct dagent *a;
	struct dchat *ch;

	TAILQ_FOREACH (a, &s->cdesk->agents, entry) {
		agents++;
		served += a->nchats;
	}
	TAILQ_FOREACH (ch, &s->cdesk->chats, entry)
		waiting += ch->customer && !ch->anick[0];
	snprintf(buf, len, "%u agent%s here, %u served here, %u waiting here, %u in line", agents,
		 agents == 1 ? "" : "s", served, waiting, s->cdesk->line);
}

static void cdesk_info(struct server *s, char *buf, size_t len)
{
	unsigned on_duty = 0;
	struct dagent *a;

	TAILQ_FOREACH (a, &s->cdesk->agents, entry)
		on_duty += dagent_here(a) && !a->away;
	snprintf(buf, len, "waiting=%u agents=%u", s->cdesk->line, on_duty);
}

/* history: a customer's own conversation; an agent's, when it has exactly one (Redis has it). */
static int64_t cdesk_history_conv(struct conn *c)
{
	struct dagent *a = dagent_of(c);
	struct dchat *ch = dchat_of(c), *only = NULL;

	if (a && a->nchats == 1)
		TAILQ_FOREACH (only, &a->desk->chats, entry)
			if (only->agent == a)
				ch = only;
	return ch && ch->n ? (int64_t)ch->n : -1;
}

/*
 * For the metrics: this node's part (its customers waiting, in their order here; its agents).
 * The whole line is Redis's: frontdesk_cluster_* and the "queue" command tell it.
 */
static void cdesk_inspect(struct server *s, const struct inspector *in)
{
	double now = fd_clock_seconds();
	struct dagent *a;
	struct dchat *ch;

	TAILQ_FOREACH (ch, &s->cdesk->chats, entry)
		if (ch->customer && !ch->anick[0])
			in->waiting(in->arg, now - ch->customer->since, ch->customer->kept);
	TAILQ_FOREACH (a, &s->cdesk->agents, entry) {
		unsigned max = dagent_capacity(a);

		in->agent(in->arg, a->conn->nick,
			  a->away            ? AGENT_AWAY
			  : a->nchats >= max ? AGENT_BUSY
					     : AGENT_AVAILABLE,
			  a->nchats, max);
	}
}

const struct mode_ops cdesk_ops = {
	.attach = cdesk_attach,
	.hello = cdesk_hello,
	.message = cdesk_message,
	.detach = cdesk_detach,
	.status = cdesk_status,
	.info = cdesk_info,
	.inspect = cdesk_inspect,
	.history_conv = cdesk_history_conv,
	.reconfigured = cdesk_reconfigured,
	.caps = cdesk_caps,
	.resumed = cdesk_resumed,
	.away_over = cdesk_away_over,
	.typing = cdesk_typing,
	.commands = cdesk_commands,
};

void cdesk_requeue(struct dchat *ch)
{
	struct conn *c = ch->customer;

	if (!c || !conn_live(c) || c->kept) {
		if (c && c->kept)
			session_end(c); /* cdesk_away_over(): it leaves */
		else
			dchat_maybe_free(ch);
		return;
	}
	ch->n = 0;
	ch->anick[0] = '\0';
	ch->pos = 0;
	c->conv = 0;
	conn_set_state(c, CONN_QUEUED);
	conn_set_timer(c, 0);
	conn_notice(c, "transferred");
	cdesk_enqueue(ch);
}

/*
 * Redis lost its data (a new epoch): the line and who serves whom are gone. This node's
 * customers go back in line (in the order they are here; a customer away lets go of its
 * session: nothing is left to resume), then its agents are at the desk again.
 */
void cdesk_new_epoch(struct cdesk *d)
{
	struct dchat *ch, *next;
	struct dagent *a;

	TAILQ_FOREACH (a, &d->agents, entry)
		a->ok = false;
	for (ch = TAILQ_FIRST(&d->chats); ch; ch = next) {
		next = TAILQ_NEXT(ch, entry);
		cd_unserve_here(ch, "was passed on");
		cdesk_requeue(ch);
	}
	TAILQ_FOREACH (a, &d->agents, entry)
		cdesk_agent_act(a);
}

int cdesk_new(struct server *s, struct cdesk **ret)
{
	struct cdesk *d = calloc(1, sizeof(*d));

	if (!d)
		return -ENOMEM;
	d->server = s;
	TAILQ_INIT(&d->chats);
	TAILQ_INIT(&d->agents);
	if (!(d->positions = evtimer_new(s->base, cdesk_on_positions, d)) ||
	    !(d->sync = evtimer_new(s->base, cdesk_on_sync, d))) {
		if (d->positions)
			event_free(d->positions);
		free(d);
		return -ENOMEM;
	}
	*ret = d;
	return 0;
}

int cdesk_start(struct cdesk *d, struct cluster *cl)
{
	int r;

	d->cl = cl;
	snprintf(d->key_head, sizeof(d->key_head), "%s/%s/", cluster_node(cl), cluster_run(cl));
	if ((r = cluster_desk_on(cl)) < 0)
		return r;
	/* What this node's last run left (killed, and back before the reaper saw it dead). */
	return cluster_desk_act(cl, "forget %s %s", cluster_node(cl), cluster_run(cl));
}

void cdesk_free(struct cdesk *d)
{
	struct dchat *ch;
	struct dagent *a;

	if (!d)
		return;
	while ((a = TAILQ_FIRST(&d->agents))) {
		TAILQ_REMOVE(&d->agents, a, entry);
		free(a);
	}
	while ((ch = TAILQ_FIRST(&d->chats))) {
		ch->customer = NULL;
		ch->agent = NULL;
		dchat_maybe_free(ch);
	}
	event_free(d->positions);
	event_free(d->sync);
	free(d);
}
