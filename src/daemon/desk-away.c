/* SPDX-License-Identifier: ISC */
/*
 * desk-away.c - customers and the agent away from the desk, kept for their resume (session.h):
 * back into the place or conversation kept for them, restored in line after a restart, let go
 * when their grace ends or the agent ends them (next, kick). See desk-priv.h.
 */
#include "desk-priv.h"

#include <string.h>

#include "clock.h"
#include "held.h"
#include "log.h"
#include "record.h"
#include "session.h"

/* An away customer ended by the agent (next, kick): its session ends, and it leaves. */
void end_away(struct conn *c, enum store_end why)
{
	log_info("%s, away, is let go by the agent", c->nick);
	c->end_why = why;
	session_end(c); /* the session lets go of it: desk_away_over() */
}

/* A customer called @name who is away (kept for a resume), or NULL. */
struct conn *find_away(struct desk *d, const char *name)
{
	struct conn *q;

	if (d->active && d->active->kept && strcmp(d->active->nick, name) == 0)
		return d->active;
	TAILQ_FOREACH (q, &d->line.q, link)
		if (q->kept && strcmp(q->nick, name) == 0)
			return q;
	return NULL;
}

/*
 * @kept was in its place or conversation and @c takes it, as it was (held messages too). One
 * that was being served when the daemon restarted comes back in a new conversation: the old
 * one went to the next agent.
 */
static void take_place(struct desk *d, struct conn *c, struct conn *kept)
{
	c->conv = kept->conv && !kept->conv_ended ? kept->conv : record_conv_begin(c);
	conn_move_held(c, kept);
	if (kept == d->active) {
		d->active = c;
		conn_set_state(c, CONN_ACTIVE);
		arm_idle(d);
		if (agent_here(d) && d->agent->caps)
			conn_notice(d->agent, "customer-back %s", c->nick);
		desk_pump_soon(d); /* what either side held meanwhile goes now */
	} else {
		waiting_replace(&d->line, kept, c);
		conn_set_state(c, CONN_QUEUED);
	}
	c->since = kept->since; /* "queue" says how long it has waited, absence included */
	log_info("%s (%s) is back", c->nick, c->peer);
}

/*
 * The agent resumed its session: the desk again, told what it is serving. What it missed of
 * the conversation comes from the store (resume.c), so nothing unanswered is given again;
 * what the customer wrote meanwhile was held, and follows.
 */
static void agent_resumed(struct desk *d, struct conn *c)
{
	attach_agent(d, c);
	if (!conn_live(c))
		return;
	give_agent_held(d, c); /* relayed as the turns allow (desk_pump(), soon) */
	d->resend_unanswered = false;
	tell_turns(d, c);
	tell_agent_state(d, c);
}

/* One agent at a time: its session is of no use while another agent is attached. */
const char *desk_may_resume(struct conn *c, const struct session *se)
{
	struct desk *d = c->server->desk;

	if (c->role == ROLE_AGENT && agent_here(d) && se->conn != d->agent)
		return "another agent is attached";
	return NULL;
}

/* A customer resumed its session: into the place kept for it, then told where it stands. */
void desk_resumed(struct conn *c, struct conn *kept)
{
	struct desk *d = c->server->desk;
	bool served = d->active && d->active == kept;

	if (c->role == ROLE_AGENT) {
		agent_resumed(d, c);
		return;
	}
	if (kept && (kept == d->active || kept->queued_link))
		take_place(d, c, kept);
	else
		desk_attach(c); /* nothing was kept: a new place */
	if (!conn_live(c))
		return;
	tell_turns(d, c);
	if (!d->active)
		serve_next(d); /* back at the head of the line, which nobody took meanwhile */
	if (d->active != c || served)
		tell_customer_state(d, c);
}

/*
 * At start-up, a customer waiting in line when the daemon stopped: kept in the same order, with
 * its open conversation and what it held (store order: by conversation), until it resumes.
 */
struct conn *desk_restore(struct server *s, const struct store_session *ss)
{
	struct desk *d = s->desk;
	struct conn *c = conn_new_kept(s, ROLE_CUSTOMER, ss->nick);

	if (!c)
		return NULL;
	waiting_restore(&d->line, c, ss);
	return c;
}

/* @kept was away and did not come back in time, or the agent ended it: it leaves. */
void desk_away_over(struct conn *kept)
{
	customer_leaves(kept->server->desk, kept);
}
