/* SPDX-License-Identifier: ISC */
/* resume.c - a new connection takes over a session (see resume.h). */
#include "resume.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "alive.h"
#include "clock.h"
#include "command.h"
#include "conn.h"
#include "deliver.h"
#include "handshake.h"
#include "log.h"
#include "msglog.h"
#include "node.h"
#include "server.h"
#include "session.h"
#include "store.h"

/* Messages one read of the store gives at most; fewer go out if the output fills. */
#define REPLAY_PART 100
/* How often a replay waiting for the peer's output to drain looks again... */
#define REPLAY_POLL_MS 20
/* ...and for how long: a peer that reads nothing of it for so long is let go. */
#define REPLAY_STALL_S 60

/* A replay in progress: found again by the conn's number, which may be gone by then. */
struct replay {
	struct server *server;
	uint64_t conn_id;
	uint64_t conv;
	bool by_agent;         /* an agent with several chats: its open conversations, not @conv */
	uint64_t next_conv;    /* then this one (a customer back after a restart: its new one) */
	uint64_t last_id;      /* the LAST_ID it resumed with, where @next_conv begins */
	uint64_t after, upto;  /* still to send: IDs above @after and at most @upto */
	bool first;            /* no part read yet: "gap" is decided on it */
	double progress;       /* when the last part went out (fd_clock_seconds()) */
	struct evbuffer *live; /* what arrived for the peer meanwhile, sent after the replay */
	struct event *poll;    /* waits for the peer's output to drain */
};

bool resume_is(const struct fd_frame *f)
{
	return f->type == FD_FRAME_COMMAND && strncmp(f->body, "resume ", 7) == 0;
}

static void replay_free(struct replay *rp)
{
	if (rp->live)
		evbuffer_free(rp->live);
	if (rp->poll)
		event_free(rp->poll);
	free(rp);
}

/* The replay is over (@c may be closing): what waited goes out after it, and @c is read again. */
static void replay_done(struct replay *rp, struct conn *c)
{
	if (c) {
		deliver_put_back(c, rp->live);
		rp->live = NULL;
		conn_resume(c, PAUSE_RESUME);
	}
	replay_free(rp);
}

/*
 * More than half of soft_output_bytes unsent: the next part waits. As conn_output_busy(), but
 * without asking for the drained hook: the mode's, not the replay's.
 */
static bool output_full(struct conn *c)
{
	return conn_unsent(c) > c->server->config.soft_output_bytes / 2;
}

static void on_part(void *arg, const struct store_msg *msgs, size_t n, int err);

static void read_part(struct replay *rp, struct conn *c)
{
	int r = rp->by_agent ? store_missed_by_agent(c->server->store, c->nick, rp->after, rp->upto,
						     REPLAY_PART, on_part, rp)
			     : msglog_missed(c->server, rp->conv, rp->after, rp->upto, REPLAY_PART,
					     on_part, rp);

	if (r < 0) {
		conn_error(c, "out-of-memory", "what you missed cannot be read now");
		replay_done(rp, c);
	}
}

static void on_poll(evutil_socket_t fd, short what, void *arg)
{
	struct replay *rp = arg;
	struct conn *c = server_find_conn(rp->server, rp->conn_id);
	struct timeval again = { 0, REPLAY_POLL_MS * 1000 };

	if (!c || !conn_live(c)) {
		replay_done(rp, c);
	} else if (fd_clock_seconds() - rp->progress > REPLAY_STALL_S) {
		/* Reading is paused for the replay, so no ping says the peer is gone: this does. */
		c->lost = true;
		deliver_discard(c);
		conn_fail(c, "slow-consumer", "nothing of what you missed read for %d s",
			  REPLAY_STALL_S);
		replay_done(rp, NULL);
	} else if (output_full(c) || c->gate_ticket) {
		evtimer_add(rp->poll, &again);
	} else {
		read_part(rp, c);
	}
}

/*
 * Messages of a room carry every ID in turn, so the first one read says whether any is missing.
 * A desk conversation's IDs have others' between them: only a store that keeps nothing says.
 */
static bool gap_before(const struct replay *rp, const struct store_msg *msgs, size_t n)
{
	if (!msglog_kept(rp->server))
		return true;
	return rp->conv == 0 && !rp->by_agent && (n == 0 || msgs[0].id != rp->after + 1);
}

/* One part read: sent while the output has room (one at least), then the next, or the end. */
static void on_part(void *arg, const struct store_msg *msgs, size_t n, int err)
{
	struct replay *rp = arg;
	struct conn *c = server_find_conn(rp->server, rp->conn_id);
	struct evbuffer *aside;
	size_t i = 0;

	if (!c || !conn_live(c) || err < 0) {
		if (c && err < 0)
			conn_error(c, "store-unavailable", "what you missed cannot be read now");
		replay_done(rp, c);
		return;
	}
	/* What arrived meanwhile waits for the end, in order, bounded as unsent output is. */
	aside = deliver_set_aside(c);
	if (aside) {
		evbuffer_add_buffer(rp->live, aside);
		evbuffer_free(aside);
	}
	if (evbuffer_get_length(rp->live) > c->server->config.max_output_bytes) {
		c->lost = true; /* as over_bound(): what it missed is in the store */
		deliver_discard(c);
		conn_fail(c, "slow-consumer", "more than %u bytes unread",
			  c->server->config.max_output_bytes);
		replay_done(rp, NULL);
		return;
	}
	if (rp->first && gap_before(rp, msgs, n))
		conn_notice(c, "gap");
	rp->first = false;
	for (; i < n && conn_live(c) && (i == 0 || !output_full(c)); i++) {
		/* At the desk a peer gets the other side's messages; a room echoes everyone's. */
		if ((rp->conv == 0 && !rp->by_agent) ||
		    msgs[i].from_agent != (c->role == ROLE_AGENT))
			deliver_msg(c, 0, &msgs[i],
				    rp->by_agent ? c->caps & CAP_AGENT : rp->conv == 0);
		rp->after = msgs[i].id;
	}
	deliver_pass(c);
	rp->progress = fd_clock_seconds();
	if (conn_live(c) && n < REPLAY_PART && i == n && rp->next_conv) {
		rp->conv = rp->next_conv; /* this conversation is done: the next one */
		rp->next_conv = 0;
		rp->after = rp->last_id;
	} else if (!conn_live(c) || (n < REPLAY_PART && i == n)) {
		replay_done(rp, c);
		return;
	}
	on_poll(-1, 0, rp);
}

/*
 * Give @c what it missed since @last_id, then what arrives live: from @before first, if not 0,
 * the conversation it had before a restart (a served customer comes back in a new one).
 */
static void replay_start(struct conn *c, uint64_t last_id, uint64_t before)
{
	struct server *s = c->server;
	int64_t conv = s->mode->history_conv ? s->mode->history_conv(c) : -1;
	bool by_agent = c->role == ROLE_AGENT && (c->caps & CAP_AGENT);
	struct replay *rp;

	if ((conv < 0 && !by_agent) || last_id >= msglog_last_id(s))
		return;
	rp = calloc(1, sizeof(*rp));
	if (!rp || !(rp->live = evbuffer_new()) ||
	    !(rp->poll = evtimer_new(s->base, on_poll, rp)) || deliver_hold(c) < 0) {
		if (rp)
			replay_free(rp);
		conn_fail(c, "out-of-memory", "what you missed cannot be read now");
		return;
	}
	rp->server = s;
	rp->conn_id = c->id;
	rp->by_agent = by_agent;
	rp->conv = by_agent ? 0 : before ? before : (uint64_t)conv;
	rp->next_conv = before ? (uint64_t)conv : 0;
	rp->last_id = last_id;
	rp->after = last_id;
	rp->upto = msglog_last_id(s);
	rp->first = true;
	rp->progress = fd_clock_seconds();
	conn_pause(c, PAUSE_RESUME);
	read_part(rp, c);
}

int resume_parse(const char *arg, char token[SESSION_TOKEN_LEN + 1], uint64_t *last_id)
{
	size_t len = strcspn(arg, " ");
	char *end;

	if (len != SESSION_TOKEN_LEN || arg[len] != ' ' || arg[len + 1] < '0' || arg[len + 1] > '9')
		return -EINVAL;
	memcpy(token, arg, len);
	token[len] = '\0';
	errno = 0;
	*last_id = strtoull(arg + len + 1, &end, 10);
	return *end || errno || *last_id > INT64_MAX ? -EINVAL : 0;
}

void resume_frame(struct conn *c, const struct fd_frame *f)
{
	struct server *s = c->server;
	char token[SESSION_TOKEN_LEN + 1];
	struct session *se;
	uint64_t last_id;

	c->notices = true; /* "resume" opts into notices (7.3) */
	c->resume_tried = true;
	if (resume_parse(f->body + 7, token, &last_id) < 0) {
		conn_error(c, "resume-failed", "resume TOKEN LAST_ID; now send a nickname");
		return;
	}
	if (last_id > msglog_last_id(s)) {
		conn_error(c, "resume-failed",
			   "ID %llu was never given in epoch %s; now send a "
			   "nickname",
			   (unsigned long long)last_id, msglog_epoch(s));
		return;
	}
	/* The client waits for the answer: more input now is a client that did not. */
	if (evbuffer_get_length(bufferevent_get_input(c->bev)) > 0) {
		conn_error(c, "resume-failed",
			   "send nothing after resume until its answer; now "
			   "send a nickname");
		return;
	}
	if (!(se = session_find(s, token, c->role))) {
		/* In a cluster it may be another node's: asked for, and resume_found() later. */
		if (!node_resume(c, token, last_id))
			conn_error(c, "resume-failed",
				   "no such session (unknown, ended or expired); now send a "
				   "nickname");
		return;
	}
	resume_found(c, se, last_id);
}

void resume_found(struct conn *c, struct session *se, uint64_t last_id)
{
	struct server *s = c->server;
	char refusal[256];
	struct conn *kept;
	const char *why;
	uint64_t before;

	/* The file may have changed since the name was granted, or the token been passed on. */
	if ((why = handshake_agent_refusal(c, se->nick, refusal, sizeof(refusal)))) {
		conn_error(c, "resume-failed", "%s; now send a nickname", why);
		return;
	}
	/* Banned meanwhile (room-mod.c): no way back in under that name, resumed or not. */
	if (bans_nick(&s->bans, se->nick, fd_clock_unix_ms() / 1000) ||
	    bans_peer(&s->bans, c->peer, fd_clock_unix_ms() / 1000)) {
		log_info("%s: refused: resumes %s, a banned name", c->peer, se->nick);
		conn_fail(c, "banned", "the name %s is banned from this room", se->nick);
		return;
	}
	if (s->mode->may_resume && (why = s->mode->may_resume(c, se))) {
		conn_error(c, "resume-failed", "%s; now send a nickname", why);
		return;
	}
	/* Its name, taken before its session is: out of memory, it may still send a nickname. */
	if (conn_set_asked(c, se->nick, strlen(se->nick)) < 0) {
		conn_error(c, "resume-failed", "out of memory; now send a nickname");
		return;
	}
	/* A client that saw no ID sends 0: what came before its session was never missed. */
	if (last_id < se->from_id)
		last_id = se->from_id;
	log_info("%s: resumes %s, missed messages after ID %llu", c->peer, se->nick,
		 (unsigned long long)last_id);
	kept = session_take(se, c);
	before = kept && kept->conv_ended ? kept->conv : 0;
	c->caps = se->caps;
	if (c->caps & CAP_PING)
		alive_start(c);
	handshake_attach(c, true);
	conn_notice(c, "resumed %s", c->nick);
	session_grant(c);
	command_send_caps(c);
	/* Into the place kept for it (the desk), or joined again (a room); then where it stands. */
	if (s->mode->resumed)
		s->mode->resumed(c, kept);
	else
		s->mode->attach(c);
	session_save(c); /* its conversation may have changed: the store keeps it as it is now */
	if (conn_live(c))
		replay_start(c, last_id, before);
}
