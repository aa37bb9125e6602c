/* SPDX-License-Identifier: ISC */
/*
 * cdesk-bus.c - what comes back from Redis to the desk across nodes (see cdesk.c): the
 * conversations' messages, and the events of the acts (cluster-desk.c), each applied to this
 * node's side of what it changed: its customer, its agent, or both.
 */
#include "cdesk.h"
#include "cdesk-priv.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <hiredis/hiredis.h>

#include "clock.h"
#include "cluster.h"
#include "deliver.h"
#include "history.h"
#include "log.h"
#include "msglog.h"
#include "session.h"
#include "store.h"
#include "waiting.h"

/* Words of an event, at most. */
#define EVENT_WORDS 10

/* A message of conversation @m->b came back: to the other side, if it is here. */
static void bus_said(struct cdesk *d, const struct bus_msg *m)
{
	struct dchat *ch = dchat_find(d, m->b);
	bool by_customer;
	struct store_msg sm;

	if (!ch)
		return;
	by_customer = strcmp(m->from, ch->cnick) == 0;
	sm = (struct store_msg){ .id = m->id,
				 .time_ms = m->time_ms,
				 .conv = ch->n,
				 .from = m->from,
				 .from_agent = !by_customer,
				 .file = m->file,
				 .text = m->text,
				 .len = m->len };
	/* A file passes no turn and asks no answer (README "Strict turns"). */
	if (!m->file)
		ch->agent_turn = by_customer;
	if (by_customer && dagent_here(ch->agent)) {
		d->server->stats.deliveries++; /* a desk message has one recipient */
		deliver_msg(ch->agent->conn, 0, &sm, ch->agent->conn->caps & CAP_AGENT);
		if (!m->file)
			cd_arm_answer(ch);
	} else if (!by_customer) {
		if (!m->file)
			event_del(ch->answer);
		if (ch->customer && conn_live(ch->customer) && !ch->customer->kept) {
			d->server->stats.deliveries++;
			deliver_msg(ch->customer, 0, &sm, false);
		}
		cd_arm_idle(ch); /* the agent spoke: the customer's deadline starts again */
	}
	if (!m->file)
		cd_tell_turn(ch);
	if (by_customer)
		cd_reply_pump(ch);
	else
		cd_customer_pump(ch);
}

/* "queued N KEY NICK": a customer of this node has its number. */
static void ev_queued(struct cdesk *d, char **w)
{
	struct dchat *ch = dchat_by_key(d, w[2]);
	struct conn *c = ch ? ch->customer : NULL;

	if (!ch)
		return;
	ch->n = strtoull(w[1], NULL, 10);
	c->conv = ch->n;
	d->server->stats.conversations++; /* counted by its customer's node */
	/* Its session has the number now (and the store, for a resume after this node restarts):
	 * a resume on any node finds its place (cdesk_resumed()). */
	if (c->session)
		c->session->place = ch->n;
	session_save(c);
	cd_customer_pump(ch); /* what it said meanwhile goes to its conversation */
	log_info("%s (%s) waits in line as c%" PRIu64, c->nick, c->peer, ch->n);
	cdesk_positions_soon(d);
}

static void ev_full(struct cdesk *d, char **w)
{
	struct dchat *ch = dchat_by_key(d, w[1]);
	struct conn *c = ch ? ch->customer : NULL;

	if (c && c->kept)
		session_end(c); /* away: it leaves (cdesk_away_over()) */
	else if (c && conn_live(c))
		waiting_refuse_full(c, d->server->config.max_queue);
}

/* "line LEN": its length; the agents here are told when it changed. */
static void ev_line(struct cdesk *d, char **w)
{
	struct dagent *a;
	struct dchat *ch;

	d->line = (unsigned)strtoul(w[1], NULL, 10);
	/* Passed back and not served at once: told so, then its place (as on one node). */
	TAILQ_FOREACH (ch, &d->chats, entry)
		if (ch->transferred && !ch->anick[0] && ch->customer) {
			ch->transferred = false;
			conn_notice(ch->customer, "transferred");
		}
	if (d->line != d->told_line) {
		d->told_line = d->line;
		TAILQ_FOREACH (a, &d->agents, entry)
			if (dagent_here(a) && a->ok)
				conn_notice(a->conn, "queue %u", d->line);
	}
	cdesk_positions_soon(d);
}

/* The customer of @ch, here, is served by @agent now. */
static void served_customer(struct dchat *ch, const char *why)
{
	struct conn *c = ch->customer;

	if (!conn_live(c) || c->kept)
		return;
	if (!ch->served)
		waiting_served(c);
	ch->served = true;
	ch->pos = 0;
	conn_set_state(c, CONN_ACTIVE);
	/* Before its hello, the hello tells it (as on one node). */
	if (c->notices && (ch->transferred || strcmp(why, "transfer") == 0))
		conn_notice(c, "transferred %s", ch->anick);
	ch->transferred = false;
	if (c->notices)
		cd_tell_customer(ch);
	cd_arm_idle(ch);
	cd_customer_pump(ch);
}

/*
 * What the agent that takes @ch must see, as on one node (team-assign.c): the conversation so
 * far as a history to one granted "ids", else what the customer said that nobody answered.
 * Read from the conversation's stream (msglog.h), up to what this node delivered: what comes
 * after reaches the agent as it comes, held behind the answer.
 */
static void show_so_far(struct dchat *ch, struct conn *ag)
{
	if (ag->gate_hold)
		log_info(
		    "%s takes %s over while reading a history: not shown the conversation so far",
		    ag->nick, ch->cnick);
	else if (ag->caps & CAP_IDS)
		history_send(ag, ch->n, HISTORY_MAX, 0, msglog_last_id(ag->server), false);
	else
		history_send_unanswered(ag, ch->n);
}

/* The agent of @ch, here, has it now. */
static void served_by(struct dchat *ch, struct dagent *a, bool had)
{
	char tag[24];

	ch->agent = a;
	a->nchats++;
	if (!dagent_here(a))
		return;
	conn_notice(a->conn, "customer %s%s", ch->cnick, deliver_conv_tag(a->conn, ch->n, tag));
	/* Served before, or it spoke while waiting: something to see (as on one node). */
	if (had || ch->agent_turn)
		show_so_far(ch, a->conn);
	if (ch->agent_turn)
		cd_tell_turn(ch); /* the agent's (the customer's is told with "serving") */
	cd_arm_answer(ch);
	cd_reply_pump(ch);
}

/* "assign N AGENT AGENTKEY KEY CNICK TURN HAD WHY" */
static void ev_assign(struct cdesk *d, char **w)
{
	uint64_t n = strtoull(w[1], NULL, 10);
	struct dchat *mine = dchat_by_key(d, w[4]); /* its customer is here */
	struct conn *ac = cdesk_conn_of(d, w[3]);
	struct dagent *a = ac ? dagent_of(ac) : NULL;
	struct dchat *ch = dchat_find(d, n);

	if (!ch)
		ch = mine;
	if (!ch && a && !(ch = dchat_new(d, n, w[5])))
		return; /* out of memory: the customer is told nothing; its agent's node logs */
	if (!ch)
		return;
	ch->n = n;
	snprintf(ch->anick, sizeof(ch->anick), "%s", w[2]);
	ch->agent_turn = strcmp(w[6], "a") == 0;
	log_info("%s serves %s (c%" PRIu64 ")", w[2], w[5], n);
	if (a)
		served_by(ch, a, strcmp(w[7], "1") == 0);
	if (ch == mine)
		served_customer(ch, w[8]);
}

/*
 * "give N AGENT WHY KEY [TO]": @AGENT lets go of it, to the line (WHY: transfer, answer-timeout,
 * agent-lost), or to agent TO (WHY: transfer-to; its "assign" follows).
 */
static void ev_give(struct cdesk *d, char **w)
{
	struct dchat *ch = dchat_find(d, strtoull(w[1], NULL, 10));
	struct conn *c;

	if (!ch)
		return;
	if (ch->agent && strcmp(ch->agent->conn->nick, w[2]) == 0) {
		if (dagent_here(ch->agent) && strcmp(w[3], "answer-timeout") == 0)
			conn_notice(ch->agent->conn, "answer-timeout %s", ch->cnick);
		else if (dagent_here(ch->agent) && strcmp(w[3], "transfer") == 0)
			conn_notice(ch->agent->conn, "transferred %s", ch->cnick);
		else if (dagent_here(ch->agent) && w[5])
			conn_notice(ch->agent->conn, "transferred %s %s", ch->cnick, w[5]);
		cd_unserve_here(ch, "was passed on");
	}
	ch->anick[0] = '\0';
	if ((c = ch->customer) && conn_live(c) && !c->kept && strcmp(w[3], "transfer-to") != 0) {
		conn_set_state(c, CONN_QUEUED);
		conn_set_timer(c, 0); /* no idle deadline while waiting */
		/* "transferred AGENT" if served at once (the "assign" follows), else at "line". */
		ch->transferred = strcmp(w[3], "agent-lost") != 0;
		ch->pos = 0;
		cdesk_positions_soon(d);
	}
	dchat_maybe_free(ch);
}

/* The customer of @ch, here, is ended by agent @by: told, and its connection closed. */
static void ended_customer(struct dchat *ch, const char *why, const char *by)
{
	struct conn *c = ch->customer;

	ch->ended = true;
	if (!conn_live(c) || c->kept) {
		if (c->kept)
			session_end(c); /* away: its session lets go of it (cdesk_away_over()) */
		return;
	}
	if (strcmp(why, "next") == 0) {
		conn_notice(c, "bye -- %s ended the conversation", by);
		conn_close(c, "ended by the agent");
	} else if (strcmp(why, "kick") == 0) {
		conn_fail(c, "kicked", "%s ended your connection", by);
	} else {
		conn_close(c, "its conversation ended");
	}
	server_detach(c);
}

/* "end N WHY BY AGENT KEY CNICK" (WHY: left, next, kick, gone) */
static void ev_end(struct cdesk *d, char **w)
{
	struct dchat *ch = dchat_find(d, strtoull(w[1], NULL, 10));
	if (!ch)
		return;
	if (ch->agent) {
		if (dagent_here(ch->agent)) /* next and kick too, as on one node */
			conn_notice(ch->agent->conn, "customer-left %s", ch->cnick);
		cd_unserve_here(ch, "left");
	}
	/* "gone": ended as its node's by the reaper while this node was cut off for a lease: its
	 * customer, still here, goes back in line rather than being let go. */
	if (ch->customer && strcmp(w[2], "gone") == 0)
		cdesk_requeue(ch);
	else if (ch->customer)
		ended_customer(ch, w[2], w[3]);
	else
		dchat_maybe_free(ch);
}

/* "agent NAME KEY ok|full|taken" */
static void ev_agent(struct cdesk *d, char **w)
{
	struct conn *c = cdesk_conn_of(d, w[2]);
	struct dagent *a = c ? dagent_of(c) : NULL;

	if (!a)
		return;
	if (strcmp(w[3], "ok") == 0) {
		a->ok = true;
		log_info("agent %s is at the desk", c->nick);
	} else if (strcmp(w[3], "full") == 0) {
		conn_fail(c, "agent-busy", "%u agents are already at the desk (max_agents)",
			  d->server->config.max_agents);
	} else {
		conn_fail(c, "agent-busy", "an agent called %s is at the desk on another node",
			  c->nick);
	}
}

/* "refused N FROM TO": a transfer the receiving agent could not take. */
static void ev_refused(struct cdesk *d, char **w)
{
	struct dchat *ch = dchat_find(d, strtoull(w[1], NULL, 10));
	struct dagent *a = ch ? ch->agent : NULL;

	if (dagent_here(a) && strcmp(a->conn->nick, w[2]) == 0)
		conn_error(a->conn, "agent-unavailable",
			   "%s is away, full or gone: transfer to another agent or the line", w[3]);
}

/* "no-customer BYKEY NICK": a kick of nobody. */
static void ev_no_customer(struct cdesk *d, char **w)
{
	struct conn *c = cdesk_conn_of(d, w[1]);
	struct dagent *a = c ? dagent_of(c) : NULL;

	if (dagent_here(a))
		conn_error(a->conn, "no-customer", "no customer is called %s", w[2]);
}

/* "moved N OLDKEY NEWKEY CNICK AGENT TURN": a customer resumed on NEWKEY's node. */
static void ev_moved(struct cdesk *d, char **w)
{
	struct dchat *ch = dchat_by_key(d, w[3]);
	struct conn *c = ch ? ch->customer : NULL;
	const char *agent = strcmp(w[5], "-") ? w[5] : "";
	bool told = ch && ch->anick[0] && strcmp(ch->anick, agent) == 0; /* cdesk_resumed() */
	struct dchat *here = dchat_find(d, strtoull(w[1], NULL, 10));

	/* Its agent, if here, hears it is back (wherever it resumed). */
	if (here && dagent_here(here->agent) && here->agent->conn->caps)
		conn_notice(here->agent->conn, "customer-back %s", here->cnick);
	if (!ch || !ch->n || !conn_live(c))
		return;
	snprintf(ch->anick, sizeof(ch->anick), "%s", agent);
	ch->agent_turn = strcmp(w[6], "a") == 0;
	ch->served = ch->anick[0] != '\0';
	conn_set_state(c, ch->anick[0] ? CONN_ACTIVE : CONN_QUEUED);
	cd_arm_idle(ch);
	if (ch->anick[0] && !told)
		cd_tell_customer(ch);
	else if (!ch->anick[0])
		cdesk_positions_soon(d);
	cd_customer_pump(ch);
}

/*
 * "away N", "back N": its customer is away, kept for a resume, or back (resumed where it was):
 * its agent is told, if it takes notices.
 */
static void ev_away(struct cdesk *d, char **w)
{
	struct dchat *ch = dchat_find(d, strtoull(w[1], NULL, 10));

	if (ch && dagent_here(ch->agent) && ch->agent->conn->caps)
		conn_notice(ch->agent->conn, "customer-%s %s", w[0], ch->cnick);
}

/*
 * "unknown NEWKEY": the conversation a resumed customer had is over (its node died and its
 * lease passed, or its grace did): a new place at the end of the line, as on one node when
 * nothing was kept.
 */
static void ev_unknown(struct cdesk *d, char **w)
{
	struct dchat *ch = dchat_by_key(d, w[1]);
	struct conn *c = ch ? ch->customer : NULL;

	if (!c || !conn_live(c))
		return;
	ch->n = 0;
	ch->anick[0] = '\0';
	c->conv = 0;
	conn_set_state(c, CONN_QUEUED);
	cdesk_enqueue(ch);
}

static const struct {
	const char *verb;
	unsigned words;
	void (*apply)(struct cdesk *d, char **w);
} events[] = {
	{ "queued", 4, ev_queued },
	{ "full", 2, ev_full },
	{ "line", 2, ev_line },
	{ "assign", 9, ev_assign },
	{ "give", 5, ev_give },
	{ "end", 7, ev_end },
	{ "agent", 4, ev_agent },
	{ "refused", 4, ev_refused },
	{ "moved", 7, ev_moved },
	{ "unknown", 2, ev_unknown },
	{ "no-customer", 3, ev_no_customer },
	{ "away", 2, ev_away },
	{ "back", 2, ev_away },
};

void cdesk_event(struct cdesk *d, char *text)
{
	char *w[EVENT_WORDS] = { NULL }, *save = NULL; /* absent words: NULL */
	unsigned n = 0;

	for (char *t = strtok_r(text, " ", &save); t && n < EVENT_WORDS;
	     t = strtok_r(NULL, " ", &save))
		w[n++] = t;
	for (size_t i = 0; n && i < sizeof(events) / sizeof(events[0]); i++)
		if (strcmp(w[0], events[i].verb) == 0) {
			if (n >= events[i].words)
				events[i].apply(d, w);
			return;
		}
}

/*
 * Session @hash was taken by another node: its customer here (attached, or kept) leaves without
 * a "leave", whenever its conn is swept: the conversation goes on there.
 */
static void taken(struct cdesk *d, const char *hash)
{
	struct dchat *ch;

	TAILQ_FOREACH (ch, &d->chats, entry)
		if (ch->customer && ch->customer->session &&
		    strcmp(ch->customer->session->hash, hash) == 0)
			ch->moved = true;
}

void cdesk_bus_deliver(struct server *s, const struct bus_msg *m)
{
	struct cdesk *d = s->cdesk;
	char text[512], hash[SESSION_TOKEN_LEN + 1];

	if (!d)
		return;
	if (m->kind == BUS_DESK) {
		bus_said(d, m);
	} else if (m->kind == BUS_CONTROL && m->len < sizeof(text)) {
		memcpy(text, m->text, m->len);
		text[m->len] = '\0';
		if (strncmp(text, "desk ", 5) == 0) {
			cdesk_event(d, text + 5);
		} else if (!m->mine && sscanf(text, "take %64s", hash) == 1) {
			taken(d, hash);
			session_let_go(s, hash);
		}
	}
}

/* The line as Redis has it: each customer here waiting is told its place when it changed. */
static void on_line(void *arg, const struct redisReply *r)
{
	struct cdesk *d = arg;
	struct dchat *ch;

	if (!r || r->type != REDIS_REPLY_ARRAY)
		return;
	for (size_t i = 0; i < r->elements; i++) {
		if (r->element[i]->type != REDIS_REPLY_STRING ||
		    !(ch = dchat_find(d, strtoull(r->element[i]->str, NULL, 10))))
			continue;
		if (!ch->customer || !conn_live(ch->customer) || ch->customer->kept ||
		    ch->anick[0] || ch->pos == i + 1)
			continue;
		ch->pos = (unsigned)i + 1;
		conn_notice(ch->customer, "queued %u", ch->pos);
	}
}

static const char line_lua[] = "return redis.call('ZRANGE', KEYS[1] .. ':line', 0, -1)\n";

void cdesk_on_positions(evutil_socket_t fd, short what, void *arg)
{
	struct cdesk *d = arg;

	d->positions_at = fd_clock_seconds();
	cluster_desk_read(d->cl, line_lua, "", on_line, d);
}

void cdesk_positions_soon(struct cdesk *d)
{
	double wait = d->positions_at + 1.0 - fd_clock_seconds();
	struct timeval tv = { 0, 0 };
	struct dchat *ch;
	bool any = false;

	TAILQ_FOREACH (ch, &d->chats, entry)
		any |= ch->customer && !ch->anick[0] && ch->n;
	if (!any || evtimer_pending(d->positions, NULL))
		return;
	if (wait > 0)
		tv.tv_usec = (suseconds_t)(wait * 1e6);
	evtimer_add(d->positions, &tv);
}

/*
 * @c resumed a session of a customer: @kept, this node's conn kept for it (its conversation
 * stays under the same key: Redis only hears it is back), or NULL (another node had it: its
 * conversation's number came with the session, and Redis moves it to @c's key; where it stands
 * comes back, "moved"). An agent is at the desk again: its customers went back to the line
 * when it was lost (Redis keeps no agent's conversations for it).
 */
void cdesk_resumed(struct conn *c, struct conn *kept)
{
	struct cdesk *d = c->server->cdesk;
	struct dchat *ch = kept ? dchat_of(kept) : NULL;
	uint64_t n = c->session ? c->session->place : 0;

	conn_notice(c, "turns %s", cdesk_strict(d) ? "strict" : "free");
	if (c->role == ROLE_AGENT || (!ch && !n)) {
		c->server->mode->attach(c); /* nothing was kept: a new place */
		if (conn_live(c) && dagent_of(c))
			cd_tell_agent(dagent_of(c));
		return;
	}
	if (ch) {
		conn_move_held(c, kept);
		kept->mode_data = NULL;
		cluster_desk_act(d->cl, "kept %s 0", ch->key);
	} else if (!(ch = dchat_find(d, n)) && !(ch = dchat_new(d, n, c->nick))) {
		conn_fail(c, "out-of-memory", "the server could not take another customer");
		return;
	} else {
		cdesk_key(d, c, ch->key);
		cluster_desk_act(d->cl, "move %" PRIu64 " %s", n, ch->key);
	}
	ch->customer = c;
	c->mode_data = ch;
	c->conv = ch->n;
	ch->pos = 0;
	conn_set_state(c, ch->anick[0] ? CONN_ACTIVE : CONN_QUEUED);
	if (ch->anick[0])
		cd_tell_customer(ch);
	else
		cdesk_positions_soon(d);
	cd_arm_idle(ch);
	cd_customer_pump(ch);
}
