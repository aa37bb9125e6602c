/* SPDX-License-Identifier: ISC */
/*
 * handshake.c - from accept to attached (see handshake.h).
 *
 * Order on a framed conn: [challenge -> response] -> nickname [-> "hello notices"] -> the mode
 * attaches it. The deadline (handshake_timeout) covers all of it; conn.c arms it at accept.
 * A conn accepted only to be refused (the server is full) still has its nickname read, so
 * that a client that asks for notices can be told why before it is closed.
 * With agents_file, an agent's name is checked against the credential it came with (its uid,
 * or the key it answered with) before the mode sees it.
 */
#include "handshake.h"

#include <errno.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "admit.h"
#include "agents.h"
#include "auth.h"
#include "clock.h"
#include "conn.h"
#include "conn-write.h"
#include "log.h"
#include "node.h"
#include "nick.h"
#include "resume.h"
#include "server.h"
#include "tls.h"

#define HELLO_FRAME "0020|4|hello notices"

int handshake_begin(struct conn *c, const struct auth_key *key)
{
	if (!key)
		return 0;
	if (auth_new_challenge(c->challenge) < 0)
		return -EIO;
	/* The challenge goes out before anything else; the answer is due by the deadline. */
	c->key = key;
	conn_set_state(c, CONN_CHALLENGE);
	if (fd_frame_encode(bufferevent_get_output(c->bev), FD_FRAME_CHALLENGE, c->challenge,
			    strlen(c->challenge)) < 0)
		return -ENOMEM;
	conn_write_soon(c);
	return 0;
}

/*
 * Banned since it connected (room-mod.c: a ban does not wait for a handshake to finish): its
 * address, or the name it gets, a taken name's number included. True: refused and closed.
 */
static bool banned_now(struct conn *c)
{
	int64_t now = fd_clock_unix_ms() / 1000;

	if (bans_peer(&c->server->bans, c->peer, now)) {
		log_info("%s: refused: the address is banned", c->peer);
		conn_fail(c, "banned", "your address is banned from this room");
		return true;
	}
	if (bans_nick(&c->server->bans, c->nick, now)) {
		log_info("%s: refused: the name %s is banned", c->peer, c->nick);
		conn_fail(c, "banned", "the name %s is banned from this room", c->nick);
		return true;
	}
	return false;
}

void handshake_attach(struct conn *c, bool resumed)
{
	snprintf(c->nick, sizeof(c->nick), "%s", c->asked);
	/* A resumed session's name was kept for it; resume.c hands it to the mode. */
	if (!resumed)
		server_unique_nick(c->server, c, c->nick);
	if (!resumed && banned_now(c))
		return;
	conn_set_timer(c, 0);
	if (c->role != ROLE_AGENT)
		log_info("%s: %s as %s", c->peer, resumed ? "resumes" : "joined", c->nick);
	c->mode_link = MODE_LINK_ATTACHED;
	if (!resumed)
		c->server->mode->attach(c);
	/* Named after the mode: an agent that takes over keeps the name it had (desk.c). */
	if (c->role == ROLE_AGENT && conn_live(c))
		log_info("%s: agent %s", c->peer, c->nick);
	if (c->notices && conn_live(c) && !resumed)
		c->server->mode->hello(c);
	/* Joined while the store cannot write: not read until it can, like everyone else. */
	if (c->server->store_failing)
		server_store_pause(c);
	if (c->server->cluster_full)
		node_pause(c);
}

const char *handshake_agent_refusal(struct conn *c, const char *name, char *buf, size_t len)
{
	struct agents_cred cred;

	if (c->role != ROLE_AGENT || !c->server->agents)
		return NULL;
	conn_credential(c, &cred);
	switch (agents_check(c->server->agents, name, &cred)) {
	case AGENTS_ALLOWED:
		return NULL;
	case AGENTS_UNLISTED:
		snprintf(buf, len, "%s is not an agent you may be: agents_file does not list it",
			 name);
		break;
	default:
		if (cred.kind == AGENTS_CRED_UID)
			snprintf(buf, len,
				 "%s is not an agent you may be: agents_file does not list it for "
				 "uid %u",
				 name, (unsigned)cred.uid);
		else
			snprintf(buf, len,
				 "%s is not an agent you may be: agents_file does not list it for "
				 "the key you answered with",
				 name);
		break;
	}
	return buf;
}

/* With agents_file, only a name the peer's credential is listed for (README, "Who..."). */
static bool refuse_agent(struct conn *c)
{
	char why[256];

	if (!handshake_agent_refusal(c, c->asked, why, sizeof(why)))
		return false;
	/* Challenged over TCP, it speaks our protocol: told why, as auth-failed is. */
	if (c->remote)
		c->notices = true;
	conn_fail(c, "agent-not-allowed", "%s", why);
	return true;
}

static void on_nickname(struct conn *c, const struct fd_frame *f)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);

	if (!fd_nick_valid(f->body, f->len)) {
		conn_fail(c, "bad-nick", FD_NICK_RULE);
		return;
	}
	if (conn_set_asked(c, f->body, f->len) < 0) {
		conn_fail(c, "out-of-memory", "the server could not take your name");
		return;
	}
	/*
	 * Our clients send "hello notices" in the same write as the nickname. Taking it now, before
	 * the mode sees the conn, lets a refusal at the door (queue-full, agent-busy) reach them.
	 */
	if (evbuffer_get_length(in) >= sizeof(HELLO_FRAME) - 1) {
		char next[sizeof(HELLO_FRAME) - 1];

		evbuffer_copyout(in, next, sizeof(next));
		if (memcmp(next, HELLO_FRAME, sizeof(next)) == 0) {
			evbuffer_drain(in, sizeof(next));
			c->notices = true;
		}
	}
	if (refuse_agent(c))
		return;
	/* "@" marks an operator in a room's "who": nobody may pass for one by the name. */
	if (c->server->config.mode == MODE_GROUP && c->asked[0] == '@') {
		conn_fail(c, "bad-nick",
			  "a name in a room does not start with @ (it marks operators)");
		return;
	}
	/* A banned name is refused at the door, before the room hears of it (room-mod.c). */
	if (bans_nick(&c->server->bans, c->asked, fd_clock_unix_ms() / 1000)) {
		log_info("%s: refused: the name %s is banned", c->peer, c->asked);
		conn_fail(c, "banned", "the name %s is banned from this room", c->asked);
		return;
	}
	handshake_attach(c, false);
}

/*
 * A conn refused at accept (server full): its nickname is read, "hello notices" is answered
 * with the refusal, anything else closes it without a word (the peer cannot read notices).
 */
static void on_refused_frame(struct conn *c, const struct fd_frame *f)
{
	if (f->type == FD_FRAME_NICKNAME && !c->asked[0]) {
		conn_set_asked(c, f->body, f->len); /* out of memory: refused all the same */
		return;
	}
	/* "resume" opts into notices too (7.3): it is told why, as "hello notices" is. */
	if (f->type == FD_FRAME_COMMAND && (strcmp(f->body, "hello notices") == 0 || resume_is(f)))
		c->notices = true;
	conn_fail(c, c->refuse_code, "%s", c->refuse_text);
}

/*
 * A peer that was challenged speaks our protocol, so it is told why it failed even though it
 * could not have asked for notices yet.
 */
static void fail_auth(struct conn *c, const char *why)
{
	c->notices = true;
	conn_fail(c, "auth-failed", "%s", why);
}

/*
 * An agent on agent_listen may answer under agent_key_file's key or under any key agents_file
 * lists. Which key it was is its credential: kept as the key's id (in place of the challenge,
 * done with), so that its name can be checked against agents_file when it arrives.
 */
static const char *check_agent_answer(struct conn *c, const struct fd_frame *f)
{
	const struct server *s = c->server;
	const struct auth_key *keys[AGENTS_MAX_KEYS + 1];
	size_t n = 0, which = 0;
	const char *why;

	/* The listener challenges even without agent_key_file; an empty key is no key. */
	if (s->agent_key.len)
		keys[n++] = &s->agent_key;
	for (size_t i = 0; s->agents && i < agents_nkeys(s->agents); i++)
		keys[n++] = agents_key(s->agents, i);
	/*
	 * Bound to the TLS session, over TLS (README, "Security"). A web agent's (/ws/agent) bev
	 * is a pair end, never TLS: its answer is the plain HMAC, since a browser cannot read the
	 * TLS exporter.
	 */
	why = tls_auth_check(c->bev, true, keys, n, c->challenge, f->body, f->len, &which);
	if (!why)
		agents_key_id(keys[which], c->key_id);
	return why;
}

static void on_response(struct conn *c, const struct fd_frame *f)
{
	size_t which;
	const char *why;

	if (f->type != FD_FRAME_RESPONSE) {
		fail_auth(c, "answer the challenge (a type 8 frame) first");
		return;
	}
	if (c->remote)
		why = check_agent_answer(c, f);
	else
		why = tls_auth_check(c->bev, false, &c->key, 1, c->challenge, f->body, f->len,
				     &which);
	if (why) {
		fail_auth(c, why);
		return;
	}
	/* Only agents that answered hold one of agent_listen's slots (admit.c). */
	if (c->remote && !admit_agent_slot(c->server)) {
		c->notices = true;
		conn_fail(c, "server-full", "too many agent connections");
		return;
	}
	c->key = NULL;
	conn_set_state(c, CONN_HANDSHAKE);
}

void handshake_frame(struct conn *c, const struct fd_frame *f)
{
	if (c->state == CONN_CHALLENGE)
		on_response(c, f);
	else if (c->refuse_code)
		on_refused_frame(c, f);
	else if (resume_is(f) && !c->resume_tried)
		resume_frame(c, f);
	else if (f->type != FD_FRAME_NICKNAME)
		conn_fail(c, "expected-nickname", "the first frame must be a nickname (type 1)");
	else
		on_nickname(c, f);
}

void handshake_expired(struct conn *c)
{
	if (c->state == CONN_CHALLENGE)
		fail_auth(c, "no answer to the challenge in time");
	else if (c->refuse_code)
		conn_fail(c, c->refuse_code, "%s", c->refuse_text);
	else if (c->proto == PROTO_LINE)
		conn_fail(c, "timeout", "no TLS handshake within %u seconds",
			  c->server->config.handshake_timeout);
	else
		conn_fail(c, "timeout", "no nickname within %u seconds",
			  c->server->config.handshake_timeout);
}

void handshake_line(struct conn *c)
{
	size_t n = strnlen(c->peer, NICK_MAX);

	c->proto = PROTO_LINE;
	c->notices = true;
	bufferevent_setwatermark(c->bev, EV_READ, 1, 0);
	if (c->refuse_code) {
		conn_fail(c, c->refuse_code, "%s", c->refuse_text);
		return;
	}
	/* Named "ip:port" until "/nick NAME" (only ever cut short for a long IPv6 address). */
	if (conn_set_asked(c, c->peer, n) < 0) {
		conn_fail(c, "out-of-memory", "the server could not take your name");
		return;
	}
	/*
	 * Over TLS, a line peer joins when its TLS handshake is done (handshake_tls_done()), under
	 * the handshake deadline: a peer that stalls the handshake must not sit in the room while
	 * broadcasts pile up in an output that can never be written.
	 */
	if (!tls_is_tls(c->bev))
		handshake_attach(c, false);
}

void handshake_tls_done(struct conn *c)
{
	if (c->proto == PROTO_LINE && c->state == CONN_HANDSHAKE && conn_live(c))
		handshake_attach(c, false);
}
