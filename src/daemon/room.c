/* SPDX-License-Identifier: ISC */
/*
 * room.c - group mode: every message from a member goes to every member, sender included.
 *
 * State: the members in join order (struct member: its conn, buckets, flood timer; owned by
 * the room, reached through conn->mode_data), framed and line alike; and the leavers, members
 * whose conn is gone while messages they sent are still held.
 *
 * A broadcast goes to all members at once, on the one event loop, so every member sees one
 * order. Its bytes are made once for each kind of member (deliver_kind(): type 2 "NICK: TEXT",
 * type 5 for "ids", a line; notices or not) and copied to each output (a copy beats a reference
 * at chat sizes: callgrind, 50 members, 385 instructions per member for 100 bytes against 608;
 * again for issue 20, one message a commit, BATCH=1 callgrind-relay.sh, 100 members: 294,148
 * instructions per message copied against 303,875 with evbuffer_add_buffer_reference(), and
 * as many allocations: libevent makes a chain for a reference as for a copy).
 * Sending never frees: a member past max_output_bytes is only marked closing (conn_fail) and
 * skipped; the server's sweep calls room_detach() later, outside the loop. A member past
 * soft_output_bytes stops being read until it catches up, so it cannot make others' output grow.
 *
 * Commit, then deliver (deliver.h): with a store, broadcasts and the room notices after them
 * wait in the FIFO @pending until the commit hook, room_committed(), sends each member the
 * batch in one piece (one copy, bound check and output callback per member, not per message).
 * compare.sh (1,000 members, 10 senders, 100 bytes): 205-255 ns of CPU per delivery, 3.9-4.9 M
 * deliveries/s, against 290-340 ns and 2.9-3.4 M when each member had a gate to copy each
 * message into (store = off: 190-215 ns, 4.5-5.2 M). A newcomer skips the entries released
 * before it joined (@skip; its history has them). A member whose own message or rename waits
 * gets the batch through its gate (gate_member()): its replies (an error, a pong) never
 * overtake its echo, and a quit waits for it; others' may go before what another released in
 * the same batch, which nothing they see tells from a later release.
 *
 * Flood control slows a member down and never drops it nor anything it sent. Each member has a
 * pace: a bucket of messages (max_msgs_per_sec, msg_burst) and one of message bytes
 * (max_bytes_per_sec, bytes_burst). A message that finds either short is held, the member's
 * reading pauses (what it sends next waits in its own socket: TCP back-pressure, like an IRC
 * server's fakelag), and the flood timer lets it go, and reading resume, once the pace allows.
 * The member hears "error flood" once per episode: not again until its buckets were full.
 *
 * A member that leaves (quit, EOF, reset, or dropped for any reason: slow consumer, protocol
 * error) with messages held becomes a leaver: they go out at its pace, "left NAME" follows the
 * last one, and the name stays taken until then. Only a shutdown drops them.
 *
 * Joins and renames fan out to every member: joins are limited per address (max_joins_per_min,
 * "error join-rate"), renames per member (max_renames_per_min, the non-fatal "error flood").
 * Past announce_max_members none of them is told at all (room_quiet()), and "who" answers in
 * pages, so that neither grows with the room.
 *
 * The fan-out and the FIFO of what waits for a commit are room-fanout.c; members leaving and
 * leavers, room-leave.c; the state they share, room-priv.h.
 */
#include "room.h"
#include "room-priv.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "admit.h"
#include "clock.h"
#include "cluster.h"
#include "deliver.h"
#include "history.h"
#include "log.h"
#include "msglog.h"
#include "node.h"
#include "nick.h"
#include "pace.h"
#include "rate.h"
#include "server.h"
#include "session.h"
#include "store.h"
#include "typing.h"

void arm(struct event *timer, double wait)
{
	struct timeval tv = { .tv_sec = (time_t)wait,
			      .tv_usec = (suseconds_t)((wait - (double)(time_t)wait) * 1e6) + 1 };

	evtimer_add(timer, &tv);
}

/*
 * Send @held from @nick, oldest first, as far as @p allows: true when all of it went, else
 * false with *@ret_wait, the seconds until more may go. @from: the member, while it is live.
 */
bool release(struct room *r, struct pace *p, struct evbuffer *held, const char *nick,
	     struct conn *from, double *ret_wait)
{
	const struct config *cfg = &r->server->config;
	double now = fd_clock_seconds();
	struct fd_frame f;
	size_t len;

	while (held_peek(held, &len)) {
		if (!pace_ready(p, cfg, len, now)) {
			*ret_wait = pace_wait(p, cfg, len);
			return false;
		}
		held_take(held, r->server->held_body, &f);
		pace_spend(p, f.len);
		room_send(r, nick, from, &f);
	}
	return true;
}

/* The pace lets @m's held messages go: send them, and read it again once none is left. */
static void on_flood_timer(evutil_socket_t fd, short what, void *arg)
{
	struct member *m = arg;
	struct conn *c = m->conn;
	double wait;

	if (!conn_live(c))
		return; /* closing: what it holds goes out after it (room_detach) */
	if (!release(c->server->room, &m->pace, c->held, c->nick, c, &wait)) {
		arm(m->flood_timer, wait);
		return;
	}
	conn_resume(c, PAUSE_HELD);
	conn_resume(c, PAUSE_FLOOD);
}

/* @m holds messages: its reading pauses, and its flood timer lets them go at its pace. */
static int hold_back(struct member *m)
{
	struct conn *c = m->conn;
	size_t len;

	if (!m->flood_timer &&
	    !(m->flood_timer = evtimer_new(c->server->base, on_flood_timer, m))) {
		conn_fail(c, "out-of-memory", "the server could not keep your message");
		return -ENOMEM;
	}
	conn_pause(c, PAUSE_FLOOD);
	if (held_peek(c->held, &len))
		arm(m->flood_timer, pace_wait(&m->pace, &c->server->config, len));
	return 0;
}

/* @m sent faster than its pace: hold the message and pause its reading until the pace allows. */
static void flood_hold(struct member *m, const struct fd_frame *f)
{
	struct conn *c = m->conn;
	const struct config *cfg = &c->server->config;

	/* Failed, or already waiting (a gone peer's last frames, all taken in at once). */
	if (conn_hold(c, f) < 0 || (c->paused & PAUSE_FLOOD))
		return;
	if (hold_back(m) < 0)
		return;
	if (!m->flooding) {
		/*
		 * Named by the byte bucket: the message bucket refills a token every 1/rate s, so
		 * on a slow machine (valgrind) it could look ready again by now and a burst of
		 * short lines was called a byte flood; the byte bucket cannot refill a whole
		 * message's worth in that time.
		 */
		bool msgs = bucket_ready(&m->pace.bytes, cfg->max_bytes_per_sec, cfg->bytes_burst,
					 (double)f->len, fd_clock_seconds());

		m->flooding = true;
		c->server->stats.flood_slowed++;
		conn_error(c, "flood", "more than %u %s a second: slowed down, nothing is lost",
			   msgs ? cfg->max_msgs_per_sec : cfg->max_bytes_per_sec,
			   msgs ? "messages" : "bytes");
		log_info("%s (%s): flood, slowed down", c->peer, c->nick);
	}
}

static void room_caps(struct conn *c, unsigned added);

static void room_hello(struct conn *c)
{
	if (c->proto == PROTO_LINE)
		conn_notice(c,
			    "welcome group %s -- /nick NAME renames you, "
			    "/who lists the members, quit leaves",
			    c->nick);
	else
		conn_notice(c, "welcome group %s", c->nick);
	/* The name asked for was taken: say so (a seed client cannot answer an error). */
	if (strcmp(c->asked, c->nick) != 0)
		conn_notice(c, "renamed %s %s", c->asked, c->nick);
	mod_hello(c);
	/* A big room says no joins: how many are here is said once, to the newcomer. */
	if (room_quiet(c->server->room, 0))
		conn_notice(c, "members %u", c->server->room->nmembers);
	/* Line members always get notices, so their history follows the welcome (7.4). */
	if (c->proto == PROTO_LINE)
		room_caps(c, CAP_IDS);
}

/* Joins fan out to every member: from one address, no more than max_joins_per_min. */
static bool join_allowed(struct room *r, struct conn *c)
{
	const struct config *cfg = &r->server->config;
	char key[ADMIT_KEY_MAX];
	double wait;

	if (!cfg->max_joins_per_min || !strchr(c->peer, ':') ||
	    addr_rate_take(r->joins, key, admit_address_key(c->peer, key, sizeof(key)),
			   cfg->max_joins_per_min / 60.0, cfg->max_joins_per_min,
			   fd_clock_seconds(), &wait))
		return true;
	conn_fail(c, "join-rate",
		  "more than %u joins a minute from your address; try again in %u s",
		  cfg->max_joins_per_min, (unsigned)wait + 1);
	return false;
}

/* @c becomes a member; @announce: the room hears "joined NAME" (not when it never left). */
static struct member *join(struct conn *c, bool announce)
{
	struct room *r = c->server->room;
	const struct config *cfg = &c->server->config;
	double now = fd_clock_seconds();
	struct member *m;

	if (announce && !join_allowed(r, c))
		return NULL;
	m = calloc(1, sizeof(*m));
	if (!m) {
		conn_fail(c, "server-full", "out of memory");
		return NULL;
	}
	m->conn = c;
	m->joined_id = msglog_last_id(r->server);
	pace_fill(&m->pace, cfg, now);
	bucket_fill(&m->renames, cfg->max_renames_per_min, now);
	c->mode_data = m;
	TAILQ_INSERT_TAIL(&r->members, m, entry);
	r->nmembers++;
	if (c->proto == PROTO_LINE)
		r->nline++;
	conn_set_state(c, CONN_ACTIVE);
	if (announce && !room_quiet(r, 0))
		tell_all(r, c, "joined %s", c->nick);
	m->skip = r->npending; /* what was released before it joined, its own notice included */
	node_claim(c);
	node_member(c, true);
	return m;
}

static void room_attach(struct conn *c)
{
	join(c, true);
}

/* A framed member granted "ids" gets the room's recent history, once (7.4). */
static void room_caps(struct conn *c, unsigned added)
{
	struct member *m = member_of(c);
	unsigned n = c->server->config.history_on_join;

	/* store = off keeps nothing: there is no history to give. */
	if (m && (added & CAP_IDS) && n && !m->history_sent && msglog_kept(c->server)) {
		m->history_sent = true;
		history_send(c, 0, n, 0, m->joined_id, true);
	}
}

static int64_t room_history_conv(struct conn *c)
{
	return 0;
}

static void room_detach(struct conn *c)
{
	struct room *r = c->server->room;
	struct member *m = member_of(c);

	if (!m)
		return;
	TAILQ_REMOVE(&r->members, m, entry);
	r->nmembers--;
	if (c->proto == PROTO_LINE)
		r->nline--;
	for (unsigned i = 0; m->gated && i < r->ngated; i++)
		if (r->gated[i] == m)
			r->gated[i] = r->gated[--r->ngated];
	c->mode_data = NULL;
	node_member(c, false);
	log_info("%s (%s) left the room, %u members", c->nick, c->peer, r->nmembers);
	member_leaves(r, m, c);
	member_free(m);
}

/*
 * A member resumed its session. If it still held lines when its connection was lost (it is a
 * leaver, "left NAME" not said yet), it takes them back with its pace, as if it had never gone:
 * the room hears neither "left" nor "joined", and a resume is no way around flood control.
 */
static void room_resumed(struct conn *c, struct conn *kept)
{
	struct room *r = c->server->room;
	struct member *m;
	struct leaver *l;

	mod_hello(c); /* its state: the topic */
	TAILQ_FOREACH (l, &r->leavers, entry)
		if (strcmp(l->nick, c->nick) == 0)
			break;
	if (!l) {
		room_attach(c);
		return;
	}
	TAILQ_REMOVE(&r->leavers, l, entry);
	r->nleavers--;
	if ((m = join(c, false))) {
		m->pace = l->pace;
		conn_adopt_held(c, l->held);
		l->held = NULL;
		hold_back(m);
	}
	leaver_free(l);
}

static void room_message(struct conn *c, const struct fd_frame *f)
{
	struct member *m = member_of(c);
	const struct config *cfg = &c->server->config;
	double now = fd_clock_seconds();

	if (m->flooding && pace_full(&m->pace, cfg, now))
		m->flooding = false; /* the last flood is over: a new one is told again */
	/* Behind a held message, or over the pace: keep it (in order) and slow the sender. */
	if (conn_has_held(c) || !pace_ready(&m->pace, cfg, f->len, now)) {
		flood_hold(m, f);
		return;
	}
	pace_spend(&m->pace, f->len);
	room_send(c->server->room, c->nick, c, f);
}

#define WHO_PAGE 200 /* names in one answer to "who" */

static bool who_cluster(struct conn *c, unsigned first);

/*
 * who [PAGE]: "member NICK" for the PAGE-th WHO_PAGE members in join order (default the
 * first), "who-more" if later pages have some, then "members N", all of them. In pages, so
 * that asking about a room of thousands cannot push the asker past max_output_bytes. A page
 * past the end is empty, not an error: the room may have shrunk since the last one.
 */
static void cmd_who(struct conn *c, const char *arg)
{
	struct room *r = c->server->room;
	unsigned long page = 1;
	unsigned first, n = 0;
	struct member *m;
	char *end;

	if (*arg) {
		errno = 0;
		page = strtoul(arg, &end, 10);
		if (*arg < '1' || *arg > '9' || *end || errno || page > UINT_MAX / WHO_PAGE) {
			conn_error(c, "bad-command", "who takes a page number, 1 or more");
			return;
		}
	}
	first = (unsigned)(page - 1) * WHO_PAGE;
	if (who_cluster(c, first))
		return;
	TAILQ_FOREACH (m, &r->members, entry) {
		if (!conn_live(m->conn))
			continue;
		/* "@" marks an operator, to clients granted a capability (new words: opt-in). */
		if (n >= first && n - first < WHO_PAGE)
			conn_notice(c, "member %s%s", c->caps && m->conn->oper ? "@" : "",
				    m->conn->nick);
		n++;
	}
	if (n > first && n - first > WHO_PAGE)
		conn_notice(c, "who-more");
	conn_notice(c, "members %u", n);
}

/* "who" in a cluster: every node's members, by name, until Redis answers. */
struct who_req {
	struct server *server;
	uint64_t conn;
	unsigned first;
};

static void on_who(void *arg, const char *const *nicks, size_t n, size_t all, int err)
{
	struct who_req *w = arg;
	struct conn *c = server_find_conn(w->server, w->conn), *t;

	if (c && conn_live(c) && err < 0)
		conn_error(c, "cluster-unavailable", "who is in the room cannot be asked now");
	for (size_t i = 0; c && conn_live(c) && err == 0 && i < n; i++) {
		/* "@" for an operator: known for this node's members only. */
		t = c->caps ? server_find_nick(w->server, nicks[i]) : NULL;
		conn_notice(c, "member %s%s", t && t->oper ? "@" : "", nicks[i]);
	}
	if (c && conn_live(c) && err == 0 && all > w->first + n)
		conn_notice(c, "who-more");
	if (c && conn_live(c) && err == 0)
		conn_notice(c, "members %zu", all);
	free(w);
}

/* In a cluster while Redis answers; else (false) this node's members, as on one node. */
static bool who_cluster(struct conn *c, unsigned first)
{
	struct who_req *w;

	if (!c->server->cluster || !cluster_is_up(c->server->cluster))
		return false;
	if (!(w = malloc(sizeof(*w)))) {
		conn_error(c, "out-of-memory", "who is in the room cannot be asked now");
		return true;
	}
	*w = (struct who_req){ .server = c->server, .conn = c->id, .first = first };
	if (cluster_who(c->server->cluster, first, WHO_PAGE, on_who, w) < 0)
		on_who(w, NULL, 0, 0, -ENOTCONN);
	return true;
}

/* nick NAME: rename; a taken name gets a number, like at join. Renames fan out: rate-limited. */
static void cmd_nick(struct conn *c, const char *arg)
{
	struct member *m = member_of(c);
	unsigned per_min = c->server->config.max_renames_per_min;
	char nick[NICK_BUFSIZE];

	if (!fd_nick_valid(arg, strlen(arg)) || arg[0] == '@') {
		conn_error(c, "bad-nick", "%s",
			   arg[0] == '@' ? "a name in a room does not start "
					   "with @ (it marks operators)"
					 : FD_NICK_RULE);
		return;
	}
	snprintf(nick, sizeof(nick), "%s", arg);
	server_unique_nick(c->server, c, nick);
	/* The name asked for, or the one it would get (a taken name's number). */
	if (bans_nick(&c->server->bans, arg, fd_clock_unix_ms() / 1000) ||
	    bans_nick(&c->server->bans, nick, fd_clock_unix_ms() / 1000)) {
		conn_error(c, "banned", "the name %s is banned from this room; you keep yours",
			   bans_nick(&c->server->bans, arg, fd_clock_unix_ms() / 1000) ? arg
										       : nick);
		return;
	}
	if (strcmp(nick, c->nick) == 0)
		return;
	if (!bucket_ready(&m->renames, per_min / 60.0, per_min, 1, fd_clock_seconds())) {
		conn_error(c, "flood", "more than %u renames a minute; try again in %u s", per_min,
			   (unsigned)bucket_wait(&m->renames, per_min / 60.0, per_min, 1) + 1);
		return;
	}
	bucket_spend(&m->renames, 1);
	node_rename(c, nick); /* room_rename() at once, or once the cluster agrees */
}

void room_rename(struct conn *c, const char *nick)
{
	struct room *r = c->server->room;
	char old[NICK_BUFSIZE];

	memcpy(old, c->nick, sizeof(old));
	node_member(c, false);
	snprintf(c->nick, sizeof(c->nick), "%s", nick);
	node_member(c, true);
	log_info("%s: %s is now %s", c->peer, old, nick);
	session_save(c); /* resumed after a restart, it is still called so */
	mod_renamed(r, old, nick);
	if (!room_quiet(r, 0))
		tell_all(r, NULL, "renamed %s %s", old, nick);
	gate_member(r, c);
	if (room_quiet(r, 0)) /* a big room hears nothing: the member alone, after its echo */
		conn_notice(c, "renamed %s %s", old, nick);
}

/* A leaver's name is still taken: "left NAME" has not been said yet. */
static bool room_nick_in_use(struct server *s, const char *nick)
{
	struct leaver *l;

	TAILQ_FOREACH (l, &s->room->leavers, entry)
		if (strcmp(l->nick, nick) == 0)
			return true;
	return false;
}

/* For `systemctl status`: "3 members (1 on the line protocol)", "1 member", "no members". */
static void room_status(struct server *s, char *buf, size_t len)
{
	const struct room *r = s->room;

	if (!r->nmembers)
		snprintf(buf, len, "no members");
	else if (!r->nline)
		snprintf(buf, len, "%u member%s", r->nmembers, r->nmembers == 1 ? "" : "s");
	else
		snprintf(buf, len, "%u member%s (%u on the line protocol)", r->nmembers,
			 r->nmembers == 1 ? "" : "s", r->nline);
}

/* For "info": how many are in the room (line members too). */
static void room_info(struct server *s, char *buf, size_t len)
{
	snprintf(buf, len, "members=%u", s->room->nmembers);
}

static const struct command room_commands[] = {
	{ "who", 1u << ROLE_MEMBER, ARG_OPTIONAL, cmd_who },
	{ "nick", 1u << ROLE_MEMBER, ARG_REQUIRED, cmd_nick },
	{ "msg", 1u << ROLE_MEMBER, ARG_REQUIRED, cmd_msg }, /* room-msg.c */
	/* Moderation (room-mod.c): each checks that its sender is an operator. */
	{ "oper", 1u << ROLE_MEMBER, ARG_OPTIONAL, cmd_oper },
	{ "kick", 1u << ROLE_MEMBER, ARG_REQUIRED, cmd_kick },
	{ "ban", 1u << ROLE_MEMBER, ARG_REQUIRED, cmd_ban },
	{ "unban", 1u << ROLE_MEMBER, ARG_REQUIRED, cmd_unban },
	{ "bans", 1u << ROLE_MEMBER, ARG_NONE, cmd_bans },
	{ "mute", 1u << ROLE_MEMBER, ARG_REQUIRED, cmd_mute },
	{ "unmute", 1u << ROLE_MEMBER, ARG_REQUIRED, cmd_unmute },
	{ "topic", 1u << ROLE_MEMBER, ARG_OPTIONAL, cmd_topic },
	{ "purge", 1u << ROLE_MEMBER, ARG_REQUIRED, cmd_purge },
	{ NULL, 0, ARG_NONE, NULL },
};

/*
 * typing: to every other member of this node granted "typing" (never published to other
 * nodes: it is no message). Not from a muted member, who may not write; not at all in a room
 * past announce_max_members, where it would fan out as joins would.
 */
static void room_typing(struct conn *c, const char *name)
{
	struct room *r = c->server->room;
	struct member *m;

	if (room_quiet(r, 0) || (r->nmutes && room_muted(r, c->nick)))
		return;
	TAILQ_FOREACH (m, &r->members, entry)
		if (m->conn != c)
			typing_tell(m->conn, c->nick);
}

const struct mode_ops room_ops = {
	.attach = room_attach,
	.hello = room_hello,
	.message = room_message,
	.detach = room_detach,
	.resumed = room_resumed,
	.status = room_status,
	.info = room_info,
	.nick_in_use = room_nick_in_use,
	.caps = room_caps,
	.history_conv = room_history_conv,
	.committed = room_committed,
	.typing = room_typing,
	.commands = room_commands,
};

size_t room_member_size(void)
{
	return sizeof(struct member);
}

int room_new(struct server *s, struct room **ret)
{
	struct room *r = calloc(1, sizeof(*r));
	bool ok;

	if (!r)
		return -ENOMEM;
	r->server = s;
	TAILQ_INIT(&r->members);
	TAILQ_INIT(&r->leavers);
	TAILQ_INIT(&r->pending);
	TAILQ_INIT(&r->spare);
	ok = addr_rate_new(&r->joins) == 0;
	for (unsigned i = 0; i <= DELIVER_KINDS; i++)
		ok = ok && (r->out[i] = evbuffer_new()) != NULL;
	if (!ok) {
		room_free(r);
		return -ENOMEM;
	}
	*ret = r;
	return 0;
}

/* The conns are the server's (and may be freed already): only the members are freed here. */
void room_free(struct room *r)
{
	struct member *m;
	struct leaver *l;
	struct pending *p;

	if (!r)
		return;
	while ((m = TAILQ_FIRST(&r->members))) {
		TAILQ_REMOVE(&r->members, m, entry);
		member_free(m);
	}
	/* Stopped while some still had messages to send, or the store never committed: gone. */
	while ((l = TAILQ_FIRST(&r->leavers))) {
		TAILQ_REMOVE(&r->leavers, l, entry);
		leaver_free(l);
	}
	while ((p = TAILQ_FIRST(&r->pending))) {
		TAILQ_REMOVE(&r->pending, p, entry);
		free(p);
	}
	spare_free(r);
	free(r->gated);
	mod_free(r);
	addr_rate_free(r->joins);
	for (unsigned i = 0; i <= DELIVER_KINDS; i++)
		if (r->out[i])
			evbuffer_free(r->out[i]);
	free(r);
}
