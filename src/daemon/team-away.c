/* SPDX-License-Identifier: ISC */
/*
 * team-away.c - customers and agents away from the desk with several agents, kept for their
 * resume (session.h), and agents taking over their own place from a new connection. See
 * team-priv.h.
 */
#include "team-priv.h"

#include <string.h>

#include "clock.h"
#include "held.h"
#include "log.h"
#include "record.h"
#include "session.h"
#include "store.h"

/* Where agent @a stands: its conversations (away ones said so), whose turn, the line. */
void team_tell_agent(struct agent *a)
{
	struct conn *c = a->conn;
	struct chat *ch;

	TAILQ_FOREACH (ch, &a->chats, entry) {
		chat_tell_agent(ch);
		if (ch->customer->kept && c->caps)
			conn_notice(c, "customer-away %s", ch->customer->nick);
		if (team_strict(a->team) && ch->turn == CHAT_TURN_AGENT)
			tell_agent_turn(ch);
	}
	conn_notice(c, "queue %u", a->team->line.n);
}

/*
 * @c is agent @a's new connection: the same name from the same owner (a laptop that slept, a
 * network that changed), or its resume. It takes @a's conversations as they are; the old
 * connection, if still attached, is closed with "error replaced", and one kept for a resume
 * is let go. Customers told "agent-offline" meanwhile are told who serves them again.
 */
void take_over(struct agent *a, struct conn *c)
{
	struct conn *old = a->conn;
	bool was_away = !conn_live(old); /* kept, or just taken from its session (resume) */
	struct chat *ch;

	a->conn = c;
	c->mode_data = a;
	old->mode_data = NULL;
	memcpy(c->nick, old->nick, sizeof(c->nick)); /* not "mary2": the name customers know */
	conn_set_state(c, CONN_ACTIVE);
	log_info("agent %s (%s) takes over from its old connection", c->nick, c->peer);
	if (old->kept) {
		session_end(old); /* lets go of it: nothing is left for team_away_over() */
	} else if (conn_live(old)) {
		conn_fail(old, "replaced", "a new connection as %s took over", old->nick);
		server_detach(old);
	}
	TAILQ_FOREACH (ch, &a->chats, entry) {
		if (was_away && conn_live(ch->customer))
			team_tell_customer(ch);
		chat_arm_idle(ch);
		arm_answer(ch);
	}
	/* The line was told nobody is here: somebody is again. */
	if (was_away && agents_here(a->team) == 1)
		tell_line(a->team, "agent-online", c->nick);
	/* Relayed on the next turn: after the agent is told whom it serves (its hello). */
	team_assign_soon(a->team);
}

const char *team_may_resume(struct conn *c, const struct session *se)
{
	return NULL; /* a kept agent holds its seat; a customer its place */
}

static void customer_resumed(struct team *t, struct conn *c, struct chat *ch)
{
	struct conn *kept = ch->customer;

	c->conv = kept->conv && !kept->conv_ended ? kept->conv : record_conv_begin(c);
	conn_move_held(c, kept);
	kept->mode_data = NULL;
	c->mode_data = ch;
	ch->customer = c;
	c->since = kept->since; /* "queue" says how long it has waited, absence included */
	if (kept->queued_link) {
		waiting_replace(&t->line, kept, c);
		conn_set_state(c, CONN_QUEUED);
	} else {
		conn_set_state(c, CONN_ACTIVE);
		if (agent_here(ch->agent) && ch->agent->conn->caps)
			conn_notice(ch->agent->conn, "customer-back %s", c->nick);
		conn_set_timer(c,
			       agent_here(ch->agent) ? t->server->config.customer_idle_timeout : 0);
	}
	log_info("%s (%s) is back", c->nick, c->peer);
}

/* @c resumed a session: into the place or conversation kept for it, told where it stands. */
void team_resumed(struct conn *c, struct conn *kept)
{
	struct team *t = c->server->team;
	struct agent *a = kept ? agent_of(kept) : NULL;
	struct chat *ch = kept ? chat_of(kept) : NULL;

	if (a) {
		take_over(a, c);
	} else if (ch) {
		customer_resumed(t, c, ch);
	} else {
		c->server->mode->attach(c); /* nothing was kept: a new place */
		if (!conn_live(c))
			return;
	}
	conn_notice(c, "turns %s", team_strict(t) ? "strict" : "free");
	if (c->role == ROLE_AGENT) {
		team_tell_agent(agent_of(c));
		return;
	}
	team_tell_customer(chat_of(c));
	if (chat_of(c)->agent)
		chat_pump(chat_of(c));
	team_assign_soon(t);
}

/*
 * At start-up, a customer waiting in line when the daemon stopped: kept in the same order,
 * with its open conversation and what it held, until it resumes.
 */
struct conn *team_restore(struct server *s, const struct store_session *ss)
{
	struct team *t = s->team;
	struct conn *c = conn_new_kept(s, ROLE_CUSTOMER, ss->nick);

	if (!c)
		return NULL;
	if (!chat_new(t, c)) {
		c->kept = false; /* dead and not kept: the sweep frees it */
		server_sweep_soon(s);
		return NULL;
	}
	waiting_restore(&t->line, c, ss);
	return c;
}

/* @kept did not come back in time (or was let go): it leaves for good. */
void team_away_over(struct conn *kept)
{
	struct team *t = kept->server->team;
	struct agent *a = agent_of(kept);

	if (a) {
		log_info("agent %s did not come back", kept->nick);
		give_back_all(a, "agent-lost");
		agent_free(a);
		team_assign_soon(t);
	} else if (chat_of(kept)) {
		team_customer_leaves(t, kept);
	}
}

/* A lost agent's name stays its own while it may come back. */
bool team_nick_in_use(struct server *s, const char *nick)
{
	struct agent *a;

	TAILQ_FOREACH (a, &s->team->agents, entry)
		if (a->conn->kept && strcmp(a->conn->nick, nick) == 0)
			return true;
	return false;
}
